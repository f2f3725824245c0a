#pragma once

#include "topology/Health.h"

#include <QColor>
#include <QObject>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

// The painting core's style table (hopscope::GraphStyle) for QML, as the singleton HealthStyle:
// the legend and the remaining QML take every colour, icon and word from it, keyed by the
// Health enum (registered for QML as `Health`), never by a health string. GUI thread.
class HealthStyle : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    // Every health state in the legend's order (Health values).
    Q_PROPERTY(QVariantList states READ states CONSTANT)
    // The graph's smallest label size in pixels (at least 9 pt).
    Q_PROPERTY(int smallPixelSize READ smallPixelSize CONSTANT)

public:
    explicit HealthStyle(QObject *parent = nullptr);

    QVariantList states() const;
    int smallPixelSize() const;

    Q_INVOKABLE QColor colour(hopscope::Health health, bool dark) const;
    Q_INVOKABLE QString icon(hopscope::Health health) const;
    Q_INVOKABLE bool hatched(hopscope::Health health) const;
    // The legend's words for the state: "drained (safe to stop)", "stale (hatched)".
    Q_INVOKABLE QString label(hopscope::Health health) const;
    // The traffic emphasis's legend, from the style table: per level {icon, colour, text}
    // ("✔ < 1 % errors", ...), then the width rule.
    Q_INVOKABLE QVariantList trafficLegend(bool dark) const;
    // background, box, border, text, muted, line, focus.
    Q_INVOKABLE QVariantMap palette(bool dark) const;
};
