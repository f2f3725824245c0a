#pragma once

#include "core/SourceError.h"
#include "profile/ClusterProfile.h"

#include <QDateTime>
#include <QHostAddress>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace hopscope {

// One resolved DNS record as the resolver saw it in one answer: an A/AAAA address, or an SRV
// (priority, weight, port, target) joined with the target's address. Plain value.
struct DnsRecord
{
    DnsRecordType type = DnsRecordType::A;
    QString owner;          // owner name of the A/AAAA/SRV record (after CNAMEs), no trailing dot
    QHostAddress address;   // null for an SRV whose target did not resolve
    quint16 port = 0;       // SRV port; 0 for A/AAAA
    quint16 priority = 0;   // SRV only
    quint16 weight = 0;     // SRV only
    QString target;         // SRV target FQDN (no trailing dot); empty for A/AAAA
    quint32 ttl = 0;        // TTL of the A/AAAA record, or of the SRV record
    quint32 addressTtl = 0; // SRV only: TTL of the target's A/AAAA record (glue or follow-up)

    // Identity across polls (docs/ARCHITECTURE.md "Identity"): address:port plus FQDN where DNS gave one.
    QString key() const;
};

// The outcome of one lookup (a name and a type), including SRV target follow-ups and CNAMEs.
struct DnsResult
{
    enum class Status {
        Ok,        // NOERROR with records of the asked type
        NoData,    // NOERROR, name exists, no records of that type (negative answer)
        NxDomain,  // the name does not exist (negative answer)
        ServFail,
        Refused,
        Timeout,
        Malformed, // the answer could not be parsed
        Network,   // connection refused / other transport failure
        Cancelled,
        Other,
    };

    QString name;
    DnsRecordType type = DnsRecordType::A;
    QString server;               // the server(s) asked, "127.0.0.1:15353"
    Status status = Status::Other;
    QString detail;               // c-ares / ldns wording when something failed
    QList<DnsRecord> records;
    QStringList cnameChain;       // names followed from `name`, in order
    int negativeTtl = -1;         // NXDOMAIN/NODATA: min(SOA TTL, SOA MINIMUM) per RFC 2308
    QStringList unresolvedTargets; // SRV targets with neither glue nor a follow-up answer

    bool isOk() const { return status == Status::Ok; }
    bool isNegative() const { return status == Status::NoData || status == Status::NxDomain; }
    static QString statusName(Status status);
    SourceError::Kind errorKind() const;
    SourceError toError() const; // kind None for Ok
};

// One target of a service in a discovery snapshot, with its history across polls.
struct DnsTarget
{
    DnsRecord record;
    QDateTime firstSeen;
    QDateTime lastSeen;
    QDateTime holdUntil;  // lastSeen + TTL: a client that cached it at lastSeen may use it until then
    bool stale = false;   // the last query failed; this is the last good answer
    QString staleReason;
};

// A target that left the answer set; clients may still hold it until holdUntil.
struct DnsRemovedTarget
{
    DnsRecord record;
    QDateTime firstSeen;
    QDateTime removedAt;  // the poll that first missed it
    QDateTime holdUntil;  // removedAt + the TTL last seen
};

// Per-service state in a snapshot.
struct DnsServiceState
{
    QString id;
    QString name;
    DnsRecordType type = DnsRecordType::A;
    quint16 profilePort = 0;          // A/AAAA: the port from the profile
    QList<DnsTarget> records;         // sorted by key
    QList<DnsRemovedTarget> removed;  // sorted by key, pruned after holdUntil
    SourceError error;                // kind None when the last query succeeded
    DnsResult::Status lastStatus = DnsResult::Status::Other;
    QDateTime negativeUntil;          // NXDOMAIN/NODATA: negative-cache window end
    QDateTime lastQueried;
    QDateTime nextQuery;
    QStringList cnameChain;
    bool hasAnswer = false;           // at least one query finished (success or failure)

    bool isStale() const { return error.isError(); }
};

// The added/removed records of one service between two polls.
struct DnsAnswerDiff
{
    QString serviceId;
    QString name;
    QDateTime when;
    QList<DnsTarget> added;
    QList<DnsRemovedTarget> removed;
    bool isEmpty() const { return added.isEmpty() && removed.isEmpty(); }
};

// Immutable per-poll value handed to views and the CLI.
struct DnsDiscoverySnapshot
{
    QDateTime taken;
    QList<DnsServiceState> services; // profile order

    const DnsServiceState *service(const QString &id) const;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::DnsResult)
Q_DECLARE_METATYPE(hopscope::DnsAnswerDiff)
Q_DECLARE_METATYPE(hopscope::DnsDiscoverySnapshot)
