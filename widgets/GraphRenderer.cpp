#include "GraphRenderer.h"

#include "topology/ServiceGraphModel.h"

#include <QFile>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>

namespace hopscope {

GraphRenderer::Palette GraphRenderer::Palette::light()
{
    return {QColor(0xf4, 0xf5, 0xf7), Qt::white, QColor(0x9a, 0xa3, 0xae), QColor(0x1f, 0x24, 0x2b),
            QColor(0x5b, 0x64, 0x70), QColor(0x5b, 0x64, 0x70)};
}

GraphRenderer::Palette GraphRenderer::Palette::dark()
{
    return {QColor(0x1d, 0x20, 0x26), QColor(0x2a, 0x2f, 0x37), QColor(0x5d, 0x66, 0x73),
            QColor(0xe6, 0xe9, 0xee), QColor(0x9a, 0xa3, 0xae), QColor(0x8b, 0x95, 0xa3)};
}

QColor GraphRenderer::healthColor(const QString &h, const Palette &palette)
{
    // The same colours as ServiceBox.qml.
    if (h == u"healthy") {
        return QColor(0x2e, 0x9d, 0x58);
    } else if (h == u"degraded") {
        return QColor(0xc9, 0x8a, 0x00);
    } else if (h == u"down") {
        return QColor(0xd1, 0x3c, 0x3c);
    } else if (h == u"draining") {
        return QColor(0x3a, 0x7b, 0xd5);
    } else if (h == u"drained") {
        return QColor(0x2b, 0x5f, 0xa8);
    } else if (h == u"maintenance") {
        return QColor(0x7d, 0x6b, 0x57);
    } else if (h == u"conflict") {
        return QColor(0xa3, 0x47, 0xba);
    }
    return palette.border; // nodata, unknown, stale
}

namespace {
bool isHatched(const QString &h)
{
    return h == u"nodata" || h == u"stale" || h == u"unknown";
}

void hatch(QPainter &p, const QRectF &r, const QColor &colour)
{
    p.save();
    p.setClipRect(r);
    QColor c = colour;
    c.setAlphaF(0.25);
    p.setPen(QPen(c, 1));
    QPainterPath path;
    for (qreal i = -r.height(); i < r.width(); i += 9) {
        path.moveTo(r.left() + i, r.bottom());
        path.lineTo(r.left() + i + r.height(), r.top());
    }
    p.drawPath(path);
    p.restore();
}

void paintEdges(QPainter &p, const ServiceGraphModel &model, const GraphRenderer::Palette &pal)
{
    QFont font = p.font();
    font.setPixelSize(11);
    p.setFont(font);
    const QFontMetricsF fm(font);
    const auto &nodes = model.nodes();
    for (const ServiceGraphModel::EdgeSegment &s : model.segments()) {
        const QRectF a = nodes[s.from].rect;
        const QRectF b = nodes[s.to].rect;
        const bool forward = b.left() >= a.right();
        const QPointF p1 = forward ? QPointF(a.right(), a.center().y()) : QPointF(a.left(), a.center().y());
        const QPointF p2 = forward ? QPointF(b.left(), b.center().y()) : QPointF(b.right(), b.center().y());
        QPen pen(pal.line, 1.8);
        if (s.pattern == u"lb") {
            pen.setStyle(Qt::DashLine);
        } else if (s.pattern == u"mesh") {
            pen.setStyle(Qt::DotLine);
            pen.setWidthF(2.4);
        }
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        QPainterPath path(p1);
        const qreal dir = p2.x() >= p1.x() ? 1 : -1;
        const qreal dx = std::max<qreal>(40, std::abs(p2.x() - p1.x()) / 2);
        path.cubicTo(p1 + QPointF(dx * dir, 0), p2 - QPointF(dx * dir, 0), p2);
        p.drawPath(path);
        p.setPen(QPen(pal.line, 1.2));
        p.setBrush(pal.line);
        p.drawPolygon(QPolygonF{p2, p2 - QPointF(dir * 9, 4.5), p2 - QPointF(dir * 9, -4.5)});
        if (!s.label.isEmpty()) {
            const QPointF mid = path.pointAtPercent(0.5);
            const QSizeF size(fm.horizontalAdvance(s.label) + 12, fm.height() + 4);
            const QRectF badge(mid - QPointF(size.width() / 2, size.height() / 2), size);
            p.setPen(QPen(pal.line, 1));
            p.setBrush(pal.box);
            QPainterPath pill;
            pill.addRoundedRect(badge, size.height() / 2, size.height() / 2);
            p.drawPath(pill);
            p.setPen(pal.text);
            p.drawText(badge, Qt::AlignCenter, s.label);
        }
    }
}

void paintNode(QPainter &p, const ServiceGraphModel &model, const ServiceGraphModel::Node &n,
               const GraphRenderer::Palette &pal)
{
    const QColor border = GraphRenderer::healthColor(n.health, pal);
    QFont bold = p.font();
    bold.setBold(true);
    QFont small = p.font();
    small.setPixelSize(10);
    if (n.kind == u"lb") {
        p.setPen(QPen(border, 2));
        p.setBrush(pal.box);
        p.drawEllipse(n.rect);
        if (isHatched(n.health)) {
            hatch(p, n.rect.adjusted(n.rect.height() / 3, 4, -n.rect.height() / 3, -4), pal.muted);
        }
        bold.setPixelSize(13);
        p.setFont(bold);
        p.setPen(pal.text);
        const QString title = (n.health == u"nodata" ? QString() : n.icon + QLatin1Char(' ')) + QStringLiteral("⇄ ") + n.title;
        p.drawText(QRectF(n.rect.left(), n.rect.top() + 8, n.rect.width(), 20), Qt::AlignCenter, title);
        p.setFont(small);
        p.setPen(pal.muted);
        p.drawText(QRectF(n.rect.left(), n.rect.top() + 28, n.rect.width(), 16), Qt::AlignCenter,
                   QFontMetricsF(small).elidedText(n.subtitle, Qt::ElideRight, n.rect.width() - n.rect.height() / 2));
        return;
    }
    // The box itself is a plain rectangle: exactly one <rect> per service in the SVG.
    p.setPen(QPen(border, n.health == u"healthy" ? 1.5 : 2.5));
    p.setBrush(pal.box);
    p.drawRect(n.rect);
    if (isHatched(n.health)) {
        hatch(p, n.rect.adjusted(2, 2, -2, -2), pal.muted);
    }
    const qreal left = n.rect.left() + 8;
    const qreal width = n.rect.width() - 16;
    bold.setPixelSize(15);
    p.setFont(bold);
    p.setPen(border);
    p.drawText(QRectF(left, n.rect.top() + 6, 20, 20), Qt::AlignLeft | Qt::AlignVCenter, n.icon);
    p.setPen(pal.text);
    const QFontMetricsF boldFm(bold);
    p.drawText(QRectF(left + 22, n.rect.top() + 6, width - 22, 20), Qt::AlignLeft | Qt::AlignVCenter,
               boldFm.elidedText(n.title, Qt::ElideRight, width - 22));
    QFont sub = p.font();
    sub.setBold(false);
    sub.setPixelSize(11);
    p.setFont(sub);
    p.setPen(pal.muted);
    const bool collapsed = model.isCollapsed(n.id);
    const QString subtitle = collapsed && !n.tasks.isEmpty()
                                 ? QStringLiteral("%1 · ▸ %2 tasks").arg(n.subtitle).arg(n.tasks.size())
                                 : n.subtitle;
    p.drawText(QRectF(left, n.rect.top() + 28, width, 16), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(sub).elidedText(subtitle, Qt::ElideMiddle, width));
    if (collapsed) {
        return;
    }
    if (n.tasks.isEmpty()) {
        QFont italic = small;
        italic.setItalic(true);
        p.setFont(italic);
        p.drawText(QRectF(left, n.rect.top() + 48, width, 16), Qt::AlignLeft | Qt::AlignVCenter,
                   QFontMetricsF(italic).elidedText(n.detail, Qt::ElideMiddle, width));
        return;
    }
    p.setFont(small);
    const QFontMetricsF smallFm(small);
    qreal y = n.rect.top() + 50;
    for (const QVariant &v : n.tasks) {
        const QVariantMap t = v.toMap();
        const QString health = t.value(QStringLiteral("health")).toString();
        const QColor c = GraphRenderer::healthColor(health, pal);
        const QRectF chip(left, y, width, 18);
        QColor fill = c;
        fill.setAlphaF(isHatched(health) ? 0.08 : 0.16);
        p.setPen(QPen(c, health == u"healthy" ? 1 : 1.6));
        p.setBrush(fill);
        QPainterPath pill;
        pill.addRoundedRect(chip, 9, 9);
        p.drawPath(pill);
        QString text = t.value(QStringLiteral("icon")).toString() + QLatin1Char(' ')
                       + t.value(QStringLiteral("label")).toString();
        if (t.value(QStringLiteral("sidecar")).toBool()) {
            text += QStringLiteral("  ⬡");
        }
        p.setPen(pal.text);
        p.drawText(chip, Qt::AlignCenter, smallFm.elidedText(text, Qt::ElideLeft, width - 12));
        y += ServiceGraphModel::TaskRowHeight;
    }
}
} // namespace

void GraphRenderer::paint(QPainter &painter, const ServiceGraphModel &model, const Palette &palette)
{
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    paintEdges(painter, model, palette);
    for (const ServiceGraphModel::Node &n : model.nodes()) {
        paintNode(painter, model, n, palette);
    }
}

QImage GraphRenderer::toImage(const ServiceGraphModel &model, const Palette &palette, qreal scale, int maxSide)
{
    const QSizeF content = model.contentSize();
    if (content.isEmpty()) {
        return {};
    }
    scale = std::min({scale, maxSide / content.width(), maxSide / content.height()});
    QImage image(QSize(int(std::ceil(content.width() * scale)), int(std::ceil(content.height() * scale))),
                 QImage::Format_ARGB32_Premultiplied);
    image.fill(palette.background);
    QPainter painter(&image);
    painter.scale(scale, scale);
    paint(painter, model, palette);
    return image;
}

namespace {
bool haveGui(QString *error)
{
    if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance())) {
        if (error) {
            *error = QStringLiteral("rendering needs a QGuiApplication (fonts)");
        }
        return false;
    }
    return true;
}
} // namespace

