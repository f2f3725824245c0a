// libFuzzer target: the resolver's parsing path. DnsResolver hands every answer c-ares received
// to DnsAnswerParser::parse (ldns_wire2pkt, CNAME chain, SRV glue, RFC 2308 negative TTL) with the
// name and type it asked; any byte string must give a status or a ParseError that says why, never
// a crash. The name asked is taken from the answer's own question when ldns can read it (so the
// seeds' records match and the deep paths are reached), else a fixed one; each input is parsed as
// the answer to an A, an AAAA and an SRV query, the three types the resolver asks.
#include "dns/DnsAnswerParser.h"

#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>

namespace {

QString questionName(const uint8_t *data, size_t size)
{
    ldns_pkt *pkt = nullptr;
    if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK || !pkt) {
        return QStringLiteral("svc.demo.internal");
    }
    QString name = QStringLiteral("svc.demo.internal");
    ldns_rr_list *q = ldns_pkt_question(pkt);
    if (q && ldns_rr_list_rr_count(q) > 0) {
        if (char *text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(q, 0)))) {
            name = QString::fromLatin1(text);
            free(text);
        }
    }
    ldns_pkt_free(pkt);
    return name;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65535) {
        return 0; // a DNS message is at most 64 KiB (c-ares never hands over more)
    }
    const QString name = questionName(data, size);
    for (const hopscope::DnsRecordType type : { hopscope::DnsRecordType::A,
             hopscope::DnsRecordType::AAAA, hopscope::DnsRecordType::SRV }) {
        const auto parsed = hopscope::DnsAnswerParser::parse(data, int(size), name, type);
        if (!parsed && parsed.error().what.isEmpty()) {
            std::abort(); // a refusal must say why
        }
    }
    return 0;
}
