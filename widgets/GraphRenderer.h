#pragma once

#include <QColor>
#include <QImage>
#include <QString>

class QPainter;

namespace hopscope {

class ServiceGraphModel;

// Paints the whole service graph (not only a viewport) with QPainter from the graph model's
// layout: service boxes with task chips, LB nodes, edges with hop badges, health by colour plus
// icon plus words. Used by File → Export and `hopscope-cli export` for PNG (QImage) and SVG
// (QSvgGenerator). Needs a QGuiApplication (fonts); any thread that owns the model.
class GraphRenderer
{
public:
    struct Palette
    {
        QColor background, box, border, text, muted, line;
        static Palette light();
        static Palette dark();
    };

    // Paints in content coordinates (0,0 .. model.contentSize()).
    static void paint(QPainter &painter, const ServiceGraphModel &model, const Palette &palette);

    // The whole graph as an image at `scale` (reduced so no side exceeds maxSide pixels).
    static QImage toImage(const ServiceGraphModel &model, const Palette &palette, qreal scale = 1.0,
                          int maxSide = 16384);
    static bool savePng(const ServiceGraphModel &model, const QString &path, const Palette &palette,
                        QString *error, qreal scale = 1.0);
    // One <rect> per service box (its layout rectangle) and one <text> with each title.
    static bool saveSvg(const ServiceGraphModel &model, const QString &path, const Palette &palette,
                        QString *error);

    static QColor healthColor(const QString &health, const Palette &palette);
};

} // namespace hopscope
