// libFuzzer target: hopscope::EnvoyClustersParser on arbitrary bytes must never crash, hang or
// leak.
#include "envoy/EnvoyClustersParser.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray input;
    input.reserve(qsizetype(size) + 64); // simdjson's padding, as the source provides it
    input.append(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto r = hopscope::EnvoyClustersParser::parseText(input);
    if (!r.ok()) {
        return 0;
    }
    for (const auto &c : r->clusters) {
        for (const auto &h : c.hosts) {
            (void)h.key();
        }
    }
    return 0;
}
