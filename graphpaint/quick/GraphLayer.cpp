// Over 500 lines because the tile cache, its per-frame budget (missing tiles, patches for changed
// boxes, tiles stale after a traffic update) and the fallback to another zoom's tiles are one
// frame's logic; the drawing itself is GraphPainter's.
#include "GraphLayer.h"

#include "GraphPainter.h"
#include "topology/ServiceGraphModel.h"

#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QQuickWindow>
#include <QSet>
#include <QtMath>

#include <algorithm>
#include <cmath>
#include <tuple>

using hopscope::GraphPainter;
using hopscope::GraphStyle;
using hopscope::ServiceGraphModel;

namespace {

constexpr int MaxTiles = 240; // 256x256 RGB32: 60 MB at most
constexpr int MaxLevels = 6;

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
        // Traffic is drawn only in traffic emphasis: then the tiles the changed edges cross
        // are repainted (no new geometry); switching the emphasis repaints every tile.
        connect(m_model, &ServiceGraphModel::trafficChanged, this, &GraphLayer::onTrafficChanged);
        connect(m_model, &ServiceGraphModel::trafficEmphasisChanged, this, &GraphLayer::repaintAll);
    }
    invalidateAll();
    Q_EMIT graphModelChanged();
}

void GraphLayer::setDark(bool dark)
{
    if (dark != m_style.dark) {
        m_style = GraphStyle::forDark(dark);
        Q_EMIT paletteChanged();
        invalidateAll();
    }
}

void GraphLayer::setLodZoom(qreal zoom)
{
    if (!qFuzzyCompare(zoom, m_options.lodZoom)) {
        m_options.lodZoom = zoom;
        Q_EMIT paletteChanged();
        invalidateAll();
    }
}

