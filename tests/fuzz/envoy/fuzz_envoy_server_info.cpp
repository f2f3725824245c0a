// libFuzzer target: hopscope::EnvoyServerInfoParser on arbitrary bytes must never crash, hang or
// leak.
#include "envoy/EnvoyServerInfoParser.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray input;
    input.reserve(qsizetype(size) + 64); // simdjson's padding, as the source provides it
    input.append(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto r = hopscope::EnvoyServerInfoParser::parse(input);
    if (r.ok()) {
        (void)r->semver;
    }
    return 0;
}
