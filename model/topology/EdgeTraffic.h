#pragma once

#include "traffic/TrafficRate.h"

#include <QList>
#include <QString>

#include <optional>

namespace hopscope {

struct TrafficAggregate;

// The traffic one drawn edge stands for, typed (never a string): a segment of the graph is one
// profile edge, or the caller -> LB leg shared by several edges (their sum). `measured` false:
// nothing on the way reports traffic (a dns edge, no proxy). A rate that is not known (first
// poll, counter reset, a source not answering) stays nullopt: it is drawn as unknown, never as
// zero.
struct EdgeTraffic
{
    bool measured = false;
    TrafficStatus status = TrafficStatus::NotReported;
    std::optional<double> rps;
    std::optional<double> errorsPerS;
    std::optional<double> errorRatio; // 0..1; null without requests
    std::optional<double> avgMs;
    std::optional<double> p50Ms;
    std::optional<double> p99Ms;
    std::optional<double> maxMs;

    bool known() const { return rps.has_value(); }
    bool operator==(const EdgeTraffic &o) const;
    bool operator!=(const EdgeTraffic &o) const { return !(*this == o); }

    static EdgeTraffic from(const TrafficAggregate &aggregate);
    // Several edges drawn as one segment: rates summed (unknown when a part is unknown), the
    // error ratio from the summed errors, the worst status, p99 and max the largest, avg and
    // p50 weighted by rate.
    static EdgeTraffic combine(const QList<EdgeTraffic> &parts);

    // "12.3 rps · 0.4 % · p99 38 ms" (avg/max where only HAProxy has them); for an unknown
    // rate why: "no rate yet", "counter reset", "no answer", "not reported". Empty when not
    // measured.
    QString label() const;
    // The label's parts, in order: the rate (or why it is unknown), the error ratio, the
    // latency; the ones not known left out. A narrow label wraps between them.
    QStringList labelParts() const;
};

} // namespace hopscope
