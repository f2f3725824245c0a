#include "GraphLayout.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace hopscope {

GraphLayout::Result GraphLayout::layout(const QList<Node> &nodes, const QList<Edge> &edges,
                                        const Options &options)
{
    const int n = int(nodes.size());
    Result result;
    result.positions.resize(n);
    result.layers.fill(0, n);
    if (n == 0) {
        return result;
    }

    QList<QList<int>> out(n), in(n);
    for (const Edge &e : edges) {
        if (e.from >= 0 && e.from < n && e.to >= 0 && e.to < n && e.from != e.to) {
            out[e.from].append(e.to);
            in[e.to].append(e.from);
        }
    }

    // Longest path from the sources, ignoring back edges found by DFS (cycles are rare in
    // service graphs but legal: a callback edge must not make the layout loop).
    QList<int> state(n, 0); // 0 new, 1 on stack, 2 done
    QList<QList<int>> forward(n);
    std::function<void(int)> dfs = [&](int v) {
        state[v] = 1;
        for (int w : out[v]) {
            if (state[w] == 1) {
                continue; // back edge
            }
            forward[v].append(w);
            if (state[w] == 0) {
                dfs(w);
            }
        }
        state[v] = 2;
    };
    for (int v = 0; v < n; ++v) {
        if (state[v] == 0 && in[v].isEmpty()) {
            dfs(v);
        }
    }
    for (int v = 0; v < n; ++v) {
        if (state[v] == 0) {
            dfs(v);
        }
    }
    // Topological order of the forward graph (Kahn), then relax layers.
    QList<int> indeg(n, 0);
    for (int v = 0; v < n; ++v) {
        for (int w : forward[v]) {
            ++indeg[w];
        }
    }
    QList<int> queue;
    for (int v = 0; v < n; ++v) {
        if (indeg[v] == 0) {
            queue.append(v);
        }
    }
    for (qsizetype head = 0; head < queue.size(); ++head) {
        const int v = queue[head];
        for (int w : forward[v]) {
            result.layers[w] = std::max(result.layers[w], result.layers[v] + 1);
            if (--indeg[w] == 0) {
                queue.append(w);
            }
        }
    }

    const int layerCount = *std::max_element(result.layers.cbegin(), result.layers.cend()) + 1;
    QList<QList<int>> byLayer(layerCount);
    for (int v = 0; v < n; ++v) {
        byLayer[result.layers[v]].append(v);
    }

    // Barycentre sweeps: order each layer by the mean position of its neighbours in the
    // previous (down sweep) or next (up sweep) layer. Stable sort keeps input order on ties.
    QList<qreal> order(n, 0);
    auto renumber = [&](int layer) {
        for (int i = 0; i < byLayer[layer].size(); ++i) {
            order[byLayer[layer][i]] = i;
        }
    };
    for (int l = 0; l < layerCount; ++l) {
        renumber(l);
    }
    for (int sweep = 0; sweep < options.sweeps; ++sweep) {
        const bool down = sweep % 2 == 0;
        for (int step = 1; step < layerCount; ++step) {
            const int l = down ? step : layerCount - 1 - step;
            const QList<QList<int>> &neighbours = down ? in : out;
            QList<qreal> key(n, 0);
            for (int v : byLayer[l]) {
                qreal sum = 0;
                int count = 0;
                for (int w : neighbours[v]) {
                    if (result.layers[w] == (down ? l - 1 : l + 1)) {
                        sum += order[w];
                        ++count;
                    }
                }
                key[v] = count ? sum / count : order[v];
            }
            std::stable_sort(byLayer[l].begin(), byLayer[l].end(),
                             [&](int a, int b) { return key[a] < key[b]; });
            renumber(l);
        }
    }

    // Coordinates: layers left to right, each column as wide as its widest box; rows stacked
    // and centred vertically against the tallest column.
    QList<qreal> columnWidth(layerCount, 0), columnHeight(layerCount, 0);
    for (int l = 0; l < layerCount; ++l) {
        for (int v : byLayer[l]) {
            columnWidth[l] = std::max(columnWidth[l], nodes[v].size.width());
            columnHeight[l] += nodes[v].size.height();
        }
        columnHeight[l] += options.nodeGap * std::max<qsizetype>(0, byLayer[l].size() - 1);
    }
    const qreal tallest = *std::max_element(columnHeight.cbegin(), columnHeight.cend());
    qreal x = options.margin;
    for (int l = 0; l < layerCount; ++l) {
        qreal y = options.margin + (tallest - columnHeight[l]) / 2;
        for (int v : byLayer[l]) {
            result.positions[v] = QPointF(x + (columnWidth[l] - nodes[v].size.width()) / 2, y);
            y += nodes[v].size.height() + options.nodeGap;
        }
        x += columnWidth[l] + options.layerGap;
    }
    result.bounds = QSizeF(x - options.layerGap + options.margin, tallest + 2 * options.margin);
    return result;
}

} // namespace hopscope
