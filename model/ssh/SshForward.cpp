#include "SshForward.h"

#include "SshChannelBridge.h"
#include "SshSession.h"

#include <QTcpServer>
#include <QTcpSocket>

namespace hopscope {

SshForwardTarget SshForwardTarget::tcp(const QString &host, quint16 port)
{
    SshForwardTarget t;
    t.kind = Kind::Tcp;
    t.host = host;
    t.port = port;
    return t;
}

SshForwardTarget SshForwardTarget::unixSocket(const QString &path)
{
    SshForwardTarget t;
    t.kind = Kind::UnixSocket;
    t.path = path;
    return t;
}

QString SshForwardTarget::describe() const
{
    if (kind == Kind::UnixSocket) {
        return QStringLiteral("unix:") + path;
    }
    return (host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host)
        + QLatin1Char(':') + QString::number(port);
}

SshForward::SshForward(SshSession *session, const SshForwardTarget &target, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_target(target)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &SshForward::onNewConnection);
}

SshForward::~SshForward() = default;

bool SshForward::listen(QString *error)
{
    if (m_server->listen(QHostAddress::LocalHost, 0)) {
        return true;
    }
    if (error) {
        *error = QStringLiteral("cannot listen on 127.0.0.1 for the tunnel to %1: %2")
                     .arg(m_target.describe(), m_server->errorString());
    }
    return false;
}

quint16 SshForward::localPort() const
{
    return m_server->serverPort();
}

qint64 SshForward::bufferedBytes() const
{
    qint64 total = 0;
    const auto bridges = findChildren<SshChannelBridge *>(QString(), Qt::FindDirectChildrenOnly);
    for (const SshChannelBridge *bridge : bridges) {
        total += bridge->bufferedBytes();
    }
    return total;
}

void SshForward::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        QString refusal;
        if (!m_session) {
            refusal = QStringLiteral("tunnel to %1: no SSH session").arg(m_target.describe());
        } else if (m_active >= m_maxConnections) {
            refusal = QStringLiteral("tunnel to %1 through %2: %3 connections open already")
                          .arg(m_target.describe(), m_session->config().label())
                          .arg(m_maxConnections);
        }
        if (!refusal.isEmpty()) {
            socket->abort();
            socket->deleteLater();
            Q_EMIT connectionFailed(refusal);
            continue;
        }
        if (m_session->state() == SshSession::State::Idle) {
            m_session->open(); // lazily, on first use
        }
        auto *bridge = new SshChannelBridge(m_session, socket, m_target, m_byteCap, this);
        ++m_active;
        connect(bridge, &SshChannelBridge::finished, this, [this](const QString &reason) {
            --m_active;
            if (reason.isEmpty()) {
                Q_EMIT connectionClosed();
            } else {
                Q_EMIT connectionFailed(reason);
            }
        });
        bridge->start();
    }
}

} // namespace hopscope