void GraphLayer::setLabelZoom(qreal zoom)
{
    if (!qFuzzyCompare(zoom, m_options.labelZoom)) {
        m_options.labelZoom = zoom;
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
    m_staleTiles.clear();
    m_pending.clear();
    m_levels.clear();
    m_geometryDirty = true;
    m_complete = false;
    update();
}

void GraphLayer::rebuildGeometry()
{
    m_geometryDirty = false;
    if (m_model) {
        m_scene.rebuild(*m_model);
    } else {
        m_scene.clear();
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
    painter->fillRect(QRectF(0, 0, width(), height()), m_style.background);
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
    m_shownViewport = m_viewport;
    m_shownScale = m_renderScale;
    m_shownDeviceScale = scale;
    m_shownDpr = dpr;
    m_shownOrigin = origin;
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
    // Tiles whose edges' traffic changed: rendered again while the frame's budget lasts, the
    // rest in the next frames (they show the previous poll's traffic meanwhile).
    bool staleLeft = false;
    for (auto stale = m_staleTiles.begin(); stale != m_staleTiles.end();) {
        auto it = m_tiles.find(*stale);
        const bool shown = stale->level == levelId && stale->x >= tx0 && stale->x <= tx1
            && stale->y >= ty0 && stale->y <= ty1;
        if (it == m_tiles.end() || !shown) {
            if (it != m_tiles.end()) {
                m_tiles.erase(it); // off screen now: rendered again when needed
            }
            stale = m_staleTiles.erase(stale);
        } else if (budget.elapsed() < m_frameBudgetMs) {
            it->image = renderTile(level, stale->x, stale->y);
            stale = m_staleTiles.erase(stale);
        } else {
            staleLeft = true;
            ++stale;
        }
    }

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
    complete = complete && !staleLeft;
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
    return GraphPainter::render(m_scene, QRect(tx * TileSize, ty * TileSize, TileSize, TileSize),
        level.scale, m_style, m_options);
}

void GraphLayer::repaintRegion(
    QImage &image, const Level &level, int tx, int ty, const QRect &device)
{
    // Rendered unclipped into a scratch image and copied in: a clipped painter takes other
    // raster paths, whose rounding differs by a unit here and there from a fresh tile.
    const QImage patch = GraphPainter::render(
        m_scene, device.translated(tx * TileSize, ty * TileSize), level.scale, m_style, m_options);
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
    // Where the last frame put content on the item: a change there repaints only its part of
    // the item (the rest of the item's picture is kept), unless the view moved since.
    const bool sameView
        = m_shownViewport == m_viewport && qFuzzyCompare(m_shownScale, m_renderScale);
    QRect itemDirty;
    // Repaint in place only the changed boxes (and what overlaps them) in every cached tile.
    for (int row = from.row(); row <= to.row(); ++row) {
        const QRectF rect = m_model->nodeRect(row);
        if (rect.intersects(m_viewport)) {
            visible = true;
            const qreal pad = GraphPainter::nodeReach(m_shownDeviceScale, m_options);
            const QRectF dirty = rect.adjusted(-pad, -pad, pad, pad);
            itemDirty
                |= QRectF((dirty.left() * m_shownDeviceScale - m_shownOrigin.x()) / m_shownDpr,
                    (dirty.top() * m_shownDeviceScale - m_shownOrigin.y()) / m_shownDpr,
                    dirty.width() * m_shownDeviceScale / m_shownDpr,
                    dirty.height() * m_shownDeviceScale / m_shownDpr)
                       .toAlignedRect()
                       .adjusted(-1, -1, 1, 1);
        }
        for (const Level &level : std::as_const(m_levels)) {
            const qreal pad = GraphPainter::nodeReach(level.scale, m_options);
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
        if (sameView && m_staleTiles.isEmpty()) {
            update(itemDirty);
        } else {
            update();
        }
    }
}

void GraphLayer::repaintAll()
{
    m_tiles.clear();
    m_staleTiles.clear();
    m_pending.clear();
    m_levels.clear();
    m_complete = false;
    update();
}

void GraphLayer::onTrafficChanged(const QList<int> &segments)
{
    if (!m_model || !m_model->trafficEmphasis() || m_tiles.isEmpty()) {
        return;
    }
    if (m_geometryDirty) {
        rebuildGeometry();
        return; // every tile is rendered again anyway
    }
    // Edges of the scene by segment (the scene keeps one edge per segment, in order).
    // What the cached detail tiles cover: an edge wholly outside it touches none of them (most
    // of 5,000 edges when every edge's traffic changes).
    QRectF cached;
    for (auto it = m_tiles.cbegin(); it != m_tiles.cend(); ++it) {
        for (const Level &level : std::as_const(m_levels)) {
            if (level.id == it.key().level && level.scale >= m_options.lodZoom) {
                cached |= QRectF(it.key().x * TileSize / level.scale,
                    it.key().y * TileSize / level.scale, TileSize / level.scale,
                    TileSize / level.scale);
            }
        }
    }
    QSet<TileKey> touched;
    bool visible = false;
    for (int segment : segments) {
        if (segment < 0 || segment >= m_scene.edges().size()) {
            continue;
        }
        const hopscope::GraphScene::Edge &edge = m_scene.edges()[segment];
        if (!edge.bounds.united(edge.trafficBadge).intersects(cached)) {
            continue;
        }
        for (const QRectF &r : m_scene.edgeReach(segment)) {
            visible = visible || r.intersects(m_viewport);
            for (const Level &level : std::as_const(m_levels)) {
                if (level.scale < m_options.lodZoom) {
                    continue; // the overview draws no traffic
                }
                const int x0 = int(std::floor(r.left() * level.scale / TileSize));
                const int y0 = int(std::floor(r.top() * level.scale / TileSize));
                const int x1 = int(std::floor(r.right() * level.scale / TileSize));
                const int y1 = int(std::floor(r.bottom() * level.scale / TileSize));
                for (int ty = y0; ty <= y1; ++ty) {
                    for (int tx = x0; tx <= x1; ++tx) {
                        touched.insert({ level.id, tx, ty });
                    }
                }
            }
        }
    }
    for (const TileKey &key : std::as_const(touched)) {
        auto it = m_tiles.find(key);
        if (it == m_tiles.end()) {
            continue;
        }
        if (it->used == m_frame && key.level == m_currentLevel) {
            // On screen: the whole tile again (many edges cross a tile; one render of it is
            // cheaper than a patch per edge), within the frame budget: until then the tile
            // shows the previous poll's traffic (`complete` stays false).
            m_staleTiles.insert(key);
        } else {
            m_tiles.erase(it); // off screen or another zoom: rendered again when needed
        }
    }
    if (visible) {
        m_complete = false;
        update();
    }
}

void GraphLayer::paintContent(QPainter *painter, const QRectF &area, qreal scale)
{
    GraphPainter::paint(*painter, m_scene, area, scale, m_style, m_options);
}
