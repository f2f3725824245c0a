#include "dns/DnsUpdateAnswer.h"

#include "dns/LdnsHandles.h"

namespace hopscope {

using namespace ldnsh;

namespace {

constexpr int s_badSig = 16;
constexpr int s_badKey = 17;
constexpr int s_badTime = 18;

// A BADTIME answer's Other Data: 2-octet length, then the server's 48-bit time.
std::optional<qint64> serverTime(const ldns_rdf *otherData)
{
    if (!otherData || ldns_rdf_size(otherData) < 8) {
        return std::nullopt;
    }
    const uint8_t *p = ldns_rdf_data(otherData) + 2;
    return (qint64(ldns_read_uint16(p)) << 32) | qint64(ldns_read_uint32(p + 2));
}

// The plain-words failure for a verified (or unsigned error) answer's RCODE.
void explainFailure(DnsUpdateResult &r, const DnsTsigKey &key)
{
    auto bad = [&](SourceError::Kind kind, const QString &message) {
        r.ok = false;
        r.message = message;
        r.error.kind = kind;
        r.error.message = message;
    };
    switch (r.rcode) {
    case 5:
        return bad(SourceError::Kind::Refused,
            QStringLiteral("the server refused the update (REFUSED): its allow-update / "
                           "update-policy does not let key '%1' change these names")
                .arg(key.name));
    case 9:
        switch (r.tsigError) {
        case s_badSig:
            return bad(SourceError::Kind::Auth,
                QStringLiteral(
                    "the key's secret is wrong: the server rejected the signature of key "
                    "'%1' (NOTAUTH/BADSIG)")
                    .arg(key.name));
        case s_badKey:
            return bad(SourceError::Kind::Auth,
                QStringLiteral(
                    "the server does not know key '%1' with algorithm %2 (NOTAUTH/BADKEY)")
                    .arg(key.name, key.algorithm));
        case s_badTime: {
            const QString skew = r.clockSkewSeconds
                ? QStringLiteral("the server's clock is %1 s %2 this machine's")
                      .arg(qAbs(*r.clockSkewSeconds))
                      .arg(*r.clockSkewSeconds >= 0 ? QStringLiteral("ahead of")
                                                    : QStringLiteral("behind"))
                : QStringLiteral("the server did not say its time");
            return bad(SourceError::Kind::Auth,
                QStringLiteral(
                    "the clocks disagree by more than the %1 s fudge (NOTAUTH/BADTIME): %2")
                    .arg(DnsUpdateMessage::fudgeSeconds)
                    .arg(skew));
        }
        case 0:
            return bad(SourceError::Kind::Refused,
                QStringLiteral("the server is not authoritative for this zone (NOTAUTH)"));
        default:
            return bad(
                SourceError::Kind::Auth, QStringLiteral("TSIG failed (%1)").arg(r.rcodeName));
        }
    case 10:
        return bad(
            SourceError::Kind::Config, QStringLiteral("a record lies outside the zone (NOTZONE)"));
    case 2:
        return bad(SourceError::Kind::Network,
            QStringLiteral("the server failed to apply the update (SERVFAIL); retry later"));
    case 1:
        return bad(SourceError::Kind::Malformed,
            QStringLiteral("the server could not read the update (FORMERR)"));
    case 4:
        return bad(SourceError::Kind::Refused,
            QStringLiteral("the server does not support dynamic updates (NOTIMP)"));
    default:
        return bad(
            SourceError::Kind::Refused, QStringLiteral("the update failed: %1").arg(r.rcodeName));
    }
}

} // namespace

QString DnsUpdateAnswer::rcodeName(int rcode)
{
    static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
        "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
    if (rcode >= 0 && rcode < int(std::size(names))) {
        return QLatin1String(names[rcode]);
    }
    return QStringLiteral("RCODE %1").arg(rcode);
}

QString DnsUpdateAnswer::tsigErrorName(int e)
{
    switch (e) {
    case s_badSig:
        return QStringLiteral("BADSIG");
    case s_badKey:
        return QStringLiteral("BADKEY");
    case s_badTime:
        return QStringLiteral("BADTIME");
    case 22:
        return QStringLiteral("BADTRUNC");
    default:
        return QStringLiteral("TSIG error %1").arg(e);
    }
}

DnsUpdateResult DnsUpdateAnswer::read(const QByteArray &wire, quint16 id, const DnsTsigKey &key,
    const QByteArray &requestMac, const QDateTime &now)
{
    DnsUpdateResult r;
    auto bad = [&](SourceError::Kind kind, const QString &message) {
        r.ok = false;
        r.message = message;
        r.error.kind = kind;
        r.error.message = message;
        return r;
    };
    PktPtr pkt = parse(wire);
    if (!pkt) {
        return bad(
            SourceError::Kind::Malformed, QStringLiteral("the server's answer cannot be parsed"));
    }
    if (ldns_pkt_id(pkt.get()) != id || !ldns_pkt_qr(pkt.get())
        || ldns_pkt_get_opcode(pkt.get()) != LDNS_PACKET_UPDATE) {
        return bad(SourceError::Kind::Malformed,
            QStringLiteral("the answer does not belong to this UPDATE (id, QR or opcode differ)"));
    }
    r.rcode = int(ldns_pkt_get_rcode(pkt.get()));
    r.rcodeName = rcodeName(r.rcode);
    const ldns_rr *tsig = ldns_pkt_tsig(pkt.get());
    QByteArray mac;
    if (tsig && ldns_rr_rd_count(tsig) >= 7) {
        r.tsigError = int(ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)));
        mac = rdfBytes(ldns_rr_rdf(tsig, 3));
        if (r.tsigError) {
            r.rcodeName += u'/' + tsigErrorName(r.tsigError);
        }
        if (r.tsigError == s_badTime) {
            if (const auto server = serverTime(ldns_rr_rdf(tsig, 6))) {
                r.clockSkewSeconds = *server - now.toSecsSinceEpoch();
            }
        }
    }
    const bool signedAnswer = tsig && mac.size() > 2;
    if (signedAnswer) {
        const DnsTsigCheck check = DnsUpdateMessage::verify(wire, key, requestMac, now);
        // A BADTIME answer says the clocks disagree: its MAC must match, its time may not.
        const bool authentic = check.ok()
            || (check.outcome == DnsTsigCheck::Outcome::OutsideFudge && r.tsigError == s_badTime);
        if (!authentic) {
            return bad(SourceError::Kind::Auth,
                QStringLiteral(
                    "the server's answer (%1) failed TSIG verification: %2; not trusting it")
                    .arg(r.rcodeName, check.why));
        }
    }
    if (r.rcode == 0) {
        if (!signedAnswer) {
            return bad(SourceError::Kind::Auth,
                QStringLiteral(
                    "the server answered NOERROR without a TSIG signature; not trusting it"));
        }
        r.ok = true;
        r.message = QStringLiteral("applied (NOERROR)");
        return r;
    }
    explainFailure(r, key);
    return r;
}

} // namespace hopscope
