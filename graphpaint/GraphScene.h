#pragma once

#include <QLineF>
#include <QList>
#include <QPointF>
#include <QRect>
#include <QRectF>
#include <QSizeF>

namespace hopscope {

class ServiceGraphModel;

// The graph's geometry, computed once from the model's layout (again only when the layout or an
// edge's badge changes): every edge's curve, arrow direction, bounds and hop badge, the edges
// aggregated per node pair for the overview, and a uniform grid over the content saying which
// nodes, edges and pairs meet each cell, so a tile looks only at what is near it. Boxes, task
// chips and LB pills are the model's nodes as they are. Gui only (the badge's size is measured
// with the graph's font). GraphPainter draws it; GraphLayer and GraphRenderer hold one.
class GraphScene
{
public:
    struct Edge
    {
        QPointF p1, p2; // where it leaves the caller and enters the callee
        QPointF c1, c2; // the cubic's control points
        qreal dir = 1; // +1 drawn left to right, -1 a back edge
        QRectF bounds; // the curve with its pen and arrow head
        QRectF badge; // the hop badge, centred on the curve's middle
        // Traffic emphasis: where the traffic label may be drawn, centred on the curve's
        // middle in place of the hop badge (a fixed size, so a new label never moves anything;
        // the label is drawn centred in it, as small as its text).
        QRectF trafficBadge;
        int segment = -1; // ServiceGraphModel::segments() index
        int pieces = 16; // straight pieces the curve is stroked as
        // The polyline's length at every Chunk-th piece: where a dashed run starts its pattern.
        static constexpr int Chunk = 32;
        QList<qreal> chunkPhase;
        QPointF at(qreal t) const
        {
            const qreal u = 1 - t;
            return u * u * u * p1 + 3 * u * u * t * c1 + 3 * u * t * t * c2 + t * t * t * p2;
        }
    };
    struct Pair
    {
        QLineF line;
        int count = 0;
    };

    // The one edge rule: leave the right side of the caller, enter the left side of the callee;
    // a callee in an earlier column (a back edge) is reached from its right side instead.
    static void endpoints(const QRectF &from, const QRectF &to, QPointF *p1, QPointF *p2);
    // The curve between two end points (horizontal tangents), with its bounds.
    static Edge curve(const QPointF &p1, const QPointF &p2, bool dashed = false);
    // The traffic label's room: the narrowest gap between columns (140) less a margin, and
    // three lines of the badge font ("✔ 800 rps · 0.1 %" / "p99 38 ms" wrap between parts).
    static constexpr qreal TrafficBadgeWidth = 132;
    static constexpr int TrafficBadgeLines = 3;
    // Half the room a traffic-emphasis edge takes across its curve (the widest pen and arrow).
    static constexpr qreal EdgeReach = 12;

    void rebuild(const ServiceGraphModel &model);
    void clear();
    bool isEmpty() const { return m_model == nullptr; }

    const ServiceGraphModel *model() const { return m_model; }
    const QList<Edge> &edges() const { return m_edges; }
    const QList<Pair> &pairs() const { return m_pairs; }
    // Indices meeting `area`, ascending (the drawing order), so a patch paints exactly what a
    // whole tile paints.
    QList<int> nodesIn(const QRectF &area) const { return m_nodeGrid.query(area); }
    QList<int> edgesIn(const QRectF &area) const { return m_edgeGrid.query(area); }
    QList<int> pairsIn(const QRectF &area) const { return m_pairGrid.query(area); }
    // What a restyled edge covers (its curve in pieces, widened by EdgeReach, its badges):
    // what to repaint when its traffic changes.
    QList<QRectF> edgeReach(int edge) const;

private:
    struct Grid
    {
        qreal cell = 512;
        int columns = 0;
        int rows = 0;
        QList<QList<int>> cells;
        void reset(const QSizeF &content, qreal cellSize);
        void insert(const QRectF &r, int index);
        QList<int> query(const QRectF &r) const;
        QRect cellsOf(const QRectF &r) const; // the cells `r` meets, clamped to the grid
    };

    const ServiceGraphModel *m_model = nullptr;
    QList<Edge> m_edges;
    QList<Pair> m_pairs;
    Grid m_nodeGrid, m_edgeGrid, m_pairGrid;
};

} // namespace hopscope
