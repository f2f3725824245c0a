#pragma once

#include "dns/DnsUpdateRecord.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace hopscope {

// A TSIG key: name, algorithm (hmac-sha256 | hmac-sha512) and the base64 secret. The secret
// only lives in memory and is never logged.
struct DnsTsigKey
{
    QString name;
    QString algorithm = QStringLiteral("hmac-sha256");
    QByteArray secret;
};

enum class DnsUpdateOperation { Remove, Add };

// "RRset exists (value-independent)", RFC 2136 §2.4.1: the update applies only if `owner` has
// an RRset of `type`. Drains send none (deletes are idempotent, docs/PROTOCOLS.md §4.2).
struct DnsRRsetExists
{
    QString owner;
    QString type;
};

// What one UPDATE says: its zone, message ID, the records to delete (CLASS NONE, TTL 0) or add
// (CLASS IN, their TTL), and any prerequisites.
struct DnsUpdateRequest
{
    QString zone;
    quint16 id = 0;
    DnsUpdateOperation operation = DnsUpdateOperation::Remove;
    QList<DnsUpdateRecord> records;
    QList<DnsRRsetExists> prerequisites;
};

struct DnsSignedMessage
{
    QByteArray wire;
    QByteArray mac; // the MAC with its 2-octet size in front: the "request MAC" of the answer
};

// How the TSIG of a received message checked out, most basic failure first.
struct DnsTsigCheck
{
    enum class Outcome {
        Verified,
        Unparsable, // not a DNS message
        Unsigned, // no TSIG record
        OtherKey, // signed with another key name
        OtherAlgorithm, // signed with another algorithm than the key's
        BadMac, // the MAC does not match (tampered, other secret, other request)
        OutsideFudge, // the MAC matches, but Time Signed is further from our clock than Fudge
    };
    Outcome outcome = Outcome::Unparsable;
    QString why; // plain words when not Verified
    bool ok() const { return outcome == Outcome::Verified; }
};

// RFC 2136 UPDATE messages with RFC 8945 TSIG, as pure functions of their inputs (no clock, no
// socket): ldns builds and encodes the message and its TSIG RR and verifies MACs; the HMAC of a
// signature we make is Qt's QMessageAuthenticationCode over the digest ldns lays out, because
// ldns_pkt_tsig_sign only signs at gettimeofday() and the time signed must be the caller's
// (the injected Clock). Tested byte for byte on docs/examples/dns_update_tsig_vector.txt.
class DnsUpdateMessage
{
public:
    static constexpr quint16 fudgeSeconds = 300;

    // The unsigned UPDATE, names uncompressed. Nullopt with *error saying why on bad input (a
    // name outside the zone, a type other than A/AAAA/SRV, unparsable RDATA, no records).
    static std::optional<QByteArray> encode(const DnsUpdateRequest &request, QString *error);

    // `wire` with a TSIG RR appended, signed with `key` as of `timeSigned` (Fudge 300 s).
    // requestMac (with its size) is empty for a request; for an answer it is the request's MAC,
    // prefixed to the digest (RFC 8945 §4.3.1). Nullopt with *error on an unsupported algorithm,
    // a secret that is not base64 (never quoted), or a wire that is not an unsigned message.
    static std::optional<DnsSignedMessage> sign(const QByteArray &wire, const DnsTsigKey &key,
        const QDateTime &timeSigned, QString *error, const QByteArray &requestMac = {});

    // Checks a received message's TSIG: it is signed by `key` (name and algorithm), ldns finds
    // the MAC right (over requestMac when given), and `now` is within Fudge of Time Signed.
    static DnsTsigCheck verify(const QByteArray &wire, const DnsTsigKey &key,
        const QByteArray &requestMac, const QDateTime &now);
};

} // namespace hopscope
