#include "SshTcpConnector.h"

#include <QHostInfo>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hopscope {

namespace {
QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}
} // namespace

SshTcpConnector::SshTcpConnector(QObject *parent)
    : QObject(parent)
{ }

SshTcpConnector::~SshTcpConnector()
{
    abort();
}

void SshTcpConnector::start(const QString &host, quint16 port, int deadPeerMs)
{
    abort();
    m_host = host;
    m_port = port;
    m_deadPeerMs = deadPeerMs;
    m_errors.clear();
    m_addresses.clear();
    m_lookupId = QHostInfo::lookupHost(host, this, [this](const QHostInfo &info) {
        if (info.lookupId() != m_lookupId) {
            return; // an aborted lookup
        }
        m_lookupId = -1;
        onLookedUp(
            info.addresses(), info.error() == QHostInfo::NoError ? QString() : info.errorString());
    });
}

void SshTcpConnector::abort()
{
    if (m_lookupId != -1) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
    closeSocket();
}

int SshTcpConnector::takeDescriptor()
{
    const int fd = m_fd;
    m_fd = -1;
    return fd;
}

void SshTcpConnector::onLookedUp(const QList<QHostAddress> &addresses, const QString &lookupError)
{
    if (addresses.isEmpty()) {
        Q_EMIT failed(
            QStringLiteral("cannot resolve %1: %2")
                .arg(m_host, lookupError.isEmpty() ? QStringLiteral("no address") : lookupError));
        return;
    }
    m_addresses = addresses;
    tryNext();
}

void SshTcpConnector::tryNext()
{
    while (!m_addresses.isEmpty()) {
        const QHostAddress address = m_addresses.takeFirst();
        sockaddr_storage storage {};
        socklen_t length = 0;
        int family = AF_INET;
        if (address.protocol() == QAbstractSocket::IPv6Protocol) {
            family = AF_INET6;
            auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(m_port);
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, bytes.c, 16);
            length = sizeof(sockaddr_in6);
        } else {
            auto *in4 = reinterpret_cast<sockaddr_in *>(&storage);
            in4->sin_family = AF_INET;
            in4->sin_port = htons(m_port);
            in4->sin_addr.s_addr = htonl(address.toIPv4Address());
            length = sizeof(sockaddr_in);
        }
        m_fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (m_fd < 0) {
            m_errors.append(address.toString() + QStringLiteral(": ") + errnoText(errno));
            continue;
        }
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&storage), length) == 0
            || errno == EINPROGRESS) {
            m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
            connect(m_notifier, &QSocketNotifier::activated, this, &SshTcpConnector::onWritable);
            return;
        }
        m_errors.append(address.toString() + QStringLiteral(": ") + errnoText(errno));
        closeSocket();
    }
    Q_EMIT failed(QStringLiteral("cannot connect to %1 port %2 (%3)")
                      .arg(m_host, QString::number(m_port), m_errors.join(QStringLiteral("; "))));
}

void SshTcpConnector::onWritable()
{
    m_notifier->setEnabled(false);
    m_notifier->deleteLater();
    m_notifier = nullptr;
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) {
        error = errno;
    }
    if (error != 0) {
        m_errors.append(errnoText(error));
        closeSocket();
        tryNext();
        return;
    }
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (m_deadPeerMs > 0) {
        // A peer that stops acknowledging (host gone, link cut) fails the socket after this
        // long instead of the kernel's ~15 minutes of retransmissions.
        const unsigned int timeoutMs = static_cast<unsigned int>(m_deadPeerMs);
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeoutMs, sizeof(timeoutMs));
        ::setsockopt(m_fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        const int idleS = qMax(1, m_deadPeerMs / 3000);
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_KEEPIDLE, &idleS, sizeof(idleS));
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_KEEPINTVL, &idleS, sizeof(idleS));
    }
    Q_EMIT connected();
}

void SshTcpConnector::closeSocket()
{
    if (m_notifier) {
        m_notifier->setEnabled(false);
        m_notifier->deleteLater();
        m_notifier = nullptr;
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

} // namespace hopscope
