#include "ops/DrainCountdown.h"

#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "topology/ClusterMonitor.h"

namespace hopscope {

DrainCountdown DrainCountdown::observe(const ClusterMonitor &monitor, const QList<DrainStep> &done,
    const QString &key, const QDateTime &dnsRemovedAt, int dnsTtl, const QDateTime &now)
{
    DrainCountdown c;
    for (const DrainStep &s : done) {
        switch (s.kind) {
        case DrainStepKind::DnsRemove: {
            const qint64 left = dnsRemovedAt.isValid()
                ? std::max<qint64>(0, now.msecsTo(dnsRemovedAt.addSecs(dnsTtl)) + 999) / 1000
                : 0;
            c.dnsStaleSecondsLeft = left;
            if (left > 0) {
                c.holding << QStringLiteral(
                    "DNS: resolvers and clients may still hold the record for %1 s")
                                 .arg(left);
            }
            break;
        }
        case DrainStepKind::LbDrain: {
            auto *rt
                = qobject_cast<HaproxyRuntimeSource *>(monitor.loadBalancerSource(s.loadBalancer));
            if (!rt || !rt->hasSnapshot() || rt->status() == PollingSource::Status::Failing) {
                c.holding << QStringLiteral("load balancer %1 unreachable: sessions unknown")
                                 .arg(s.loadBalancer);
                break;
            }
            qint64 sessions = 0;
            for (const HaproxyStatProxy &px : rt->snapshot().stat.proxies) {
                for (const HaproxyStatServer &srv : px.servers) {
                    if (px.type == HaproxyStatProxy::Type::Backend && srv.key() == key) {
                        sessions += srv.scur.value_or(0);
                    }
                }
            }
            c.lbSessions = std::max<qint64>(0, c.lbSessions) + sessions;
            if (sessions > 0) {
                c.holding << QStringLiteral("load balancer %1: %2 current session(s)")
                                 .arg(s.loadBalancer)
                                 .arg(sessions);
            }
            break;
        }
        case DrainStepKind::SidecarFail: {
            EnvoyAdminSource *src = monitor.sidecarSource(s.sidecar);
            if (!src || src->status() == PollingSource::Status::Failing) {
                c.holding
                    << QStringLiteral("sidecar %1 unreachable: connections unknown").arg(s.sidecar);
                break;
            }
            const TargetNode *t = nullptr;
            for (const ServiceNode &svc : monitor.topology().services) {
                for (const TargetNode &n : svc.targets) {
                    if (n.key == key) {
                        t = &n;
                    }
                }
            }
            if (t && t->meshActiveConnections) {
                c.sidecarConnections = *t->meshActiveConnections;
                if (c.sidecarConnections > 0) {
                    c.holding << QStringLiteral("sidecar %1: %2 active downstream connection(s)")
                                     .arg(s.sidecar)
                                     .arg(c.sidecarConnections);
                }
            } else {
                // Not seeing the count is not seeing 0: never call it safe on no observation.
                c.holding << QStringLiteral(
                    "sidecar %1: active downstream connections not reported")
                                 .arg(s.sidecar);
            }
            break;
        }
        }
    }
    return c;
}

} // namespace hopscope
