#include "GraphPainter.h"

#include "EdgePainter.h"
#include "GraphScene.h"
#include "topology/ServiceGraphModel.h"

#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace hopscope {

namespace {

qreal overviewDot(qreal scale)
{
    return std::max<qreal>(3.0, 5.0 / scale);
}

// How far the overview's drawing of a node reaches beyond its rectangle (its border; the
// dots stay inside).
qreal overviewPad(qreal scale)
{
    return 2.0 / scale;
}

// Hatching (stale, no data yet): the same ink and spacing on boxes and LB pills, on screen and
// in every export.
void hatch(QPainter &p, const QRectF &r, const QPainterPath &clip, const GraphStyle &style)
{
    p.save();
    p.setClipPath(clip, Qt::IntersectClip);
    QColor c = style.muted;
    c.setAlphaF(GraphStyle::HatchAlpha);
    p.setPen(QPen(c, 1));
    for (qreal i = -r.height(); i < r.width(); i += GraphStyle::HatchStep) {
        p.drawLine(QPointF(r.left() + i, r.bottom()), QPointF(r.left() + i + r.height(), r.top()));
    }
    p.restore();
}

QString tr(const char *text, int n)
{
    return QCoreApplication::translate("GraphPainter", text, nullptr, n);
}

} // namespace

qreal GraphPainter::overviewTrafficWidth(double rps)
{
    // Device pixels, whole ones (no antialiasing zoomed out): 1 below 10 rps, then one more per
    // decade, at most OverviewLineReach.
    const double decades = std::log10(1.0 + std::max(0.0, rps));
    return std::clamp<qreal>(std::floor(decades), 1, OverviewLineReach);
}

qreal GraphPainter::nodeReach(qreal scale, const Options &options)
{
    return scale < options.lodZoom ? overviewPad(scale) : 3.0;
}

QImage GraphPainter::render(const GraphScene &scene, const QRect &device, qreal scale,
    const GraphStyle &style, const Options &options)
{
    QImage image(device.size(), QImage::Format_RGB32);
    image.fill(style.background);
    QPainter p(&image);
    p.translate(-device.left(), -device.top());
    p.scale(scale, scale);
    const QRectF area(device.left() / scale, device.top() / scale, device.width() / scale,
        device.height() / scale);
    paint(p, scene, area, scale, style, options);
    return image;
}

void GraphPainter::paint(QPainter &p, const GraphScene &scene, const QRectF &area, qreal scale,
    const GraphStyle &style, const Options &options)
{
    if (scene.isEmpty()) {
        return;
    }
    if (scale < options.lodZoom) {
        paintOverview(p, scene, area, scale, style);
        return;
    }
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    const QRectF visible = area.adjusted(-2, -2, 2, 2);
    EdgePainter::paint(p, scene, visible, scale > options.labelZoom, style);
    paintNodes(p, scene, visible, scale, style);
}

