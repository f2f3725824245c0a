#pragma once

#include "ops/DrainPlanner.h"

#include <QDateTime>
#include <QStringList>

namespace hopscope {

// Live countdown while a drained target empties out (what a progress panel binds to): each
// DrainLayer adds what still holds through it (DrainLayer::addHolding).
struct DrainCountdown
{
    qint64 lbSessions = -1; // -1: no LB layer
    qint64 sidecarConnections = -1; // -1: no sidecar layer or not reported
    qint64 dnsStaleSecondsLeft = -1; // -1: no DNS layer
    QStringList holding; // what still holds, in words
    bool safe() const { return holding.isEmpty(); }
};

} // namespace hopscope
