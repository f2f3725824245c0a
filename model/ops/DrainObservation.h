#pragma once

#include "ops/DrainPlanner.h"

#include <functional>

namespace hopscope {

class ClusterMonitor;
class PollingSource;

// How a drain step (or its inverse) shows in the sources' snapshots: which source to poll and
// the check that says whether the change is observed, with the observation in words. Steps are
// verified this way, never by the reply to the command (a reply can be lost; the servers' state
// cannot lie about itself). Pure lookups on the GUI thread.
struct DrainObservation
{
    using Check = std::function<bool(QString *observation)>;
    PollingSource *source = nullptr; // nullptr: no source observes this layer
    Check check;

    // `key` is the target "addr:port"; `inverse`: observe the undo (the change put back).
    static DrainObservation forStep(
        ClusterMonitor *monitor, const DrainStep &step, bool inverse, const QString &key);
    // Ask for fresh data now: DNS discovery re-queries every name instead of waiting out the
    // TTL, the others poll at once.
    static void pollNow(PollingSource *source);
};

} // namespace hopscope