void GraphPainter::paintNodes(QPainter &p, const GraphScene &scene, const QRectF &visible,
    qreal scale, const GraphStyle &style)
{
    const GraphFonts &f = GraphFonts::instance();
    const auto &nodes = scene.model()->nodes();
    const QFontMetricsF titleFm(f.title);
    const QFontMetricsF subFm(f.subtitle);
    const QFontMetricsF detailFm(f.detail);
    const QFontMetricsF chipFm(f.chip);
    const QFontMetricsF chipBoldFm(f.chipBold);
    const QFontMetricsF toggleFm(f.toggle);
    const QFontMetricsF lbTitleFm(f.lbTitle);
    const QFontMetricsF lbSubFm(f.lbSub);
    for (int row : scene.nodesIn(visible)) {
        const ServiceGraphModel::Node &n = nodes[row];
        const QRectF r = n.rect;
        if (!r.intersects(visible)) {
            continue;
        }
        const GraphStyle::HealthLook look = style.look(n.health);
        const QColor &border = look.colour;
        if (n.isLoadBalancer()) {
            const qreal radius = r.height() / 2;
            const qreal bw = std::max(2.0, 2.0 / scale);
            p.setPen(QPen(border, bw));
            p.setBrush(style.box);
            p.drawRoundedRect(
                r.adjusted(bw / 2, bw / 2, -bw / 2, -bw / 2), radius - bw / 2, radius - bw / 2);
            if (look.hatched) {
                QPainterPath clip;
                clip.addRoundedRect(r.adjusted(2, 2, -2, -2), radius - 2, radius - 2);
                hatch(p, r, clip, style);
            }
            // No icon before any source answered: the hatching and the subtitle say it.
            const QString title
                = (n.health == Health::Unknown ? QString() : look.icon + QLatin1Char(' '))
                + QStringLiteral("⇄ ") + n.title;
            const qreal h1 = lbTitleFm.height();
            const qreal h2 = lbSubFm.height();
            const qreal top = r.center().y() - (h1 + h2) / 2;
            p.setFont(f.lbTitle);
            p.setPen(style.text);
            p.drawText(QRectF(r.left() - 40, top, r.width() + 80, h1),
                Qt::AlignHCenter | Qt::AlignTop, title);
            p.setFont(f.lbSub);
            p.setPen(style.muted);
            p.drawText(QRectF(r.left() - 40, top + h1, r.width() + 80, h2),
                Qt::AlignHCenter | Qt::AlignTop,
                lbSubFm.elidedText(n.subtitle, Qt::ElideRight, r.width() - r.height() / 2));
            continue;
        }
        // Service box: border in the health colour, icon + title, subtitle, task chips.
        // At least 2 device pixels wide zoomed out (one fully covered), so the health colour reads.
        const qreal bw = std::max(1.5, 2.0 / scale);
        p.setPen(QPen(border, bw));
        p.setBrush(style.box);
        p.drawRoundedRect(r.adjusted(bw / 2, bw / 2, -bw / 2, -bw / 2), 6 - bw / 2, 6 - bw / 2);
        if (look.hatched) {
            // Stale and no-data boxes are hatched, so the state reads without colour.
            QPainterPath clip;
            clip.addRect(r.adjusted(2, 2, -2, -2));
            hatch(p, r.adjusted(2, 2, -2, -2), clip, style);
        }
        const qreal left = r.left() + 8;
        const qreal inner = r.width() - 16;
        qreal y = r.top() + 8;
        p.setFont(f.title);
        p.setPen(border);
        p.drawText(QPointF(left, y + titleFm.ascent()), look.icon);
        const qreal titleX = left + titleFm.horizontalAdvance(look.icon) + 6;
        p.setPen(style.text);
        p.drawText(QPointF(titleX, y + titleFm.ascent()),
            titleFm.elidedText(n.title, Qt::ElideRight, inner - 48));
        y += titleFm.height() + 3;
        const bool collapsed = scene.model()->isCollapsed(n.id);
        const QString subtitle = collapsed && !n.tasks.isEmpty()
            ? n.subtitle + tr(" · %n task(s) hidden", int(n.tasks.size()))
            : n.subtitle;
        p.setFont(f.subtitle);
        p.setPen(style.muted);
        p.drawText(
            QPointF(left, y + subFm.ascent()), subFm.elidedText(subtitle, Qt::ElideMiddle, inner));
        y += subFm.height() + 3;
        if (n.tasks.isEmpty() && !collapsed) {
            p.setFont(f.detail);
            p.drawText(QPointF(left, y + detailFm.ascent()),
                detailFm.elidedText(n.detail, Qt::ElideMiddle, inner));
        }
        // Collapse/expand toggle.
        const QRectF toggle(r.right() - 25, r.top() + 5, 20, 20);
        p.setPen(QPen(style.border, 1));
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(toggle.adjusted(0.5, 0.5, -0.5, -0.5), 3.5, 3.5);
        p.setFont(f.toggle);
        p.setPen(style.muted);
        p.drawText(toggle, Qt::AlignCenter, collapsed ? QStringLiteral("▸") : QStringLiteral("▾"));
        if (collapsed) {
            continue;
        }
        for (int i = 0; i < n.tasks.size(); ++i) {
            const QRectF chip = ServiceGraphModel::taskRect(r, i);
            if (!chip.intersects(visible)) {
                continue;
            }
            const TaskChip &t = n.tasks[i];
            const GraphStyle::HealthLook chipLook = style.look(t.health);
            const bool stale = chipLook.hatched;
            const QColor &c = chipLook.colour;
            p.setOpacity(stale ? 0.75 : 1.0);
            QColor fill = c;
            fill.setAlphaF(stale ? 0.08 : 0.16);
            // At least 1.5 device pixels zoomed out, so the health colour still reads.
            const qreal cw = std::max<qreal>(t.health == Health::Healthy ? 1.0 : 1.6, 1.5 / scale);
            p.setPen(QPen(c, cw));
            p.setBrush(fill);
            p.drawRoundedRect(
                chip.adjusted(cw / 2, cw / 2, -cw / 2, -cw / 2), 9 - cw / 2, 9 - cw / 2);
            // Icon, address and sidecar badge, centred as one row.
            const QString &icon = chipLook.icon;
            const bool sidecar = t.sidecar;
            const QFont &labelFont = stale ? f.chipItalic : f.chip;
            const QFontMetricsF labelFm(labelFont);
            const QString label
                = labelFm.elidedText(t.label, Qt::ElideLeft, chip.width() - (sidecar ? 34 : 22));
            const qreal iconW = chipBoldFm.horizontalAdvance(icon);
            const qreal labelW = labelFm.horizontalAdvance(label);
            const QString hex = QStringLiteral("⬡");
            const qreal hexW = sidecar ? chipFm.horizontalAdvance(hex) + 2 : 0;
            qreal x = chip.center().x() - (iconW + 2 + labelW + hexW) / 2;
            const qreal baseline = chip.center().y() - chipFm.height() / 2 + chipFm.ascent();
            p.setFont(f.chipBold);
            p.setPen(c);
            p.drawText(QPointF(x, baseline), icon);
            x += iconW + 2;
            p.setFont(labelFont);
            p.setPen(style.text);
            p.drawText(QPointF(x, baseline), label);
            if (sidecar) {
                x += labelW + 2;
                p.setFont(f.chip);
                p.setPen(style.muted);
                p.drawText(QPointF(x, baseline), hex);
            }
            p.setOpacity(1.0);
        }
    }
}

