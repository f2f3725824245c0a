#include "DnsAnswerParser.h"

#include <ldns/ldns.h>

#include <memory>

namespace hopscope {

namespace {

struct PktDeleter
{
    void operator()(ldns_pkt *p) const { ldns_pkt_free(p); }
};

struct RdfDeleter
{
    void operator()(ldns_rdf *r) const { ldns_rdf_deep_free(r); }
};

// ldns' own text form (with its escaping), normalised; only for names outside the fast path.
QString rdfNameViaLdns(const ldns_rdf *rdf)
{
    char *s = ldns_rdf2str(rdf);
    if (!s) {
        return {};
    }
    const QString out = DnsAnswerParser::normalizedName(QString::fromUtf8(s));
    free(s);
    return out;
}

// A domain name rdf (uncompressed wire labels, as ldns_wire2pkt left it) as lowercase text with
// no trailing dot. ldns_rdf2str formats every character through printf, which cost ~70 % of a
// lookup (RESULTS.md, DNS); host names (letters, digits, '-', '_') are copied directly here and
// anything needing escapes goes through ldns.
QString rdfName(const ldns_rdf *rdf)
{
    if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) {
        return {};
    }
    const uint8_t *d = ldns_rdf_data(rdf);
    const size_t n = ldns_rdf_size(rdf);
    char buf[LDNS_MAX_DOMAINLEN + 1];
    size_t out = 0;
    size_t i = 0;
    while (i < n) {
        const size_t len = d[i++];
        if (len == 0) {
            break;
        }
        if (len > LDNS_MAX_LABELLEN || i + len > n || out + len + 1 > sizeof buf) {
            return rdfNameViaLdns(rdf);
        }
        if (out > 0) {
            buf[out++] = '.';
        }
        for (size_t k = 0; k < len; ++k) {
            const char c = char(d[i + k]);
            if (c >= 'A' && c <= 'Z') {
                buf[out++] = char(c - 'A' + 'a');
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                buf[out++] = c;
            } else {
                return rdfNameViaLdns(rdf);
            }
        }
        i += len;
    }
    return QString::fromLatin1(buf, qsizetype(out));
}

// Owner/target comparison on the wire form. ldns_wire2pkt leaves names uncompressed, and length
// bytes (<= 63) are never ASCII letters, so equal names are equal byte strings up to ASCII case;
// this replaces ldns_dname_compare (a canonical-order compare, ~4 % of a lookup in perf).
bool sameName(const ldns_rdf *a, const ldns_rdf *b)
{
    if (!a || !b || ldns_rdf_size(a) != ldns_rdf_size(b)) {
        return false;
    }
    const uint8_t *x = ldns_rdf_data(a);
    const uint8_t *y = ldns_rdf_data(b);
    for (size_t i = 0, n = ldns_rdf_size(a); i < n; ++i) {
        const auto lower = [](uint8_t c) { return c >= 'A' && c <= 'Z' ? uint8_t(c | 0x20) : c; };
        if (lower(x[i]) != lower(y[i])) {
            return false;
        }
    }
    return true;
}

// A/AAAA rdata to an address; ldns has already checked the rdf sizes for these types.
QHostAddress rdfAddress(const ldns_rdf *rdf)
{
    if (!rdf) {
        return {};
    }
    const uint8_t *d = ldns_rdf_data(rdf);
    if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_A && ldns_rdf_size(rdf) == 4) {
        return QHostAddress(
            (quint32(d[0]) << 24) | (quint32(d[1]) << 16) | (quint32(d[2]) << 8) | quint32(d[3]));
    }
    if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(rdf) == 16) {
        return QHostAddress(d);
    }
    return {};
}

ldns_rr_type ldnsType(DnsRecordType t)
{
    switch (t) {
    case DnsRecordType::A:
        return LDNS_RR_TYPE_A;
    case DnsRecordType::AAAA:
        return LDNS_RR_TYPE_AAAA;
    case DnsRecordType::SRV:
        return LDNS_RR_TYPE_SRV;
    }
    return LDNS_RR_TYPE_A;
}

