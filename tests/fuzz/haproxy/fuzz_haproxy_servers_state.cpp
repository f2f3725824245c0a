// libFuzzer target: HaproxyServersStateParser must refuse any input with a reason, never crash;
// what it accepts must render as JSON.
#include "haproxy/HaproxyJson.h"
#include "haproxy/HaproxyParsers.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto parsed = hopscope::HaproxyServersStateParser::parse(
        QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (parsed) {
        (void)hopscope::HaproxyJson::serversState(*parsed);
    } else if (parsed.error().what.isEmpty()) {
        std::abort(); // a refusal must say why
    }
    return 0;
}
