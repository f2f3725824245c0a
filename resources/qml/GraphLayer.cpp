#include "GraphLayer.h"

#include "topology/ServiceGraphModel.h"

#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QQuickWindow>
#include <QtMath>

#include <algorithm>
#include <cmath>
#include <tuple>

using hopscope::ServiceGraphModel;

namespace {

constexpr int MaxTiles = 240; // 256x256 RGB32: 60 MB at most
constexpr int MaxLevels = 6;

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
    return fallback; // nodata, unknown, stale
}

bool isHatched(const QString &h)
{
    return h == u"nodata" || h == u"stale" || h == u"unknown";
}

void endpoints(const QRectF &a, const QRectF &b, QPointF *p1, QPointF *p2)
{
    // Leave the right side of the caller, enter the left side of the callee; a callee in an
    // earlier column (a back edge) is reached from its right side instead.
    const bool forward = b.left() >= a.right();
    *p1 = forward ? QPointF(a.right(), a.center().y()) : QPointF(a.left(), a.center().y());
    *p2 = forward ? QPointF(b.left(), b.center().y()) : QPointF(b.right(), b.center().y());
}

// The fonts of the boxes, made once (font creation and metrics are not free per tile).
struct Fonts
{
    QFont title, subtitle, detail, chip, chipBold, chipItalic, toggle, lbTitle, lbSub, badge;
    Fonts()
    {
        const QFont base = QGuiApplication::font();
        const auto make = [&](int px, bool bold, bool italic) {
            QFont f = base;
            f.setPixelSize(px);
            f.setBold(bold);
            f.setItalic(italic);
            return f;
        };
        title = make(15, true, false);
        subtitle = make(11, false, false);
        detail = make(10, false, true);
        chip = make(10, false, false);
        chipBold = make(10, true, false);
        chipItalic = make(10, false, true);
        toggle = make(13, false, false);
        lbTitle = make(13, true, false);
        lbSub = make(10, false, false);
        badge = make(11, false, false);
    }
};
const Fonts &fonts()
{
    static const Fonts f;
    return f;
}

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

} // namespace

GraphLayer::GraphLayer(QQuickItem *parent)
    : QQuickPaintedItem(parent)
{
    setOpaquePainting(true);
    setAntialiasing(false);
}

QObject *GraphLayer::graphModel() const
{
    return m_model;
}

void GraphLayer::setGraphModel(QObject *model)
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
        connect(m_model, &ServiceGraphModel::geometryChanged, this, &GraphLayer::invalidateAll);
        connect(m_model, &QAbstractItemModel::modelReset, this, &GraphLayer::invalidateAll);
        connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &from, const QModelIndex &to, const QList<int> &roles) {
                // Moved rows come with geometryChanged, which drops every tile anyway.
                if (!roles.contains(ServiceGraphModel::RectRole)) {
                    onRowsChanged(from, to);
                }
            });
    }
    invalidateAll();
    Q_EMIT graphModelChanged();
}

#define HOPSCOPE_LAYER_COLOUR(Name, member)                                                        \
    void GraphLayer::Name(const QColor &value)                                                     \
    {                                                                                              \
        if (value != member) {                                                                     \
            member = value;                                                                        \
            Q_EMIT paletteChanged();                                                               \
            invalidateAll();                                                                       \
        }                                                                                          \
    }
HOPSCOPE_LAYER_COLOUR(setBackground, m_background)
HOPSCOPE_LAYER_COLOUR(setBoxColor, m_boxColor)
HOPSCOPE_LAYER_COLOUR(setBorderColor, m_borderColor)
HOPSCOPE_LAYER_COLOUR(setTextColor, m_textColor)
HOPSCOPE_LAYER_COLOUR(setMutedColor, m_mutedColor)
HOPSCOPE_LAYER_COLOUR(setLineColor, m_lineColor)
#undef HOPSCOPE_LAYER_COLOUR

void GraphLayer::setLodZoom(qreal zoom)
{
    if (!qFuzzyCompare(zoom, m_lodZoom)) {
        m_lodZoom = zoom;
        Q_EMIT paletteChanged();
        invalidateAll();
    }
}

void GraphLayer::setLabelZoom(qreal zoom)
{
    if (!qFuzzyCompare(zoom, m_labelZoom)) {
        m_labelZoom = zoom;
        Q_EMIT paletteChanged();
        invalidateAll();
    }
}

void GraphLayer::setViewport(const QRectF &viewport)
{
    if (viewport != m_viewport) {
        m_viewport = viewport;
        m_complete = false;
        Q_EMIT viewChanged();
        update();
    }
}

void GraphLayer::setRenderScale(qreal scale)
{
    scale = std::clamp<qreal>(scale, 0.005, 8.0);
    if (!qFuzzyCompare(scale, m_renderScale)) {
        m_renderScale = scale;
        m_complete = false;
        Q_EMIT viewChanged();
        update();
    }
}

void GraphLayer::invalidateAll()
{
    m_tiles.clear();
    m_pending.clear();
    m_levels.clear();
    m_geometryDirty = true;
    m_complete = false;
    update();
}

