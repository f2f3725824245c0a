#pragma once

#include "envoy/EnvoySnapshot.h"
#include "haproxy/HaproxySnapshot.h"

#include <QDateTime>
#include <QHash>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace hopscope {

// What one proxy reported about one entity in one poll, reduced to what traffic needs: two
// cumulative counters (requests, errors) that successive polls turn into rates, and values the
// proxy already computed over its own window (gauges, latencies). nullopt: the proxy did not say.
struct TrafficCounters
{
    std::optional<quint64>
        requests; // HAProxy req_tot (stot where absent); Envoy upstream_rq_total / rq_total
    std::optional<quint64>
        errors; // HAProxy hrsp_5xx + econ + eresp; Envoy upstream_rq_5xx / rq_error
    std::optional<double> activeConnections; // HAProxy scur; Envoy upstream_cx_active / cx_active
    std::optional<double> avgMs; // HAProxy rtime (last 1024 requests)
    std::optional<double>
        maxMs; // HAProxy rtime_max (since start); Envoy upstream_rq_time P100 (last flush interval)
    std::optional<double> p50Ms; // Envoy upstream_rq_time P50 (last flush interval)
    std::optional<double> p99Ms; // Envoy upstream_rq_time P99
};

// One poll of one proxy: every entity it reports, keyed
//   HAProxy: "backend/<name>", "server/<backend>/<addr:port>"
//   Envoy:   "cluster/<name>", "host/<cluster>/<addr:port>"
// plus what tells a restarted proxy from a running one (its counters start again at 0).
struct TrafficCounterSet
{
    QDateTime at; // when the answer was read
    QString instance; // HAProxy pid; empty when not known (stats page: no show info)
    std::optional<qint64> uptimeS; // HAProxy Uptime_sec; Envoy server_info uptime (current epoch)
    QHash<QString, TrafficCounters> entities;

    static TrafficCounterSet fromHaproxy(const HaproxySnapshot &snapshot, const QDateTime &at);
    static TrafficCounterSet fromEnvoy(const EnvoyAdminSnapshot &snapshot, const QDateTime &at);

    static QString backendKey(const QString &backend);
    static QString serverKey(const QString &backend, const QString &addressPort);
    static QString clusterKey(const QString &cluster);
    static QString hostKey(const QString &cluster, const QString &addressPort);
};

} // namespace hopscope
