#pragma once

// Owning handles and conversions for the ldns objects the RFC 2136 code uses (internal to
// model/dns: DnsUpdateMessage and DnsUpdateAnswer). Header-only, no state.

#include <QByteArray>
#include <QString>

#include <ldns/ldns.h>

#include <memory>

namespace hopscope::ldnsh {

struct PktDeleter
{
    void operator()(ldns_pkt *p) const { ldns_pkt_free(p); }
};
struct RdfDeleter
{
    void operator()(ldns_rdf *r) const { ldns_rdf_deep_free(r); }
};
struct RrDeleter
{
    void operator()(ldns_rr *r) const { ldns_rr_free(r); }
};
struct BufferDeleter
{
    void operator()(ldns_buffer *b) const { ldns_buffer_free(b); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferDeleter>;

// The message ldns reads from these bytes, or null when they are not a DNS message.
inline PktPtr parse(const QByteArray &wire)
{
    ldns_pkt *pkt = nullptr;
    if (ldns_wire2pkt(
            &pkt, reinterpret_cast<const uint8_t *>(wire.constData()), size_t(wire.size()))
        != LDNS_STATUS_OK) {
        return {};
    }
    return PktPtr(pkt);
}

inline QByteArray bytes(const ldns_buffer *buffer)
{
    return QByteArray(reinterpret_cast<const char *>(ldns_buffer_begin(buffer)),
        int(ldns_buffer_position(buffer)));
}

// The message in wire form WITHOUT name compression (a null compression table): the form of the
// signed vector in docs/examples, and RFC 2136 §2's rule that names in RDATA are never
// compressed holds trivially. Empty when ldns cannot encode it.
inline QByteArray encodeUncompressed(const ldns_pkt *pkt)
{
    BufferPtr out(ldns_buffer_new(512)); // grows as needed
    if (!out || ldns_pkt2buffer_wire_compress(out.get(), pkt, nullptr) != LDNS_STATUS_OK
        || !ldns_buffer_status_ok(out.get())) {
        return {};
    }
    return bytes(out.get());
}

// An rdf's wire bytes as ldns holds them (INT16_DATA keeps its 2-octet size in front).
inline QByteArray rdfBytes(const ldns_rdf *rdf)
{
    if (!rdf) {
        return {};
    }
    return QByteArray(reinterpret_cast<const char *>(ldns_rdf_data(rdf)), int(ldns_rdf_size(rdf)));
}

// A domain name rdf in presentation form, lower case, absolute ("drain-key.").
inline QString dnameText(const ldns_rdf *rdf)
{
    if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) {
        return {};
    }
    char *text = ldns_rdf2str(rdf);
    const QString out = text ? QString::fromLatin1(text).toLower() : QString();
    LDNS_FREE(text);
    return out;
}

} // namespace hopscope::ldnsh
