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
#include <ctime>
#include <tuple>

using hopscope::GraphPainter;
using hopscope::GraphStyle;
using hopscope::ServiceGraphModel;

namespace {

// The calling thread's CPU time (for HOPSCOPE_PAINT_TRACE: on a shared machine wall time
// says little).
qint64 threadNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

constexpr int MaxTiles = 240; // 256x256 RGB32: 60 MB at most
constexpr int MaxLevels = 6;

// The tiles at `scale` that a scene rectangle touches: columns x0..x1, rows y0..y1, inclusive.
struct TileSpan
{
    int x0, y0, x1, y1;
};

TileSpan tilesCovering(const QRectF &scene, qreal scale)
{
    const auto tile
        = [scale](qreal at) { return int(std::floor(at * scale / GraphPainter::TileSize)); };
    return { tile(scene.left()), tile(scene.top()), tile(scene.right()), tile(scene.bottom()) };
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
        // A failing LB on an edge's way: its stroke and badge, where they are drawn.
        connect(m_model, &ServiceGraphModel::edgesRestyled, this, &GraphLayer::onEdgesRestyled);
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
    m_staleParts.clear();
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
    resetOverviewKeys();
}

quint32 GraphLayer::overviewKey(int pair) const
{
    if (!m_model || !m_model->trafficEmphasis()) {
        return 0;
    }
    const hopscope::EdgeTraffic &traffic = m_scene.pairTraffic(pair);
    if (!traffic.known()) {
        return 0;
    }
    return 1 + quint32(GraphStyle::trafficLevel(traffic))
        + 16 * quint32(GraphPainter::overviewTrafficWidth(*traffic.rps));
}

void GraphLayer::resetOverviewKeys()
{
    m_overviewKeysStale = false;
    m_overviewKeys.resize(m_scene.pairs().size());
    for (int i = 0; i < m_overviewKeys.size(); ++i) {
        m_overviewKeys[i] = overviewKey(i);
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
    const qint64 cpu0 = threadNs();
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
    if (m_overviewKeysStale && scale < m_options.lodZoom) {
        resetOverviewKeys(); // the overview tiles rendered from now on show this traffic
    }
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
        ++m_repaintedTiles;
        QList<QRect> rects = pending.value();
        std::sort(rects.begin(), rects.end(), [](const QRect &l, const QRect &r) {
            return std::make_tuple(l.top(), l.left(), l.width(), l.height())
                < std::make_tuple(r.top(), r.left(), r.width(), r.height());
        });
        rects.erase(std::unique(rects.begin(), rects.end()), rects.end());
        // Zoomed out, a changed box is drawn again over the tile alone (its opaque fills cover
        // the lines below it): no line is drawn again, where a patch of the whole picture
        // draws the hundreds that cross a box at the overview's scale (~0.15 ms a box).
        const bool overview = levelOf->scale < m_options.lodZoom;
        for (const QRect &r : std::as_const(rects)) {
            if (overview) {
                GraphPainter::patchOverviewNodes(it->image,
                    QPoint(pending.key().x * TileSize, pending.key().y * TileSize), r, m_scene,
                    levelOf->scale, m_style);
            } else {
                repaintRegion(it->image, *levelOf, pending.key().x, pending.key().y, r);
            }
        }
    }
    m_pending.clear();
    const qint64 patchedNs = threadNs() - cpu0;
    // Tiles whose edges' traffic changed: rendered again part by part while the frame's budget
    // lasts, at least one part per frame (so the frame after a poll shows its traffic); the
    // rest in the next frames (they show the previous poll's traffic meanwhile).
    const int staleBudget = m_trafficFresh ? FirstTrafficFrameBudgetMs : m_frameBudgetMs;
    m_trafficFresh = false;
    bool staleLeft = false;
    int partsDone = 0;
    QSet<TileKey> staleDone;
    for (auto stale = m_staleParts.begin(); stale != m_staleParts.end();) {
        const TileKey key = stale->first;
        auto it = m_tiles.find(key);
        const bool shown
            = key.level == levelId && key.x >= tx0 && key.x <= tx1 && key.y >= ty0 && key.y <= ty1;
        if (it == m_tiles.end() || !shown) {
            if (it != m_tiles.end()) {
                m_tiles.erase(it); // off screen now: rendered again when needed
            }
            stale = m_staleParts.erase(stale);
        } else if (partsDone == 0 || budget.elapsed() < staleBudget) {
            repaintRegion(it->image, level, key.x, key.y, stale->second);
            ++partsDone;
            staleDone.insert(key);
            stale = m_staleParts.erase(stale);
        } else {
            staleLeft = true;
            ++stale;
        }
    }
    m_repaintedTiles += int(staleDone.size());
    const qint64 stalesNs = threadNs() - cpu0;
    m_staleTiles.clear();
    for (const auto &part : std::as_const(m_staleParts)) {
        m_staleTiles.insert(part.first);
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
                        const auto [ox0, oy0, ox1, oy1] = tilesCovering(contentRect, other.scale);
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
                ++m_repaintedTiles;
            }
            it->used = m_frame;
            painter->drawImage(at, it->image);
        }
    }
    painter->restore();
    complete = complete && !staleLeft;
    static const bool trace = qEnvironmentVariableIsSet("HOPSCOPE_PAINT_TRACE");
    if (trace) {
        qInfo("GraphLayer::paint %.2f ms: patches %.2f ms, %d stale parts %.2f ms (%lld left)",
            (threadNs() - cpu0) / 1e6, patchedNs / 1e6, partsDone, (stalesNs - patchedNs) / 1e6,
            qint64(m_staleParts.size()));
    }
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
    // raster paths, whose rounding differs by a unit here and there from a fresh tile. The
    // scratch image's own border clips too (a badge or a curve cut by it is antialiased a unit
    // differently there): it is rendered with a margin, and only the inside is copied.
    constexpr int margin = 4;
    const QImage patch = GraphPainter::render(m_scene,
        device.translated(tx * TileSize, ty * TileSize).adjusted(-margin, -margin, margin, margin),
        level.scale, m_style, m_options);
    QPainter p(&image);
    p.setCompositionMode(QPainter::CompositionMode_Source);
    p.drawImage(device.topLeft(), patch, QRect(QPoint(margin, margin), device.size()));
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
    QRect itemDirty;
    // Repaint in place only the changed boxes (and what overlaps them) in every cached tile.
    for (int row = from.row(); row <= to.row(); ++row) {
        visible = markDirty(m_model->nodeRect(row), true, &itemDirty) || visible;
    }
    scheduleDirty(visible, itemDirty);
}

