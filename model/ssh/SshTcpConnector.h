#pragma once

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QString>

class QSocketNotifier;

namespace hopscope {

// Opens the TCP connection for an SSH session without blocking: QHostInfo::lookupHost (Qt's
// lookup thread) instead of libssh's synchronous getaddrinfo(), then a non-blocking connect()
// per address, completion seen by a QSocketNotifier. Hands the connected descriptor to the
// caller (takeDescriptor), who owns it from then on. Lives on the caller's thread; POSIX only.
class SshTcpConnector : public QObject
{
    Q_OBJECT
public:
    explicit SshTcpConnector(QObject *parent = nullptr);
    ~SshTcpConnector() override;

    // deadPeerMs > 0 sets TCP_USER_TIMEOUT and TCP keepalive on the connected socket.
    void start(const QString &host, quint16 port, int deadPeerMs);
    void abort();
    int takeDescriptor();

Q_SIGNALS:
    void connected();
    void failed(const QString &reason);

private:
    void onLookedUp(const QList<QHostAddress> &addresses, const QString &lookupError);
    void tryNext();
    void onWritable();
    void closeSocket();

    QString m_host;
    quint16 m_port = 0;
    int m_deadPeerMs = 0;
    int m_lookupId = -1;
    QList<QHostAddress> m_addresses;
    QStringList m_errors;
    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace hopscope
