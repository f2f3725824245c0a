#pragma once

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
    static QByteArray toDot(const ServiceGraphModel &model, const HealthLook &style = {});

    // The snapshot contract (TopologyJson) when a topology is given, plus a "layout" object with
    // every node's rectangle, health and tasks and every drawn segment, as the picture shows it.
    static QJsonObject toJson(const ServiceGraphModel &model, const Topology *topology = nullptr);

    // A DOT identifier or label: double-quoted with quotes and backslashes escaped, newlines as \n.
    static QByteArray dotQuote(const QString &text);
};

} // namespace hopscope
