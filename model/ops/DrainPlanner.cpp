#include "ops/DrainPlanner.h"

#include "envoy/EnvoyAdminSource.h"
#include "dns/DnsDiscoverySource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "topology/ClusterMonitor.h"

#include <QJsonArray>

#include <algorithm>

namespace hopscope {

namespace {

QString recordRdata(const DnsRecord &r)
{
    if (r.type == DnsRecordType::SRV) {
        return QStringLiteral("%1 %2 %3 %4.").arg(r.priority).arg(r.weight).arg(r.port).arg(r.target);
    }
    return r.address.toString();
}

bool inZone(const QString &owner, const QString &zone)
{
    const QString o = owner.toLower().remove(QRegularExpression(QStringLiteral("\\.$")));
    const QString z = zone.toLower().remove(QRegularExpression(QStringLiteral("\\.$")));
    return o == z || o.endsWith(u'.' + z);
}

} // namespace

QString DrainStep::kindName(DrainStepKind kind)
{
    switch (kind) {
    case DrainStepKind::DnsRemove: return QStringLiteral("dns-remove");
    case DrainStepKind::LbDrain: return QStringLiteral("lb-drain");
    case DrainStepKind::SidecarFail: return QStringLiteral("sidecar-fail");
    case DrainStepKind::CloudMapDrain: return QStringLiteral("cloudmap-drain");
    case DrainStepKind::Elbv2Deregister: return QStringLiteral("elbv2-deregister");
    }
    return {};
}

std::optional<DrainStepKind> DrainStep::kindFromName(const QString &name)
{
    for (DrainStepKind k : {DrainStepKind::DnsRemove, DrainStepKind::LbDrain, DrainStepKind::SidecarFail,
             DrainStepKind::CloudMapDrain, DrainStepKind::Elbv2Deregister}) {
        if (kindName(k) == name) {
            return k;
        }
    }
    return std::nullopt;
}

QJsonObject DrainStep::toJson() const
{
    QJsonObject o{{QStringLiteral("kind"), kindName(kind)}, {QStringLiteral("description"), description}};
    if (!note.isEmpty()) {
        o.insert(QStringLiteral("note"), note);
    }
    switch (kind) {
    case DrainStepKind::DnsRemove: {
        QJsonArray rs;
        for (const DnsUpdateRecord &r : records) {
            rs.append(r.toJson());
        }
        o.insert(QStringLiteral("zone"), zone);
        o.insert(QStringLiteral("records"), rs);
        break;
    }
    case DrainStepKind::LbDrain:
        o.insert(QStringLiteral("loadBalancer"), loadBalancer);
        o.insert(QStringLiteral("backend"), backend);
        o.insert(QStringLiteral("server"), server);
        o.insert(QStringLiteral("statusBefore"), lbStatusBefore);
        o.insert(QStringLiteral("dnsFed"), dnsFed);
        break;
    case DrainStepKind::SidecarFail:
        o.insert(QStringLiteral("sidecar"), sidecar);
        o.insert(QStringLiteral("admin"), adminUrl.toString());
        o.insert(QStringLiteral("stateBefore"), sidecarStateBefore);
        break;
    case DrainStepKind::CloudMapDrain:
        o.insert(QStringLiteral("cloudMap"), aws.cloudMapJson());
        break;
    case DrainStepKind::Elbv2Deregister:
        o.insert(QStringLiteral("loadBalancer"), loadBalancer);
        o.insert(QStringLiteral("elbv2"), aws.elbv2Json());
        break;
    }
    return o;
}

std::optional<DrainStep> DrainStep::fromJson(const QJsonObject &o)
{
    const auto kind = kindFromName(o.value(QStringLiteral("kind")).toString());
    if (!kind) {
        return std::nullopt;
    }
    DrainStep s;
    s.kind = *kind;
    s.description = o.value(QStringLiteral("description")).toString();
    s.note = o.value(QStringLiteral("note")).toString();
    s.zone = o.value(QStringLiteral("zone")).toString();
    for (const QJsonValue &v : o.value(QStringLiteral("records")).toArray()) {
        if (const auto r = DnsUpdateRecord::fromJson(v.toObject())) {
            s.records.append(*r);
        }
    }
    s.loadBalancer = o.value(QStringLiteral("loadBalancer")).toString();
    s.backend = o.value(QStringLiteral("backend")).toString();
    s.server = o.value(QStringLiteral("server")).toString();
    s.lbStatusBefore = o.value(QStringLiteral("statusBefore")).toString();
    s.dnsFed = o.value(QStringLiteral("dnsFed")).toBool();
    s.sidecar = o.value(QStringLiteral("sidecar")).toString();
    s.adminUrl = QUrl(o.value(QStringLiteral("admin")).toString());
    s.sidecarStateBefore = o.value(QStringLiteral("stateBefore")).toString();
    s.aws = AwsDrainFields::fromStepJson(o);
    return s;
}

QJsonObject DrainPlan::toJson() const
{
    QJsonArray st;
    for (const DrainStep &s : steps) {
        st.append(s.toJson());
    }
    QJsonArray cap;
    for (const DrainCapacity &c : capacity) {
        cap.append(QJsonObject{{QStringLiteral("service"), c.serviceId},
            {QStringLiteral("name"), c.serviceName},
            {QStringLiteral("total"), c.total},
            {QStringLiteral("healthyBefore"), c.healthyBefore},
            {QStringLiteral("healthyAfter"), c.healthyAfter},
            {QStringLiteral("text"), c.text}});
    }
    QJsonObject o{{QStringLiteral("profile"), profileName},
        {QStringLiteral("target"), target},
        {QStringLiteral("production"), production},
        {QStringLiteral("steps"), st},
        {QStringLiteral("capacity"), cap},
        {QStringLiteral("expectedSecondsUntilSafe"), expectedSecondsUntilSafe},
        {QStringLiteral("expected"), expectedText},
        {QStringLiteral("lastHealthy"), lastHealthy},
        {QStringLiteral("forced"), forced},
        {QStringLiteral("canExecute"), canExecute()},
        {QStringLiteral("notes"), QJsonArray::fromStringList(notes)}};
    if (!refusal.isEmpty()) {
        o.insert(QStringLiteral("refusal"), refusal);
    }
    return o;
}

QString DrainPlan::toText() const
{
    QString t = QStringLiteral("drain plan for %1 (profile %2)\n").arg(target, profileName);
    for (int i = 0; i < steps.size(); ++i) {
        t += QStringLiteral("  %1. %2\n").arg(i + 1).arg(steps[i].description);
        if (!steps[i].note.isEmpty()) {
            t += QStringLiteral("     note: %1\n").arg(steps[i].note);
        }
    }
    if (steps.isEmpty()) {
        t += QStringLiteral("  (no steps)\n");
    }
    for (const DrainCapacity &c : capacity) {
        t += QStringLiteral("  capacity: %1\n").arg(c.text);
    }
    if (!expectedText.isEmpty()) {
        t += QStringLiteral("  expected: %1\n").arg(expectedText);
    }
    for (const QString &n : notes) {
        t += QStringLiteral("  note: %1\n").arg(n);
    }
    if (!refusal.isEmpty()) {
        t += QStringLiteral("  REFUSED: %1\n").arg(refusal);
    }
    return t;
}

DrainPlanInputs DrainPlanInputs::fromMonitor(const ClusterMonitor &monitor)
{
    DrainPlanInputs in;
    in.profile = monitor.profile();
    in.topology = monitor.topology();
    if (const DnsDiscoverySource *dns = monitor.dnsSource()) {
        in.dns = dns->snapshot();
    }
    for (const LoadBalancerSpec &lb : in.profile.loadBalancers) {
        auto *rt = qobject_cast<HaproxyRuntimeSource *>(monitor.loadBalancerSource(lb.id));
        if (rt && rt->hasSnapshot()) {
            in.lb.insert(lb.id, rt->snapshot());
        } else if (!rt && !(lb.fromPrometheus && !in.profile.prometheusUrl.isEmpty())) {
            in.lbWithoutRuntime.insert(lb.id);
        }
    }
    for (const ProxySpec &p : in.profile.proxies) {
        if (const EnvoyAdminSource *s = monitor.sidecarSource(p.id); s && s->hasSnapshot()) {
            in.sidecars.insert(p.id, s->snapshot());
        }
    }
    in.readFromPrometheus = monitor.readFromPrometheus();
    // AWS: whichever Cloud Map and ELBv2 sources the monitor runs (an ELBv2 load balancer has no
    // runtime API: it is drained through DeregisterTargets, not "read through its stats page").
    for (PollingSource *src : monitor.sources()) {
        if (const auto *cm = qobject_cast<const CloudMapSource *>(src)) {
            if (cm->snapshot().fetchedAt.isValid()) {
                in.cloudMap.append(cm->snapshot());
            } else {
                in.awsUnread << QStringLiteral("%1: %2").arg(cm->name(), cm->lastError().message);
            }
        } else if (const auto *lb = qobject_cast<const Elbv2Source *>(src)) {
            in.lbWithoutRuntime.remove(lb->snapshot().loadBalancerId);
            if (lb->snapshot().fetchedAt.isValid()) {
                in.elbv2.append(lb->snapshot());
            } else {
                in.awsUnread << QStringLiteral("%1: %2").arg(lb->name(), lb->lastError().message);
            }
        }
    }
    return in;
}

DrainPlan DrainPlanner::plan(const DrainPlanInputs &in, const QString &targetText, DrainForce force)
{
    DrainPlan plan;
    plan.profileName = in.profile.name;
    plan.production = in.profile.production;
    plan.forced = force == DrainForce::LastHealthy;
    QString why;
    const auto hp = HostPort::parse(targetText, 0, &why);
    if (!hp || !hp->isIpLiteral()) {
        plan.target = targetText;
        plan.refusal = QStringLiteral("TARGET must be ADDRESS:PORT with an IP address (%1)")
                           .arg(why.isEmpty() ? QStringLiteral("not an IP literal") : why);
        return plan;
    }
    plan.target = hp->toString();
    const QString key = plan.target;

    // 1. DNS: records in the dnsUpdate zone that point at the target.
    int maxTtl = 0;
    if (in.dns) {
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = in.profile.dnsUpdate ? in.profile.dnsUpdate->zone : QString();
        QStringList outside;
        for (const DnsServiceState &svc : in.dns->services) {
            for (const DnsTarget &t : svc.records) {
                const DnsRecord &r = t.record;
                const quint16 port = r.type == DnsRecordType::SRV ? r.port : svc.profilePort;
                if (r.address.isNull() || r.address.toString() != hp->host || port != hp->port) {
                    continue;
                }
                if (!in.profile.dnsUpdate || !inZone(r.owner, dns.zone)) {
                    outside << r.owner;
                    continue;
                }
                dns.records.append({r.owner, dnsRecordTypeName(r.type), recordRdata(r), r.ttl});
                maxTtl = std::max(maxTtl, int(r.ttl));
            }
        }
        if (!dns.records.isEmpty()) {
            QStringList names;
            for (const DnsUpdateRecord &r : dns.records) {
                names << r.toString();
            }
            dns.description = QStringLiteral("DNS: remove %1 from zone %2 via RFC 2136 (TSIG key %3); "
                                             "clients may hold it up to %4 s (TTL)")
                                  .arg(names.join(QStringLiteral(", ")), dns.zone,
                                      in.profile.dnsUpdate->tsigKey.name)
                                  .arg(maxTtl);
            plan.steps.append(dns);
        }
        if (!outside.isEmpty()) {
            plan.notes << (in.profile.dnsUpdate
                    ? QStringLiteral("DNS names outside zone %1 also point at it and are left alone: %2")
                          .arg(in.profile.dnsUpdate->zone, outside.join(QStringLiteral(", ")))
                    : QStringLiteral("DNS lists it (%1) but the profile has no dnsUpdate section: "
                                     "the record stays")
                          .arg(outside.join(QStringLiteral(", "))));
        }
    }

    // 1b. Cloud Map: what DiscoverInstances and Cloud Map's DNS records hand out.
    AwsDrainPlanning::addCloudMapSteps(in, *hp, plan, maxTtl);

    // 2. Load balancers: every HAProxy server (any backend) with that address:port, in the
    // profile's order (not the hash's) so the plan and its audit read the same every time.
    for (const LoadBalancerSpec &spec : in.profile.loadBalancers) {
        const auto it = in.lb.constFind(spec.id);
        if (it == in.lb.cend()) {
            continue;
        }
        for (const HaproxyStatProxy &px : it.value().stat.proxies) {
            if (px.type != HaproxyStatProxy::Type::Backend) {
                continue;
            }
            for (const HaproxyStatServer &s : px.servers) {
                if (s.key() != key) {
                    continue;
                }
                DrainStep lb;
                lb.kind = DrainStepKind::LbDrain;
                lb.loadBalancer = it.key();
                lb.backend = px.name;
                lb.server = s.name;
                lb.lbStatusBefore = s.status;
                for (const HaproxyServerState &st : it.value().serversState.servers) {
                    if (st.backend == px.name && st.name == s.name && st.fqdn) {
                        lb.dnsFed = true;
                    }
                }
                lb.description = QStringLiteral("load balancer %1: set server %2/%3 state drain "
                                                "(now %4; %5 current sessions)")
                                     .arg(lb.loadBalancer, lb.backend, lb.server, s.status)
                                     .arg(s.scur.value_or(0));
                if (lb.dnsFed) {
                    lb.note = QStringLiteral("%1 is a server-template slot fed by DNS: once the record is "
                                             "removed HAProxy drops the slot by itself (MAINT (resolution)); "
                                             "if it already did, no command is needed")
                                  .arg(lb.backend);
                }
                plan.steps.append(lb);
            }
        }
    }
    // 2b. ELBv2 target groups (DeregisterTargets; the target drains for the group's delay).
    AwsDrainPlanning::addElbv2Steps(in, *hp, plan, maxTtl);
    AwsDrainPlanning::addUnreadNotes(in, plan);
    for (const LoadBalancerSpec &spec : in.profile.loadBalancers) {
        if (!in.lbWithoutRuntime.contains(spec.id)) {
            continue;
        }
        const QString &id = spec.id;
        plan.notes << QStringLiteral("load balancer %1 is read through its stats page only: it cannot be "
                                     "drained from here (no runtime API in the profile)")
                          .arg(id);
    }

    for (const LoadBalancerSpec &spec : in.profile.loadBalancers) {
        if (const QString viaProm = in.readFromPrometheus.value(QStringLiteral("lb:") + spec.id);
            !viaProm.isEmpty()) {
            plan.notes << QStringLiteral(
                "load balancer %1 is read from Prometheus (%2): a drain needs its "
                "runtime API, so it cannot be drained there until that answers")
                              .arg(spec.id, viaProm);
        }
    }

    // 3. The target's own sidecar.
    for (const ProxySpec &p : in.profile.proxies) {
        if (p.task.host != hp->host || p.task.port != hp->port) {
            continue;
        }
        DrainStep sc;
        sc.kind = DrainStepKind::SidecarFail;
        sc.sidecar = p.id;
        sc.adminUrl = p.admin;
        sc.sidecarStateBefore = in.sidecars.contains(p.id)
            ? in.sidecars.value(p.id).serverInfo.stateName
            : QStringLiteral("unknown");
        sc.description = QStringLiteral("sidecar %1: POST /healthcheck/fail (now %2); callers' Envoys stop "
                                        "picking it, its active connections drain")
                             .arg(p.id, sc.sidecarStateBefore);
        // docs/PROTOCOLS.md §1.7: platforms that health-check the Envoy container itself react to it.
        sc.note = QStringLiteral("on ECS / App Mesh the Envoy container's health check greps /server_info "
                                 "for LIVE: if that container is essential, ECS may stop and replace the "
                                 "task instead of keeping it drained (Istio: the pod goes NotReady)");
        if (const QString viaProm = in.readFromPrometheus.value(QStringLiteral("mesh:") + p.id);
            !viaProm.isEmpty()) {
            plan.notes << QStringLiteral(
                "sidecar %1 is read from Prometheus (%2): POST /healthcheck/fail "
                "needs its admin API, which must answer first")
                              .arg(p.id, viaProm);
        }
        plan.steps.append(sc);
    }

    // Capacity left per service that has this target.
    bool found = false;
    for (const ServiceNode &svc : in.topology.services) {
        const TargetNode *t = nullptr;
        for (const TargetNode &n : svc.targets) {
            if (n.key == key) {
                t = &n;
            }
        }
        if (!t) {
            continue;
        }
        found = true;
        DrainCapacity c;
        c.serviceId = svc.id;
        c.serviceName = svc.name;
        c.total = int(svc.targets.size());
        c.healthyBefore = svc.healthyCount;
        c.healthyAfter = svc.healthyCount - (isServing(t->health) ? 1 : 0);
        c.text = QStringLiteral("%1: %2 of %3 healthy targets remain")
                     .arg(svc.name)
                     .arg(c.healthyAfter)
                     .arg(c.total);
        if (isServing(t->health) && c.healthyAfter <= 0) {
            plan.lastHealthy = true;
        }
        plan.capacity.append(c);
    }

    plan.expectedSecondsUntilSafe = maxTtl;
    plan.expectedText = maxTtl > 0
        ? QStringLiteral("safe after the DNS stale window (%1 s after removal) and once LB sessions and "
                         "sidecar connections reach 0")
              .arg(maxTtl)
        : QStringLiteral("safe once LB sessions and sidecar connections reach 0");
    if (std::any_of(plan.steps.cbegin(), plan.steps.cend(), [](const DrainStep &s) {
            return s.kind == DrainStepKind::CloudMapDrain || s.kind == DrainStepKind::Elbv2Deregister;
        })) {
        plan.expectedText = QStringLiteral("safe once the DNS stale windows (TTL) and ELBv2 deregistration "
                                           "delays have passed (up to %1 s after the change), ELBv2 no longer "
                                           "lists the target, and LB sessions and sidecar connections reach 0")
                                .arg(maxTtl);
    }

    if (in.profile.observeOnly) {
        plan.refusal = QStringLiteral("profile '%1' is observe-only: hopscope changes nothing in it")
                           .arg(in.profile.name);
    } else if (plan.steps.isEmpty()) {
        plan.refusal = found
            ? QStringLiteral("no layer that hopscope can change routes to %1").arg(key)
            : QStringLiteral("%1 is not a target of any service in profile '%2'").arg(key, in.profile.name);
    } else if (plan.lastHealthy && force != DrainForce::LastHealthy) {
        QStringList services;
        for (const DrainCapacity &c : plan.capacity) {
            if (c.healthyAfter <= 0) {
                services << c.serviceName;
            }
        }
        plan.refusal = QStringLiteral("%1 is the last healthy target of %2: draining it leaves no healthy "
                                      "target; force it (with typed confirmation) to go ahead")
                           .arg(key, services.join(QStringLiteral(", ")));
    }
    return plan;
}

} // namespace hopscope
