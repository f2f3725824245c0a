#pragma once

#include "traffic/TrafficCounters.h"
#include "traffic/TrafficRate.h"

#include <QHash>
#include <QString>
#include <QStringList>

namespace hopscope {

// Traffic of one edge or one task: the sum of the entities the proxies report for it.
struct TrafficAggregate
{
    bool measured = false; // some proxy on the way reports it (false: a dns edge, an unseen task)
    QStringList from; // "lb:<id>", "mesh:<id>"
    TrafficPoint point;
};

struct TrafficReport
{
    QHash<QString, TrafficAggregate> edges; // by edgeKey()
    QHash<QString, TrafficAggregate> targets; // by targetKey()
};

// What TrafficTracker keeps of one source ("lb:<id>", "mesh:<id>"): its last answer and the rates
// since the one before. Every member is Qt implicitly shared, so a copy of the whole map (500
// sidecars) for a report computed off the GUI thread costs a reference count.
struct TrafficSourceData
{
    TrafficCounterSet last;
    QHash<QString, TrafficPoint> points; // by entity key
    int answers = 0;
    bool failing = false;
    // server/… and host/… entities by the "addr:port" they name, and by "addr" alone.
    QHash<QString, QStringList> byAddressPort;
    QHash<QString, QStringList> byAddress;
};

using TrafficSources = QHash<QString, TrafficSourceData>; // by source name

} // namespace hopscope
