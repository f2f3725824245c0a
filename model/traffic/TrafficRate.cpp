#include "traffic/TrafficRate.h"

#include <algorithm>
#include <limits>

namespace hopscope {

int trafficStatusRank(TrafficStatus status)
{
    switch (status) {
    case TrafficStatus::MissingPoll:
        return 0;
    case TrafficStatus::CounterReset:
        return 1;
    case TrafficStatus::FirstPoll:
        return 2;
    case TrafficStatus::NotReported:
        return 3;
    case TrafficStatus::Ok:
        return 4;
    }
    return 3;
}

QString trafficStatusName(TrafficStatus status)
{
    switch (status) {
    case TrafficStatus::Ok:
        return QStringLiteral("ok");
    case TrafficStatus::FirstPoll:
        return QStringLiteral("first-poll");
    case TrafficStatus::CounterReset:
        return QStringLiteral("counter-reset");
    case TrafficStatus::MissingPoll:
        return QStringLiteral("missing-poll");
    case TrafficStatus::NotReported:
        return QStringLiteral("not-reported");
    }
    return QStringLiteral("not-reported");
}

std::optional<quint64> TrafficRate::delta(quint64 previous, quint64 current)
{
    if (current >= previous) {
        return current - previous;
    }
    // Went down. A wrap leaves the previous value near the counter's limit and the current one
    // small; anything else is a restart or a `clear counters`.
    constexpr quint64 limit32 = quint64(1) << 32;
    constexpr quint64 near32 = limit32 >> 4;
    constexpr quint64 near64 = std::numeric_limits<quint64>::max() >> 4;
    if (previous < limit32 && previous >= limit32 - near32 && current < near32) {
        return limit32 - previous + current;
    }
    if (previous >= std::numeric_limits<quint64>::max() - near64 && current < near64) {
        return (std::numeric_limits<quint64>::max() - previous) + current + 1;
    }
    return std::nullopt;
}

bool TrafficRate::restarted(const TrafficCounterSet &previous, const TrafficCounterSet &current)
{
    if (!previous.instance.isEmpty() && !current.instance.isEmpty()
        && previous.instance != current.instance) {
        return true;
    }
    return previous.uptimeS && current.uptimeS && *current.uptimeS < *previous.uptimeS;
}

TrafficPoint TrafficRate::first(const TrafficCounters &current, const QDateTime &at)
{
    TrafficPoint p;
    p.status = TrafficStatus::FirstPoll;
    p.at = at;
    p.activeConnections = current.activeConnections;
    p.avgMs = current.avgMs;
    p.p50Ms = current.p50Ms;
    p.p99Ms = current.p99Ms;
    p.maxMs = current.maxMs;
    return p;
}

TrafficPoint TrafficRate::between(const TrafficCounters &previous, const QDateTime &previousAt,
    const TrafficCounters &current, const QDateTime &currentAt, bool restarted)
{
    TrafficPoint p = first(current, currentAt);
    if (!current.requests) {
        p.status = TrafficStatus::NotReported;
        return p;
    }
    if (!previous.requests || !previousAt.isValid() || !currentAt.isValid()) {
        return p; // FirstPoll: nothing to subtract from yet
    }
    const qint64 ms = previousAt.msecsTo(currentAt);
    if (ms <= 0) {
        p.status = TrafficStatus::FirstPoll; // same instant twice (or clock stepped back)
        return p;
    }
    quint64 requests = 0;
    quint64 errors = 0;
    bool haveErrors = false;
    bool reset = restarted;
    if (!reset) {
        const std::optional<quint64> r = delta(*previous.requests, *current.requests);
        reset = !r.has_value();
        requests = r.value_or(0);
    }
    if (!reset && previous.errors && current.errors) {
        const std::optional<quint64> e = delta(*previous.errors, *current.errors);
        reset = !e.has_value();
        haveErrors = e.has_value();
        errors = e.value_or(0);
    }
    if (reset) {
        p.status = TrafficStatus::CounterReset;
        return p;
    }
    p.status = TrafficStatus::Ok;
    p.windowS = double(ms) / 1000.0;
    p.rps = double(requests) / p.windowS;
    if (haveErrors) {
        p.errorsPerS = double(errors) / p.windowS;
        if (requests > 0) {
            // Errors counted at another stage than requests (econ, eresp) can exceed them.
            p.errorRatio = std::min(1.0, double(errors) / double(requests));
        }
    }
    return p;
}

} // namespace hopscope
