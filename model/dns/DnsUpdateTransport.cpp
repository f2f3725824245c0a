#include "dns/DnsUpdateTransport.h"
#include "core/BoundedRead.h"

#include <QNetworkDatagram>
#include <QTcpSocket>
#include <QTimer>
#include <QUdpSocket>

#include <ldns/ldns.h>

namespace hopscope {

namespace {
constexpr int s_udpLimit = 512; // RFC 1035 §4.2.1: larger messages go over TCP
constexpr int s_tcpFrameMax = 2 + 0xffff; // RFC 1035 §4.2.2: 2-octet length, then the message
const QString s_mayHaveApplied = QStringLiteral("; the update may or may not have been applied");
} // namespace

DnsUpdateTransport::DnsUpdateTransport(HostPort server, int timeoutMs, QObject *parent)
    : QObject(parent)
    , m_server(std::move(server))
    , m_timeoutMs(std::max(1, timeoutMs))
{ }

DnsUpdateTransport::~DnsUpdateTransport() = default;

void DnsUpdateTransport::send(const QByteArray &wire)
{
    m_wire = wire;
    m_messageId = wire.size() >= 2
        ? quint16(LDNS_ID_WIRE(reinterpret_cast<const uint8_t *>(wire.constData())))
        : 0;
    m_deadline = QDeadlineTimer(m_timeoutMs);
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &DnsUpdateTransport::onTimer);
    if (m_tcpOnly) {
        m_udpNote = QStringLiteral("TCP only (through an SSH tunnel)");
        sendTcp();
    } else if (m_wire.size() > s_udpLimit) {
        m_udpNote = QStringLiteral("message of %1 octets is over 512").arg(m_wire.size());
        sendTcp();
    } else {
        sendUdp();
    }
}

void DnsUpdateTransport::onTimer()
{
    if (m_udp && !m_tcp && !m_deadline.hasExpired()) {
        m_udpNote = QStringLiteral("no UDP answer within %1 ms")
                        .arg(m_timeoutMs - m_deadline.remainingTime());
        sendTcp();
    } else {
        timedOut();
    }
}

void DnsUpdateTransport::sendUdp()
{
    m_transport = QStringLiteral("udp");
    m_udp = new QUdpSocket(this);
    connect(m_udp, &QUdpSocket::connected, this,
        [this] { m_written = m_udp->write(m_wire) > 0 || m_written; });
    connect(m_udp, &QUdpSocket::readyRead, this, &DnsUpdateTransport::onUdpReadyRead);
    connect(m_udp, &QUdpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError err) {
        if (m_tcp || m_done) {
            return;
        }
        if (err == QAbstractSocket::ConnectionRefusedError) {
            finish();
            Q_EMIT failed(SourceError::Kind::Refused,
                QStringLiteral("nothing answers DNS on %1 (connection refused)").arg(serverLabel()),
                m_udpNote, m_transport);
        } else if (err == QAbstractSocket::HostNotFoundError) {
            finish();
            Q_EMIT failed(SourceError::Kind::Network,
                QStringLiteral("cannot resolve the DNS update server %1")
                    .arg(m_serverLabel.isEmpty() ? m_server.host : m_serverLabel),
                m_udpNote, m_transport);
        } else {
            m_udpNote = m_udp->errorString();
            sendTcp();
        }
    });
    // Half the budget for UDP, so a lost datagram leaves the TCP retry the other half.
    m_timer->start(std::max(1, m_timeoutMs / 2));
    m_udp->connectToHost(m_server.host, m_server.port);
}

void DnsUpdateTransport::onUdpReadyRead()
{
    if (!m_udp || m_done) {
        return;
    }
    while (m_udp->hasPendingDatagrams()) {
        const QByteArray d = m_udp->receiveDatagram().data(); // one datagram: at most 64 KiB
        const auto *p = reinterpret_cast<const uint8_t *>(d.constData());
        if (d.size() < LDNS_HEADER_SIZE || LDNS_ID_WIRE(p) != m_messageId) {
            continue; // a stray datagram: not our answer
        }
        if (LDNS_TC_WIRE(p)) { // the answer did not fit: ask again over TCP
            m_udpNote = QStringLiteral("UDP answer truncated");
            sendTcp();
            return;
        }
        finish();
        Q_EMIT answered(d, QStringLiteral("udp"));
        return;
    }
}

void DnsUpdateTransport::sendTcp()
{
    if (m_udp) {
        m_udp->disconnect(this);
        m_udp->abort();
        m_udp->deleteLater();
        m_udp = nullptr;
    }
    m_transport = QStringLiteral("tcp");
    if (m_deadline.hasExpired()) {
        timedOut();
        return;
    }
    m_tcp = new QTcpSocket(this);
    m_tcp->setReadBufferSize(s_tcpFrameMax);
    connect(m_tcp, &QTcpSocket::connected, this, [this] {
        QByteArray framed(2, '\0');
        ldns_write_uint16(framed.data(), uint16_t(m_wire.size()));
        m_written = m_tcp->write(framed + m_wire) > 0 || m_written;
    });
    connect(m_tcp, &QTcpSocket::readyRead, this, &DnsUpdateTransport::onTcpReadyRead);
    connect(m_tcp, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError err) {
        if (m_done) {
            return;
        }
        // Once the message went out (by UDP before, or on this connection), a lost connection
        // says nothing about whether the server applied it.
        const bool sent = m_written && err != QAbstractSocket::ConnectionRefusedError;
        const QString why = m_tcp->errorString();
        finish();
        Q_EMIT failed(SourceError::Kind::Network,
            QStringLiteral("DNS update over TCP to %1 failed: %2%3")
                .arg(serverLabel(), why, sent ? s_mayHaveApplied : QString()),
            m_udpNote, m_transport);
    });
    m_timer->start(int(std::max<qint64>(1, m_deadline.remainingTime()))); // the rest of the budget
    m_tcp->connectToHost(m_server.host, m_server.port);
}

void DnsUpdateTransport::onTcpReadyRead()
{
    if (!m_tcp || m_done) {
        return;
    }
    // Never more than one framed message: a peer that keeps sending cannot grow the buffer.
    m_tcpBuffer += readAvailable(*m_tcp, s_tcpFrameMax - m_tcpBuffer.size());
    if (m_tcpBuffer.size() < 2) {
        return;
    }
    const int len = ldns_read_uint16(m_tcpBuffer.constData());
    if (m_tcpBuffer.size() >= 2 + len) {
        const QByteArray answer = m_tcpBuffer.mid(2, len);
        finish();
        Q_EMIT answered(answer, QStringLiteral("tcp"));
    }
}

void DnsUpdateTransport::timedOut()
{
    if (m_done) {
        return;
    }
    finish();
    // The server may have applied the update and only the answer is missing: say so.
    Q_EMIT failed(SourceError::Kind::Timeout,
        QStringLiteral("no complete reply within %1 ms from %2 (over %3)%4")
            .arg(m_timeoutMs)
            .arg(serverLabel(), m_transport, m_written ? s_mayHaveApplied : QString()),
        m_udpNote, m_transport);
}

// Stops every socket and the timer: nothing arrives after the one answered() / failed().
void DnsUpdateTransport::finish()
{
    m_done = true;
    for (QObject *o : { static_cast<QObject *>(m_udp), static_cast<QObject *>(m_tcp),
             static_cast<QObject *>(m_timer) }) {
        if (o) {
            o->disconnect(this);
        }
    }
    if (m_timer) {
        m_timer->stop();
    }
    if (m_udp) {
        m_udp->abort();
    }
    if (m_tcp) {
        m_tcp->abort();
    }
}

} // namespace hopscope
