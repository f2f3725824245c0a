#pragma once

#include "GraphPainter.h"
#include "GraphScene.h"
#include "GraphStyle.h"

#include <QElapsedTimer>
#include <QHash>
#include <QImage>
#include <QPointer>
#include <QQuickPaintedItem>
#include <QSet>
#include <QtQml/qqmlregistration.h>

namespace hopscope {
class ServiceGraphModel;
}

// Shows the whole visible graph (edges with hop badges, service boxes with their task chips,
// LB pills; zoomed out, the level-of-detail overview) from cached tiles drawn by GraphPainter, so
// QML keeps only invisible hit areas. Tiles are rendered with QPainter at the current zoom and kept
// across frames: a pan frame blits them, a poll repaints in place only the changed rows'
// rectangles and the restyled edges' curves and badges, a zoom reuses the tiles of an earlier zoom
// scaled while the new ones are rendered within a per-frame time budget (`complete` says when the
// picture is exact). GUI thread; emits painted().
class GraphLayer : public QQuickPaintedItem
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *graphModel READ graphModel WRITE setGraphModel NOTIFY graphModelChanged)
    // The palette of the one style table (GraphStyle): light or dark.
    Q_PROPERTY(bool dark READ dark WRITE setDark NOTIFY paletteChanged)
    // Below this zoom tiles show the overview: boxes as health-bordered rectangles, tasks as
    // dots (healthy round, others square), edges aggregated per node pair, no text.
    Q_PROPERTY(qreal lodZoom READ lodZoom WRITE setLodZoom NOTIFY paletteChanged)
    // Hop badges on edges are drawn above this zoom.
    Q_PROPERTY(qreal labelZoom READ labelZoom WRITE setLabelZoom NOTIFY paletteChanged)
    // The content rectangle shown by this item, and the zoom it is shown at.
    Q_PROPERTY(QRectF viewport READ viewport WRITE setViewport NOTIFY viewChanged)
    Q_PROPERTY(qreal renderScale READ renderScale WRITE setRenderScale NOTIFY viewChanged)
    // Milliseconds of tile rendering per frame once something (an earlier zoom's tiles) can
    // stand in for the missing tiles; tiles with nothing to stand in are always rendered.
    Q_PROPERTY(int frameBudgetMs MEMBER m_frameBudgetMs NOTIFY paletteChanged)
    // True when the last frame showed every visible tile at the current zoom.
    Q_PROPERTY(bool complete READ complete NOTIFY painted)
    Q_PROPERTY(int cachedTiles READ cachedTiles NOTIFY painted)
    // Tiles drawn since the layer was made, whole or in part (a patch of a changed box or
    // edge counts its tile once a frame): what changes cost.
    Q_PROPERTY(int repaintedTiles READ repaintedTiles NOTIFY painted)

public:
    explicit GraphLayer(QQuickItem *parent = nullptr);

    static constexpr int TileSize = hopscope::GraphPainter::TileSize;

    QObject *graphModel() const;
    void setGraphModel(QObject *model);
    bool dark() const { return m_style.dark; }
    void setDark(bool dark);
    qreal lodZoom() const { return m_options.lodZoom; }
    void setLodZoom(qreal zoom);
    qreal labelZoom() const { return m_options.labelZoom; }
    void setLabelZoom(qreal zoom);
    QRectF viewport() const { return m_viewport; }
    void setViewport(const QRectF &viewport);
    qreal renderScale() const { return m_renderScale; }
    void setRenderScale(qreal scale);
    bool complete() const { return m_complete; }
    int cachedTiles() const { return int(m_tiles.size()); }
    int repaintedTiles() const { return m_repaintedTiles; }

    void paint(QPainter *painter) override;

    // Paints the content rectangle `area` (content coordinates; the painter already maps
    // content to device) as tiles show it at `scale`: GraphPainter::paint with this layer's
    // scene, style and options.
    void paintContent(QPainter *painter, const QRectF &area, qreal scale);

