#pragma once

#include "core/SourceError.h"
#include "profile/Endpoint.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QObject>
#include <QString>

class QTcpSocket;
class QTimer;
class QUdpSocket;

namespace hopscope {

// Carries ONE DNS message to a server and brings back its answer, without blocking: UDP first,
// TCP when the message is over 512 octets, the UDP answer is truncated (TC), UDP reports an
// error, or no UDP answer came within half the budget. timeoutMs is a hard total deadline for
// the whole exchange (the TCP retry gets what UDP left; arriving bytes never extend it); TCP
// reads at most one framed message (2 + 65535 octets) and UDP keeps only the datagram with the
// message's ID. Knows nothing of UPDATE or TSIG. Ends with exactly one answered() or failed();
// the owner deletes it afterwards (deleteLater).
class DnsUpdateTransport : public QObject
{
    Q_OBJECT
public:
    DnsUpdateTransport(HostPort server, int timeoutMs, QObject *parent = nullptr);
    ~DnsUpdateTransport() override;

    void send(const QByteArray &wire); // once per object
    // TCP from the start (a server reached through an SSH forward, which carries TCP only).
    void setTcpOnly(bool tcpOnly) { m_tcpOnly = tcpOnly; }
    // How messages name the server: through a forward, the profile's server and its jump host
    // ("10.0.0.2:53 via jump"), not the local address the bytes go to. Default: the server.
    void setServerLabel(const QString &label) { m_serverLabel = label; }
    QString serverLabel() const
    {
        return m_serverLabel.isEmpty() ? m_server.toString() : m_serverLabel;
    }

Q_SIGNALS:
    void answered(const QByteArray &wire, const QString &transport);
    // kind: Refused / Network / Timeout; detail says why UDP gave way to TCP, if it did.
    void failed(hopscope::SourceError::Kind kind, const QString &message, const QString &detail,
        const QString &transport);

private:
    void sendUdp();
    void sendTcp();
    void onUdpReadyRead();
    void onTcpReadyRead();
    void onTimer();
    void timedOut();
    void finish();

    HostPort m_server;
    QString m_serverLabel;
    int m_timeoutMs;
    QByteArray m_wire;
    quint16 m_messageId = 0;
    QUdpSocket *m_udp = nullptr;
    QTcpSocket *m_tcp = nullptr;
    QTimer *m_timer = nullptr;
    QByteArray m_tcpBuffer; // at most 2 + 65535 octets: the framing bounds a DNS message
    QDeadlineTimer m_deadline; // the whole exchange, UDP and the TCP fallback together
    bool m_written = false; // the message went out at least once: the server may have acted
    bool m_done = false;
    bool m_tcpOnly = false;
    QString m_transport;
    QString m_udpNote; // why TCP was used
};

} // namespace hopscope
