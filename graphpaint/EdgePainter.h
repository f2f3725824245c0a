#pragma once

#include "GraphScene.h"
#include "GraphStyle.h"

#include <QRectF>

class QPainter;

namespace hopscope {

// The edges of GraphPainter's detailed view: each curve flattened into short pieces, only the
// runs of pieces that meet the area stroked (each with the dash offset of where it starts
// along the curve, so neighbouring tiles, a patch and the whole export draw the same dashes),
// arrow heads and hop badges. In traffic emphasis (the model's) an edge's width follows its
// request rate and its colour its error ratio, with the traffic label (icon, rate, ratio,
// latency) under the hop badge.
class EdgePainter
{
public:
    static void paint(QPainter &p, const GraphScene &scene, const QRectF &visible, bool labels,
        const GraphStyle &style);

private:
    static void paintTrafficBadge(QPainter &p, const GraphScene &scene, int edge,
        const EdgeTraffic &traffic, const GraphStyle::TrafficLook &look, bool text,
        const GraphStyle &style);
};

} // namespace hopscope
