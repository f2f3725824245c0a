#include "prometheus/PrometheusEnvoy.h"

#include <QMap>
#include <QSet>

#include <cmath>

namespace hopscope::prometheusenvoy {

namespace {

std::optional<quint64> count(const PrometheusSeries &s)
{
    const PrometheusSeries::Point *p = s.last();
    if (!p || !std::isfinite(p->value) || p->value < 0) {
        return std::nullopt;
    }
    return quint64(std::llround(p->value));
}

struct ClusterRows
{
    EnvoyTrafficStats traffic;
    std::optional<quint64> degraded;
    std::optional<quint64> rq5xx;
    std::optional<quint64> ejectionsActive;
};

} // namespace

QString query(const QString &selector)
{
    const QString extra
        = selector.trimmed().isEmpty() ? QString() : QString(u',' + selector.trimmed());
    return QStringLiteral(
        "{__name__=~\"envoy_server_(state|live)|envoy_cluster_(membership_(healthy|"
        "total|degraded)|upstream_cx_active|upstream_rq_total|"
        "outlier_detection_ejections_active)|envoy_http_downstream_cx_active\"%1} or "
        "{__name__=\"envoy_cluster_upstream_rq_xx\",envoy_response_code_class=\"5\"%1}")
        .arg(extra);
}

QString instanceSelector(const QUrl &admin)
{
    const QString host = admin.host().contains(u':') ? u'[' + admin.host() + u']' : admin.host();
    const int port = admin.port(admin.scheme() == u"https" ? 443 : 80);
    return QStringLiteral("instance=\"%1:%2\"").arg(host).arg(port);
}

Parsed<EnvoyAdminSnapshot> snapshot(const PrometheusResponse &response)
{
    if (!response.success) {
        return Parsed<EnvoyAdminSnapshot>::failure(response.errorInWords());
    }
    if (response.resultType != PrometheusResponse::ResultType::Vector) {
        return Parsed<EnvoyAdminSnapshot>::failure(
            QStringLiteral("expected an instant vector, got a %1")
                .arg(PrometheusResponse::resultTypeName(response.resultType)));
    }
    EnvoyAdminSnapshot snap;
    EnvoyStats stats;
    QMap<QString, ClusterRows> clusters;
    QMap<QString, EnvoyTrafficStats> managers;
    QSet<QString> instances;
    for (const PrometheusSeries &s : response.series) {
        instances.insert(s.label(u"instance"));
        const QString cluster = s.label(u"envoy_cluster_name");
        if (s.name == u"envoy_server_state") {
            stats.serverState = count(s);
        } else if (s.name == u"envoy_server_live") {
            stats.serverLive = count(s);
        } else if (s.name == u"envoy_http_downstream_cx_active") {
            const QString prefix = s.label(u"envoy_http_conn_manager_prefix");
            managers[prefix].name = prefix;
            managers[prefix].cxActive = count(s);
        } else if (!cluster.isEmpty() && s.name.startsWith(u"envoy_cluster_")) {
            ClusterRows &c = clusters[cluster];
            c.traffic.name = cluster;
            const QStringView metric = QStringView(s.name).mid(14); // after "envoy_cluster_"
            if (metric == u"membership_healthy") {
                c.traffic.membershipHealthy = count(s);
            } else if (metric == u"membership_total") {
                c.traffic.membershipTotal = count(s);
            } else if (metric == u"membership_degraded") {
                c.degraded = count(s);
            } else if (metric == u"upstream_cx_active") {
                c.traffic.cxActive = count(s);
            } else if (metric == u"upstream_rq_total") {
                c.traffic.rqTotal = count(s);
            } else if (metric == u"upstream_rq_xx") {
                c.rq5xx = count(s);
            } else if (metric == u"outlier_detection_ejections_active") {
                c.ejectionsActive = count(s);
            }
        }
    }
    instances.remove(QString());
    if (instances.size() > 1) {
        QStringList names = instances.values();
        names.sort();
        return Parsed<EnvoyAdminSnapshot>::failure(
            QStringLiteral("series from %1 Envoy instances (%2): give the proxy a "
                           "\"prometheusSelector\" that matches one")
                .arg(names.size())
                .arg(names.mid(0, 4).join(QStringLiteral(", "))));
    }
    if (!stats.serverState) {
        return Parsed<EnvoyAdminSnapshot>::failure(QStringLiteral(
            "Prometheus has no envoy_server_state series for this proxy (not scraped, scrape "
            "target down, or the selector matches nothing)"));
    }
    static const char16_t *const names[]
        = { u"LIVE", u"DRAINING", u"PRE_INITIALIZING", u"INITIALIZING" };
    const quint64 state = *stats.serverState;
    snap.serverInfo.stateName
        = state < 4 ? QString::fromUtf16(names[state]) : QStringLiteral("UNKNOWN");
    snap.serverInfo.state = EnvoyServerInfo::stateFromName(snap.serverInfo.stateName);
    snap.serverInfo.version = QStringLiteral("via Prometheus");
    // /ready answers 200 only when LIVE [doc]: the topology reads a 503 as draining.
    snap.readyHttpStatus = snap.serverInfo.state == EnvoyServerInfo::State::Live ? 200 : 503;
    for (auto it = clusters.cbegin(); it != clusters.cend(); ++it) {
        const ClusterRows &c = *it;
        stats.clusters.append(c.traffic);
        const auto add = [&](const char *suffix, std::optional<quint64> v) {
            if (v) {
                stats.values.append(
                    { QStringLiteral("cluster.") + it.key() + u'.' + QLatin1String(suffix), *v });
            }
        };
        add("membership_healthy", c.traffic.membershipHealthy);
        add("membership_total", c.traffic.membershipTotal);
        add("membership_degraded", c.degraded);
        add("upstream_cx_active", c.traffic.cxActive);
        add("upstream_rq_total", c.traffic.rqTotal);
        add("upstream_rq_5xx", c.rq5xx);
        add("outlier_detection.ejections_active", c.ejectionsActive);
        EnvoyCluster cluster;
        cluster.name = it.key();
        const quint64 total = c.traffic.membershipTotal.value_or(0);
        const quint64 healthy = std::min(total, c.traffic.membershipHealthy.value_or(0));
        const quint64 degraded = std::min(total - healthy, c.degraded.value_or(0));
        for (quint64 i = 0; i < total && i < 10000; ++i) {
            EnvoyHost h;
            h.addressKind = EnvoyHost::AddressKind::Internal; // Prometheus carries no address
            h.address = QStringLiteral("%1#%2").arg(it.key()).arg(i);
            if (i >= healthy + degraded) {
                h.healthFlags.set(EnvoyHealthFlag::FailedActiveHc);
            } else if (i >= healthy) {
                h.healthFlags.set(EnvoyHealthFlag::DegradedActiveHc);
            }
            cluster.hosts.append(h);
        }
        snap.clusters.clusters.append(cluster);
    }
    for (const EnvoyTrafficStats &m : std::as_const(managers)) {
        stats.httpManagers.append(m);
    }
    if (stats.serverLive) {
        stats.values.append({ QStringLiteral("server.live"), *stats.serverLive });
    }
    stats.values.append({ QStringLiteral("server.state"), state });
    snap.stats = stats;
    return snap;
}

} // namespace hopscope::prometheusenvoy