void GraphLayer::Grid::reset(const QSizeF &content, qreal cellSize)
{
    cell = cellSize;
    columns = std::max(1, int(std::ceil(content.width() / cell)));
    rows = std::max(1, int(std::ceil(content.height() / cell)));
    cells = QList<QList<int>>(columns * rows);
}

void GraphLayer::Grid::insert(const QRectF &r, int index)
{
    const int x0 = std::clamp(int(std::floor(r.left() / cell)), 0, columns - 1);
    const int x1 = std::clamp(int(std::floor(r.right() / cell)), 0, columns - 1);
    const int y0 = std::clamp(int(std::floor(r.top() / cell)), 0, rows - 1);
    const int y1 = std::clamp(int(std::floor(r.bottom() / cell)), 0, rows - 1);
    for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
            QList<int> &c = cells[y * columns + x];
            if (c.isEmpty() || c.last() != index) {
                c.append(index);
            }
        }
    }
}

QList<int> GraphLayer::Grid::query(const QRectF &r) const
{
    QList<int> out;
    if (cells.isEmpty()) {
        return out;
    }
    const int x0 = std::clamp(int(std::floor(r.left() / cell)), 0, columns - 1);
    const int x1 = std::clamp(int(std::floor(r.right() / cell)), 0, columns - 1);
    const int y0 = std::clamp(int(std::floor(r.top() / cell)), 0, rows - 1);
    const int y1 = std::clamp(int(std::floor(r.bottom() / cell)), 0, rows - 1);
    for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
            out += cells[y * columns + x];
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void GraphLayer::rebuildGeometry()
{
    m_geometryDirty = false;
    m_edgeGeom.clear();
    m_pairs.clear();
    if (!m_model) {
        return;
    }
    const auto &nodes = m_model->nodes();
    const auto &segments = m_model->segments();
    const QSizeF content = m_model->contentSize();
    m_nodeGrid.reset(content, 512);
    m_edgeGrid.reset(content, 512);
    m_pairGrid.reset(content, 512);
    for (int i = 0; i < nodes.size(); ++i) {
        m_nodeGrid.insert(nodes[i].rect, i);
    }
    m_edgeGeom.reserve(segments.size());
    QHash<quint64, int> pairIndex;
    const QFontMetricsF badgeFm(fonts().badge);
    for (int i = 0; i < segments.size(); ++i) {
        const auto &e = segments[i];
        EdgeGeom g;
        endpoints(nodes[e.from].rect, nodes[e.to].rect, &g.p1, &g.p2);
        // The curve stays within the box of its end points (control points share their y;
        // in x they overshoot by at most 40 when the ends are close), widened by the pen and
        // the arrow head. The badge has its own rectangle.
        const qreal overshoot = std::max<qreal>(0, 40 - std::abs(g.p2.x() - g.p1.x()) / 2) + 4;
        g.bounds = QRectF(g.p1, g.p2).normalized().adjusted(-overshoot, -6, overshoot, 6);
        g.segment = i;
        // The curve is point-symmetric about the middle of its end points: that is where the
        // badge goes (QPainterPath::pointAtPercent measures arc length: most of a frame).
        const QSizeF size(badgeFm.horizontalAdvance(e.label) + 12, badgeFm.height() + 4);
        g.badge = QRectF((g.p1 + g.p2) / 2 - QPointF(size.width() / 2, size.height() / 2), size);
        m_edgeGeom.append(g);
        // Into the cells the curve passes through (not its bounding box: long edges cross
        // the graph diagonally), piece by piece, widened by the pen and the arrow head.
        {
            const qreal dx = std::max<qreal>(40, std::abs(g.p2.x() - g.p1.x()) / 2);
            const qreal dir = g.p2.x() >= g.p1.x() ? 1 : -1;
            const QPointF c1 = g.p1 + QPointF(dx * dir, 0);
            const QPointF c2 = g.p2 - QPointF(dx * dir, 0);
            const qreal span = std::abs(g.p2.x() - g.p1.x()) + std::abs(g.p2.y() - g.p1.y());
            const int steps = std::max(4, int(span / (m_edgeGrid.cell / 4)));
            QPointF prev = g.p1;
            for (int k = 1; k <= steps; ++k) {
                const qreal t = qreal(k) / steps;
                const qreal u = 1 - t;
                const QPointF next
                    = u * u * u * g.p1 + 3 * u * u * t * c1 + 3 * u * t * t * c2 + t * t * t * g.p2;
                m_edgeGrid.insert(QRectF(prev, next).normalized().adjusted(-12, -12, 12, 12), i);
                prev = next;
            }
            m_edgeGrid.insert(g.badge, i);
        }
        const quint64 key = (quint64(quint32(e.from)) << 32) | quint32(e.to);
        auto it = pairIndex.find(key);
        if (it == pairIndex.end()) {
            pairIndex.insert(key, int(m_pairs.size()));
            const int steps = std::max(1, int(QLineF(g.p1, g.p2).length() / (m_pairGrid.cell / 4)));
            for (int k = 0; k < steps; ++k) {
                const QPointF a = g.p1 + (g.p2 - g.p1) * (qreal(k) / steps);
                const QPointF b = g.p1 + (g.p2 - g.p1) * (qreal(k + 1) / steps);
                m_pairGrid.insert(QRectF(a, b).normalized(), int(m_pairs.size()));
            }
            m_pairs.append({ QLineF(g.p1, g.p2), 1 });
        } else {
            ++m_pairs[*it].count;
        }
    }
}

int GraphLayer::levelFor(qreal scale)
{
    for (Level &l : m_levels) {
        if (std::abs(l.scale / scale - 1) < 1e-6) {
            l.used = m_frame;
            return l.id;
        }
    }
    if (m_levels.size() >= MaxLevels) {
        // Drop the zoom with the fewest tiles: a zoom passed through quickly has few, while
        // the one the view rested at (fully rendered) is the best stand-in for the next ones.
        QHash<int, int> counts;
        for (auto it = m_tiles.cbegin(); it != m_tiles.cend(); ++it) {
            ++counts[it.key().level];
        }
        auto victim = std::min_element(
            m_levels.begin(), m_levels.end(), [&](const Level &a, const Level &b) {
                return std::make_pair(counts.value(a.id), a.used)
                    < std::make_pair(counts.value(b.id), b.used);
            });
        const int id = victim->id;
        m_levels.erase(victim);
        m_tiles.removeIf([id](const auto &it) { return it.key().level == id; });
    }
    m_levels.append({ m_nextLevel++, scale, m_frame });
    return m_levels.last().id;
}

void GraphLayer::paint(QPainter *painter)
{
    ++m_frame;
    QElapsedTimer budget;
    budget.start();
    painter->fillRect(QRectF(0, 0, width(), height()), m_background);
    if (!m_model || m_model->contentSize().isEmpty() || m_viewport.isEmpty()) {
        m_complete = true;
        Q_EMIT painted();
        return;
    }
    if (m_geometryDirty) {
        rebuildGeometry();
    }
    const qreal dpr = window() ? window()->effectiveDevicePixelRatio() : 1.0;
    const qreal scale = m_renderScale * dpr; // content -> device pixels
    const int levelId = levelFor(scale);
    m_currentLevel = levelId;
    const Level level = *std::find_if(
        m_levels.cbegin(), m_levels.cend(), [levelId](const Level &l) { return l.id == levelId; });
    const QSizeF content = m_model->contentSize();
    // The item's top left in device pixels of this level, rounded so tiles land on whole pixels.
    const QPointF origin(
        std::round(m_viewport.left() * scale), std::round(m_viewport.top() * scale));
    const QRectF deviceView(origin, QSizeF(width() * dpr, height() * dpr));
    const int tx0 = std::max(0, int(std::floor(deviceView.left() / TileSize)));
    const int ty0 = std::max(0, int(std::floor(deviceView.top() / TileSize)));
    const int tx1 = std::min(int(std::ceil(content.width() * scale / TileSize)) - 1,
        int(std::floor((deviceView.right() - 1) / TileSize)));
    const int ty1 = std::min(int(std::ceil(content.height() * scale / TileSize)) - 1,
        int(std::floor((deviceView.bottom() - 1) / TileSize)));

    // Changed rows since the last frame (several polls between two frames cost one repaint).
    for (auto pending = m_pending.begin(); pending != m_pending.end(); ++pending) {
        auto it = m_tiles.find(pending.key());
        if (it == m_tiles.end()) {
            continue;
        }
        const auto levelOf = std::find_if(m_levels.cbegin(), m_levels.cend(),
            [&](const Level &l) { return l.id == pending.key().level; });
        if (levelOf == m_levels.cend()) {
            continue;
        }
        // (Merging neighbouring rectangles was tried: zoomed out they chain into large areas
        // that cost more to repaint than the small ones.)
        QList<QRect> rects = pending.value();
        std::sort(rects.begin(), rects.end(), [](const QRect &l, const QRect &r) {
            return std::make_tuple(l.top(), l.left(), l.width(), l.height())
                < std::make_tuple(r.top(), r.left(), r.width(), r.height());
        });
        rects.erase(std::unique(rects.begin(), rects.end()), rects.end());
        for (const QRect &r : std::as_const(rects)) {
            repaintRegion(it->image, *levelOf, pending.key().x, pending.key().y, r);
        }
    }
    m_pending.clear();

    painter->save();
    painter->scale(1 / dpr, 1 / dpr);
    bool complete = true;
    for (int ty = ty0; ty <= ty1; ++ty) {
        for (int tx = tx0; tx <= tx1; ++tx) {
            const TileKey key { levelId, tx, ty };
            const QPointF at = QPointF(tx * TileSize, ty * TileSize) - origin;
            auto it = m_tiles.find(key);
            if (it == m_tiles.end()) {
                // Another zoom's tiles covering this one, scaled, while there is no time left.
                const QRectF contentRect(tx * TileSize / scale, ty * TileSize / scale,
                    TileSize / scale, TileSize / scale);
                QList<QPair<QRectF, const QImage *>> fallback;
                if (budget.elapsed() >= m_frameBudgetMs) {
                    // The nearest zoom first: its tiles look best scaled.
                    QList<Level> others = m_levels;
                    std::sort(
                        others.begin(), others.end(), [scale](const Level &a, const Level &b) {
                            return std::abs(std::log(a.scale / scale))
                                < std::abs(std::log(b.scale / scale));
                        });
                    for (const Level &other : std::as_const(others)) {
                        if (other.id == levelId) {
                            continue;
                        }
                        const int ox0
                            = int(std::floor(contentRect.left() * other.scale / TileSize));
                        const int oy0 = int(std::floor(contentRect.top() * other.scale / TileSize));
                        const int ox1
                            = int(std::floor(contentRect.right() * other.scale / TileSize));
                        const int oy1
                            = int(std::floor(contentRect.bottom() * other.scale / TileSize));
                        for (int oy = oy0; oy <= oy1; ++oy) {
                            for (int ox = ox0; ox <= ox1; ++ox) {
                                auto o = m_tiles.constFind({ other.id, ox, oy });
                                if (o != m_tiles.cend()) {
                                    const qreal f = scale / other.scale;
                                    fallback.append(
                                        { QRectF(QPointF(ox * TileSize * f, oy * TileSize * f)
                                                  - origin,
                                              QSizeF(TileSize * f, TileSize * f)),
                                            &o->image });
                                }
                            }
                        }
                        if (!fallback.isEmpty()) {
                            break;
                        }
                    }
                }
                if (!fallback.isEmpty()) {
                    complete = false;
                    painter->save();
                    painter->setClipRect(QRectF(at, QSizeF(TileSize, TileSize)));
                    painter->setRenderHint(QPainter::SmoothPixmapTransform);
                    for (const auto &[target, image] : std::as_const(fallback)) {
                        painter->drawImage(target, *image);
                    }
                    painter->restore();
                    continue;
                }
                it = m_tiles.insert(key, { renderTile(level, tx, ty), 0 });
            }
            it->used = m_frame;
            painter->drawImage(at, it->image);
        }
    }
    painter->restore();
    m_complete = complete;
    if (!complete && !m_followUp) {
        // Render the rest in the next frames, a budget's worth each.
        m_followUp = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_followUp = false;
                update();
            },
            Qt::QueuedConnection);
    }
    evict();
    Q_EMIT painted();
}

