#include "dns/DnsUpdateMessage.h"

#include "dns/LdnsHandles.h"
#include "profile/Endpoint.h"

#include <QMessageAuthenticationCode>

namespace hopscope {

using namespace ldnsh;

namespace {

constexpr int s_maxMessage = 0xffff; // RFC 1035 §4.2.2: TCP's 2-octet length bounds a message

QString tooLarge(int octets)
{
    return QStringLiteral("the UPDATE is %1 octets, over the 65535 a DNS message can have: "
                          "update fewer records at once")
        .arg(octets);
}

QString absolute(const QString &name)
{
    return DnsUpdateRecord::absoluteName(name);
}

std::optional<QCryptographicHash::Algorithm> hmacFor(const QString &absoluteAlgorithm)
{
    if (absoluteAlgorithm == u"hmac-sha256.") {
        return QCryptographicHash::Sha256;
    }
    if (absoluteAlgorithm == u"hmac-sha512.") {
        return QCryptographicHash::Sha512;
    }
    return std::nullopt;
}

bool inZone(const QString &absoluteOwner, const QString &absoluteZone)
{
    return absoluteOwner == absoluteZone || absoluteOwner.endsWith(u'.' + absoluteZone);
}

// One update-section RR from a record, as RFC 2136 §2.5 wants it for the operation.
RrPtr updateRr(const DnsUpdateRecord &r, DnsUpdateOperation op, QString *error)
{
    const QByteArray text = QStringLiteral("%1 %2 IN %3 %4")
                                .arg(absolute(r.owner))
                                .arg(r.ttl)
                                .arg(r.type, r.rdata)
                                .toUtf8();
    ldns_rr *rr = nullptr;
    if (ldns_rr_new_frm_str(&rr, text.constData(), 0, nullptr, nullptr) != LDNS_STATUS_OK || !rr) {
        *error = QStringLiteral("cannot read record '%1'").arg(QString::fromUtf8(text));
        return {};
    }
    if (op == DnsUpdateOperation::Remove) {
        // §2.5.4: delete one RR = CLASS NONE, TTL 0, the exact RDATA.
        ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
        ldns_rr_set_ttl(rr, 0);
    }
    return RrPtr(rr);
}

// A §2.4.1 prerequisite: owner, type, CLASS ANY, TTL 0, no RDATA.
RrPtr rrsetExistsRr(const DnsRRsetExists &p, QString *error)
{
    const ldns_rr_type type = ldns_get_rr_type_by_name(p.type.toUtf8().constData());
    RdfPtr owner(ldns_dname_new_frm_str(absolute(p.owner).toUtf8().constData()));
    if (!owner || type == 0) {
        *error = QStringLiteral("cannot read prerequisite '%1 %2'").arg(p.owner, p.type);
        return {};
    }
    RrPtr rr(ldns_rr_new());
    ldns_rr_set_owner(rr.get(), owner.release());
    ldns_rr_set_type(rr.get(), type);
    ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_ANY);
    ldns_rr_set_ttl(rr.get(), 0);
    return rr;
}

struct RrListDeleter
{
    void operator()(ldns_rr_list *l) const { ldns_rr_list_deep_free(l); }
};
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListDeleter>;

// Time Signed: 48-bit seconds since the epoch (RFC 8945 §4.2).
RdfPtr tsigTime(qint64 secs)
{
    uint8_t t[6];
    ldns_write_uint64_as_uint48(t, uint64_t(secs));
    return RdfPtr(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, sizeof t, t));
}

std::optional<qint64> tsigTimeSecs(const ldns_rdf *rdf)
{
    if (!rdf || ldns_rdf_size(rdf) != 6) {
        return std::nullopt;
    }
    const uint8_t *p = ldns_rdf_data(rdf);
    return (qint64(ldns_read_uint16(p)) << 32) | qint64(ldns_read_uint32(p + 2));
}

} // namespace

