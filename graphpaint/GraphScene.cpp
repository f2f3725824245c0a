#include "GraphScene.h"

#include "GraphStyle.h"
#include "topology/ServiceGraphModel.h"

#include <QFontMetricsF>
#include <QHash>

#include <algorithm>
#include <cmath>

namespace hopscope {

void GraphScene::endpoints(const QRectF &a, const QRectF &b, QPointF *p1, QPointF *p2)
{
    const bool forward = b.left() >= a.right();
    *p1 = forward ? QPointF(a.right(), a.center().y()) : QPointF(a.left(), a.center().y());
    *p2 = forward ? QPointF(b.left(), b.center().y()) : QPointF(b.right(), b.center().y());
}

GraphScene::Edge GraphScene::curve(const QPointF &p1, const QPointF &p2, bool dashed)
{
    Edge e;
    e.p1 = p1;
    e.p2 = p2;
    e.dir = p2.x() >= p1.x() ? 1 : -1;
    const qreal dx = std::max<qreal>(40, std::abs(p2.x() - p1.x()) / 2);
    e.c1 = p1 + QPointF(dx * e.dir, 0);
    e.c2 = p2 - QPointF(dx * e.dir, 0);
    // The curve stays within the box of its end points (control points share their y; in x
    // they overshoot by at most 40 when the ends are close), widened by the pen and the arrow.
    const qreal overshoot = std::max<qreal>(0, 40 - std::abs(p2.x() - p1.x()) / 2) + 4;
    e.bounds = QRectF(p1, p2).normalized().adjusted(-overshoot, -EdgeReach, overshoot, EdgeReach);
    const qreal span = std::abs(p2.x() - p1.x()) + std::abs(p2.y() - p1.y());
    e.pieces = std::clamp(int(span / 10), 16, 4000);
    if (dashed) {
        qreal length = 0;
        QPointF prev = p1;
        for (int i = 0; i <= e.pieces; ++i) {
            if (i % Edge::Chunk == 0) {
                e.chunkPhase.append(length);
            }
            if (i < e.pieces) {
                const QPointF next = e.at(qreal(i + 1) / e.pieces);
                length += QLineF(prev, next).length();
                prev = next;
            }
        }
    }
    return e;
}

QRectF GraphScene::badgeRect(
    const QFontMetricsF &fm, const QPointF &p1, const QPointF &p2, const QString &label)
{
    // The curve is point-symmetric about the middle of its end points: the badge goes there.
    const QSizeF size(fm.horizontalAdvance(label) + 12, fm.height() + 4);
    return QRectF((p1 + p2) / 2 - QPointF(size.width() / 2, size.height() / 2), size);
}

void GraphScene::restyleEdges(const QList<int> &edges)
{
    if (!m_model || m_edgeGrid.cells.isEmpty()) {
        return;
    }
    const auto &segments = m_model->segments();
    const QFontMetricsF badgeFm(GraphFonts::instance().badge);
    for (int edge : edges) {
        if (edge < 0 || edge >= m_edges.size() || m_edges[edge].segment >= segments.size()) {
            continue;
        }
        Edge &g = m_edges[edge];
        const QRectF badge = badgeRect(badgeFm, g.p1, g.p2, segments[g.segment].label);
        if (badge == g.badge) {
            continue;
        }
        g.badge = badge;
        // Into the cells the wider badge reaches now (the cells of a narrower one keep the edge:
        // a cell may list an edge that no longer meets it, never miss one that does).
        const QRect c = m_edgeGrid.cellsOf(badge);
        for (int y = c.top(); y <= c.bottom(); ++y) {
            for (int x = c.left(); x <= c.right(); ++x) {
                QList<int> &list = m_edgeGrid.cells[y * m_edgeGrid.columns + x];
                if (!list.contains(edge)) {
                    list.append(edge); // (queries sort what they collect)
                }
            }
        }
    }
}

void GraphScene::clear()
{
    m_model = nullptr;
    m_edges.clear();
    m_pairs.clear();
    m_pairOfSegment.clear();
    m_nodeGrid = {};
    m_edgeGrid = {};
    m_pairGrid = {};
    m_hidden.clear();
    m_trafficText.clear();
    m_pairTraffic.clear();
    m_pairTrafficKnown.clear();
}

void GraphScene::rebuild(const ServiceGraphModel &model)
{
    clear();
    m_model = &model;
    const auto &nodes = model.nodes();
    const auto &segments = model.segments();
    const QSizeF content = model.contentSize();
    m_nodeGrid.reset(content, 512);
    m_edgeGrid.reset(content, 512);
    m_pairGrid.reset(content, 512);
    for (int i = 0; i < nodes.size(); ++i) {
        m_nodeGrid.insert(nodes[i].rect, i);
    }
    m_edges.reserve(segments.size());
    QHash<quint64, int> pairIndex;
    const QFontMetricsF badgeFm(GraphFonts::instance().badge);
    for (int i = 0; i < segments.size(); ++i) {
        const auto &s = segments[i];
        QPointF p1, p2;
        endpoints(nodes[s.from].rect, nodes[s.to].rect, &p1, &p2);
        Edge g = curve(p1, p2, s.pattern != u"dns");
        g.segment = i;
        g.badge = badgeRect(badgeFm, p1, p2, s.label);
        const qreal trafficHeight = TrafficBadgeLines * badgeFm.height() + 6;
        g.trafficBadge = QRectF((p1 + p2) / 2 - QPointF(TrafficBadgeWidth / 2, trafficHeight / 2),
            QSizeF(TrafficBadgeWidth, trafficHeight));
        m_edges.append(g);
        // Into the cells the curve passes through (not its bounding box: long edges cross the
        // graph diagonally), piece by piece, widened by the pen and the arrow head.
        for (const QRectF &r : edgeReach(i)) {
            m_edgeGrid.insert(r, i);
        }
        const quint64 key = (quint64(quint32(s.from)) << 32) | quint32(s.to);
        auto it = pairIndex.find(key);
        m_pairOfSegment.append(it == pairIndex.end() ? int(m_pairs.size()) : *it);
        if (it == pairIndex.end()) {
            pairIndex.insert(key, int(m_pairs.size()));
            const int pieces = std::max(1, int(QLineF(p1, p2).length() / (m_pairGrid.cell / 4)));
            for (int k = 0; k < pieces; ++k) {
                const QPointF a = p1 + (p2 - p1) * (qreal(k) / pieces);
                const QPointF b = p1 + (p2 - p1) * (qreal(k + 1) / pieces);
                m_pairGrid.insert(QRectF(a, b).normalized(), int(m_pairs.size()));
            }
            m_pairs.append({ QLineF(p1, p2), 1, { i } });
        } else {
            ++m_pairs[*it].count;
            m_pairs[*it].segments.append(i);
        }
    }
    m_hidden.resize(m_edges.size());
    m_trafficText.resize(m_edges.size());
    m_pairTraffic.resize(m_pairs.size());
    m_pairTrafficKnown.resize(m_pairs.size());
}

const EdgeTraffic &GraphScene::pairTraffic(int pair) const
{
    if (!m_pairTrafficKnown.testBit(pair)) {
        const auto &segments = m_model->segments();
        const Pair &p = m_pairs[pair];
        if (p.segments.size() == 1) {
            m_pairTraffic[pair] = segments[p.segments.first()].traffic;
        } else {
            QList<EdgeTraffic> parts;
            for (int segment : p.segments) {
                parts.append(segments[segment].traffic);
            }
            m_pairTraffic[pair] = EdgeTraffic::combine(parts); // the measured ones
        }
        m_pairTrafficKnown.setBit(pair);
    }
    return m_pairTraffic[pair];
}

void GraphScene::forgetTraffic(const QList<int> &segments)
{
    for (int segment : segments) {
        const int pair = pairOf(segment);
        if (pair >= 0 && pair < m_pairTrafficKnown.size()) {
            m_pairTrafficKnown.clearBit(pair);
        }
    }
}

bool GraphScene::lineMeets(const QLineF &line, const QRectF &rect)
{
    // Clip the parameter range [t0, t1] of p1 + t * d against each of the four sides.
    const qreal dx = line.dx();
    const qreal dy = line.dy();
    qreal t0 = 0;
    qreal t1 = 1;
    const auto clip = [&](qreal p, qreal q) {
        if (p == 0) {
            return q >= 0; // parallel to this side: inside or not
        }
        const qreal t = q / p;
        if (p < 0) {
            t0 = std::max(t0, t);
        } else {
            t1 = std::min(t1, t);
        }
        return t0 <= t1;
    };
    return clip(-dx, line.x1() - rect.left()) && clip(dx, rect.right() - line.x1())
        && clip(-dy, line.y1() - rect.top()) && clip(dy, rect.bottom() - line.y1());
}

QList<int> GraphScene::pairsNear(const QRectF &area, qreal reach) const
{
    QList<int> out;
    if (m_pairGrid.cells.isEmpty()) {
        return out;
    }
    const QRectF r = area.adjusted(-reach, -reach, reach, reach);
    const QRect c = m_pairGrid.cellsOf(r);
    for (int y = c.top(); y <= c.bottom(); ++y) {
        for (int x = c.left(); x <= c.right(); ++x) {
            for (int pair : m_pairGrid.cells[y * m_pairGrid.columns + x]) {
                if (lineMeets(m_pairs[pair].line, r)) {
                    out.append(pair);
                }
            }
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

const QBitArray &GraphScene::hiddenPieces(int edge) const
{
    QBitArray &bits = m_hidden[edge];
    const Edge &g = m_edges[edge];
    if (bits.size() == g.pieces) {
        return bits;
    }
    bits.resize(g.pieces);
    const auto &nodes = m_model->nodes();
    const auto &s = m_model->segments()[g.segment];
    // The same test every tile made for the pieces it strokes (a piece, widened by 3, meets a
    // box other than the edge's ends), once for the whole edge; the boxes near a stretch of
    // the curve come from the grid, asked again when the curve leaves that stretch.
    QRectF nearArea;
    QList<int> near;
    QPointF prev = g.at(0);
    for (int i = 1; i <= g.pieces; ++i) {
        const QPointF next = g.at(qreal(i) / g.pieces);
        const QRectF piece = QRectF(prev, next).normalized().adjusted(-3, -3, 3, 3);
        if (!nearArea.contains(piece)) {
            nearArea = piece.adjusted(-96, -96, 96, 96);
            near = nodesIn(nearArea);
        }
        const bool hidden = std::any_of(near.cbegin(), near.cend(), [&](int row) {
            return row != s.from && row != s.to && nodes[row].rect.intersects(piece);
        });
        if (hidden) {
            bits.setBit(i - 1);
        }
        prev = next;
    }
    return bits;
}

QList<QRectF> GraphScene::edgeReach(int edge) const
{
    const Edge &g = m_edges[edge];
    const qreal span = std::abs(g.p2.x() - g.p1.x()) + std::abs(g.p2.y() - g.p1.y());
    const int steps = std::max(4, int(span / (m_edgeGrid.cell / 4)));
    QList<QRectF> out;
    out.reserve(steps + 2);
    QPointF prev = g.p1;
    for (int k = 1; k <= steps; ++k) {
        const QPointF next = g.at(qreal(k) / steps);
        out.append(
            QRectF(prev, next).normalized().adjusted(-EdgeReach, -EdgeReach, EdgeReach, EdgeReach));
        prev = next;
    }
    out.append(g.badge);
    out.append(g.trafficBadge);
    return out;
}

void GraphScene::Grid::reset(const QSizeF &content, qreal cellSize)
{
    cell = cellSize;
    columns = std::max(1, int(std::ceil(content.width() / cell)));
    rows = std::max(1, int(std::ceil(content.height() / cell)));
    cells = QList<QList<int>>(columns * rows);
}

QRect GraphScene::Grid::cellsOf(const QRectF &r) const
{
    const int x0 = std::clamp(int(std::floor(r.left() / cell)), 0, columns - 1);
    const int x1 = std::clamp(int(std::floor(r.right() / cell)), 0, columns - 1);
    const int y0 = std::clamp(int(std::floor(r.top() / cell)), 0, rows - 1);
    const int y1 = std::clamp(int(std::floor(r.bottom() / cell)), 0, rows - 1);
    return QRect(QPoint(x0, y0), QPoint(x1, y1));
}

void GraphScene::Grid::insert(const QRectF &r, int index)
{
    const QRect c = cellsOf(r);
    for (int y = c.top(); y <= c.bottom(); ++y) {
        for (int x = c.left(); x <= c.right(); ++x) {
            QList<int> &list = cells[y * columns + x];
            if (list.isEmpty() || list.last() != index) {
                list.append(index);
            }
        }
    }
}

QList<int> GraphScene::Grid::query(const QRectF &r) const
{
    QList<int> out;
    if (cells.isEmpty()) {
        return out;
    }
    const QRect c = cellsOf(r);
    for (int y = c.top(); y <= c.bottom(); ++y) {
        for (int x = c.left(); x <= c.right(); ++x) {
            out += cells[y * columns + x];
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace hopscope