void GraphPainter::paintOverview(
    QPainter &p, const GraphScene &scene, const QRectF &area, qreal scale, const GraphStyle &style)
{
    // Zoomed out: no antialiasing, no text. Edges aggregated per node pair (thicker when the
    // line stands for several), boxes bordered in the health colour, tasks as dots: healthy
    // round, others square (colour is not the only signal). In traffic emphasis a measured
    // pair's line is as wide as its summed request rate says (overviewTrafficWidth) and in
    // the colour of its error ratio (the detail view's icons and labels say it in words).
    p.setRenderHint(QPainter::Antialiasing, false);
    QColor line = style.line;
    line.setAlphaF(0.55);
    const QPen thin(line, 0); // cosmetic: 1 device pixel at any zoom
    const QPen thick(line, 2.5 / scale);
    const qreal lineReach = OverviewLineReach / scale;
    const bool emphasis = scene.model()->trafficEmphasis();
    // One pen per traffic level, made once per paint (not per line).
    QList<QPen> trafficPens;
    if (emphasis) {
        for (GraphStyle::TrafficLevel level : GraphStyle::trafficLevels()) {
            const auto i = qsizetype(level);
            trafficPens.resize(std::max(trafficPens.size(), i + 1));
            QColor colour = style.trafficLook(level).colour;
            colour.setAlphaF(0.8);
            trafficPens[i] = QPen(colour, 0);
        }
    }
    // Only the lines that pass near the area (a patch of one box meets a few of the hundreds
    // of lines its grid cells hold); in ascending order, so overlapping lines blend as in a
    // whole tile.
    for (int index : scene.pairsNear(area, lineReach)) {
        const GraphScene::Pair &pair = scene.pairs()[index];
        const EdgeTraffic *traffic = emphasis ? &scene.pairTraffic(index) : nullptr;
        if (traffic && traffic->known()) {
            // Whole device pixels as side-by-side 1 px lines, offset across the line's major
            // axis: the raster engine draws 1 px cosmetic lines directly, where a wider pen
            // is stroked as a path (milliseconds for the thousands of lines of a tile).
            const int width = int(overviewTrafficWidth(*traffic->rps));
            p.setPen(trafficPens.value(qsizetype(GraphStyle::trafficLevel(*traffic))));
            const QPointF d = pair.line.p2() - pair.line.p1();
            const QPointF step = std::abs(d.x()) >= std::abs(d.y()) ? QPointF(0, 1 / scale)
                                                                    : QPointF(1 / scale, 0);
            for (int k = 0; k < width; ++k) {
                p.drawLine(pair.line.translated(step * (k - (width - 1) / 2.0)));
            }
        } else {
            p.setPen(pair.count > 1 ? thick : thin);
            p.drawLine(pair.line);
        }
    }
    paintOverviewNodes(p, scene, area, scale, style);
}