std::optional<QByteArray> DnsUpdateMessage::encode(const DnsUpdateRequest &request, QString *error)
{
    QString why;
    auto fail = [&](const QString &reason) -> std::optional<QByteArray> {
        if (error) {
            *error = reason;
        }
        return std::nullopt;
    };
    const QString zone = absolute(request.zone);
    if (request.zone.isEmpty() || !isValidDnsName(request.zone)) {
        return fail(QStringLiteral("'%1' is not a valid zone name").arg(request.zone));
    }
    if (request.records.isEmpty()) {
        return fail(QStringLiteral("no records to update"));
    }
    RrListPtr prerequisites(ldns_rr_list_new());
    for (const DnsRRsetExists &p : request.prerequisites) {
        if (!inZone(absolute(p.owner), zone)) {
            return fail(QStringLiteral("%1 is outside zone %2").arg(absolute(p.owner), zone));
        }
        RrPtr rr = rrsetExistsRr(p, &why);
        if (!rr) {
            return fail(why);
        }
        ldns_rr_list_push_rr(prerequisites.get(), rr.release());
    }
    RrListPtr updates(ldns_rr_list_new());
    for (const DnsUpdateRecord &r : request.records) {
        if (!inZone(absolute(r.owner), zone)) {
            return fail(QStringLiteral("%1 is outside zone %2").arg(absolute(r.owner), zone));
        }
        if (r.type != u"A" && r.type != u"AAAA" && r.type != u"SRV") {
            return fail(
                QStringLiteral("record type %1 cannot be updated (A, AAAA, SRV)").arg(r.type));
        }
        RrPtr rr = updateRr(r, request.operation, &why);
        if (!rr) {
            return fail(why);
        }
        ldns_rr_list_push_rr(updates.get(), rr.release());
    }
    RdfPtr zoneRdf(ldns_dname_new_frm_str(zone.toUtf8().constData()));
    // ldns_update_pkt_new takes the zone rdf and clones the lists.
    PktPtr pkt(zoneRdf ? ldns_update_pkt_new(zoneRdf.release(), LDNS_RR_CLASS_IN,
                   ldns_rr_list_rr_count(prerequisites.get()) ? prerequisites.get() : nullptr,
                   updates.get(), nullptr)
                       : nullptr);
    if (!pkt) {
        return fail(QStringLiteral("ldns could not build the UPDATE message"));
    }
    ldns_pkt_set_rd(pkt.get(), false); // ldns_pkt_query_new sets RD; an UPDATE has flags 0x2800
    ldns_pkt_set_id(pkt.get(), request.id);
    QByteArray wire = encodeUncompressed(pkt.get());
    if (wire.isEmpty()) {
        return fail(QStringLiteral("ldns could not encode the UPDATE message"));
    }
    if (wire.size() > s_maxMessage) {
        return fail(tooLarge(wire.size()));
    }
    return wire;
}

std::optional<DnsSignedMessage> DnsUpdateMessage::sign(const QByteArray &wire,
    const DnsTsigKey &key, const QDateTime &timeSigned, QString *error,
    const QByteArray &requestMac)
{
    auto fail = [&](const QString &reason) -> std::optional<DnsSignedMessage> {
        if (error) {
            *error = reason;
        }
        return std::nullopt;
    };
    const QString algorithm = absolute(key.algorithm);
    const auto hash = hmacFor(algorithm);
    if (!hash) {
        return fail(QStringLiteral("TSIG algorithm %1 is not supported (hmac-sha256, hmac-sha512)")
                        .arg(key.algorithm));
    }
    if (key.name.isEmpty() || !isValidDnsName(key.name)) {
        return fail(QStringLiteral("cannot sign: '%1' is not a valid TSIG key name").arg(key.name));
    }
    const auto secret = QByteArray::fromBase64Encoding(
        key.secret, QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!secret || secret.decoded.isEmpty()) {
        // Never quote the secret.
        return fail(
            QStringLiteral("cannot sign with key %1: its secret is not base64").arg(key.name));
    }
    const qint64 secs = timeSigned.isValid() ? timeSigned.toSecsSinceEpoch() : -1;
    if (secs < 0 || secs > 0xffffffffffffLL) {
        return fail(QStringLiteral("cannot sign: the time to sign at is not valid"));
    }
    PktPtr pkt = parse(wire);
    if (!pkt || ldns_pkt_tsig(pkt.get())) {
        return fail(QStringLiteral("cannot sign: the bytes are not an unsigned DNS message"));
    }
    const QByteArray unsignedWire = encodeUncompressed(pkt.get());
    RdfPtr keyName(ldns_dname_new_frm_str(absolute(key.name).toUtf8().constData()));
    RdfPtr algorithmRdf(ldns_dname_new_frm_str(algorithm.toUtf8().constData()));
    RdfPtr time = tsigTime(secs);
    RdfPtr fudge(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, fudgeSeconds));
    RdfPtr originalId(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, ldns_pkt_id(pkt.get())));
    RdfPtr tsigError(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0));
    RdfPtr otherData(ldns_native2rdf_int16_data(0, nullptr));
    if (unsignedWire.isEmpty() || !keyName || !algorithmRdf || !time || !fudge || !originalId
        || !tsigError || !otherData) {
        return fail(QStringLiteral("ldns could not lay out the TSIG record"));
    }
    // RFC 8945 §4.3: [request MAC] + the message + the TSIG variables, names canonical.
    BufferPtr digest(ldns_buffer_new(size_t(unsignedWire.size()) + 512));
    ldns_buffer_write(digest.get(), requestMac.constData(), size_t(requestMac.size()));
    ldns_buffer_write(digest.get(), unsignedWire.constData(), size_t(unsignedWire.size()));
    ldns_rdf2buffer_wire_canonical(digest.get(), keyName.get());
    ldns_buffer_write_u16(digest.get(), LDNS_RR_CLASS_ANY);
    ldns_buffer_write_u32(digest.get(), 0); // TTL
    ldns_rdf2buffer_wire_canonical(digest.get(), algorithmRdf.get());
    for (const ldns_rdf *rdf : { time.get(), fudge.get(), tsigError.get(), otherData.get() }) {
        ldns_rdf2buffer_wire(digest.get(), rdf);
    }
    if (!ldns_buffer_status_ok(digest.get())) {
        return fail(QStringLiteral("ldns could not lay out the TSIG digest"));
    }
    QByteArray mac = QMessageAuthenticationCode::hash(bytes(digest.get()), secret.decoded, *hash);
    RdfPtr macRdf(
        ldns_native2rdf_int16_data(size_t(mac.size()), reinterpret_cast<uint8_t *>(mac.data())));
    if (!macRdf) {
        return fail(QStringLiteral("ldns could not hold the TSIG MAC"));
    }
    DnsSignedMessage out;
    out.mac = rdfBytes(macRdf.get());
    ldns_rr *tsig = ldns_rr_new();
    ldns_rr_set_owner(tsig, keyName.release());
    ldns_rr_set_type(tsig, LDNS_RR_TYPE_TSIG);
    ldns_rr_set_class(tsig, LDNS_RR_CLASS_ANY);
    ldns_rr_set_ttl(tsig, 0);
    // RDATA order of RFC 8945 §4.2; the RR takes the rdfs.
    for (RdfPtr *rdf :
        { &algorithmRdf, &time, &fudge, &macRdf, &originalId, &tsigError, &otherData }) {
        ldns_rr_push_rdf(tsig, rdf->release());
    }
    ldns_pkt_set_tsig(pkt.get(), tsig); // the packet owns it now
    out.wire = encodeUncompressed(pkt.get());
    if (out.wire.isEmpty()) {
        return fail(QStringLiteral("ldns could not encode the signed message"));
    }
    if (out.wire.size() > s_maxMessage) {
        return fail(tooLarge(out.wire.size()));
    }
    return out;
}

