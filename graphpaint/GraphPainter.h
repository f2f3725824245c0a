#pragma once

#include "GraphScene.h"
#include "GraphStyle.h"

#include <QImage>
#include <QRect>
#include <QRectF>

class QPainter;

namespace hopscope {

// Draws the scene: edges (dns solid, lb dashed, mesh dotted; red with ✖ through a down or stale
// LB) with arrow heads and hop badges, service boxes with their task chips, LB pills, health by
// colour plus icon plus hatching; below `lodZoom` the overview (no text, tasks as dots, edges
// aggregated per node pair). The one painter of the graph: the screen's tiles (GraphLayer) and
// the PNG/SVG export (GraphRenderer) both call paint(), so they draw the same pixels.
class GraphPainter
{
public:
    struct Options
    {
        qreal lodZoom = 0.45; // below: the overview
        qreal labelZoom = 0.35; // above: hop badges
    };

    // Paints what of the scene meets `area` (content coordinates; the painter already maps
    // content to device at `scale`). Draws no background.
    static void paint(QPainter &painter, const GraphScene &scene, const QRectF &area, qreal scale,
        const GraphStyle &style, const Options &options);
    static void paint(QPainter &painter, const GraphScene &scene, const QRectF &area, qreal scale,
        const GraphStyle &style)
    {
        paint(painter, scene, area, scale, style, Options {});
    }

    // The device rectangle `device` (pixels of the whole picture at `scale`) as an opaque image:
    // background, then paint(). The screen's tiles and patches and the PNG export's tiles are
    // all made by it, on the same TileSize grid, so the export is the screen's pixels.
    static constexpr int TileSize = 256;
    static QImage render(const GraphScene &scene, const QRect &device, qreal scale,
        const GraphStyle &style, const Options &options);

    // How far the drawing of a node reaches beyond its rectangle at `scale` (its border's
    // antialiasing zoomed in; the overview's border zoomed out): what to repaint on a change.
    static qreal nodeReach(qreal scale, const Options &options);

    // The overview in traffic emphasis: the width of a pair's line in device pixels by its
    // request rate (GraphScene::pairTraffic).
    static qreal overviewTrafficWidth(double rps);
    // How far the overview's widest line reaches from its centre, in device pixels.
    static constexpr qreal OverviewLineReach = 4;

    // The overview after a change of node health (or of a node's task chips, same geometry):
    // only the boxes and dots meeting `device` (pixels of `tile`, whose top left is
    // `tileOrigin` in pixels of the whole picture at `scale`) are drawn again, clipped to it,
    // over the tile. Exact, without drawing the lines again: the overview's boxes and dots are
    // opaque unantialiased fills drawn after every line, so within their pixels the lines never
    // show, and every box reaching `device` is drawn again in the tile's order. Not for a change
    // of lines (traffic, geometry): those need render().
    static void patchOverviewNodes(QImage &tile, const QPoint &tileOrigin, const QRect &device,
        const GraphScene &scene, qreal scale, const GraphStyle &style);

private:
    static void paintNodes(QPainter &p, const GraphScene &scene, const QRectF &visible, qreal scale,
        const GraphStyle &style);
    static void paintOverview(QPainter &p, const GraphScene &scene, const QRectF &area, qreal scale,
        const GraphStyle &style);
    static void paintOverviewNodes(QPainter &p, const GraphScene &scene, const QRectF &area,
        qreal scale, const GraphStyle &style);
};

} // namespace hopscope
