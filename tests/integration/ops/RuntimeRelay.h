#pragma once

// A relay in front of HAProxy's runtime API (tcp) for the drain fault tests: passes every
// command through, except that `set server` commands can be held (never forwarded, the client
// waits forever) or forwarded with the reply dropped (applied, the client never hears back).
// Header-only, test process event loop.

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

class RuntimeRelay : public QObject
{
public:
    enum class Mode { PassThrough, HoldSetServer, DropSetServerReply };

    RuntimeRelay(QHostAddress upstream, quint16 upstreamPort)
        : m_upstream(std::move(upstream))
        , m_port(upstreamPort)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *c = m_server.nextPendingConnection()) {
                c->setParent(this);
                connect(c, &QTcpSocket::readyRead, this, [this, c] { onClient(c); });
            }
        });
    }

    quint16 port() const { return m_server.serverPort(); }
    void setMode(Mode m) { m_mode = m; }
    QList<QByteArray> held() const { return m_held; } // set server commands not forwarded
    QList<QByteArray> dropped() const { return m_dropped; } // forwarded, reply dropped

private:
    void onClient(QTcpSocket *c)
    {
        QByteArray &buf = m_buf[c];
        buf += c->readAll();
        if (!buf.contains('\n')) {
            return;
        }
        const QByteArray request = buf;
        buf.clear();
        const bool mutation = request.contains("set server");
        if (mutation && m_mode == Mode::HoldSetServer) {
            m_held << request.trimmed();
            return; // the client waits for an answer that never comes
        }
        const bool drop = mutation && m_mode == Mode::DropSetServerReply;
        auto *up = new QTcpSocket(this);
        QPointer<QTcpSocket> client(c);
        connect(up, &QTcpSocket::connected, up, [up, request] { up->write(request); });
        connect(up, &QTcpSocket::readyRead, up, [up, client, drop] {
            const QByteArray data = up->readAll();
            if (!drop && client) {
                client->write(data);
            }
        });
        connect(up, &QTcpSocket::disconnected, up, [this, up, client, drop, request] {
            if (drop) {
                m_dropped << request.trimmed();
            } else if (client) {
                client->disconnectFromHost();
            }
            up->deleteLater();
        });
        up->connectToHost(m_upstream, m_port);
    }

    QTcpServer m_server;
    QHostAddress m_upstream;
    quint16 m_port;
    Mode m_mode = Mode::PassThrough;
    QHash<QTcpSocket *, QByteArray> m_buf;
    QList<QByteArray> m_held;
    QList<QByteArray> m_dropped;
};
