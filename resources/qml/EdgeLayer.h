#pragma once

#include <QColor>
#include <QPointer>
#include <QQuickPaintedItem>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace hopscope {
class ServiceGraphModel;
}

// Draws every edge of the graph in one painted item (arrows plus hop badges), and, zoomed out
// (level of detail), the nodes too: boxes as health-bordered rectangles, tasks as dots, edges
// aggregated per node pair without labels. One Shape per edge costs seconds per frame at a few
// thousand edges on a CPU-only desktop (docs/PERF.md). The item covers the viewport, not the whole
// canvas: it paints only what is visible, at screen resolution, reading the layout straight
// from ServiceGraphModel (no QVariant per edge). GUI thread.
class EdgeLayer : public QQuickPaintedItem
{
    Q_OBJECT
    QML_ELEMENT
    // Either a ServiceGraphModel (preferred) or a list of {x1,y1,x2,y2,label,pattern} maps.
    Q_PROPERTY(QObject *graphModel READ graphModel WRITE setGraphModel NOTIFY graphModelChanged)
    Q_PROPERTY(QVariantList edges READ edges WRITE setEdges NOTIFY edgesChanged)
    Q_PROPERTY(QColor lineColor READ lineColor WRITE setLineColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor badgeColor READ badgeColor WRITE setBadgeColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor textColor READ textColor WRITE setTextColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor borderColor READ borderColor WRITE setBorderColor NOTIFY paletteChanged)
    Q_PROPERTY(bool showLabels READ showLabels WRITE setShowLabels NOTIFY paletteChanged)
    // Level of detail: draw nodes as rectangles and dots, aggregate edges, no labels.
    Q_PROPERTY(bool lod READ lod WRITE setLod NOTIFY paletteChanged)
    // The content rectangle shown by this item, and the zoom it is shown at.
    Q_PROPERTY(QRectF viewport READ viewport WRITE setViewport NOTIFY viewChanged)
    Q_PROPERTY(qreal renderScale READ renderScale WRITE setRenderScale NOTIFY viewChanged)
    Q_PROPERTY(int paintedEdges READ paintedEdges NOTIFY painted)

public:
    explicit EdgeLayer(QQuickItem *parent = nullptr);

    QObject *graphModel() const;
    void setGraphModel(QObject *model);
    QVariantList edges() const { return m_edges; }
    void setEdges(const QVariantList &edges);
    QColor lineColor() const { return m_lineColor; }
    void setLineColor(const QColor &c);
    QColor badgeColor() const { return m_badgeColor; }
    void setBadgeColor(const QColor &c);
    QColor textColor() const { return m_textColor; }
    void setTextColor(const QColor &c);
    QColor borderColor() const { return m_borderColor; }
    void setBorderColor(const QColor &c);
    bool showLabels() const { return m_showLabels; }
    void setShowLabels(bool show);
    bool lod() const { return m_lod; }
    void setLod(bool lod);
    QRectF viewport() const { return m_viewport; }
    void setViewport(const QRectF &viewport);
    qreal renderScale() const { return m_renderScale; }
    void setRenderScale(qreal scale);
    int paintedEdges() const { return m_paintedEdges; }

    void paint(QPainter *painter) override;

Q_SIGNALS:
    void graphModelChanged();
    void edgesChanged();
    void paletteChanged();
    void viewChanged();
    void painted();

private:
    void paintDetailed(QPainter *painter);
    void paintOverview(QPainter *painter);
    void onModelDataChanged(const QModelIndex &from, const QModelIndex &to);
    void rebuildOverview();

    struct OverviewGroup
    {
        QColor colour;
        bool healthy = false;
        QVector<QRectF> boxes;
        QVector<QPointF> dots;
    };
    QList<OverviewGroup> m_overview; // per health state
    bool m_overviewDirty = true;

    QPointer<hopscope::ServiceGraphModel> m_model;
    QVariantList m_edges;
    QColor m_lineColor{0x55, 0x60, 0x70};
    QColor m_badgeColor{0xff, 0xff, 0xff};
    QColor m_textColor{0x20, 0x24, 0x2a};
    QColor m_borderColor{0x9a, 0xa3, 0xae};
    bool m_showLabels = true;
    bool m_lod = false;
    QRectF m_viewport;
    qreal m_renderScale = 1.0;
    int m_paintedEdges = 0;
};
