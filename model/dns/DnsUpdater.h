#pragma once

#include "core/SourceError.h"
#include "profile/Endpoint.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>

#include <optional>

namespace hopscope {

// One resource record as an RFC 2136 update names it: owner, type, RDATA in presentation form
// ("127.0.0.11"; "1 1 8080 task-1.servicea.corp.internal.") and the TTL it had (used to re-add).
struct DnsUpdateRecord
{
    QString owner; // FQDN, with or without the trailing dot
    QString type;  // "A", "AAAA", "SRV"
    QString rdata;
    quint32 ttl = 0;

    QString toString() const; // "serviceb.corp.internal. 10 IN A 127.0.0.11"
    QJsonObject toJson() const;
    static std::optional<DnsUpdateRecord> fromJson(const QJsonObject &o);
    // Owner names compare as DNS names (case-insensitive, trailing dot optional): toJson() writes
    // them absolute, so a record read back from the audit log equals the one planned.
    friend bool operator==(const DnsUpdateRecord &a, const DnsUpdateRecord &b)
    {
        auto bare = [](const QString &n) { return n.endsWith(u'.') ? n.chopped(1) : n; };
        return bare(a.owner).compare(bare(b.owner), Qt::CaseInsensitive) == 0
            && a.type.compare(b.type, Qt::CaseInsensitive) == 0 && a.rdata == b.rdata && a.ttl == b.ttl;
    }
};

// A TSIG key: name, algorithm (hmac-sha256 | hmac-sha512) and the base64 secret. The secret
// only lives in memory and is never logged.
struct DnsTsigKey
{
    QString name;
    QString algorithm = QStringLiteral("hmac-sha256");
    QByteArray secret;
};

enum class DnsUpdateOperation { Remove, Add };

// What the server said to one UPDATE, in plain words.
struct DnsUpdateResult
{
    quint64 id = 0;
    DnsUpdateOperation operation = DnsUpdateOperation::Remove;
    QList<DnsUpdateRecord> records;
    bool ok = false;
    int rcode = -1;     // -1: no answer
    int tsigError = 0;  // 16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC
    QString rcodeName;  // "NOERROR", "NOTAUTH/BADSIG"
    QString message;    // the plain-words outcome
    std::optional<qint64> clockSkewSeconds; // BADTIME: server time - our time
    QString transport;  // "udp" | "tcp"
    SourceError error;  // kind None when ok
};

// Sends RFC 2136 UPDATEs signed with TSIG to one zone's primary: builds, signs and verifies
// with ldns, carries the bytes over QUdpSocket (TCP when the message is over 512 octets, the
// answer is truncated, or UDP gets no answer) without blocking. timeoutMs is a hard total
// deadline for the whole exchange (UDP gets half, the TCP retry the rest; arriving bytes never
// extend it); TCP reads at most one framed message. Lives on its owner's thread;
// each call returns an id and ends with exactly one finished() carrying it.
class DnsUpdater : public QObject
{
    Q_OBJECT
public:
    DnsUpdater(HostPort server, QString zone, DnsTsigKey key, QObject *parent = nullptr);
    ~DnsUpdater() override;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    HostPort server() const { return m_server; }
    QString zone() const { return m_zone; }

    // Deletes exactly these RRs (CLASS NONE; idempotent: an absent RR is a no-op).
    quint64 removeRecords(const QList<DnsUpdateRecord> &records);
    // Adds them back with their TTLs (CLASS IN).
    quint64 addRecords(const QList<DnsUpdateRecord> &records);

    // Builds the UPDATE message (id given) and, when key is non-null, signs it with the current
    // time; *requestMac receives the MAC field (with its 2-octet size) for verifying the answer.
    // Returns nullopt and says why on bad input (a name outside the zone, unparsable RDATA).
    static std::optional<QByteArray> buildMessage(const QString &zone, DnsUpdateOperation op,
        const QList<DnsUpdateRecord> &records, quint16 id, const DnsTsigKey *key,
        QByteArray *requestMac, QString *error);
    // Reads a server answer: id/opcode checks, TSIG verification with the request MAC, RCODE
    // and TSIG errors in plain words. nowSecs is our clock (for the BADTIME skew).
    static DnsUpdateResult interpretResponse(const QByteArray &wire, quint16 id,
        const DnsTsigKey &key, const QByteArray &requestMac, qint64 nowSecs);
    // TSIG verification of a signed message (request or answer); requestMac empty for requests.
    static bool verifySignature(const QByteArray &wire, const DnsTsigKey &key,
        const QByteArray &requestMac, QString *why = nullptr);
    static QString rcodeName(int rcode);

Q_SIGNALS:
    void finished(const hopscope::DnsUpdateResult &result);

private:
    struct Exchange;
    quint64 start(DnsUpdateOperation op, const QList<DnsUpdateRecord> &records);
    void sendUdp(Exchange *x);
    void sendTcp(Exchange *x);
    void onAnswer(quint64 id, const QByteArray &wire, const QString &transport);
    void timedOut(Exchange *e);
    void fail(quint64 id, SourceError::Kind kind, const QString &message, const QString &detail = {});
    void complete(quint64 id, DnsUpdateResult result);

    HostPort m_server;
    QString m_zone;
    DnsTsigKey m_key;
    int m_timeoutMs = 3000;
    quint64 m_nextId = 1;
    QHash<quint64, Exchange *> m_exchanges;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::DnsUpdateResult)