void GraphLayer::evict()
{
    if (m_tiles.size() <= MaxTiles) {
        return;
    }
    QList<quint64> uses;
    uses.reserve(m_tiles.size());
    for (auto it = m_tiles.cbegin(); it != m_tiles.cend(); ++it) {
        uses.append(it->used);
    }
    std::sort(uses.begin(), uses.end());
    const quint64 cutoff = std::min(uses[uses.size() - MaxTiles], m_frame);
    m_tiles.removeIf([cutoff, this](const auto &it) {
        return it.value().used < cutoff && it.value().used != m_frame;
    });
}

QImage GraphLayer::renderTile(const Level &level, int tx, int ty)
{
    QImage image(TileSize, TileSize, QImage::Format_RGB32);
    image.fill(m_background);
    QPainter p(&image);
    p.translate(-tx * TileSize, -ty * TileSize);
    p.scale(level.scale, level.scale);
    const QRectF area(tx * TileSize / level.scale, ty * TileSize / level.scale,
        TileSize / level.scale, TileSize / level.scale);
    paintContent(&p, area, level.scale);
    return image;
}

void GraphLayer::repaintRegion(
    QImage &image, const Level &level, int tx, int ty, const QRect &device)
{
    // Rendered unclipped into a scratch image and copied in: a clipped painter takes other
    // raster paths, whose rounding differs by a unit here and there from a fresh tile.
    QImage patch(device.size(), QImage::Format_RGB32);
    patch.fill(m_background);
    {
        QPainter p(&patch);
        p.translate(-tx * TileSize - device.left(), -ty * TileSize - device.top());
        p.scale(level.scale, level.scale);
        const QRectF area((device.left() + tx * TileSize) / level.scale,
            (device.top() + ty * TileSize) / level.scale, device.width() / level.scale,
            device.height() / level.scale);
        paintContent(&p, area, level.scale);
    }
    QPainter p(&image);
    p.setCompositionMode(QPainter::CompositionMode_Source);
    p.drawImage(device.topLeft(), patch);
}