struct SrvTarget
{
    const ldns_rdf *name; // inside the packet
    QString text;
};

// A/AAAA records (any section) whose owner is one of the SRV targets: the glue.
void collectGlue(const ldns_rr_list *list, const QList<SrvTarget> &targets, DnsParsedAnswer &out)
{
    const size_t n = list ? ldns_rr_list_rr_count(list) : 0;
    for (size_t i = 0; i < n; ++i) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        const ldns_rr_type t = ldns_rr_get_type(rr);
        if ((t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA)
            || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
            continue;
        }
        for (const SrvTarget &target : targets) {
            if (sameName(ldns_rr_owner(rr), target.name)) {
                const QHostAddress a = rdfAddress(ldns_rr_rdf(rr, 0));
                if (!a.isNull()) {
                    out.addresses[target.text].append({ a, ldns_rr_ttl(rr) });
                }
                break;
            }
        }
    }
}

} // namespace

QString DnsAnswerParser::normalizedName(const QString &name)
{
    bool clean = !name.endsWith(QLatin1Char('.'));
    for (qsizetype i = 0; clean && i < name.size(); ++i) {
        const char16_t c = name.at(i).unicode();
        clean = c < 0x80 && !(c >= 'A' && c <= 'Z');
    }
    if (clean) {
        return name; // the common case: already normal, shared, no allocation
    }
    QString n = name.toLower();
    while (n.endsWith(QLatin1Char('.'))) {
        n.chop(1);
    }
    return n;
}

Parsed<DnsParsedAnswer> DnsAnswerParser::parse(
    const QByteArray &wire, const QString &name, DnsRecordType type)
{
    return parse(
        reinterpret_cast<const unsigned char *>(wire.constData()), int(wire.size()), name, type);
}

