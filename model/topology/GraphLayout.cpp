#include "GraphLayout.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <vector>

namespace hopscope {

GraphLayout::Result GraphLayout::layout(const QList<Node> &nodes, const QList<Edge> &edges,
                                        const Options &options)
{
    const int n = int(nodes.size());
    Result result;
    if (n == 0) {
        return result;
    }
    // std::vector for the scratch arrays: GCC 12 reports a bogus -Wstringop-overflow for
    // QList(n, value) at -O2, which -Werror turns into a build failure.
    std::vector<int> layers(static_cast<size_t>(n), 0);

    std::vector<std::vector<int>> out(static_cast<size_t>(n)), in(static_cast<size_t>(n));
    for (const Edge &e : edges) {
        if (e.from >= 0 && e.from < n && e.to >= 0 && e.to < n && e.from != e.to) {
            out[size_t(e.from)].push_back(e.to);
            in[size_t(e.to)].push_back(e.from);
        }
    }

    // Longest path from the sources, ignoring back edges found by DFS (cycles are rare in
    // service graphs but legal: a callback edge must not make the layout loop).
    std::vector<int> state(static_cast<size_t>(n), 0); // 0 new, 1 on stack, 2 done
    std::vector<std::vector<int>> forward(static_cast<size_t>(n));
    std::function<void(int)> dfs = [&](int v) {
        state[size_t(v)] = 1;
        for (int w : out[size_t(v)]) {
            if (state[size_t(w)] == 1) {
                continue; // back edge
            }
            forward[size_t(v)].push_back(w);
            if (state[size_t(w)] == 0) {
                dfs(w);
            }
        }
        state[size_t(v)] = 2;
    };
    for (int v = 0; v < n; ++v) {
        if (state[size_t(v)] == 0 && in[size_t(v)].empty()) {
            dfs(v);
        }
    }
    for (int v = 0; v < n; ++v) {
        if (state[size_t(v)] == 0) {
            dfs(v);
        }
    }
    // Topological order of the forward graph (Kahn), then relax layers.
    std::vector<int> indeg(static_cast<size_t>(n), 0);
    for (int v = 0; v < n; ++v) {
        for (int w : forward[size_t(v)]) {
            ++indeg[size_t(w)];
        }
    }
    std::vector<int> queue;
    for (int v = 0; v < n; ++v) {
        if (indeg[size_t(v)] == 0) {
            queue.push_back(v);
        }
    }
    for (size_t head = 0; head < queue.size(); ++head) {
        const int v = queue[head];
        for (int w : forward[size_t(v)]) {
            layers[size_t(w)] = std::max(layers[size_t(w)], layers[size_t(v)] + 1);
            if (--indeg[size_t(w)] == 0) {
                queue.push_back(w);
            }
        }
    }

    // Longest-path layering puts every source in layer 0, which makes the first column the
    // tallest in wide graphs; place a source just left of its nearest callee instead.
    for (int v = 0; v < n; ++v) {
        if (in[size_t(v)].empty() && !forward[size_t(v)].empty()) {
            int nearest = layers[size_t(forward[size_t(v)].front())];
            for (int w : forward[size_t(v)]) {
                nearest = std::min(nearest, layers[size_t(w)]);
            }
            layers[size_t(v)] = std::max(0, nearest - 1);
        }
    }

    const int layerCount = *std::max_element(layers.cbegin(), layers.cend()) + 1;
    std::vector<std::vector<int>> byLayer(static_cast<size_t>(layerCount));
    for (int v = 0; v < n; ++v) {
        byLayer[size_t(layers[size_t(v)])].push_back(v);
    }

    // Barycentre sweeps: order each layer by the mean position of its neighbours in the
    // previous (down sweep) or next (up sweep) layer. Stable sort keeps input order on ties.
    std::vector<qreal> order(static_cast<size_t>(n), 0);
    auto renumber = [&](int layer) {
        const auto &nodesInLayer = byLayer[size_t(layer)];
        for (size_t i = 0; i < nodesInLayer.size(); ++i) {
            order[size_t(nodesInLayer[i])] = qreal(i);
        }
    };
    for (int l = 0; l < layerCount; ++l) {
        renumber(l);
    }
    for (int sweep = 0; sweep < options.sweeps; ++sweep) {
        const bool down = sweep % 2 == 0;
        for (int step = 1; step < layerCount; ++step) {
            const int l = down ? step : layerCount - 1 - step;
            const auto &neighbours = down ? in : out;
            std::vector<qreal> key(static_cast<size_t>(n), 0);
            for (int v : byLayer[size_t(l)]) {
                qreal sum = 0;
                int count = 0;
                for (int w : neighbours[size_t(v)]) {
                    if (layers[size_t(w)] == (down ? l - 1 : l + 1)) {
                        sum += order[size_t(w)];
                        ++count;
                    }
                }
                key[size_t(v)] = count ? sum / count : order[size_t(v)];
            }
            std::stable_sort(byLayer[size_t(l)].begin(), byLayer[size_t(l)].end(),
                             [&](int a, int b) { return key[size_t(a)] < key[size_t(b)]; });
            renumber(l);
        }
    }

    // Coordinates: layers left to right, each column as wide as its widest box; rows stacked
    // and centred vertically against the tallest column.
    std::vector<qreal> columnWidth(static_cast<size_t>(layerCount), 0), columnHeight(static_cast<size_t>(layerCount), 0);
    for (size_t l = 0; l < size_t(layerCount); ++l) {
        for (int v : byLayer[l]) {
            columnWidth[l] = std::max(columnWidth[l], nodes[v].size.width());
            columnHeight[l] += nodes[v].size.height();
        }
        columnHeight[l] += options.nodeGap * qreal(std::max<size_t>(1, byLayer[l].size()) - 1);
    }
    const qreal tallest = *std::max_element(columnHeight.cbegin(), columnHeight.cend());
    std::vector<QPointF> positions(static_cast<size_t>(n));
    qreal x = options.margin;
    for (size_t l = 0; l < size_t(layerCount); ++l) {
        qreal y = options.margin + (tallest - columnHeight[l]) / 2;
        for (int v : byLayer[l]) {
            positions[size_t(v)] = QPointF(x + (columnWidth[l] - nodes[v].size.width()) / 2, y);
            y += nodes[v].size.height() + options.nodeGap;
        }
        x += columnWidth[l] + options.layerGap;
    }
    result.positions = QList<QPointF>(positions.cbegin(), positions.cend());
    result.layers = QList<int>(layers.cbegin(), layers.cend());
    result.bounds = QSizeF(x - options.layerGap + options.margin, tallest + 2 * options.margin);
    return result;
}

} // namespace hopscope
