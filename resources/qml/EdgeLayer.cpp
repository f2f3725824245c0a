#include "EdgeLayer.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QtMath>

#include <algorithm>

EdgeLayer::EdgeLayer(QQuickItem *parent)
    : QQuickPaintedItem(parent)
{
    setAntialiasing(true);
    connect(this, &QQuickItem::widthChanged, this, &EdgeLayer::updateTextureSize);
    connect(this, &QQuickItem::heightChanged, this, &EdgeLayer::updateTextureSize);
}

void EdgeLayer::setRenderScale(qreal scale)
{
    scale = std::clamp<qreal>(scale, 0.05, 4.0);
    if (!qFuzzyCompare(scale, m_renderScale)) {
        m_renderScale = scale;
        Q_EMIT renderScaleChanged();
        updateTextureSize();
    }
}

void EdgeLayer::updateTextureSize()
{
    // paint() keeps item coordinates; Qt scales the painter to the texture (QQuickPaintedItem
    // docs). Capped so a huge graph at high zoom cannot ask for a gigantic texture.
    constexpr qreal maxSide = 8192;
    qreal scale = m_renderScale;
    if (width() * scale > maxSide || height() * scale > maxSide) {
        scale = std::min(maxSide / std::max<qreal>(1, width()), maxSide / std::max<qreal>(1, height()));
    }
    setTextureSize(QSize(qCeil(width() * scale), qCeil(height() * scale)));
    update();
}

void EdgeLayer::setEdges(const QVariantList &edges)
{
    m_edges = edges;
    Q_EMIT edgesChanged();
    update();
}

void EdgeLayer::setLineColor(const QColor &c)
{
    if (c != m_lineColor) {
        m_lineColor = c;
        Q_EMIT paletteChanged();
        update();
    }
}

void EdgeLayer::setBadgeColor(const QColor &c)
{
    if (c != m_badgeColor) {
        m_badgeColor = c;
        Q_EMIT paletteChanged();
        update();
    }
}

void EdgeLayer::setTextColor(const QColor &c)
{
    if (c != m_textColor) {
        m_textColor = c;
        Q_EMIT paletteChanged();
        update();
    }
}

void EdgeLayer::setShowLabels(bool show)
{
    if (show != m_showLabels) {
        m_showLabels = show;
        Q_EMIT paletteChanged();
        update();
    }
}

void EdgeLayer::paint(QPainter *painter)
{
    painter->setRenderHint(QPainter::Antialiasing);
    QFont font = painter->font();
    font.setPixelSize(11);
    painter->setFont(font);
    const QFontMetricsF fm(font);

    for (const QVariant &v : std::as_const(m_edges)) {
        const QVariantMap e = v.toMap();
        const QPointF p1(e.value(QStringLiteral("x1")).toReal(), e.value(QStringLiteral("y1")).toReal());
        const QPointF p2(e.value(QStringLiteral("x2")).toReal(), e.value(QStringLiteral("y2")).toReal());
        const QString pattern = e.value(QStringLiteral("pattern")).toString();

        // Pattern is shown by line style as well as by the label: dns solid, lb dashed,
        // mesh dotted-double; never by colour alone.
        QPen pen(m_lineColor, 1.8);
        if (pattern == u"lb") {
            pen.setStyle(Qt::DashLine);
        } else if (pattern == u"mesh") {
            pen.setStyle(Qt::DotLine);
            pen.setWidthF(2.4);
        }
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        QPainterPath path(p1);
        const qreal dx = std::max<qreal>(40, std::abs(p2.x() - p1.x()) / 2);
        const qreal dir = p2.x() >= p1.x() ? 1 : -1;
        path.cubicTo(p1 + QPointF(dx * dir, 0), p2 - QPointF(dx * dir, 0), p2);
        painter->drawPath(path);

        // Arrow head at the callee.
        const qreal angle = std::atan2(0, dir);
        const QPointF tip = p2;
        const QPointF a = tip - QPointF(std::cos(angle - 0.45) * 10, std::sin(angle - 0.45) * 10);
        const QPointF b = tip - QPointF(std::cos(angle + 0.45) * 10, std::sin(angle + 0.45) * 10);
        painter->setPen(QPen(m_lineColor, 1.2));
        painter->setBrush(m_lineColor);
        painter->drawPolygon(QPolygonF{tip, a, b});

        const QString label = e.value(QStringLiteral("label")).toString();
        if (m_showLabels && !label.isEmpty()) {
            const QPointF mid = path.pointAtPercent(0.5);
            const QSizeF size(fm.horizontalAdvance(label) + 12, fm.height() + 4);
            const QRectF badge(mid.x() - size.width() / 2, mid.y() - size.height() / 2, size.width(),
                               size.height());
            painter->setPen(QPen(m_lineColor, 1));
            painter->setBrush(m_badgeColor);
            painter->drawRoundedRect(badge, size.height() / 2, size.height() / 2);
            painter->setPen(m_textColor);
            painter->drawText(badge, Qt::AlignCenter, label);
        }
    }
}
