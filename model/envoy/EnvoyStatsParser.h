#pragma once

#include "core/Parsed.h"
#include "envoy/EnvoySnapshot.h"

#include <QByteArray>

namespace hopscope {

// Pure parser of Envoy's `/stats` output, text (`name: value`) or `?format=json`
// (`{"stats":[{"name","value"}...]}`), detected. Keeps counters and gauges; skips histograms
// and text readouts; derives connections and requests per cluster, listener and HTTP connection
// manager. Stateless and reentrant: call it from any thread.
class EnvoyStatsParser
{
public:
    static Parsed<EnvoyStats> parse(const QByteArray &input);

    // The `filter=` regex the source sends: only the stats the derived view uses.
    static QString pollFilter();
};

} // namespace hopscope
