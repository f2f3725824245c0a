#pragma once

#include "topology/EdgeTraffic.h"

#include <QBitArray>
#include <QLineF>
#include <QList>
#include <QPointF>
#include <QRect>
#include <QRectF>
#include <QSizeF>
#include <QStaticText>

class QFontMetricsF;

namespace hopscope {

class ServiceGraphModel;

// The graph's geometry, computed once from the model's layout (again only when the layout
// changes; a restyled edge's badge is measured again alone): every edge's curve, arrow
// direction, bounds and hop badge, the edges aggregated per node pair for the overview, and a
// uniform grid over the content saying which nodes, edges and pairs meet each cell, so a tile
// looks only at what is near it. Boxes, task chips and LB pills are the model's nodes as they
// are. Gui only (the badge's size is measured with the graph's font). GraphPainter draws it;
// GraphLayer and GraphRenderer hold one.
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
        QList<int> segments; // the segments it stands for (their traffic, summed, in the overview)
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
    // The model's segments `edges` are drawn differently (ServiceGraphModel::edgesRestyled):
    // their hop badges are measured again from their labels (a ✖ widens one) and indexed where
    // they now reach. Curves, pairs and the other edges stay as they are.
    void restyleEdges(const QList<int> &edges);
    bool isEmpty() const { return m_model == nullptr; }

    const ServiceGraphModel *model() const { return m_model; }
    const QList<Edge> &edges() const { return m_edges; }
    const QList<Pair> &pairs() const { return m_pairs; }
    int pairOf(int segment) const { return m_pairOfSegment.value(segment, -1); }
    // Indices meeting `area`, ascending (the drawing order), so a patch paints exactly what a
    // whole tile paints.
    QList<int> nodesIn(const QRectF &area) const { return m_nodeGrid.query(area); }
    QList<int> edgesIn(const QRectF &area) const { return m_edgeGrid.query(area); }
    QList<int> pairsIn(const QRectF &area) const { return m_pairGrid.query(area); }
    // The pairs whose line comes within `reach` of `area` (the segment itself, not its bounding
    // box: a diagonal line's box meets many areas the line does not), ascending. A small patch
    // of the overview draws a few lines instead of the hundreds the grid cells hold.
    QList<int> pairsNear(const QRectF &area, qreal reach) const;
    // Whether the segment `line` meets `rect` (Liang-Barsky).
    static bool lineMeets(const QLineF &line, const QRectF &rect);
    // Whether `pred` holds for an edge indexed in a grid cell meeting `area` (unsorted, an edge
    // may be asked twice; stops at the first): cheaper than edgesIn() for a yes/no.
    template <typename Pred> bool anyEdgeIn(const QRectF &area, Pred &&pred) const
    {
        if (m_edgeGrid.cells.isEmpty()) {
            return false;
        }
        const QRect c = m_edgeGrid.cellsOf(area);
        for (int y = c.top(); y <= c.bottom(); ++y) {
            for (int x = c.left(); x <= c.right(); ++x) {
                for (int edge : m_edgeGrid.cells[y * m_edgeGrid.columns + x]) {
                    if (pred(edge)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
    // What a restyled edge covers (its curve in pieces, widened by EdgeReach, its badges):
    // what to repaint when its traffic changes.
    QList<QRectF> edgeReach(int edge) const;

    // Caches of what every tile would otherwise compute again (a tile re-rendered after a
    // traffic change, the neighbouring tiles an edge crosses). Filled while painting, hence
    // mutable; GUI thread, like the scene. Both are dropped by rebuild().
    // Bit i: piece i of the edge (from at(i / pieces) to at((i + 1) / pieces)) passes under a
    // box that is not one of its ends, so it is not stroked (the box hides it). Static
    // geometry: computed for the whole edge the first time it is drawn.
    const QBitArray &hiddenPieces(int edge) const;
    // An edge's traffic label laid out (wrapped between its parts, elided, as static text so a
    // redraw does not shape it again): valid for the traffic, label switch and icon it was
    // made for; EdgePainter lays it out again when one of them differs.
    struct TrafficText
    {
        bool valid = false;
        EdgeTraffic traffic;
        bool text = false;
        QString icon;
        QList<QStaticText> lines;
        QList<qreal> widths;
        qreal width = 0; // the widest line, with the icon before the first
        qreal firstWidth = 0; // icon and first line
    };
    TrafficText &trafficText(int edge) const { return m_trafficText[edge]; }
    // The overview's traffic of a node pair (its segments' summed, EdgeTraffic::combine),
    // computed once per traffic change (forgetTraffic) instead of for every tile and patch.
    const EdgeTraffic &pairTraffic(int pair) const;
    void forgetTraffic(const QList<int> &segments);

private:
    static QRectF badgeRect(
        const QFontMetricsF &fm, const QPointF &p1, const QPointF &p2, const QString &label);

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
    QList<int> m_pairOfSegment; // segment (= edge) index -> its pair
    Grid m_nodeGrid, m_edgeGrid, m_pairGrid;
    mutable QList<QBitArray> m_hidden; // per edge; empty until first drawn
    mutable QList<TrafficText> m_trafficText; // per edge
    mutable QList<EdgeTraffic> m_pairTraffic; // per pair
    mutable QBitArray m_pairTrafficKnown; // set: m_pairTraffic is the model's current
};

} // namespace hopscope
