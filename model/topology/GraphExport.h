#pragma once

#include "topology/EdgeTraffic.h"
#include "topology/Topology.h"

#include <QByteArray>
#include <QJsonObject>

#include <functional>

namespace hopscope {

class ServiceGraphModel;

// Text exports of the service graph: Graphviz DOT and JSON. Pure functions over the graph model
// (nodes, segments, layout) and optionally the topology it shows; no Gui, any thread that owns
// the model.
class GraphExport
{
public:
    // A `digraph` laid out left to right: one node per service box and LB node (id quoted,
    // label with title, summary and tasks with their health in words), one edge per drawn
    // segment with its hop label; line style by pattern (lb dashed, mesh dotted); stale and
    // hatched nodes (per `style`: the painting core's health style table, graphpaint/GraphStyle)
    // dashed and coloured "#rrggbb"; without a style, solid and uncoloured.
    struct DotLook
    {
        QString colour;
        bool hatched = false;
    };
    using HealthLook = std::function<DotLook(Health)>;
    // In traffic emphasis (the model's), a measured edge's pen width (request rate, log
    // scale), colour and icon (error ratio) from the same style table as the picture.
    struct DotTrafficLook
    {
        QString colour;
        double penWidth = 1;
        QString icon;
    };
    using TrafficLook = std::function<DotTrafficLook(const EdgeTraffic &)>;
    struct DotStyle
    {
        HealthLook node;
        TrafficLook traffic;
    };
    // In traffic emphasis every measured edge's label gets a second line with the icon and the
    // traffic label ("12.3 rps · 0.4 % · p99 38 ms", or why the rate is unknown), and with a
    // traffic look its penwidth and colour.
    static QByteArray toDot(const ServiceGraphModel &model, const DotStyle &style = {});

    // The snapshot contract (TopologyJson) when a topology is given, plus a "layout" object with
    // every node's rectangle, health and tasks and every drawn segment, as the picture shows it.
    // Every segment carries its traffic as the model has it ("traffic": {rps, errorRatio,
    // latencyMs {avg, p50, p99, max}, status}, null when nothing on the way measures it; a value
    // not known is null, never 0), and "trafficEmphasis" says how the picture draws edges. (The
    // snapshot's own edges[].traffic / targets[].traffic come from TrafficJson::addTo.)
    static QJsonObject toJson(const ServiceGraphModel &model, const Topology *topology = nullptr);
    static QJsonValue trafficToJson(const EdgeTraffic &traffic);

    // A DOT identifier or label: double-quoted with quotes and backslashes escaped, newlines as \n.
    static QByteArray dotQuote(const QString &text);
};

} // namespace hopscope
