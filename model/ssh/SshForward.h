#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

class QTcpServer;

namespace hopscope {

class SshSession;

// Where a forwarded connection goes, as the jump host sees it: TCP host:port (direct-tcpip) or
// a unix socket path on the jump host (direct-streamlocal@openssh.com).
struct SshForwardTarget
{
    enum class Kind { Tcp, UnixSocket };
    Kind kind = Kind::Tcp;
    QString host;
    quint16 port = 0;
    QString path;

    static SshForwardTarget tcp(const QString &host, quint16 port);
    static SshForwardTarget unixSocket(const QString &path);
    // "10.0.3.17:9901" or "unix:/run/haproxy/admin.sock"
    QString describe() const;
};

// A local listener on 127.0.0.1:<ephemeral> whose every accepted connection is bridged to a new
// channel of `session` (SshChannelBridge), so existing TCP clients (QNetworkAccessManager, the
// HAProxy runtime client, c-ares over TCP) reach `target` unchanged by using localPort().
// Opens the session lazily on the first connection. A connection that cannot be bridged (the
// session failed, the channel was refused) is closed and reported with connectionFailed(reason).
// Lives on the session's thread.
class SshForward : public QObject
{
    Q_OBJECT
public:
    SshForward(SshSession *session, const SshForwardTarget &target, QObject *parent = nullptr);
    ~SshForward() override;

    // Listens on 127.0.0.1, port chosen by the kernel. False with *error on failure.
    bool listen(QString *error = nullptr);
    quint16 localPort() const;
    const SshForwardTarget &target() const { return m_target; }

    // Bytes buffered per direction per connection before reading pauses (backpressure).
    void setByteCap(qint64 bytes) { m_byteCap = bytes; }
    qint64 byteCap() const { return m_byteCap; }
    // Connections bridged at once; more are refused with a reason.
    void setMaxConnections(int count) { m_maxConnections = count; }
    int activeConnections() const { return m_active; }
    // Bytes buffered by all open connections together (each at most ~2 × byteCap).
    qint64 bufferedBytes() const;

Q_SIGNALS:
    void connectionFailed(const QString &reason);
    void connectionClosed();

private:
    void onNewConnection();

    QPointer<SshSession> m_session;
    SshForwardTarget m_target;
    QTcpServer *m_server = nullptr;
    qint64 m_byteCap = 256 * 1024;
    int m_maxConnections = 64;
    int m_active = 0;
};

} // namespace hopscope
