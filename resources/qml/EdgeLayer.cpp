#include "EdgeLayer.h"

#include "topology/ServiceGraphModel.h"

#include <QFontMetricsF>
#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QtMath>

#include <algorithm>

using hopscope::ServiceGraphModel;

EdgeLayer::EdgeLayer(QQuickItem *parent)
    : QQuickPaintedItem(parent)
{
    setAntialiasing(true);
    setOpaquePainting(false);
}

QObject *EdgeLayer::graphModel() const
{
    return m_model;
}

void EdgeLayer::setGraphModel(QObject *model)
{
    auto *graph = qobject_cast<ServiceGraphModel *>(model);
    if (graph == m_model) {
        return;
    }
    if (m_model) {
        disconnect(m_model, nullptr, this, nullptr);
    }
    m_model = graph;
    if (m_model) {
        connect(m_model, &ServiceGraphModel::geometryChanged, this, [this] {
            m_overviewDirty = true;
            update();
        });
        connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
            m_overviewDirty = true;
            update();
        });
        connect(m_model, &QAbstractItemModel::dataChanged, this, &EdgeLayer::onModelDataChanged);
    }
    m_overviewDirty = true;
    Q_EMIT graphModelChanged();
    update();
}

void EdgeLayer::onModelDataChanged(const QModelIndex &from, const QModelIndex &to)
{
    m_overviewDirty = true;
    // Health shows in the overview (box borders and task dots); detailed edges do not depend on
    // health. Repaint only if one of the changed nodes is on screen.
    if (!m_lod || !m_model) {
        return;
    }
    for (int row = from.row(); row <= to.row(); ++row) {
        if (m_model->nodeRect(row).intersects(m_viewport)) {
            update();
            return;
        }
    }
}

void EdgeLayer::setEdges(const QVariantList &edges)
{
    m_edges = edges;
    Q_EMIT edgesChanged();
    if (!m_model) {
        update();
    }
}

#define HOPSCOPE_EDGE_SETTER(Name, member, Type)                                                      \
    void EdgeLayer::Name(Type value)                                                                  \
    {                                                                                                 \
        if (value != member) {                                                                        \
            member = value;                                                                           \
            Q_EMIT paletteChanged();                                                                  \
            update();                                                                                 \
        }                                                                                             \
    }
HOPSCOPE_EDGE_SETTER(setLineColor, m_lineColor, const QColor &)
HOPSCOPE_EDGE_SETTER(setBadgeColor, m_badgeColor, const QColor &)
HOPSCOPE_EDGE_SETTER(setTextColor, m_textColor, const QColor &)
void EdgeLayer::setBorderColor(const QColor &value)
{
    if (value != m_borderColor) {
        m_borderColor = value;
        m_overviewDirty = true; // the colour of stale and no-data boxes
        Q_EMIT paletteChanged();
        update();
    }
}
HOPSCOPE_EDGE_SETTER(setShowLabels, m_showLabels, bool)
HOPSCOPE_EDGE_SETTER(setLod, m_lod, bool)
#undef HOPSCOPE_EDGE_SETTER

void EdgeLayer::setViewport(const QRectF &viewport)
{
    if (viewport != m_viewport) {
        m_viewport = viewport;
        Q_EMIT viewChanged();
        update();
    }
}

void EdgeLayer::setRenderScale(qreal scale)
{
    scale = std::clamp<qreal>(scale, 0.01, 8.0);
    if (!qFuzzyCompare(scale, m_renderScale)) {
        m_renderScale = scale;
        Q_EMIT viewChanged();
        update();
    }
}

namespace {
struct Segment
{
    QPointF p1, p2;
    QString label;
    QString pattern;
};

QColor healthColour(const QString &h, const QColor &fallback)
{
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
    return fallback;
}

void endpoints(const QRectF &a, const QRectF &b, QPointF *p1, QPointF *p2)
{
    const bool forward = b.left() >= a.right();
    *p1 = forward ? QPointF(a.right(), a.center().y()) : QPointF(a.left(), a.center().y());
    *p2 = forward ? QPointF(b.left(), b.center().y()) : QPointF(b.right(), b.center().y());
}
} // namespace