bool GraphRenderer::savePng(const ServiceGraphModel &model, const QString &path, const Palette &palette,
                            QString *error, qreal scale)
{
    if (!haveGui(error)) {
        return false;
    }
    const QImage image = toImage(model, palette, scale);
    if (image.isNull()) {
        if (error) {
            *error = QStringLiteral("the graph is empty");
        }
        return false;
    }
    if (!image.save(path, "PNG")) {
        if (error) {
            *error = QStringLiteral("cannot write %1").arg(path);
        }
        return false;
    }
    return true;
}

bool GraphRenderer::saveSvg(const ServiceGraphModel &model, const QString &path, const Palette &palette,
                            QString *error)
{
    if (!haveGui(error)) {
        return false;
    }
    const QSizeF content = model.contentSize();
    if (content.isEmpty()) {
        if (error) {
            *error = QStringLiteral("the graph is empty");
        }
        return false;
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(content.toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), content));
    svg.setTitle(model.profileName());
    svg.setDescription(QStringLiteral("hopscope service graph"));
    QPainter painter;
    if (!painter.begin(&svg)) {
        if (error) {
            *error = QStringLiteral("cannot start the SVG painter");
        }
        return false;
    }
    // The background as a path, so the only <rect> elements are the service boxes.
    QPainterPath background;
    background.addRect(QRectF(QPointF(0, 0), content));
    painter.fillPath(background, palette.background);
    paint(painter, model, palette);
    painter.end();
    file.close();
    if (file.error() != QFileDevice::NoError) {
        if (error) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    return true;
}

} // namespace hopscope
