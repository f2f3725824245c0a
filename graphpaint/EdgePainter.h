#pragma once

#include "GraphStyle.h"

#include <QRectF>

class QPainter;

namespace hopscope {

class GraphScene;

// The edges of GraphPainter's detailed view: each curve flattened into short pieces, only the
// runs of pieces that meet the area stroked (each with the dash offset of where it starts
// along the curve, so neighbouring tiles, a patch and the whole export draw the same dashes),
// arrow heads and hop badges.
class EdgePainter
{
public:
    static void paint(QPainter &p, const GraphScene &scene, const QRectF &visible, bool labels,
        const GraphStyle &style);
};

} // namespace hopscope