Parsed<DnsParsedAnswer> DnsAnswerParser::parse(
    const unsigned char *wire, int length, const QString &name, DnsRecordType type)
{
    DnsParsedAnswer out;
    out.finalName = normalizedName(name);
    if (!wire || length <= 0) {
        return ParseError { {}, QStringLiteral("empty answer") };
    }
    ldns_pkt *raw = nullptr;
    const ldns_status st = ldns_wire2pkt(&raw, wire, size_t(length));
    std::unique_ptr<ldns_pkt, PktDeleter> pkt(raw);
    if (st != LDNS_STATUS_OK || !pkt) {
        return ParseError { {},
            QStringLiteral("ldns: %1").arg(QString::fromUtf8(ldns_get_errorstr_by_id(st))) };
    }
    out.truncated = ldns_pkt_tc(pkt.get());

    switch (ldns_pkt_get_rcode(pkt.get())) {
    case LDNS_RCODE_NOERROR:
        out.status = DnsResult::Status::Ok;
        break;
    case LDNS_RCODE_NXDOMAIN:
        out.status = DnsResult::Status::NxDomain;
        break;
    case LDNS_RCODE_SERVFAIL:
        out.status = DnsResult::Status::ServFail;
        break;
    case LDNS_RCODE_REFUSED:
        out.status = DnsResult::Status::Refused;
        break;
    case LDNS_RCODE_FORMERR:
        out.status = DnsResult::Status::Other;
        out.detail = QStringLiteral("server said FORMERR");
        break;
    default:
        out.status = DnsResult::Status::Other;
        out.detail = QStringLiteral("rcode %1").arg(int(ldns_pkt_get_rcode(pkt.get())));
        break;
    }

    const ldns_rr_list *answer = ldns_pkt_answer(pkt.get());
    const size_t an = answer ? ldns_rr_list_rr_count(answer) : 0;

    // Names are compared on the wire form; text is made only for what the result keeps.
    std::unique_ptr<ldns_rdf, RdfDeleter> asked;
    {
        ldns_rdf *r = nullptr;
        const QByteArray n
            = out.finalName.isEmpty() ? QByteArrayLiteral(".") : out.finalName.toUtf8();
        if (ldns_str2rdf_dname(&r, n.constData()) != LDNS_STATUS_OK || !r) {
            return ParseError { QStringLiteral("question"),
                QStringLiteral("asked name '%1' is not a valid domain name").arg(name) };
        }
        asked.reset(r);
    }

    // Follow the CNAME chain inside the answer section (bounded against loops).
    const ldns_rdf *current = asked.get();
    for (int hop = 0; hop < 16; ++hop) {
        const ldns_rdf *next = nullptr;
        for (size_t i = 0; i < an; ++i) {
            const ldns_rr *rr = ldns_rr_list_rr(answer, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1
                && sameName(ldns_rr_owner(rr), current)) {
                next = ldns_rr_rdf(rr, 0);
                break;
            }
        }
        if (!next) {
            break;
        }
        const QString nextText = rdfName(next);
        if (nextText.isEmpty() || nextText == out.finalName || out.cnameChain.contains(nextText)) {
            break;
        }
        out.cnameChain.append(nextText);
        current = next;
    }
    if (!out.cnameChain.isEmpty()) {
        out.finalName = out.cnameChain.constLast();
    }

    const ldns_rr_type want = ldnsType(type);
    QList<SrvTarget> targets;
    for (size_t i = 0; i < an; ++i) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        if (ldns_rr_get_type(rr) != want || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN
            || !sameName(ldns_rr_owner(rr), current)) {
            continue;
        }
        DnsRecord r;
        r.type = type;
        r.owner = out.finalName;
        r.ttl = ldns_rr_ttl(rr);
        if (type == DnsRecordType::SRV) {
            if (ldns_rr_rd_count(rr) != 4) {
                return ParseError { QStringLiteral("answer record %1").arg(i + 1),
                    QStringLiteral("SRV record with %1 fields").arg(ldns_rr_rd_count(rr)) };
            }
            r.priority = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
            r.weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
            r.port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
            const ldns_rdf *target = ldns_rr_rdf(rr, 3);
            r.target = rdfName(target);
            if (!r.target.isEmpty()) {
                bool known = false;
                for (const SrvTarget &t : std::as_const(targets)) {
                    known = known || t.text == r.target;
                }
                if (!known) {
                    targets.append({ target, r.target });
                }
            }
        } else {
            r.address = rdfAddress(ldns_rr_rdf(rr, 0));
            if (r.address.isNull()) {
                return ParseError { QStringLiteral("answer record %1").arg(i + 1),
                    QStringLiteral("address record of the wrong size") };
            }
        }
        out.records.append(r);
    }
    if (!targets.isEmpty()) {
        collectGlue(answer, targets, out);
        collectGlue(ldns_pkt_additional(pkt.get()), targets, out);
    }

    if (out.status == DnsResult::Status::Ok && out.records.isEmpty()) {
        if (out.truncated) {
            // TC with nothing usable is not a negative answer: the full one needs TCP.
            out.status = DnsResult::Status::Other;
            out.detail = QStringLiteral("answer truncated (TC) before any complete record: "
                                        "ask again over TCP");
            return out;
        }
        out.status = DnsResult::Status::NoData;
    }
    if (out.status == DnsResult::Status::NoData || out.status == DnsResult::Status::NxDomain) {
        const ldns_rr_list *auth = ldns_pkt_authority(pkt.get());
        const size_t n = auth ? ldns_rr_list_rr_count(auth) : 0;
        for (size_t i = 0; i < n; ++i) {
            const ldns_rr *rr = ldns_rr_list_rr(auth, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7) {
                const quint32 minimum = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
                out.negativeTtl = int(std::min<quint32>(ldns_rr_ttl(rr), minimum));
                break;
            }
        }
        // A CNAME whose target this server did not answer for (no SOA for it): ask again.
        out.chainIncomplete = out.status == DnsResult::Status::NoData && !out.cnameChain.isEmpty()
            && out.negativeTtl < 0;
    }
    return out;
}

} // namespace hopscope