Q_SIGNALS:
    void graphModelChanged();
    void paletteChanged();
    void viewChanged();
    void painted();

private:
    struct TileKey
    {
        int level;
        int x;
        int y;
        bool operator==(const TileKey &o) const { return level == o.level && x == o.x && y == o.y; }
    };
    friend size_t qHash(const TileKey &k, size_t seed)
    {
        return qHashMulti(seed, k.level, k.x, k.y);
    }
    struct Tile
    {
        QImage image;
        quint64 used = 0;
    };
    struct Level
    {
        int id;
        qreal scale;
        quint64 used;
    };

    int levelFor(qreal scale); // finds or creates the level for this exact scale
    QImage renderTile(const Level &level, int tx, int ty);
    // Paints the device rectangle `device` of a tile again (after a health change).
    void repaintRegion(QImage &image, const Level &level, int tx, int ty, const QRect &device);
    void onRowsChanged(const QModelIndex &from, const QModelIndex &to);
    void onEdgesRestyled(const QList<int> &segments);
    // Marks the content rectangle `rect`, grown by what the painter draws beyond it at each
    // zoom, to be drawn again in every cached tile it meets (at the detail zooms only unless
    // `overview`): tiles on screen get a patch at the next frame, the others are dropped.
    // Returns whether it meets the viewport; `itemDirty` grows by its part of the item.
    bool markDirty(const QRectF &rect, bool overview, QRect *itemDirty);
    // After marking: the next frame, for the part of the item that changed if nothing moved.
    void scheduleDirty(bool visible, const QRect &itemDirty);
    void onTrafficChanged(const QList<int> &segments);
    void repaintAll(); // new pixels, same geometry
    // What the overview shows of a pair's traffic (level and width), to repaint overview tiles
    // only where that changed.
    quint32 overviewKey(int pair) const;
    void resetOverviewKeys();
    void invalidateAll();
    void rebuildGeometry();
    void evict();

    QPointer<hopscope::ServiceGraphModel> m_model;
    hopscope::GraphStyle m_style = hopscope::GraphStyle::light();
    hopscope::GraphPainter::Options m_options;
    QRectF m_viewport;
    qreal m_renderScale = 1.0;
    int m_frameBudgetMs = 10;
    bool m_complete = false;
    bool m_followUp = false;

    QList<Level> m_levels;
    int m_nextLevel = 0;
    int m_currentLevel = -1; // the level the last frame showed
    QHash<TileKey, Tile> m_tiles;
    QHash<TileKey, QList<QRect>> m_pending; // device rectangles to repaint at the next frame
    // On screen, to render again after a traffic change: each tile in StaleSplit x StaleSplit
    // parts (device rectangles), so a frame with little time left still shows the new traffic
    // in one part. In screen order; m_staleTiles holds their tiles.
    static constexpr int StaleSplit = 4;
    // More changed edges than this: the tiles are asked which changed edge reaches them.
    static constexpr int TileCentricChanges = 64;
    QList<QPair<TileKey, QRect>> m_staleParts;
    QSet<TileKey> m_staleTiles;
    // The frame right after a traffic change also carries the model update and the health
    // patches: its stale parts get this budget (at least one part is always rendered).
    static constexpr int FirstTrafficFrameBudgetMs = 3;
    bool m_trafficFresh = false;
    quint64 m_frame = 0;
    int m_repaintedTiles = 0;
    // What the last frame showed: a change inside it updates only its part of the item.
    QRectF m_shownViewport;
    qreal m_shownScale = 0;
    qreal m_shownDeviceScale = 1;
    qreal m_shownDpr = 1;
    QPointF m_shownOrigin;

    // Derived from the layout, rebuilt when the geometry changes.
    bool m_geometryDirty = true;
    hopscope::GraphScene m_scene;
    QList<quint32> m_overviewKeys; // per pair, what the cached overview tiles show
    bool m_overviewKeysStale = false; // no overview tile cached since the traffic changed
};
