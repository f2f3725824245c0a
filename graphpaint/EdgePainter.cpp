#include "EdgePainter.h"

#include "GraphScene.h"
#include "topology/ServiceGraphModel.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPolygonF>

#include <algorithm>
#include <cmath>

namespace hopscope {

void EdgePainter::paintTrafficBadge(QPainter &p, const GraphScene &scene, int edge,
    const EdgeTraffic &traffic, const GraphStyle::TrafficLook &look, bool text,
    const GraphStyle &style)
{
    // The icon (colour is never alone) and, with labels on, "12.3 rps · 0.4 % · p99 38 ms"
    // wrapped between its parts to the edge's reserved room (at most TrafficBadgeLines lines),
    // centred on the curve's middle where the hop badge is in health emphasis. Laid out once
    // per traffic change (the scene keeps it), not again by every tile the label meets.
    const GraphFonts &f = GraphFonts::instance();
    const QFontMetricsF fm(f.badge);
    const QFontMetricsF boldFm(f.chipBold);
    const GraphScene::Edge &g = scene.edges()[edge];
    GraphScene::TrafficText &t = scene.trafficText(edge);
    const qreal iconW = boldFm.horizontalAdvance(look.icon) + 4;
    if (!t.valid || t.text != text || t.icon != look.icon || t.traffic != traffic) {
        const qreal inner = g.trafficBadge.width() - 12;
        const QString dot = QStringLiteral(" · ");
        QStringList lines;
        if (text) {
            for (const QString &part : traffic.labelParts()) {
                const qreal lead = lines.size() == 1 ? iconW : 0; // the icon leads the first line
                if (!lines.isEmpty()
                    && lead + fm.horizontalAdvance(lines.last() + dot + part) <= inner) {
                    lines.last() += dot + part;
                } else if (lines.size() < GraphScene::TrafficBadgeLines) {
                    lines.append(part);
                } else {
                    lines.last() += dot + part; // elided below
                }
            }
        }
        t = GraphScene::TrafficText {};
        t.valid = true;
        t.traffic = traffic;
        t.text = text;
        t.icon = look.icon;
        t.width = lines.isEmpty() ? iconW - 4 : 0;
        for (int i = 0; i < lines.size(); ++i) {
            const qreal lead = i == 0 ? iconW : 0;
            const QString line = fm.elidedText(lines[i], Qt::ElideRight, inner - lead);
            const qreal w = fm.horizontalAdvance(line);
            QStaticText st(line);
            st.setTextFormat(Qt::PlainText);
            st.setPerformanceHint(QStaticText::AggressiveCaching);
            t.lines.append(st);
            t.widths.append(w);
            t.width = std::max(t.width, lead + w);
        }
        t.firstWidth = t.lines.isEmpty() ? iconW - 4 : iconW + t.widths[0];
    }
    const QRectF room = g.trafficBadge;
    const qreal lineH = fm.height();
    const qreal height = std::max<qreal>(1, t.lines.size()) * lineH + 4;
    const QRectF pill(room.center().x() - (t.width + 12) / 2, room.center().y() - height / 2,
        t.width + 12, height);
    p.setPen(QPen(look.colour, 1.2));
    p.setBrush(style.box);
    const qreal radius = std::min(pill.height() / 2, lineH / 2 + 2);
    p.drawRoundedRect(pill, radius, radius);
    const qreal baseline = pill.top() + 2 + fm.ascent();
    const qreal x = pill.center().x() - t.firstWidth / 2;
    p.setFont(f.chipBold);
    p.setPen(look.colour);
    p.drawText(QPointF(x, baseline), look.icon);
    p.setFont(f.badge);
    for (int i = 0; i < t.lines.size(); ++i) {
        p.setPen(i == 0 ? style.text : style.muted);
        const qreal lx = i == 0 ? x + iconW : pill.center().x() - t.widths[i] / 2;
        // Static text is placed by its top left: the line's baseline less the ascent.
        p.drawStaticText(QPointF(lx, baseline + i * lineH - fm.ascent()), t.lines[i]);
    }
}

void EdgePainter::paint(QPainter &p, const GraphScene &scene, const QRectF &visible, bool labels,
    const GraphStyle &style)
{
    const bool emphasis = scene.model()->trafficEmphasis();
    const bool trafficLabels = scene.model()->trafficLabels();
    const auto &segments = scene.model()->segments();
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
        // Traffic emphasis: the width by request rate, the colour by error ratio (the label
        // carries the icon); an unknown rate keeps the normal width in the muted colour.
        const bool traffic = emphasis && s.traffic.measured;
        const GraphStyle::TrafficLook trafficLook
            = traffic ? style.trafficLook(s.traffic) : GraphStyle::TrafficLook {};
        // Through a down or stale LB: red, and the badge carries ✖ (colour is never alone).
        const QColor lineColour = s.fails() ? style.healthColour(Health::Down)
            : traffic                       ? trafficLook.colour
                                            : style.line;
        QPen pen(lineColour, s.fails() ? 2.4 : 1.8);
        if (s.pattern == u"lb") {
            pen.setStyle(Qt::DashLine);
        } else if (s.pattern == u"mesh") {
            pen.setStyle(Qt::DotLine);
            pen.setWidthF(2.4);
        }
        if (traffic && s.traffic.known() && !s.fails()) {
            pen.setWidthF(trafficLook.width);
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
            // when the ends are 80 apart or more: bisect for the t range inside the area, to
            // a piece's precision (the range is widened by a piece on each side below).
            int steps = 2;
            while ((1 << (steps - 2)) < pieces) {
                ++steps;
            }
            const auto solve = [&](auto coord, qreal target, bool increasing) {
                qreal lo = 0, hi = 1;
                for (int k = 0; k < steps; ++k) {
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
            const QBitArray &hiddenPieces = scene.hiddenPieces(edge);
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
                // Under a box that is not one of its ends: not stroked, the box hides it (it
                // stops a few pixels short of the border).
                const bool hidden = hiddenPieces.testBit(i - 1);
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
            // The arrow head grows with a wide traffic pen, so it still shows past the line.
            const qreal grow = std::max<qreal>(0, pen.widthF() - 2.4);
            const qreal length = 9 + grow;
            const qreal half = 4.5 + grow / 2;
            p.setPen(QPen(lineColour, 1.2));
            p.setBrush(lineColour);
            p.drawPolygon(QPolygonF {
                g.p2, g.p2 - QPointF(dir * length, half), g.p2 - QPointF(dir * length, -half) });
        }
        if (labels && !s.label.isEmpty() && !traffic) {
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
        if (traffic && labels && g.trafficBadge.intersects(visible)) {
            paintTrafficBadge(p, scene, edge, s.traffic, trafficLook, trafficLabels, style);
        }
    }
}

} // namespace hopscope
