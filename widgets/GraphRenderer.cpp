#include "GraphRenderer.h"

#include "GraphPainter.h"
#include "GraphScene.h"
#include "topology/ServiceGraphModel.h"

#include <QFile>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>

namespace hopscope {

void GraphRenderer::paint(
    QPainter &painter, const ServiceGraphModel &model, const GraphStyle &style, qreal scale)
{
    const QRectF content(QPointF(0, 0), model.contentSize());
    // The background as a path, so an SVG's elements are the graph's.
    QPainterPath background;
    background.addRect(content);
    painter.fillPath(background, style.background);
    GraphScene scene;
    scene.rebuild(model);
    GraphPainter::paint(painter, scene, content, scale, style);
}

GraphExport::DotStyle GraphRenderer::dotLook(const GraphStyle &style)
{
    GraphExport::DotStyle dot;
    dot.node = [style](Health health) {
        const GraphStyle::HealthLook look = style.look(health);
        return GraphExport::DotLook { look.colour.name(), look.hatched };
    };
    dot.traffic = [style](const EdgeTraffic &traffic) {
        const GraphStyle::TrafficLook look = style.trafficLook(traffic);
        return GraphExport::DotTrafficLook { look.colour.name(), look.width, look.icon };
    };
    return dot;
}

QImage GraphRenderer::toImage(
    const ServiceGraphModel &model, const GraphStyle &style, qreal scale, int maxSide)
{
    const QSizeF content = model.contentSize();
    if (content.isEmpty()) {
        return {};
    }
    scale = std::min({ scale, maxSide / content.width(), maxSide / content.height() });
    // Tile by tile on the screen's grid, by the function that renders the screen's tiles: at
    // the same zoom the same pixels.
    QImage image(
        QSize(int(std::ceil(content.width() * scale)), int(std::ceil(content.height() * scale))),
        QImage::Format_RGB32);
    GraphScene scene;
    scene.rebuild(model);
    const GraphPainter::Options options;
    constexpr int tile = GraphPainter::TileSize;
    QPainter painter(&image);
    painter.setCompositionMode(QPainter::CompositionMode_Source);
    for (int y = 0; y < image.height(); y += tile) {
        for (int x = 0; x < image.width(); x += tile) {
            painter.drawImage(QPoint(x, y),
                GraphPainter::render(scene, QRect(x, y, tile, tile), scale, style, options));
        }
    }
    return image;
}

namespace {
bool haveGui(QString *error)
{
    if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance())) {
        if (error) {
            *error = QStringLiteral("rendering needs a QGuiApplication (fonts)");
        }
        return false;
    }
    return true;
}
} // namespace

bool GraphRenderer::savePng(const ServiceGraphModel &model, const QString &path,
    const GraphStyle &style, QString *error, qreal scale)
{
    if (!haveGui(error)) {
        return false;
    }
    const QImage image = toImage(model, style, scale);
    if (image.isNull()) {
        if (error) {
            *error = QStringLiteral("the graph is empty");
        }
        return false;
    }
    if (!image.save(path, "PNG")) {
        if (error) {
            *error = QStringLiteral("cannot write %1").arg(path);
        }
        return false;
    }
    return true;
}

bool GraphRenderer::saveSvg(
    const ServiceGraphModel &model, const QString &path, const GraphStyle &style, QString *error)
{
    if (!haveGui(error)) {
        return false;
    }
    const QSizeF content = model.contentSize();
    if (content.isEmpty()) {
        if (error) {
            *error = QStringLiteral("the graph is empty");
        }
        return false;
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(content.toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), content));
    svg.setTitle(model.profileName());
    svg.setDescription(QStringLiteral("hopscope service graph"));
    QPainter painter;
    if (!painter.begin(&svg)) {
        if (error) {
            *error = QStringLiteral("cannot start the SVG painter");
        }
        return false;
    }
    paint(painter, model, style);
    painter.end();
    file.close();
    if (file.error() != QFileDevice::NoError) {
        if (error) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    return true;
}

} // namespace hopscope
