#include "SshChannelBridge.h"
#include "core/BoundedRead.h"

#include "SshSession.h"

#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

namespace hopscope {

namespace {
constexpr int kChunk = 32 * 1024; // libssh's maximum packet payload
constexpr int kLingerMs = 10'000; // a clean close waits this long for the client to read
} // namespace

SshChannelBridge::SshChannelBridge(SshSession *session, QTcpSocket *socket,
    const SshForwardTarget &target, qint64 byteCap, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_socket(socket)
    , m_target(target)
    , m_byteCap(std::max<qint64>(kChunk, byteCap))
{
    m_socket->setParent(this);
    m_socket->setReadBufferSize(m_byteCap); // Qt stops reading the client when this is full
}

SshChannelBridge::~SshChannelBridge()
{
    freeChannel();
}

void SshChannelBridge::start()
{
    if (!m_session) {
        finish(QStringLiteral("tunnel to %1: no SSH session").arg(m_target.describe()));
        return;
    }
    connect(m_session, &SshSession::stepped, this, &SshChannelBridge::step);
    connect(m_session, &SshSession::closing, this, [this](const QString &reason) {
        freeChannel(); // before libssh frees the session and its channels
        finish(describe() + QStringLiteral(": ") + reason);
    });
    connect(m_session, &SshSession::stateChanged, this, [this](SshSession::State state) {
        if (state == SshSession::State::Failed || state == SshSession::State::Idle) {
            finish(describe() + QStringLiteral(": ")
                + (m_session->errorString().isEmpty() ? QStringLiteral("SSH session closed")
                                                      : m_session->errorString()));
        } else {
            step();
        }
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &SshChannelBridge::step);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &SshChannelBridge::step);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        m_socketClosed = true;
        step();
    });
    step();
}

qint64 SshChannelBridge::bufferedBytes() const
{
    return m_toChannel.size() + m_socket->bytesAvailable() + m_socket->bytesToWrite();
}

QString SshChannelBridge::describe() const
{
    return QStringLiteral("tunnel to %1 through %2")
        .arg(m_target.describe(), m_session ? m_session->config().label() : QString());
}

void SshChannelBridge::step()
{
    if (m_stepping || m_phase == Phase::Done) {
        return;
    }
    m_stepping = true;
    bool alive = true;
    if (m_phase == Phase::WaitingForSession) {
        if (!m_session) {
            finish(describe() + QStringLiteral(": the SSH session is gone"));
            alive = false;
        } else if (m_session->state() == SshSession::State::Failed) {
            finish(describe() + QStringLiteral(": ") + m_session->errorString());
            alive = false;
        } else if (m_socketClosed) {
            finish(QString());
            alive = false;
        } else if (m_session->handle()) {
            m_channel = ssh_channel_new(m_session->handle());
            m_phase = Phase::Opening;
        }
    }
    if (alive && m_phase == Phase::Opening) {
        alive = openChannel();
    }
    if (alive && m_phase == Phase::Open) {
        alive = socketToChannel() && channelToSocket();
    }
    m_stepping = false;
}

bool SshChannelBridge::openChannel()
{
    if (!m_channel) {
        finish(describe() + QStringLiteral(": cannot create a channel"));
        return false;
    }
    const QByteArray origin = QByteArrayLiteral("127.0.0.1"); // only logged by the server
    const int originPort = m_socket->peerPort();
    int rc = SSH_ERROR;
    if (m_target.kind == SshForwardTarget::Kind::Tcp) {
        rc = ssh_channel_open_forward(m_channel, m_target.host.toUtf8().constData(), m_target.port,
            origin.constData(), originPort);
    } else {
        rc = ssh_channel_open_forward_unix(
            m_channel, m_target.path.toUtf8().constData(), origin.constData(), originPort);
    }
    m_session->wake();
    if (rc == SSH_AGAIN) {
        return true;
    }
    if (rc != SSH_OK) {
        finish(describe() + QStringLiteral(": the jump host refused the channel: ")
            + QString::fromUtf8(ssh_get_error(m_session->handle())));
        return false;
    }
    m_phase = Phase::Open;
    return true;
}

bool SshChannelBridge::socketToChannel()
{
    const qint64 room = m_byteCap - m_toChannel.size();
    if (room > 0 && m_socket->bytesAvailable() > 0) {
        m_toChannel += readAvailable(*m_socket, room);
    }
    bool wrote = false;
    while (!m_toChannel.isEmpty()) {
        const qint64 window = ssh_channel_window_size(m_channel);
        if (window <= 0) {
            break; // the far side has not read yet; its window adjust wakes us
        }
        const int n = static_cast<int>(std::min<qint64>({ window, m_toChannel.size(), kChunk }));
        const int written = ssh_channel_write(m_channel, m_toChannel.constData(), n);
        if (written == SSH_ERROR) {
            finish(describe() + QStringLiteral(": ")
                + QString::fromUtf8(ssh_get_error(m_session->handle())));
            return false;
        }
        if (written <= 0) {
            break;
        }
        m_toChannel.remove(0, written);
        wrote = true;
    }
    if (wrote) {
        m_session->wake();
    }
    if (m_socketClosed && m_toChannel.isEmpty() && m_socket->bytesAvailable() == 0) {
        finish(QString()); // the client is gone: close the channel too
        return false;
    }
    return true;
}

bool SshChannelBridge::channelToSocket()
{
    char buffer[kChunk];
    bool read = false;
    bool eof = false;
    while (m_socket->bytesToWrite() < m_byteCap) {
        const int room
            = static_cast<int>(std::min<qint64>(kChunk, m_byteCap - m_socket->bytesToWrite()));
        const int n = ssh_channel_read_nonblocking(m_channel, buffer, room, 0);
        if (n > 0) {
            m_socket->write(buffer, n);
            read = true;
            continue;
        }
        if (n == SSH_EOF
            || (n == 0 && (ssh_channel_is_eof(m_channel) || ssh_channel_is_closed(m_channel)))) {
            eof = true;
        } else if (n < 0) {
            finish(describe() + QStringLiteral(": ")
                + QString::fromUtf8(ssh_get_error(m_session->handle())));
            return false;
        }
        break;
    }
    if (read) {
        m_session->wake(); // reading opened the window: the adjust must go out
    }
    if (eof) {
        finish(QString()); // the far side closed: flush to the client, then close it
        return false;
    }
    return true;
}

void SshChannelBridge::freeChannel()
{
    if (!m_channel) {
        return;
    }
    if (m_session && m_session->handle()) {
        if (ssh_channel_is_open(m_channel)) {
            ssh_channel_close(m_channel);
        }
        ssh_channel_free(m_channel);
        m_session->wake();
    }
    m_channel = nullptr; // without a session, ssh_free() has freed it already
}

void SshChannelBridge::finish(const QString &reason)
{
    if (m_phase == Phase::Done) {
        return;
    }
    m_phase = Phase::Done;
    freeChannel();
    if (m_session) {
        disconnect(m_session, nullptr, this, nullptr);
    }
    disconnect(m_socket, nullptr, this, nullptr);
    if (!reason.isEmpty() || m_socket->state() == QAbstractSocket::UnconnectedState) {
        m_socket->abort();
        deleteLater();
    } else {
        // Let Qt write what the far side sent before closing; never wait forever.
        connect(m_socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
        QTimer::singleShot(kLingerMs, this, &QObject::deleteLater);
        m_socket->disconnectFromHost();
    }
    Q_EMIT finished(reason);
}

} // namespace hopscope