void EdgeLayer::paint(QPainter *painter)
{
    m_paintedEdges = 0;
    painter->save();
    painter->scale(m_renderScale, m_renderScale);
    painter->translate(-m_viewport.topLeft());
    if (m_lod && m_model) {
        paintOverview(painter);
    } else {
        paintDetailed(painter);
    }
    painter->restore();
    Q_EMIT painted();
}

void EdgeLayer::paintDetailed(QPainter *painter)
{
    painter->setRenderHint(QPainter::Antialiasing);
    QFont font = painter->font();
    font.setPixelSize(11);
    painter->setFont(font);
    const QFontMetricsF fm(font);
    const QRectF visible = m_viewport.adjusted(-2, -2, 2, 2);

    const auto drawOne = [&](const Segment &s) {
        // Cull: the curve stays within the bounding box of its end points (control points share
        // their y), widened by the badge.
        const QRectF box = QRectF(s.p1, s.p2).normalized().adjusted(-60, -12, 60, 12);
        if (!box.intersects(visible)) {
            return;
        }
        ++m_paintedEdges;
        // Pattern is shown by line style as well as by the label: dns solid, lb dashed, mesh
        // dotted; never by colour alone.
        QPen pen(m_lineColor, 1.8);
        if (s.pattern == u"lb") {
            pen.setStyle(Qt::DashLine);
        } else if (s.pattern == u"mesh") {
            pen.setStyle(Qt::DotLine);
            pen.setWidthF(2.4);
        }
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        QPainterPath path(s.p1);
        const qreal dx = std::max<qreal>(40, std::abs(s.p2.x() - s.p1.x()) / 2);
        const qreal dir = s.p2.x() >= s.p1.x() ? 1 : -1;
        path.cubicTo(s.p1 + QPointF(dx * dir, 0), s.p2 - QPointF(dx * dir, 0), s.p2);
        if (box.width() > 2 * visible.width() || box.height() > 2 * visible.height()) {
            // A long edge crossing the view: stroking (and dashing) all of it costs its whole
            // length; stroke only the flattened pieces that are on screen.
            constexpr int pieces = 96;
            const QPointF c1 = s.p1 + QPointF(dx * dir, 0);
            const QPointF c2 = s.p2 - QPointF(dx * dir, 0);
            QPainterPath onScreen;
            QPointF prev = s.p1;
            bool drawing = false;
            for (int i = 1; i <= pieces; ++i) {
                const qreal t = qreal(i) / pieces;
                const qreal u = 1 - t;
                const QPointF next = u * u * u * s.p1 + 3 * u * u * t * c1 + 3 * u * t * t * c2 + t * t * t * s.p2;
                if (QRectF(prev, next).normalized().adjusted(-3, -3, 3, 3).intersects(visible)) {
                    if (!drawing) {
                        onScreen.moveTo(prev);
                    }
                    onScreen.lineTo(next);
                    drawing = true;
                } else {
                    drawing = false;
                }
                prev = next;
            }
            painter->drawPath(onScreen);
        } else {
            painter->drawPath(path);
        }
        painter->setPen(QPen(m_lineColor, 1.2));
        painter->setBrush(m_lineColor);
        painter->drawPolygon(QPolygonF{s.p2, s.p2 - QPointF(dir * 9, 4.5), s.p2 - QPointF(dir * 9, -4.5)});
        if (m_showLabels && !s.label.isEmpty() && visible.contains((s.p1 + s.p2) / 2)) {
            const QPointF mid = path.pointAtPercent(0.5);
            const QSizeF size(fm.horizontalAdvance(s.label) + 12, fm.height() + 4);
            const QRectF badge(mid.x() - size.width() / 2, mid.y() - size.height() / 2, size.width(), size.height());
            painter->setPen(QPen(m_lineColor, 1));
            painter->setBrush(m_badgeColor);
            painter->drawRoundedRect(badge, size.height() / 2, size.height() / 2);
            painter->setPen(m_textColor);
            painter->drawText(badge, Qt::AlignCenter, s.label);
        }
    };

    if (m_model) {
        const auto &nodes = m_model->nodes();
        for (const ServiceGraphModel::EdgeSegment &e : m_model->segments()) {
            Segment s;
            endpoints(nodes[e.from].rect, nodes[e.to].rect, &s.p1, &s.p2);
            s.label = e.label;
            s.pattern = e.pattern;
            drawOne(s);
        }
        return;
    }
    for (const QVariant &v : std::as_const(m_edges)) {
        const QVariantMap e = v.toMap();
        drawOne({QPointF(e.value(QStringLiteral("x1")).toReal(), e.value(QStringLiteral("y1")).toReal()),
                 QPointF(e.value(QStringLiteral("x2")).toReal(), e.value(QStringLiteral("y2")).toReal()),
                 e.value(QStringLiteral("label")).toString(), e.value(QStringLiteral("pattern")).toString()});
    }
}

