#pragma once

#include <QColor>
#include <QQuickItem>
#include <QString>

#include <cstdlib>

// Helpers for GUI tests that look into the QML graph. Header-only.
namespace hopscope::quicktest {

// Finds an item by objectName. Repeater delegates are not QObject children of the root, so
// this walks the visual tree (docs/QT64.md).
inline QQuickItem *findItem(QQuickItem *root, const QString &name)
{
    if (!root) {
        return nullptr;
    }
    if (root->objectName() == name) {
        return root;
    }
    for (QQuickItem *child : root->childItems()) {
        if (QQuickItem *found = findItem(child, name)) {
            return found;
        }
    }
    return nullptr;
}

// The graph is painted by GraphLayer from tiles rendered within a per-frame budget: true once
// a frame showed every visible tile at the current zoom (read pixels only then).
inline bool painted(QQuickItem *root)
{
    QQuickItem *layer = findItem(root, QStringLiteral("graphLayer"));
    return layer && layer->property("complete").toBool();
}

// Manhattan distance between two colours, for tolerant pixel checks.
inline int distance(QColor a, QColor b)
{
    return std::abs(a.red() - b.red()) + std::abs(a.green() - b.green()) + std::abs(a.blue() - b.blue());
}

} // namespace hopscope::quicktest