DnsTsigCheck DnsUpdateMessage::verify(const QByteArray &wire, const DnsTsigKey &key,
    const QByteArray &requestMac, const QDateTime &now)
{
    using Outcome = DnsTsigCheck::Outcome;
    auto verdict = [](Outcome o, const QString &why) { return DnsTsigCheck { o, why }; };
    PktPtr pkt = parse(wire);
    if (!pkt) {
        return verdict(Outcome::Unparsable, QStringLiteral("the message cannot be parsed"));
    }
    const ldns_rr *tsig = ldns_pkt_tsig(pkt.get());
    if (!tsig || ldns_rr_rd_count(tsig) < 7) {
        return verdict(Outcome::Unsigned, QStringLiteral("the message carries no TSIG record"));
    }
    const QString signer = dnameText(ldns_rr_owner(tsig));
    if (signer != absolute(key.name)) {
        return verdict(Outcome::OtherKey,
            QStringLiteral("it is signed with key '%1', not '%2'").arg(signer, absolute(key.name)));
    }
    const QString algorithm = dnameText(ldns_rr_rdf(tsig, 0));
    if (algorithm != absolute(key.algorithm)) {
        return verdict(Outcome::OtherAlgorithm,
            QStringLiteral("it is signed with %1, not the key's %2").arg(algorithm, key.algorithm));
    }
    RdfPtr mac(requestMac.isEmpty() ? nullptr
                                    : ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA,
                                        size_t(requestMac.size()), requestMac.constData()));
    const QByteArray keyName = absolute(key.name).toUtf8();
    if (!ldns_pkt_tsig_verify(pkt.get(), reinterpret_cast<const uint8_t *>(wire.constData()),
            size_t(wire.size()), keyName.constData(), key.secret.constData(), mac.get())) {
        return verdict(Outcome::BadMac, QStringLiteral("the TSIG MAC does not match"));
    }
    const std::optional<qint64> signedAt = tsigTimeSecs(ldns_rr_rdf(tsig, 1));
    const qint64 fudge = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 2));
    const qint64 ours = now.toSecsSinceEpoch();
    if (!signedAt || qAbs(*signedAt - ours) > fudge) {
        const qint64 skew = signedAt ? *signedAt - ours : 0;
        return verdict(Outcome::OutsideFudge,
            QStringLiteral("it was signed at %1, %2 s %3 this machine's clock (%4), outside its "
                           "%5 s fudge")
                .arg(signedAt
                        ? QDateTime::fromSecsSinceEpoch(*signedAt, Qt::UTC).toString(Qt::ISODate)
                        : QStringLiteral("an unreadable time"))
                .arg(qAbs(skew))
                .arg(skew >= 0 ? QStringLiteral("ahead of") : QStringLiteral("behind"))
                .arg(now.toUTC().toString(Qt::ISODate))
                .arg(fudge));
    }
    return verdict(Outcome::Verified, {});
}

} // namespace hopscope
