#pragma once

#include <QColor>
#include <QElapsedTimer>
#include <QHash>
#include <QImage>
#include <QPointer>
#include <QQuickPaintedItem>
#include <QtQml/qqmlregistration.h>

namespace hopscope {
class ServiceGraphModel;
}

// Paints the whole visible graph (edges with hop badges, service boxes with their task chips,
// LB nodes; zoomed out, the level-of-detail overview) from cached tiles, so QML keeps only
// invisible hit areas. Tiles are rendered with QPainter at the current zoom and kept across
// frames: a pan frame blits them, a poll repaints in place only the changed rows' rectangles,
// a zoom reuses the tiles of an earlier zoom scaled while the new ones are rendered within a
// per-frame time budget (`complete` says when the picture is exact). GUI thread; emits painted().
class GraphLayer : public QQuickPaintedItem
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *graphModel READ graphModel WRITE setGraphModel NOTIFY graphModelChanged)
    Q_PROPERTY(QColor background MEMBER m_background WRITE setBackground NOTIFY paletteChanged)
    Q_PROPERTY(QColor boxColor MEMBER m_boxColor WRITE setBoxColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor borderColor MEMBER m_borderColor WRITE setBorderColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor textColor MEMBER m_textColor WRITE setTextColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor mutedColor MEMBER m_mutedColor WRITE setMutedColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor lineColor MEMBER m_lineColor WRITE setLineColor NOTIFY paletteChanged)
    // Below this zoom tiles show the overview: boxes as health-bordered rectangles, tasks as
    // dots (healthy round, others square), edges aggregated per node pair, no text.
    Q_PROPERTY(qreal lodZoom MEMBER m_lodZoom WRITE setLodZoom NOTIFY paletteChanged)
    // Hop badges on edges are drawn above this zoom.
    Q_PROPERTY(qreal labelZoom MEMBER m_labelZoom WRITE setLabelZoom NOTIFY paletteChanged)
    // The content rectangle shown by this item, and the zoom it is shown at.
    Q_PROPERTY(QRectF viewport READ viewport WRITE setViewport NOTIFY viewChanged)
    Q_PROPERTY(qreal renderScale READ renderScale WRITE setRenderScale NOTIFY viewChanged)
    // Milliseconds of tile rendering per frame once something (an earlier zoom's tiles) can
    // stand in for the missing tiles; tiles with nothing to stand in are always rendered.
    Q_PROPERTY(int frameBudgetMs MEMBER m_frameBudgetMs NOTIFY paletteChanged)
    // True when the last frame showed every visible tile at the current zoom.
    Q_PROPERTY(bool complete READ complete NOTIFY painted)
    Q_PROPERTY(int cachedTiles READ cachedTiles NOTIFY painted)

public:
    explicit GraphLayer(QQuickItem *parent = nullptr);

    static constexpr int TileSize = 256;

    QObject *graphModel() const;
    void setGraphModel(QObject *model);
    void setBackground(const QColor &c);
    void setBoxColor(const QColor &c);
    void setBorderColor(const QColor &c);
    void setTextColor(const QColor &c);
    void setMutedColor(const QColor &c);
    void setLineColor(const QColor &c);
    void setLodZoom(qreal zoom);
    void setLabelZoom(qreal zoom);
    QRectF viewport() const { return m_viewport; }
    void setViewport(const QRectF &viewport);
    qreal renderScale() const { return m_renderScale; }
    void setRenderScale(qreal scale);
    bool complete() const { return m_complete; }
    int cachedTiles() const { return int(m_tiles.size()); }

    void paint(QPainter *painter) override;

    // Paints the content rectangle `area` (content coordinates; the painter already maps
    // content to device) as tiles show it at `scale`. Public for the export-like tests.
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
    void invalidateAll();
    void rebuildGeometry();
    void evict();
    void paintDetailed(QPainter *p, const QRectF &area, qreal scale);
    void paintOverview(QPainter *p, const QRectF &area, qreal scale);

    QPointer<hopscope::ServiceGraphModel> m_model;
    QColor m_background { 0xf4, 0xf5, 0xf7 };
    QColor m_boxColor { Qt::white };
    QColor m_borderColor { 0x9a, 0xa3, 0xae };
    QColor m_textColor { 0x1f, 0x24, 0x2b };
    QColor m_mutedColor { 0x5b, 0x64, 0x70 };
    QColor m_lineColor { 0x5b, 0x64, 0x70 };
    qreal m_lodZoom = 0.45;
    qreal m_labelZoom = 0.35;
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
    quint64 m_frame = 0;

    // Derived from the layout, rebuilt when the geometry changes.
    bool m_geometryDirty = true;
    struct EdgeGeom
    {
        QPointF p1, p2;
        QRectF bounds; // the curve with its pen and arrow head
        QRectF badge; // the hop badge, centred on the curve's middle
        int segment;
    };
    QList<EdgeGeom> m_edgeGeom;
    struct Pair
    {
        QLineF line;
        int count;
    };
    QList<Pair> m_pairs; // overview: edges aggregated per node pair

    // A uniform grid over the content: which nodes, edges and pairs meet each cell, so a tile or
    // a patch looks only at what is near it. Candidates come back in ascending order, the
    // drawing order, so a patch paints exactly what a fresh tile paints.
    struct Grid
    {
        qreal cell = 1024;
        int columns = 0;
        int rows = 0;
        QList<QList<int>> cells;
        void reset(const QSizeF &content, qreal cellSize);
        void insert(const QRectF &r, int index);
        QList<int> query(const QRectF &r) const;
    };
    Grid m_nodeGrid, m_edgeGrid, m_pairGrid;
};