void GraphLayer::onRowsChanged(const QModelIndex &from, const QModelIndex &to)
{
    if (!m_model || m_tiles.isEmpty()) {
        return;
    }
    if (m_geometryDirty) {
        rebuildGeometry();
    }
    bool visible = false;
    // Repaint in place only the changed boxes (and what overlaps them) in every cached tile.
    for (int row = from.row(); row <= to.row(); ++row) {
        const QRectF rect = m_model->nodeRect(row);
        visible = visible || rect.intersects(m_viewport);
        for (const Level &level : std::as_const(m_levels)) {
            const qreal pad = level.scale < m_lodZoom ? overviewPad(level.scale) : 3.0;
            const QRectF dirty = rect.adjusted(-pad, -pad, pad, pad);
            const int x0 = int(std::floor(dirty.left() * level.scale / TileSize));
            const int y0 = int(std::floor(dirty.top() * level.scale / TileSize));
            const int x1 = int(std::floor(dirty.right() * level.scale / TileSize));
            const int y1 = int(std::floor(dirty.bottom() * level.scale / TileSize));
            for (int ty = y0; ty <= y1; ++ty) {
                for (int tx = x0; tx <= x1; ++tx) {
                    auto it = m_tiles.find({ level.id, tx, ty });
                    if (it == m_tiles.end()) {
                        continue;
                    }
                    if (it->used == m_frame && level.id == m_currentLevel) {
                        // Repainted at the next frame, merged with the other changes in this tile.
                        const QRect device = QRectF(dirty.left() * level.scale - tx * TileSize,
                            dirty.top() * level.scale - ty * TileSize, dirty.width() * level.scale,
                            dirty.height() * level.scale)
                                                 .toAlignedRect()
                                                 .intersected(it->image.rect());
                        if (!device.isEmpty()) {
                            m_pending[it.key()].append(device);
                        }
                    } else {
                        m_tiles.erase(it); // off screen or another zoom: rendered again when needed
                    }
                }
            }
        }
    }
    if (visible) {
        m_complete = false;
        update();
    }
}

