#pragma once

#include "GraphStyle.h"
#include "topology/GraphExport.h"

#include <QImage>
#include <QString>

class QPainter;

namespace hopscope {

class ServiceGraphModel;

// The whole service graph (not only a viewport) to PNG (QImage) and SVG (QSvgGenerator), drawn
// by the painting core's GraphPainter from a GraphScene of the model: the same painter and style
// table as the screen's tiles, so an export at zoom 1 is what the view shows at zoom 1. Used by
// File → Export and `hopscope-cli export`. Needs a QGuiApplication (fonts); any thread that
// owns the model.
class GraphRenderer
{
public:
    // Paints in content coordinates (0,0 .. model.contentSize()) at `scale`, background included.
    static void paint(QPainter &painter, const ServiceGraphModel &model, const GraphStyle &style,
        qreal scale = 1.0);

    // The whole graph as an image at `scale` (reduced so no side exceeds maxSide pixels).
    static QImage toImage(const ServiceGraphModel &model, const GraphStyle &style,
        qreal scale = 1.0, int maxSide = 16384);
    static bool savePng(const ServiceGraphModel &model, const QString &path,
        const GraphStyle &style, QString *error, qreal scale = 1.0);
    static bool saveSvg(const ServiceGraphModel &model, const QString &path,
        const GraphStyle &style, QString *error);
    // The DOT export's node colours and dashing, and in traffic emphasis its edges' pen width,
    // colour and icon, from the same style table.
    static GraphExport::DotStyle dotLook(const GraphStyle &style);
};

} // namespace hopscope