void GraphPainter::paintOverviewNodes(
    QPainter &p, const GraphScene &scene, const QRectF &area, qreal scale, const GraphStyle &style)
{
    const qreal pad = overviewPad(scale);
    const QRectF reach = area.adjusted(-pad, -pad, pad, pad);
    const auto &nodes = scene.model()->nodes();
    const QList<int> near = scene.nodesIn(reach);
    // Filled rectangles rather than wide pens: the raster engine strokes a wide pen as a path.
    const qreal border = 1.0 / scale;
    for (int row : near) {
        const ServiceGraphModel::Node &n = nodes[row];
        if (n.rect.intersects(reach)) {
            p.fillRect(
                n.rect.adjusted(-border, -border, border, border), style.healthColour(n.health));
            p.fillRect(n.rect.adjusted(border, border, -border, -border), style.box);
        }
    }
    p.setPen(Qt::NoPen);
    const qreal dot = overviewDot(scale);
    for (int row : near) {
        const ServiceGraphModel::Node &n = nodes[row];
        if (n.isLoadBalancer() || n.tasks.isEmpty() || !n.rect.intersects(reach)
            || scene.model()->isCollapsed(n.id)) {
            continue;
        }
        // Dots kept inside their box (so a change repaints only the box): healthy ones as a
        // rounded cross, the others as squares half as large again.
        const qreal maxHalf = std::max<qreal>(
            0.5 / scale, std::min(n.rect.width(), n.rect.height()) / 2 - border * 2);
        for (int i = 0; i < n.tasks.size(); ++i) {
            const Health health = n.tasks[i].health;
            const bool healthy = health == Health::Healthy;
            const qreal half = std::min(healthy ? dot / 2 : dot * 0.75, maxHalf);
            const QRectF inner
                = n.rect.adjusted(border + half, border + half, -border - half, -border - half);
            const QPointF wanted
                = ServiceGraphModel::taskRect(n.rect, i).topLeft() + QPointF(12, 9);
            const QPointF at(
                std::clamp(wanted.x(), inner.left(), std::max(inner.left(), inner.right())),
                std::clamp(wanted.y(), inner.top(), std::max(inner.top(), inner.bottom())));
            const QColor colour = style.healthColour(health);
            if (healthy) {
                p.fillRect(
                    QRectF(at.x() - half, at.y() - half * 0.6, 2 * half, 1.2 * half), colour);
                p.fillRect(
                    QRectF(at.x() - half * 0.6, at.y() - half, 1.2 * half, 2 * half), colour);
            } else {
                p.fillRect(QRectF(at - QPointF(half, half), QSizeF(2 * half, 2 * half)), colour);
            }
        }
    }
}

void GraphPainter::patchOverviewNodes(QImage &tile, const QPoint &tileOrigin, const QRect &device,
    const GraphScene &scene, qreal scale, const GraphStyle &style)
{
    if (scene.isEmpty()) {
        return;
    }
    // The tile's own transform (as render() sets it for the whole tile), so every fill lands
    // on the pixels a fresh tile puts it on; the rectangle clip only cuts whole pixels.
    QPainter p(&tile);
    p.setClipRect(device);
    p.translate(-tileOrigin.x(), -tileOrigin.y());
    p.scale(scale, scale);
    const QRect whole = device.translated(tileOrigin);
    const QRectF area(
        whole.left() / scale, whole.top() / scale, whole.width() / scale, whole.height() / scale);
    paintOverviewNodes(p, scene, area, scale, style);
}

} // namespace hopscope