void GraphLayer::paintContent(QPainter *painter, const QRectF &area, qreal scale)
{
    if (scale < m_lodZoom) {
        paintOverview(painter, area, scale);
    } else {
        paintDetailed(painter, area, scale);
    }
}

void GraphLayer::paintDetailed(QPainter *p, const QRectF &area, qreal scale)
{
    p->setRenderHint(QPainter::Antialiasing);
    p->setRenderHint(QPainter::TextAntialiasing);
    const Fonts &f = fonts();
    const auto &nodes = m_model->nodes();
    const auto &segments = m_model->segments();
    const QRectF visible = area.adjusted(-2, -2, 2, 2);
    // Boxes near the area: an edge passing under a box (not its own ends) is not stroked
    // there, the box would hide it anyway; it stops a few pixels short of the border.
    const QList<int> nearNodes = m_nodeGrid.query(visible.adjusted(-20, -20, 20, 20));

    // Edges: dns solid, lb dashed, mesh dotted (never colour alone), arrow heads, hop badges.
    p->setFont(f.badge);
    const bool labels = scale > m_labelZoom;
    for (int edge : m_edgeGrid.query(visible)) {
        const EdgeGeom &g = m_edgeGeom[edge];
        const bool curve = g.bounds.intersects(visible);
        const bool badgeVisible = g.badge.intersects(visible);
        if (!curve && !badgeVisible) {
            continue;
        }
        const auto &s = segments[g.segment];
        // Through a down or stale LB: red, and the badge carries ✖ (colour is never alone).
        const QColor lineColour
            = s.failing.isEmpty() ? m_lineColor : healthColour(QStringLiteral("down"), m_lineColor);
        QPen pen(lineColour, s.failing.isEmpty() ? 1.8 : 2.4);
        if (s.pattern == u"lb") {
            pen.setStyle(Qt::DashLine);
        } else if (s.pattern == u"mesh") {
            pen.setStyle(Qt::DotLine);
            pen.setWidthF(2.4);
        }
        p->setPen(pen);
        p->setBrush(Qt::NoBrush);
        const qreal dx = std::max<qreal>(40, std::abs(g.p2.x() - g.p1.x()) / 2);
        const qreal dir = g.p2.x() >= g.p1.x() ? 1 : -1;
        const QPointF c1 = g.p1 + QPointF(dx * dir, 0);
        const QPointF c2 = g.p2 - QPointF(dx * dir, 0);
        if (curve) {
            // The curve flattened into short pieces; only the runs of pieces that meet the area
            // are stroked, each with the dash offset of where it starts along the curve, so a
            // tile, a patch and the neighbouring tile draw the same dashes (stroking a whole
            // dashed curve costs its full length, milliseconds for a long edge).
            const qreal span = std::abs(g.p2.x() - g.p1.x()) + std::abs(g.p2.y() - g.p1.y());
            const int pieces = std::clamp(int(span / 10), 16, 4000);
            const auto at = [&](qreal t) {
                const qreal u = 1 - t;
                return u * u * u * g.p1 + 3 * u * u * t * c1 + 3 * u * t * t * c2
                    + t * t * t * g.p2;
            };
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
            const int i0 = std::max(0, int(std::floor(t0 * pieces)) - 1);
            const int i1 = std::min(pieces, int(std::ceil(t1 * pieces)) + 1);
            // Arc length up to piece i0 (Gauss-Legendre, 8 points): the dash phase there.
            const auto arcLength = [&](qreal tEnd) {
                static constexpr qreal xs[] = { -0.9602898564975363, -0.7966664774136267,
                    -0.5255324099163290, -0.1834346424956498, 0.1834346424956498,
                    0.5255324099163290, 0.7966664774136267, 0.9602898564975363 };
                static constexpr qreal ws[] = { 0.1012285362903763, 0.2223810344533745,
                    0.3137066458778873, 0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                    0.2223810344533745, 0.1012285362903763 };
                qreal sum = 0;
                for (int k = 0; k < 8; ++k) {
                    const qreal t = tEnd / 2 * (xs[k] + 1);
                    const qreal u = 1 - t;
                    const QPointF dt
                        = 3 * u * u * (c1 - g.p1) + 6 * u * t * (c2 - c1) + 3 * t * t * (g.p2 - c2);
                    sum += ws[k] * std::hypot(dt.x(), dt.y());
                }
                return sum * tEnd / 2;
            };
            QPolygonF run;
            qreal length = i0 > 0 && t0 < t1 && pen.style() != Qt::SolidLine
                ? arcLength(qreal(i0) / pieces)
                : 0;
            qreal runStart = 0;
            QPointF prev = at(qreal(i0) / pieces);
            const auto flush = [&] {
                if (run.size() > 1) {
                    QPen dashed = pen;
                    if (pen.style() != Qt::SolidLine) {
                        dashed.setDashOffset(runStart / pen.widthF());
                    }
                    p->setPen(dashed);
                    p->drawPolyline(run);
                }
                run.clear();
            };
            for (int i = i0 + 1; t0 < t1 && i <= i1; ++i) {
                const QPointF next = at(qreal(i) / pieces);
                const QRectF piece = QRectF(prev, next).normalized().adjusted(-3, -3, 3, 3);
                const bool hidden = std::any_of(nearNodes.cbegin(), nearNodes.cend(), [&](int row) {
                    return row != s.from && row != s.to && nodes[row].rect.intersects(piece);
                });
                if (!hidden && piece.intersects(visible)) {
                    if (run.isEmpty()) {
                        run.append(prev);
                        runStart = length;
                    }
                    run.append(next);
                } else {
                    flush();
                }
                if (pen.style() != Qt::SolidLine) {
                    length += QLineF(prev, next).length();
                }
                prev = next;
            }
            flush();
        }
        if (curve) {
            p->setPen(QPen(lineColour, 1.2));
            p->setBrush(lineColour);
            p->drawPolygon(
                QPolygonF { g.p2, g.p2 - QPointF(dir * 9, 4.5), g.p2 - QPointF(dir * 9, -4.5) });
        }
        if (labels && !s.label.isEmpty()) {
            const QRectF &badge = g.badge;
            const qreal radius = badge.height() / 2;
            if (badgeVisible) {
                p->setPen(QPen(lineColour, 1));
                p->setBrush(m_boxColor);
                p->drawRoundedRect(badge, radius, radius);
                p->setPen(m_textColor);
                p->drawText(badge, Qt::AlignCenter, s.label);
            }
        }
    }

    const QFontMetricsF titleFm(f.title);
    const QFontMetricsF subFm(f.subtitle);
    const QFontMetricsF detailFm(f.detail);
    const QFontMetricsF chipFm(f.chip);
    const QFontMetricsF chipBoldFm(f.chipBold);
    const QFontMetricsF toggleFm(f.toggle);
    const QFontMetricsF lbTitleFm(f.lbTitle);
    const QFontMetricsF lbSubFm(f.lbSub);
    static const QString healthKey = QStringLiteral("health");
    static const QString iconKey = QStringLiteral("icon");
    static const QString labelKey = QStringLiteral("label");
    static const QString sidecarKey = QStringLiteral("sidecar");
    for (int row : m_nodeGrid.query(visible)) {
        const ServiceGraphModel::Node &n = nodes[row];
        const QRectF r = n.rect;
        if (!r.intersects(visible)) {
            continue;
        }
        const QColor border = healthColour(n.health, m_borderColor);
        const bool hatched = isHatched(n.health);
        if (n.kind == u"lb") {
            const qreal radius = r.height() / 2;
            const qreal bw = std::max(2.0, 2.0 / scale);
            p->setPen(QPen(border, bw));
            p->setBrush(m_boxColor);
            p->drawRoundedRect(
                r.adjusted(bw / 2, bw / 2, -bw / 2, -bw / 2), radius - bw / 2, radius - bw / 2);
            if (hatched) {
                QPainterPath clip;
                clip.addRoundedRect(r.adjusted(2, 2, -2, -2), radius - 2, radius - 2);
                p->save();
                p->setClipPath(clip, Qt::IntersectClip);
                QColor c = m_mutedColor;
                c.setAlphaF(0.18);
                p->setPen(QPen(c, 1));
                for (qreal i = -r.height(); i < r.width(); i += 9) {
                    p->drawLine(QPointF(r.left() + i, r.bottom()),
                        QPointF(r.left() + i + r.height(), r.top()));
                }
                p->restore();
            }
            const QString title = (n.health == u"nodata" ? QString() : n.icon + QLatin1Char(' '))
                + QStringLiteral("⇄ ") + n.title;
            const qreal h1 = lbTitleFm.height();
            const qreal h2 = lbSubFm.height();
            const qreal top = r.center().y() - (h1 + h2) / 2;
            p->setFont(f.lbTitle);
            p->setPen(m_textColor);
            p->drawText(QRectF(r.left() - 40, top, r.width() + 80, h1),
                Qt::AlignHCenter | Qt::AlignTop, title);
            p->setFont(f.lbSub);
            p->setPen(m_mutedColor);
            p->drawText(QRectF(r.left() - 40, top + h1, r.width() + 80, h2),
                Qt::AlignHCenter | Qt::AlignTop, n.subtitle);
            continue;
        }
        // Service box: border in the health colour, icon + title, subtitle, task chips.
        // At least 2 device pixels wide zoomed out (one fully covered), so the health colour reads.
        const qreal bw = std::max(1.5, 2.0 / scale);
        p->setPen(QPen(border, bw));
        p->setBrush(m_boxColor);
        p->drawRoundedRect(r.adjusted(bw / 2, bw / 2, -bw / 2, -bw / 2), 6 - bw / 2, 6 - bw / 2);
        if (hatched) {
            // Stale and no-data boxes are hatched, so the state reads without colour.
            const QRectF h = r.adjusted(2, 2, -2, -2);
            p->save();
            p->setClipRect(h, Qt::IntersectClip);
            QColor c = m_mutedColor;
            c.setAlphaF(0.18);
            p->setPen(QPen(c, 1));
            for (qreal i = -h.height(); i < h.width(); i += 9) {
                p->drawLine(
                    QPointF(h.left() + i, h.bottom()), QPointF(h.left() + i + h.height(), h.top()));
            }
            p->restore();
        }
        const qreal left = r.left() + 8;
        const qreal inner = r.width() - 16;
        qreal y = r.top() + 8;
        p->setFont(f.title);
        p->setPen(border);
        p->drawText(QPointF(left, y + titleFm.ascent()), n.icon);
        const qreal titleX = left + titleFm.horizontalAdvance(n.icon) + 6;
        p->setPen(m_textColor);
        p->drawText(QPointF(titleX, y + titleFm.ascent()),
            titleFm.elidedText(n.title, Qt::ElideRight, inner - 48));
        y += titleFm.height() + 3;
        const bool collapsed = m_model->isCollapsed(n.id);
        const QString subtitle = collapsed && !n.tasks.isEmpty()
            ? n.subtitle + tr(" · %n task(s) hidden", "", int(n.tasks.size()))
            : n.subtitle;
        p->setFont(f.subtitle);
        p->setPen(m_mutedColor);
        p->drawText(
            QPointF(left, y + subFm.ascent()), subFm.elidedText(subtitle, Qt::ElideMiddle, inner));
        y += subFm.height() + 3;
        if (n.tasks.isEmpty() && !collapsed) {
            p->setFont(f.detail);
            p->drawText(QPointF(left, y + detailFm.ascent()),
                detailFm.elidedText(n.detail, Qt::ElideMiddle, inner));
        }
        // Collapse/expand toggle.
        const QRectF toggle(r.right() - 25, r.top() + 5, 20, 20);
        p->setPen(QPen(m_borderColor, 1));
        p->setBrush(Qt::NoBrush);
        p->drawRoundedRect(toggle.adjusted(0.5, 0.5, -0.5, -0.5), 3.5, 3.5);
        p->setFont(f.toggle);
        p->setPen(m_mutedColor);
        p->drawText(toggle, Qt::AlignCenter, collapsed ? QStringLiteral("▸") : QStringLiteral("▾"));
        if (collapsed) {
            continue;
        }
        for (int i = 0; i < n.tasks.size(); ++i) {
            const QRectF chip = ServiceGraphModel::taskRect(r, i);
            if (!chip.intersects(visible)) {
                continue;
            }
            const QVariantMap t = n.tasks[i].toMap();
            const QString health = t.value(healthKey).toString();
            const bool stale = health == u"stale" || health == u"unknown";
            const QColor c = healthColour(health, m_borderColor);
            p->setOpacity(stale ? 0.75 : 1.0);
            QColor fill = c;
            fill.setAlphaF(stale ? 0.08 : 0.16);
            // At least 1.5 device pixels zoomed out, so the health colour still reads.
            const qreal cw = std::max<qreal>(health == u"healthy" ? 1.0 : 1.6, 1.5 / scale);
            p->setPen(QPen(c, cw));
            p->setBrush(fill);
            p->drawRoundedRect(
                chip.adjusted(cw / 2, cw / 2, -cw / 2, -cw / 2), 9 - cw / 2, 9 - cw / 2);
            // Icon, address and sidecar badge, centred as one row.
            const QString icon = t.value(iconKey).toString();
            const bool sidecar = t.value(sidecarKey).toBool();
            const QFont &labelFont = stale ? f.chipItalic : f.chip;
            const QFontMetricsF labelFm(labelFont);
            const QString label = labelFm.elidedText(
                t.value(labelKey).toString(), Qt::ElideLeft, chip.width() - (sidecar ? 34 : 22));
            const qreal iconW = chipBoldFm.horizontalAdvance(icon);
            const qreal labelW = labelFm.horizontalAdvance(label);
            const QString hex = QStringLiteral("⬡");
            const qreal hexW = sidecar ? chipFm.horizontalAdvance(hex) + 2 : 0;
            qreal x = chip.center().x() - (iconW + 2 + labelW + hexW) / 2;
            const qreal baseline = chip.center().y() - chipFm.height() / 2 + chipFm.ascent();
            p->setFont(f.chipBold);
            p->setPen(c);
            p->drawText(QPointF(x, baseline), icon);
            x += iconW + 2;
            p->setFont(labelFont);
            p->setPen(m_textColor);
            p->drawText(QPointF(x, baseline), label);
            if (sidecar) {
                x += labelW + 2;
                p->setFont(f.chip);
                p->setPen(m_mutedColor);
                p->drawText(QPointF(x, baseline), hex);
            }
            p->setOpacity(1.0);
        }
    }
}

