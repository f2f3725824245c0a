#pragma once

#include "core/Clock.h"
#include "dns/DnsUpdateAnswer.h"
#include "dns/DnsUpdateMessage.h"
#include "dns/DnsUpdateRecord.h"
#include "profile/Endpoint.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

namespace hopscope {

class DnsUpdateTransport;

// Sends RFC 2136 UPDATEs signed with TSIG to one zone's primary. A thin facade over three
// parts: DnsUpdateMessage builds and signs the message (as of the injected Clock's time),
// DnsUpdateTransport carries it (UDP, then TCP, under one hard total deadline of timeoutMs and
// a byte cap), DnsUpdateAnswer reads and verifies the answer. Lives on its owner's thread;
// each call returns an id and ends with exactly one finished() carrying it.
class DnsUpdater : public QObject
{
    Q_OBJECT
public:
    DnsUpdater(HostPort server, QString zone, DnsTsigKey key, QObject *parent = nullptr);
    // `clock` gives Time Signed and the "now" answers are checked against; it must outlive
    // the updater (Clock::system() does).
    DnsUpdater(HostPort server, QString zone, DnsTsigKey key, const Clock &clock,
        QObject *parent = nullptr);
    ~DnsUpdater() override;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    void setTcpOnly(bool tcpOnly) { m_tcpOnly = tcpOnly; } // see DnsUpdateTransport
    // How results name the server (see DnsUpdateTransport::setServerLabel).
    void setServerLabel(const QString &label) { m_serverLabel = label; }
    QString serverLabel() const
    {
        return m_serverLabel.isEmpty() ? m_server.toString() : m_serverLabel;
    }
    HostPort server() const { return m_server; }
    QString zone() const { return m_zone; }

    // Deletes exactly these RRs (CLASS NONE; idempotent: an absent RR is a no-op).
    quint64 removeRecords(const QList<DnsUpdateRecord> &records);
    // Adds them back with their TTLs (CLASS IN).
    quint64 addRecords(const QList<DnsUpdateRecord> &records);

Q_SIGNALS:
    void finished(const hopscope::DnsUpdateResult &result);

private:
    struct Exchange
    {
        DnsUpdateOperation op = DnsUpdateOperation::Remove;
        QList<DnsUpdateRecord> records;
        quint16 messageId = 0;
        QByteArray requestMac;
        DnsUpdateTransport *transport = nullptr;
    };
    quint64 start(DnsUpdateOperation op, const QList<DnsUpdateRecord> &records);
    void onAnswer(quint64 id, const QByteArray &wire, const QString &transport);
    void fail(quint64 id, SourceError::Kind kind, const QString &message, const QString &detail,
        const QString &transport);
    void complete(quint64 id, DnsUpdateResult result);

    HostPort m_server;
    QString m_serverLabel;
    QString m_zone;
    DnsTsigKey m_key;
    const Clock *m_clock;
    int m_timeoutMs = 3000;
    bool m_tcpOnly = false;
    quint64 m_nextId = 1;
    QHash<quint64, Exchange> m_exchanges;
};

} // namespace hopscope
