#include "ops/DrainObservation.h"

#include "dns/DnsDiscoverySource.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "topology/ClusterMonitor.h"

namespace hopscope {

namespace {

QString bare(QString name)
{
    name = name.toLower();
    if (name.endsWith(u'.')) {
        name.chop(1);
    }
    return name;
}

// A failed query leaves the last good answer in place: that is no observation. A negative answer
// (NXDOMAIN / NODATA, e.g. after the last record of a name was removed) is one.
bool staleAnswer(const DnsServiceState &svc)
{
    return svc.isStale() && svc.lastStatus != DnsResult::Status::NxDomain
        && svc.lastStatus != DnsResult::Status::NoData;
}

// Is this exact record (owner + address/SRV data) in the discovery snapshot's answers?
bool dnsLists(const DnsDiscoverySnapshot &snap, const DnsUpdateRecord &rec, QString *staleWhy)
{
    for (const DnsServiceState &svc : snap.services) {
        if (svc.lastStatus == DnsResult::Status::NxDomain
            || svc.lastStatus == DnsResult::Status::NoData) {
            continue; // a negative answer lists nothing (records kept there are the last good ones)
        }
        for (const DnsTarget &t : svc.records) {
            const DnsRecord &r = t.record;
            if (bare(r.owner) != bare(rec.owner)) {
                continue;
            }
            const QString rdata = r.type == DnsRecordType::SRV ? QStringLiteral("%1 %2 %3 %4.")
                                                                     .arg(r.priority)
                                                                     .arg(r.weight)
                                                                     .arg(r.port)
                                                                     .arg(r.target)
                                                               : r.address.toString();
            if (bare(rdata) == bare(rec.rdata)) {
                if (staleAnswer(svc) && staleWhy) {
                    *staleWhy = svc.error.message;
                }
                return true;
            }
        }
        if (staleAnswer(svc) && staleWhy && bare(svc.name) == bare(rec.owner)) {
            *staleWhy = svc.error.message;
        }
    }
    return false;
}

} // namespace

void DrainObservation::pollNow(PollingSource *source)
{
    if (auto *dns = qobject_cast<DnsDiscoverySource *>(source)) {
        dns->requeryAll();
    } else {
        source->pollNow();
    }
}

DrainObservation DrainObservation::forStep(
    ClusterMonitor *monitor, const DrainStep &step, bool inverse, const QString &key)
{
    DrainObservation o;
    PollingSource *&source = o.source;
    Check &check = o.check;
    switch (step.kind) {
    case DrainStepKind::DnsRemove: {
        DnsDiscoverySource *dns = monitor ? monitor->dnsSource() : nullptr;
        source = dns;
        check = [dns, step, inverse](QString *obs) {
            const DnsDiscoverySnapshot snap = dns->snapshot();
            QStringList wrong;
            QString staleWhy;
            for (const DnsUpdateRecord &r : step.records) {
                if (dnsLists(snap, r, &staleWhy) == inverse) {
                    continue;
                }
                wrong << r.toString();
            }
            if (!staleWhy.isEmpty()) {
                *obs = QStringLiteral("DNS answer is stale: %1").arg(staleWhy);
                return false;
            }
            *obs = wrong.isEmpty()
                ? QStringLiteral("DNS answers %1 the record(s) (query at %2)")
                      .arg(inverse ? QStringLiteral("list") : QStringLiteral("no longer list"),
                          snap.taken.toString(Qt::ISODate))
                : QStringLiteral("DNS still answers %1 for: %2")
                      .arg(inverse ? QStringLiteral("without") : QStringLiteral("with"),
                          wrong.join(QStringLiteral(", ")));
            return wrong.isEmpty();
        };
        break;
    }
    case DrainStepKind::LbDrain: {
        auto *rt = monitor
            ? qobject_cast<HaproxyRuntimeSource *>(monitor->loadBalancerSource(step.loadBalancer))
            : nullptr;
        source = rt;
        check = [rt, step, inverse, key](QString *obs) {
            if (rt->status() == PollingSource::Status::Failing || !rt->hasSnapshot()) {
                *obs = QStringLiteral("load balancer %1 unreachable: %2")
                           .arg(step.loadBalancer, rt->lastError().message);
                return false;
            }
            const HaproxySnapshot &snap = rt->snapshot();
            const HaproxyStatProxy *px
                = snap.stat.proxy(step.backend, HaproxyStatProxy::Type::Backend);
            const HaproxyStatServer *holder = nullptr;
            const HaproxyStatServer *slot = nullptr;
            for (const HaproxyStatServer &s : px ? px->servers : QList<HaproxyStatServer>()) {
                if (s.key() == key) {
                    holder = &s;
                }
                if (s.name == step.server) {
                    slot = &s;
                }
            }
            quint32 slotAdmin = 0;
            for (const HaproxyServerState &st : snap.serversState.servers) {
                if (st.backend == step.backend && st.name == step.server) {
                    slotAdmin = st.adminState;
                }
            }
            if (!inverse) {
                if (holder && holder->state == HaproxyServerStatus::Drain) {
                    *obs = QStringLiteral("HAProxy shows %1/%2 %3")
                               .arg(step.backend, holder->name, holder->status);
                    return true;
                }
                if (!holder || holder->state == HaproxyServerStatus::Maint) {
                    *obs = QStringLiteral("HAProxy no longer routes to %1: %2")
                               .arg(key,
                                   holder ? QStringLiteral("%1/%2 %3")
                                                .arg(step.backend, holder->name, holder->status)
                                          : QStringLiteral("no %1 server holds it any more%2")
                                                .arg(step.backend,
                                                    step.dnsFed ? QStringLiteral(
                                                        " (DNS-fed slot dropped after the record "
                                                        "removal)")
                                                                : QString()));
                    return true;
                }
                *obs = QStringLiteral("HAProxy still shows %1/%2 %3")
                           .arg(step.backend, holder->name, holder->status);
                return false;
            }
            const bool slotClear
                = step.server.isEmpty() || !(slotAdmin & (AdminForcedDrain | AdminForcedMaint));
            if (!slotClear) {
                *obs = QStringLiteral("HAProxy slot %1/%2 still carries %3")
                           .arg(step.backend, step.server, slot ? slot->status : QString());
                return false;
            }
            Q_UNUSED(slot);
            if (step.dnsFed && !holder) {
                // The slot is clear; HAProxy gets the address back from DNS after the record
                // is re-added (checked once the DNS step is undone).
                *obs = QStringLiteral("HAProxy slot %1/%2 has no forced drain any more")
                           .arg(step.backend, step.server);
                return true;
            }
            if (holder && holder->state != HaproxyServerStatus::Drain
                && holder->state != HaproxyServerStatus::Maint) {
                *obs = QStringLiteral("HAProxy shows %1/%2 %3")
                           .arg(step.backend, holder->name, holder->status);
                return true;
            }
            *obs = QStringLiteral("HAProxy shows %1")
                       .arg(holder ? holder->status : QStringLiteral("no server for %1").arg(key));
            return false;
        };
        break;
    }
    case DrainStepKind::SidecarFail: {
        EnvoyAdminSource *src = monitor ? monitor->sidecarSource(step.sidecar) : nullptr;
        source = src;
        check = [src, step, inverse](QString *obs) {
            if (!src->hasSnapshot() || src->status() == PollingSource::Status::Failing) {
                *obs = QStringLiteral("sidecar %1 unreachable").arg(step.sidecar);
                return false;
            }
            const EnvoyServerInfo info = src->snapshot().serverInfo;
            *obs = QStringLiteral("/server_info of %1 says %2").arg(step.sidecar, info.stateName);
            return inverse ? info.state == EnvoyServerInfo::State::Live
                           : info.state == EnvoyServerInfo::State::Draining;
        };
        break;
    }
    }
    return o;
}

} // namespace hopscope