void GraphLayer::paintOverview(QPainter *p, const QRectF &area, qreal scale)
{
    // Zoomed out: no antialiasing, no text. Edges aggregated per node pair (thicker when the
    // line stands for several), boxes bordered in the health colour, tasks as dots: healthy
    // round, others square (colour is not the only signal).
    p->setRenderHint(QPainter::Antialiasing, false);
    QColor line = m_lineColor;
    line.setAlphaF(0.55);
    const QPen thin(line, 0); // cosmetic: 1 device pixel at any zoom
    const QPen thick(line, 2.5 / scale);
    const qreal lineReach = 3 / scale;
    for (int index :
        m_pairGrid.query(area.adjusted(-lineReach, -lineReach, lineReach, lineReach))) {
        const Pair &pair = m_pairs[index];
        const QRectF box = QRectF(pair.line.p1(), pair.line.p2())
                               .normalized()
                               .adjusted(-3 / scale, -3 / scale, 3 / scale, 3 / scale);
        if (box.intersects(area)) {
            p->setPen(pair.count > 1 ? thick : thin);
            p->drawLine(pair.line);
        }
    }
    const qreal pad = overviewPad(scale);
    const QRectF reach = area.adjusted(-pad, -pad, pad, pad);
    const auto &nodes = m_model->nodes();
    const QList<int> near = m_nodeGrid.query(reach);
    // Filled rectangles rather than wide pens: the raster engine strokes a wide pen as a path.
    const qreal border = 1.0 / scale;
    for (int row : near) {
        const ServiceGraphModel::Node &n = nodes[row];
        if (n.rect.intersects(reach)) {
            p->fillRect(n.rect.adjusted(-border, -border, border, border),
                healthColour(n.health, m_borderColor));
            p->fillRect(n.rect.adjusted(border, border, -border, -border), m_boxColor);
        }
    }
    p->setPen(Qt::NoPen);
    const qreal dot = overviewDot(scale);
    static const QString healthKey = QStringLiteral("health");
    for (int row : near) {
        const ServiceGraphModel::Node &n = nodes[row];
        if (n.kind != u"service" || n.tasks.isEmpty() || !n.rect.intersects(reach)
            || m_model->isCollapsed(n.id)) {
            continue;
        }
        // Dots kept inside their box (so a change repaints only the box): healthy ones as a
        // rounded cross, the others as squares half as large again.
        const qreal maxHalf = std::max<qreal>(
            0.5 / scale, std::min(n.rect.width(), n.rect.height()) / 2 - border * 2);
        for (int i = 0; i < n.tasks.size(); ++i) {
            const QString health = n.tasks[i].toMap().value(healthKey).toString();
            const bool healthy = health == u"healthy";
            const qreal half = std::min(healthy ? dot / 2 : dot * 0.75, maxHalf);
            const QRectF inner
                = n.rect.adjusted(border + half, border + half, -border - half, -border - half);
            const QPointF wanted
                = ServiceGraphModel::taskRect(n.rect, i).topLeft() + QPointF(12, 9);
            const QPointF at(
                std::clamp(wanted.x(), inner.left(), std::max(inner.left(), inner.right())),
                std::clamp(wanted.y(), inner.top(), std::max(inner.top(), inner.bottom())));
            const QColor colour = healthColour(health, m_borderColor);
            if (healthy) {
                p->fillRect(
                    QRectF(at.x() - half, at.y() - half * 0.6, 2 * half, 1.2 * half), colour);
                p->fillRect(
                    QRectF(at.x() - half * 0.6, at.y() - half, 1.2 * half, 2 * half), colour);
            } else {
                p->fillRect(QRectF(at - QPointF(half, half), QSizeF(2 * half, 2 * half)), colour);
            }
        }
    }
}