void GraphLayer::onEdgesRestyled(const QList<int> &segments)
{
    if (!m_model || m_geometryDirty) {
        return; // the scene is built from the model as it is at the next frame
    }
    // Where the edges were drawn (the old badges) and where they are drawn now: the curves do
    // not move, a badge widens or narrows with its ✖. The overview does not draw failures.
    QList<QRectF> reach;
    for (int segment : segments) {
        if (segment >= 0 && segment < m_scene.edges().size()) {
            reach += m_scene.edgeReach(segment);
        }
    }
    m_scene.restyleEdges(segments);
    if (m_tiles.isEmpty()) {
        return;
    }
    for (int segment : segments) {
        if (segment >= 0 && segment < m_scene.edges().size()) {
            reach.append(m_scene.edges()[segment].badge);
        }
    }
    bool visible = false;
    QRect itemDirty;
    for (const QRectF &r : std::as_const(reach)) {
        visible = markDirty(r, false, &itemDirty) || visible;
    }
    scheduleDirty(visible, itemDirty);
}

bool GraphLayer::markDirty(const QRectF &rect, bool overview, QRect *itemDirty)
{
    bool visible = false;
    if (rect.intersects(m_viewport)) {
        visible = true;
        const qreal pad = GraphPainter::nodeReach(m_shownDeviceScale, m_options);
        const QRectF dirty = rect.adjusted(-pad, -pad, pad, pad);
        *itemDirty |= QRectF((dirty.left() * m_shownDeviceScale - m_shownOrigin.x()) / m_shownDpr,
            (dirty.top() * m_shownDeviceScale - m_shownOrigin.y()) / m_shownDpr,
            dirty.width() * m_shownDeviceScale / m_shownDpr,
            dirty.height() * m_shownDeviceScale / m_shownDpr)
                          .toAlignedRect()
                          .adjusted(-1, -1, 1, 1);
    }
    for (const Level &level : std::as_const(m_levels)) {
        if (!overview && level.scale < m_options.lodZoom) {
            continue;
        }
        const qreal pad = GraphPainter::nodeReach(level.scale, m_options);
        const QRectF dirty = rect.adjusted(-pad, -pad, pad, pad);
        const auto [x0, y0, x1, y1] = tilesCovering(dirty, level.scale);
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
    return visible;
}

void GraphLayer::scheduleDirty(bool visible, const QRect &itemDirty)
{
    if (!visible) {
        return;
    }
    m_complete = false;
    // Where the last frame put content on the item: a change there repaints only its part of
    // the item (the rest of the item's picture is kept), unless the view moved since.
    const bool sameView
        = m_shownViewport == m_viewport && qFuzzyCompare(m_shownScale, m_renderScale);
    if (sameView && m_staleTiles.isEmpty()) {
        update(itemDirty);
    } else {
        update();
    }
}

void GraphLayer::repaintAll()
{
    resetOverviewKeys();
    m_tiles.clear();
    m_staleTiles.clear();
    m_staleParts.clear();
    m_pending.clear();
    m_levels.clear();
    m_complete = false;
    update();
}

void GraphLayer::onTrafficChanged(const QList<int> &segments)
{
    const qint64 cpu0 = threadNs();
    if (!m_model) {
        return;
    }
    m_scene.forgetTraffic(segments); // the overview's per-pair sums
    if (!m_model->trafficEmphasis()) {
        return;
    }
    if (m_geometryDirty) {
        rebuildGeometry();
        return; // every tile is rendered again anyway
    }
    if (m_tiles.isEmpty()) {
        m_overviewKeysStale = true; // what the next tiles show
        return;
    }
    // The overview's tiles of zooms not on screen: dropped (rendered again when needed); the
    // keys of what the overview shows are then taken again before the next overview tile.
    const auto current = std::find_if(m_levels.cbegin(), m_levels.cend(),
        [this](const Level &l) { return l.id == m_currentLevel; });
    const bool overviewShown = current != m_levels.cend() && current->scale < m_options.lodZoom;
    QSet<int> dropped;
    for (const Level &level : std::as_const(m_levels)) {
        if (level.scale < m_options.lodZoom && level.id != m_currentLevel) {
            dropped.insert(level.id);
        }
    }
    if (!dropped.isEmpty()) {
        m_tiles.removeIf([&](const auto &it) { return dropped.contains(it.key().level); });
    }
    if (!overviewShown) {
        m_overviewKeysStale = true;
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
    // The overview draws a pair's summed traffic as a line's width and colour: its tiles only
    // where what a pair shows changed.
    QSet<int> pairs;
    for (int segment : segments) {
        const int pair = m_scene.pairOf(segment);
        if (overviewShown && pair >= 0 && pair < m_overviewKeys.size()) {
            pairs.insert(pair);
        }
    }
    if (overviewShown && m_overviewKeysStale) {
        // What the shown overview tiles were drawn with is not known: all of them again.
        for (auto it = m_tiles.cbegin(); it != m_tiles.cend(); ++it) {
            if (it.key().level == m_currentLevel) {
                touched.insert(it.key());
            }
        }
        visible = true;
        resetOverviewKeys();
    }
    if (!overviewShown || m_overviewKeysStale) {
        pairs.clear();
    }
    for (int pair : std::as_const(pairs)) {
        const quint32 key = overviewKey(pair);
        if (key == m_overviewKeys[pair]) {
            continue;
        }
        m_overviewKeys[pair] = key;
        const QLineF line = m_scene.pairs()[pair].line;
        for (const Level &level : std::as_const(m_levels)) {
            if (level.id != m_currentLevel) {
                continue;
            }
            const qreal reach = GraphPainter::OverviewLineReach / level.scale;
            const QRectF r
                = QRectF(line.p1(), line.p2()).normalized().adjusted(-reach, -reach, reach, reach);
            visible = visible || r.intersects(m_viewport);
            // Along the line, a tile's width at a time (not its bounding box: it is diagonal).
            const qreal step = TileSize / level.scale / 2;
            const int pieces = std::max(1, int(std::ceil(line.length() / step)));
            for (int k = 0; k < pieces; ++k) {
                const QPointF a = line.pointAt(qreal(k) / pieces);
                const QPointF b = line.pointAt(qreal(k + 1) / pieces);
                const QRectF piece
                    = QRectF(a, b).normalized().adjusted(-reach, -reach, reach, reach);
                const auto [x0, y0, x1, y1] = tilesCovering(piece, level.scale);
                for (int ty = y0; ty <= y1; ++ty) {
                    for (int tx = x0; tx <= x1; ++tx) {
                        touched.insert({ level.id, tx, ty });
                    }
                }
            }
        }
    }
    if (segments.size() > TileCentricChanges) {
        // Many edges changed (every edge, every poll, in the benchmark): asked per cached
        // detail tile (a few dozen) whether a changed edge reaches it, instead of walking the
        // reach of thousands of edges.
        QBitArray changed(m_scene.edges().size());
        for (int segment : segments) {
            if (segment >= 0 && segment < changed.size()) {
                changed.setBit(segment);
            }
        }
        for (auto it = m_tiles.cbegin(); it != m_tiles.cend(); ++it) {
            const auto level = std::find_if(m_levels.cbegin(), m_levels.cend(),
                [&](const Level &l) { return l.id == it.key().level; });
            if (level == m_levels.cend() || level->scale < m_options.lodZoom) {
                continue;
            }
            const QRectF r(it.key().x * TileSize / level->scale,
                it.key().y * TileSize / level->scale, TileSize / level->scale,
                TileSize / level->scale);
            const bool reached = m_scene.anyEdgeIn(r, [&](int edge) {
                if (!changed.testBit(edge)) {
                    return false;
                }
                const hopscope::GraphScene::Edge &g = m_scene.edges()[edge];
                if (!g.bounds.united(g.trafficBadge).united(g.badge).intersects(r)) {
                    return false;
                }
                const QList<QRectF> reach = m_scene.edgeReach(edge);
                return std::any_of(reach.cbegin(), reach.cend(),
                    [&](const QRectF &piece) { return piece.intersects(r); });
            });
            if (reached) {
                touched.insert(it.key());
                visible = visible || r.intersects(m_viewport);
            }
        }
    }
    for (int segment : segments) {
        if (segments.size() > TileCentricChanges) {
            break;
        }
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
                    continue; // the overview: below, by pair
                }
                const auto [x0, y0, x1, y1] = tilesCovering(r, level.scale);
                for (int ty = y0; ty <= y1; ++ty) {
                    for (int tx = x0; tx <= x1; ++tx) {
                        touched.insert({ level.id, tx, ty });
                    }
                }
            }
        }
    }
    QList<TileKey> newlyStale;
    for (const TileKey &key : std::as_const(touched)) {
        auto it = m_tiles.find(key);
        if (it == m_tiles.end()) {
            continue;
        }
        if (it->used == m_frame && key.level == m_currentLevel) {
            // On screen: the whole tile again (many edges cross a tile; one render of it is
            // cheaper than a patch per edge), in parts within the frame budget: until then
            // the tile shows the previous poll's traffic (`complete` stays false).
            m_staleTiles.insert(key);
            newlyStale.append(key); // all its parts again, also those done since the last poll
        } else {
            m_tiles.erase(it); // off screen or another zoom: rendered again when needed
        }
    }
    const QSet<TileKey> again(newlyStale.cbegin(), newlyStale.cend());
    m_staleParts.removeIf([&](const QPair<TileKey, QRect> &p) { return again.contains(p.first); });
    // In screen order, top left first, each tile's parts row by row.
    std::sort(newlyStale.begin(), newlyStale.end(), [](const TileKey &a, const TileKey &b) {
        return std::make_pair(a.y, a.x) < std::make_pair(b.y, b.x);
    });
    constexpr int part = TileSize / StaleSplit;
    for (const TileKey &key : std::as_const(newlyStale)) {
        for (int py = 0; py < StaleSplit; ++py) {
            for (int px = 0; px < StaleSplit; ++px) {
                m_staleParts.append({ key, QRect(px * part, py * part, part, part) });
            }
        }
    }
    if (qEnvironmentVariableIsSet("HOPSCOPE_PAINT_TRACE")) {
        qInfo("GraphLayer::onTrafficChanged %.2f ms: %lld segments, %lld tiles stale",
            (threadNs() - cpu0) / 1e6, qint64(segments.size()), qint64(newlyStale.size()));
    }
    if (visible) {
        m_trafficFresh = !newlyStale.isEmpty();
        m_complete = false;
        update();
    }
}

void GraphLayer::paintContent(QPainter *painter, const QRectF &area, qreal scale)
{
    GraphPainter::paint(*painter, m_scene, area, scale, m_style, m_options);
}
