#pragma once

#include <QList>
#include <QPointF>
#include <QSizeF>
#include <QString>

namespace hopscope {

// Layered left-to-right layout of a directed graph: longest-path layering (cycles broken by
// visiting order), then a few barycentre sweeps to reduce crossings. Pure and deterministic:
// the same input gives the same positions, so boxes do not jump between polls.
class GraphLayout
{
public:
    struct Node
    {
        QString id;
        QSizeF size;
    };
    struct Edge
    {
        int from = -1;
        int to = -1;
    };
    struct Result
    {
        QList<QPointF> positions; // top-left per node, same order as the input
        QList<int> layers;
        QSizeF bounds;
    };

    struct Options
    {
        // Room between columns for an edge's badge ("2 hops · internal-lb") in a 9 pt font, while
        // a five-column profile still fits an 800 px graph pane above the overview zoom (0.45).
        qreal layerGap = 140;
        qreal nodeGap = 36;
        qreal margin = 32;
        int sweeps = 4;
    };

    static Result layout(const QList<Node> &nodes, const QList<Edge> &edges, const Options &options);
    static Result layout(const QList<Node> &nodes, const QList<Edge> &edges)
    {
        return layout(nodes, edges, Options());
    }
};

} // namespace hopscope
