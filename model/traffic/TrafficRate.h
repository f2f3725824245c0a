#pragma once

#include "traffic/TrafficCounters.h"

#include <QDateTime>
#include <QString>

#include <optional>

namespace hopscope {

// Why a traffic value is what it is. Anything but Ok leaves the rates null: a proxy that just
// restarted, a poll that failed or the very first poll is "no rate", never "0 requests/s".
enum class TrafficStatus {
    Ok, // rates over the window between two successive answers
    FirstPoll, // one answer so far: a rate needs two
    CounterReset, // the proxy restarted (or its counters were cleared) between the two answers
    MissingPoll, // the source's last poll failed: nothing current is known
    NotReported, // the proxy's answer does not list this entity (or not its counters)
};

QString trafficStatusName(TrafficStatus status); // "ok", "first-poll", "counter-reset", ...
// Worst first (MissingPoll 0 … Ok 4): what a sum shows when its parts disagree.
int trafficStatusRank(TrafficStatus status);

// Traffic of one entity (or an edge / task summed over entities) over one window.
struct TrafficPoint
{
    TrafficStatus status = TrafficStatus::NotReported;
    QDateTime at; // end of the window
    double windowS = 0; // its length; 0 when there is no window
    std::optional<double> rps;
    std::optional<double> errorsPerS;
    std::optional<double> errorRatio; // errors / requests in the window; null without requests
    std::optional<double> activeConnections;
    std::optional<double> avgMs;
    std::optional<double> p50Ms;
    std::optional<double> p99Ms;
    std::optional<double> maxMs;
};

// The delta arithmetic, pure. A counter that went down is a restart (rates null) unless it went
// round: from within 1/16 of 2^32 (or 2^64) below the limit to a small value, with no sign of a
// restart (same instance, uptime grown), it wrapped and the delta counts across the wrap.
class TrafficRate
{
public:
    // `restarted`: the proxy said so (another pid, uptime went down) — a reset even when the
    // counters happen to have grown past their old values.
    static TrafficPoint between(const TrafficCounters &previous, const QDateTime &previousAt,
        const TrafficCounters &current, const QDateTime &currentAt, bool restarted);

    // The first answer: no rate, but gauges and latencies the proxy computed itself.
    static TrafficPoint first(const TrafficCounters &current, const QDateTime &at);

    // Did the proxy restart between these two answers (pid changed, uptime went down)?
    static bool restarted(const TrafficCounterSet &previous, const TrafficCounterSet &current);

    // current - previous for a cumulative counter: nullopt on a reset (went down, not a wrap).
    static std::optional<quint64> delta(quint64 previous, quint64 current);
};

} // namespace hopscope
