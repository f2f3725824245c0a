#include "traffic/TrafficCounters.h"

namespace hopscope {

namespace {

std::optional<quint64> u64(const std::optional<qint64> &v)
{
    return v && *v >= 0 ? std::optional<quint64>(quint64(*v)) : std::nullopt;
}

std::optional<double> real(const std::optional<qint64> &v)
{
    return v ? std::optional<double>(double(*v)) : std::nullopt;
}

// Sum of the counters present; nullopt when none is.
std::optional<quint64> sum(std::initializer_list<std::optional<qint64>> values)
{
    std::optional<quint64> total;
    for (const auto &v : values) {
        if (v && *v >= 0) {
            total = total.value_or(0) + quint64(*v);
        }
    }
    return total;
}

TrafficCounters fromHaproxyRow(const HaproxyTrafficCounters &t, const std::optional<qint64> &scur)
{
    TrafficCounters c;
    c.requests = u64(t.reqTot ? t.reqTot : t.stot);
    c.errors = sum({ t.hrsp5xx, t.econ, t.eresp });
    c.activeConnections = real(t.scur ? t.scur : scur);
    // HAProxy prints 0 for the averages of a proxy that never served a request: not a latency.
    const bool served = c.requests && *c.requests > 0;
    c.avgMs = served ? real(t.rtime) : std::nullopt;
    c.maxMs = served ? real(t.rtimeMax) : std::nullopt;
    return c;
}

} // namespace

QString TrafficCounterSet::backendKey(const QString &backend)
{
    return QStringLiteral("backend/") + backend;
}

QString TrafficCounterSet::serverKey(const QString &backend, const QString &addressPort)
{
    return QStringLiteral("server/") + backend + QLatin1Char('/') + addressPort;
}

QString TrafficCounterSet::clusterKey(const QString &cluster)
{
    return QStringLiteral("cluster/") + cluster;
}

QString TrafficCounterSet::hostKey(const QString &cluster, const QString &addressPort)
{
    return QStringLiteral("host/") + cluster + QLatin1Char('/') + addressPort;
}

TrafficCounterSet TrafficCounterSet::fromHaproxy(
    const HaproxySnapshot &snapshot, const QDateTime &at)
{
    TrafficCounterSet set;
    set.at = at;
    if (snapshot.info.pid) {
        set.instance = QString::number(*snapshot.info.pid);
    }
    set.uptimeS = snapshot.info.uptimeSeconds;
    for (const HaproxyStatProxy &p : snapshot.stat.proxies) {
        if (p.type != HaproxyStatProxy::Type::Backend) {
            continue;
        }
        set.entities.insert(backendKey(p.name), fromHaproxyRow(p.traffic, p.scur));
        for (const HaproxyStatServer &s : p.servers) {
            const QString key = s.key();
            if (key.isEmpty()) {
                continue; // unfilled server-template slot or hidden address: no identity
            }
            set.entities.insert(serverKey(p.name, key), fromHaproxyRow(s.traffic, s.scur));
        }
    }
    return set;
}

TrafficCounterSet TrafficCounterSet::fromEnvoy(
    const EnvoyAdminSnapshot &snapshot, const QDateTime &at)
{
    TrafficCounterSet set;
    set.at = at;
    if (snapshot.serverInfo.uptimeSeconds > 0) {
        set.uptimeS = snapshot.serverInfo.uptimeSeconds;
    }
    if (snapshot.stats) {
        const EnvoyStats &st = *snapshot.stats;
        for (const EnvoyTrafficStats &c : st.clusters) {
            TrafficCounters t;
            const QString prefix = QStringLiteral("cluster.") + c.name + QLatin1Char('.');
            t.requests = c.rqTotal;
            // upstream_rq_5xx counts every 5xx the caller got, Envoy's own 503 for a connection
            // failure or reset included; without the class counter, the sum of the 5NN codes.
            t.errors = st.value(QString(prefix + QStringLiteral("upstream_rq_5xx")));
            if (!t.errors) {
                for (const EnvoyStats::Value &v : st.values) {
                    const QStringView rest = QStringView(v.name).mid(prefix.size());
                    if (v.name.startsWith(prefix) && rest.size() == 15
                        && rest.startsWith(u"upstream_rq_5") && rest[13].isDigit()
                        && rest[14].isDigit()) {
                        t.errors = t.errors.value_or(0) + v.value;
                    }
                }
            }
            if (!t.errors && t.requests) {
                // Envoy creates the response-code stats on their first use: none yet is 0.
                t.errors = 0;
            }
            if (c.cxActive) {
                t.activeConnections = double(*c.cxActive);
            }
            const QString histogram = prefix + QStringLiteral("upstream_rq_time");
            for (const EnvoyHistogramQuantiles &h : st.histograms) {
                if (h.name == histogram) {
                    t.p50Ms = h.at(50);
                    t.p99Ms = h.at(99);
                    t.maxMs = h.at(100);
                }
            }
            set.entities.insert(clusterKey(c.name), t);
        }
    }
    for (const EnvoyCluster &c : snapshot.clusters.clusters) {
        for (const EnvoyHost &h : c.hosts) {
            if (h.addressKind != EnvoyHost::AddressKind::Socket || !h.port) {
                continue;
            }
            TrafficCounters t;
            t.requests = h.rqTotal;
            t.errors = h.rqError; // 5xx and resets (connection failures) [doc: host stats]
            t.activeConnections = double(h.cxActive);
            set.entities.insert(hostKey(c.name, h.key()), t);
        }
    }
    return set;
}

} // namespace hopscope
