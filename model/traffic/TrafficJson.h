#pragma once

#include "topology/Topology.h"
#include "traffic/TrafficTracker.h"

#include <QJsonObject>

namespace hopscope {

// Adds the optional traffic keys to a TopologyJson::toJson() document (README, "Traffic"):
//   edges[].traffic = {rps, errorRatio, latencyMs{avg,p50,p99,max}, from, windowS, status}
//     (null for an edge nothing measures: dns)
//   services[].targets[].traffic = {rps, errorRatio, activeConnections, from, status}
// A value not known is null, never 0.
class TrafficJson
{
public:
    static void addTo(QJsonObject &topologyJson, const TrafficReport &report);
    static QJsonValue edgeToJson(const TrafficAggregate &a);
    static QJsonValue targetToJson(const TrafficAggregate &a);
    // A traffic number as the JSON contract writes it: rounded to what a reader can use
    // (3 decimals; ratios 4), null when unknown or not finite.
    static QJsonValue number(const std::optional<double> &v, int decimals = 3);
};

} // namespace hopscope
