#include "EdgePainter.h"

#include "GraphScene.h"
#include "topology/ServiceGraphModel.h"

#include <QPainter>
#include <QPolygonF>

#include <algorithm>
#include <cmath>

namespace hopscope {

void EdgePainter::paint(QPainter &p, const GraphScene &scene, const QRectF &visible, bool labels,
    const GraphStyle &style)
{
    const auto &nodes = scene.model()->nodes();
    const auto &segments = scene.model()->segments();
    // Boxes near the area: an edge passing under a box (not its own ends) is not stroked
    // there, the box would hide it anyway; it stops a few pixels short of the border.
    const QList<int> nearNodes = scene.nodesIn(visible.adjusted(-20, -20, 20, 20));
    // Edges: dns solid, lb dashed, mesh dotted (never colour alone), arrow heads, hop badges.
    p.setFont(GraphFonts::instance().badge);
    for (int edge : scene.edgesIn(visible)) {
        const GraphScene::Edge &g = scene.edges()[edge];
        const bool curve = g.bounds.intersects(visible);
        const bool badgeVisible = g.badge.intersects(visible);
        if (!curve && !badgeVisible) {
            continue;
        }
        const auto &s = segments[g.segment];
        // Through a down or stale LB: red, and the badge carries ✖ (colour is never alone).
        const QColor lineColour = s.fails() ? style.healthColour(Health::Down) : style.line;
        QPen pen(lineColour, s.fails() ? 2.4 : 1.8);
        if (s.pattern == u"lb") {
            pen.setStyle(Qt::DashLine);
        } else if (s.pattern == u"mesh") {
            pen.setStyle(Qt::DotLine);
            pen.setWidthF(2.4);
        }
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        const qreal dir = g.dir;
        if (curve) {
            // The curve flattened into short pieces; only the runs of pieces that meet the area
            // are stroked, each with the dash offset of where it starts along the curve, so a
            // tile, a patch and the neighbouring tile draw the same dashes (stroking a whole
            // dashed curve costs its full length, milliseconds for a long edge).
            const int pieces = g.pieces;
            const auto at = [&](qreal t) { return g.at(t); };
            // y(t) is monotonic (the control points share the end points' y), and so is x(t)
            // when the ends are 80 apart or more: bisect for the t range inside the area.
            const auto solve = [&](auto coord, qreal target, bool increasing) {
                qreal lo = 0, hi = 1;
                for (int k = 0; k < 40; ++k) {
                    const qreal mid = (lo + hi) / 2;
                    ((coord(at(mid)) < target) == increasing ? lo : hi) = mid;
                }
                return lo;
            };
            const QRectF wide = visible.adjusted(-4, -4, 4, 4);
            qreal t0 = 0, t1 = 1;
            const auto clampTo = [&](auto coord, qreal a, qreal b, qreal lo, qreal hi) {
                if (std::abs(b - a) < 1e-9) {
                    return;
                }
                const bool inc = b > a;
                const qreal ta = solve(coord, inc ? lo : hi, inc);
                const qreal tb = solve(coord, inc ? hi : lo, inc);
                t0 = std::max(t0, std::min(ta, tb));
                t1 = std::min(t1, std::max(ta, tb));
            };
            clampTo([](const QPointF &q) { return q.y(); }, g.p1.y(), g.p2.y(), wide.top(),
                wide.bottom());
            if (std::abs(g.p2.x() - g.p1.x()) >= 80) {
                clampTo([](const QPointF &q) { return q.x(); }, g.p1.x(), g.p2.x(), wide.left(),
                    wide.right());
            }
            const bool dashed = pen.style() != Qt::SolidLine;
            // Dashed curves start a run at every chunk of pieces, from the dash phase the scene
            // measured there: a tile and the whole export then stroke the same dashes.
            int i0 = std::max(0, int(std::floor(t0 * pieces)) - 1);
            if (dashed) {
                i0 -= i0 % GraphScene::Edge::Chunk;
            }
            const int i1 = std::min(pieces, int(std::ceil(t1 * pieces)) + 1);
            QPolygonF run;
            qreal length = dashed ? g.chunkPhase.value(i0 / GraphScene::Edge::Chunk) : 0;
            qreal runStart = 0;
            QPointF prev = at(qreal(i0) / pieces);
            const auto flush = [&] {
                if (run.size() > 1) {
                    QPen runPen = pen;
                    if (dashed) {
                        runPen.setDashOffset(runStart / pen.widthF());
                    }
                    p.setPen(runPen);
                    p.drawPolyline(run);
                }
                run.clear();
            };
            for (int i = i0 + 1; t0 < t1 && i <= i1; ++i) {
                const QPointF next = at(qreal(i) / pieces);
                const QRectF piece = QRectF(prev, next).normalized().adjusted(-3, -3, 3, 3);
                const bool hidden = std::any_of(nearNodes.cbegin(), nearNodes.cend(), [&](int row) {
                    return row != s.from && row != s.to && nodes[row].rect.intersects(piece);
                });
                if (dashed && (i - 1) % GraphScene::Edge::Chunk == 0) {
                    flush();
                    length = g.chunkPhase.value((i - 1) / GraphScene::Edge::Chunk);
                }
                if (!hidden && piece.intersects(visible)) {
                    if (run.isEmpty()) {
                        run.append(prev);
                        runStart = length;
                    }
                    run.append(next);
                } else {
                    flush();
                }
                if (dashed) {
                    length += QLineF(prev, next).length();
                }
                prev = next;
            }
            flush();
        }
        if (curve) {
            p.setPen(QPen(lineColour, 1.2));
            p.setBrush(lineColour);
            p.drawPolygon(
                QPolygonF { g.p2, g.p2 - QPointF(dir * 9, 4.5), g.p2 - QPointF(dir * 9, -4.5) });
        }
        if (labels && !s.label.isEmpty()) {
            const QRectF &badge = g.badge;
            const qreal radius = badge.height() / 2;
            if (badgeVisible) {
                p.setPen(QPen(lineColour, 1));
                p.setBrush(style.box);
                p.drawRoundedRect(badge, radius, radius);
                p.setPen(style.text);
                p.drawText(badge, Qt::AlignCenter, s.label);
            }
        }
    }
}

} // namespace hopscope
