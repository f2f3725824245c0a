#pragma once

#include "core/Parsed.h"
#include "envoy/EnvoySnapshot.h"

#include <QByteArray>
#include <QByteArrayView>

namespace hopscope {

// Pure parser of Envoy's `/clusters` output in every shape a real Envoy or istioctl prints:
// `?format=json` (`envoy.admin.v3.Clusters`, uint64 values as numbers or strings, defaults
// omitted, unknown fields ignored), the `cluster::host::stat::value` text dump (IPv6 hosts with
// `::`, pipe paths), and the camelCase top-level array of `istioctl proxy-config endpoints -o
// json`. Stateless and reentrant: call it from any thread (the source calls it from a worker).
class EnvoyClustersParser
{
public:
    // Detects JSON ('{' or '[' first) or text. For JSON, pass a QByteArray with
    // simdjson::SIMDJSON_PADDING spare capacity to avoid one copy.
    static Parsed<EnvoyClusters> parse(const QByteArray &input);
    static Parsed<EnvoyClusters> parseJson(const QByteArray &input);
    static Parsed<EnvoyClusters> parseText(QByteArrayView input);

    static bool looksLikeJson(QByteArrayView input);
};

} // namespace hopscope