void EdgeLayer::paintOverview(QPainter *painter)
{
    // Zoomed out: no antialiasing, batched primitives. Edges aggregated per node pair (the
    // line gets thicker with the number of edges it stands for), no labels or arrow heads.
    painter->setRenderHint(QPainter::Antialiasing, false);
    const auto &nodes = m_model->nodes();
    QHash<quint64, int> pairs;
    pairs.reserve(m_model->segments().size());
    for (const ServiceGraphModel::EdgeSegment &e : m_model->segments()) {
        ++pairs[(quint64(quint32(e.from)) << 32) | quint32(e.to)];
    }
    QVector<QLineF> thin, thick;
    thin.reserve(pairs.size());
    for (auto it = pairs.cbegin(); it != pairs.cend(); ++it) {
        QPointF p1, p2;
        endpoints(nodes[int(it.key() >> 32)].rect, nodes[int(it.key() & 0xffffffffu)].rect, &p1, &p2);
        if (!QRectF(p1, p2).normalized().adjusted(-1, -1, 1, 1).intersects(m_viewport)) {
            continue;
        }
        (it.value() > 1 ? thick : thin).append(QLineF(p1, p2));
    }
    m_paintedEdges = int(thin.size() + thick.size());
    QColor line = m_lineColor;
    line.setAlphaF(0.55);
    painter->setPen(QPen(line, 0)); // cosmetic: 1 device pixel at any zoom
    painter->drawLines(thin);
    painter->setPen(QPen(line, 2.5 / m_renderScale));
    painter->drawLines(thick);

    // Boxes bordered in the health colour, grouped by health so each colour is one drawRects
    // call; tasks as dots, healthy round and others square (colour is not the only signal).
    // The primitives are cached and rebuilt only when the model changed.
    if (m_overviewDirty) {
        rebuildOverview();
    }
    for (const OverviewGroup &g : std::as_const(m_overview)) {
        QVector<QRectF> boxes;
        boxes.reserve(g.boxes.size());
        for (const QRectF &r : g.boxes) {
            if (r.intersects(m_viewport)) {
                boxes.append(r);
            }
        }
        if (!boxes.isEmpty()) {
            painter->setPen(QPen(g.colour, 2.0 / m_renderScale));
            painter->setBrush(m_badgeColor);
            painter->drawRects(boxes);
        }
    }
    const qreal dot = std::max<qreal>(3.0, 5.0 / m_renderScale);
    for (const OverviewGroup &g : std::as_const(m_overview)) {
        if (g.dots.isEmpty()) {
            continue;
        }
        QPen pen(g.colour, g.healthy ? dot : dot * 1.5);
        pen.setCapStyle(g.healthy ? Qt::RoundCap : Qt::SquareCap);
        painter->setPen(pen);
        painter->drawPoints(g.dots.constData(), int(g.dots.size()));
    }
}

void EdgeLayer::rebuildOverview()
{
    m_overviewDirty = false;
    m_overview.clear();
    if (!m_model) {
        return;
    }
    QHash<QString, int> groupOf;
    const auto group = [&](const QString &health) -> OverviewGroup & {
        auto it = groupOf.find(health);
        if (it == groupOf.end()) {
            it = groupOf.insert(health, int(m_overview.size()));
            m_overview.append({healthColour(health, m_borderColor), health == u"healthy", {}, {}});
        }
        return m_overview[*it];
    };
    static const QString healthKey = QStringLiteral("health");
    for (const ServiceGraphModel::Node &n : m_model->nodes()) {
        group(n.health).boxes.append(n.rect);
        if (n.kind != u"service" || m_model->isCollapsed(n.id)) {
            continue;
        }
        qreal y = n.rect.top() + 50 + 9;
        for (const QVariant &v : n.tasks) {
            group(v.toMap().value(healthKey).toString()).dots.append(QPointF(n.rect.left() + 20, y));
            y += ServiceGraphModel::TaskRowHeight;
        }
    }
}
