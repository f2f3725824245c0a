#pragma once

#include <QColor>
#include <QQuickPaintedItem>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

// Draws every edge of the graph in one painted item (arrows plus hop badges). One Shape per
// edge costs seconds per frame at a few thousand edges on a CPU-only desktop (PERF.md); this
// item repaints only when the edge list or the palette changes. GUI thread.
class EdgeLayer : public QQuickPaintedItem
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QVariantList edges READ edges WRITE setEdges NOTIFY edgesChanged)
    Q_PROPERTY(QColor lineColor READ lineColor WRITE setLineColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor badgeColor READ badgeColor WRITE setBadgeColor NOTIFY paletteChanged)
    Q_PROPERTY(QColor textColor READ textColor WRITE setTextColor NOTIFY paletteChanged)
    Q_PROPERTY(bool showLabels READ showLabels WRITE setShowLabels NOTIFY paletteChanged)
    // The zoom the item is shown at: the texture is rendered at that resolution, so labels stay
    // sharp instead of being a scaled bitmap.
    Q_PROPERTY(qreal renderScale READ renderScale WRITE setRenderScale NOTIFY renderScaleChanged)

public:
    explicit EdgeLayer(QQuickItem *parent = nullptr);

    QVariantList edges() const { return m_edges; }
    void setEdges(const QVariantList &edges);
    QColor lineColor() const { return m_lineColor; }
    void setLineColor(const QColor &c);
    QColor badgeColor() const { return m_badgeColor; }
    void setBadgeColor(const QColor &c);
    QColor textColor() const { return m_textColor; }
    void setTextColor(const QColor &c);
    bool showLabels() const { return m_showLabels; }
    void setShowLabels(bool show);

    qreal renderScale() const { return m_renderScale; }
    void setRenderScale(qreal scale);

    void paint(QPainter *painter) override;

Q_SIGNALS:
    void edgesChanged();
    void paletteChanged();
    void renderScaleChanged();

private:
    QVariantList m_edges;
    QColor m_lineColor{0x55, 0x60, 0x70};
    QColor m_badgeColor{0xff, 0xff, 0xff};
    QColor m_textColor{0x20, 0x24, 0x2a};
    bool m_showLabels = true;
    qreal m_renderScale = 1.0;

    void updateTextureSize();
};
