#pragma once

#include "DnsTypes.h"
#include "core/Parsed.h"

#include <QByteArray>
#include <QHash>

namespace hopscope {

// Address (A/AAAA) with its TTL, as found for a name anywhere in an answer.
struct DnsAddress
{
    QHostAddress address;
    quint32 ttl = 0;
};

// What one well-formed DNS message says about (name, type): pure, no I/O, reentrant. A message
// that cannot be read is a ParseError instead (DnsResult::Status::Malformed for the resolver).
struct DnsParsedAnswer
{
    DnsResult::Status status = DnsResult::Status::Other;
    QString detail;
    QString finalName; // `name` after following the CNAME chain in the answer
    QStringList cnameChain; // CNAME targets followed, in order
    bool chainIncomplete = false; // a CNAME pointed outside the answer: ask again for finalName
    QList<DnsRecord> records; // records of the asked type at finalName (SRV without address)
    QHash<QString, QList<DnsAddress>> addresses; // SRV target -> its A/AAAA from any section
    int negativeTtl = -1;
    bool truncated = false;
};

// Parses a raw DNS answer with ldns (ldns_wire2pkt): rcode, CNAME chain, the asked records with
// their TTLs, A/AAAA glue for SRV targets from every section, and the RFC 2308 negative TTL
// from the SOA in the authority section. Names are compared on the wire (ldns_dname_compare) and
// turned into text only for what the result keeps. Stateless and reentrant; any byte string,
// however hostile, gives a DnsParsedAnswer with the server's status (Ok, NxDomain, ... with a
// detail when it is not Ok) or a ParseError saying where and why it could not be read.
class DnsAnswerParser
{
public:
    static Parsed<DnsParsedAnswer> parse(
        const QByteArray &wire, const QString &name, DnsRecordType type);
    static Parsed<DnsParsedAnswer> parse(
        const unsigned char *wire, int length, const QString &name, DnsRecordType type);
    static QString normalizedName(const QString &name); // lowercase, no trailing dot
};

} // namespace hopscope
