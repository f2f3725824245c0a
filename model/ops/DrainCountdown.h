#pragma once

#include "ops/DrainPlanner.h"

#include <QDateTime>
#include <QStringList>

namespace hopscope {

class ClusterMonitor;

// Live countdown while a drained target empties out (what a progress panel binds to).
struct DrainCountdown
{
    qint64 lbSessions = -1; // -1: no LB layer
    qint64 sidecarConnections = -1; // -1: no sidecar layer or not reported
    qint64 dnsStaleSecondsLeft = -1; // -1: no DNS layer
    QStringList holding; // what still holds, in words
    bool safe() const { return holding.isEmpty(); }

    // What still holds the target `key` after the steps `done`, from the monitor's latest
    // snapshots: LB sessions, sidecar connections, and the DNS stale window (removal + TTL,
    // against `now`). Not seeing a count is not seeing 0: an unreachable or silent layer holds.
    static DrainCountdown observe(const ClusterMonitor &monitor, const QList<DrainStep> &done,
        const QString &key, const QDateTime &dnsRemovedAt, int dnsTtl, const QDateTime &now);
};

} // namespace hopscope
