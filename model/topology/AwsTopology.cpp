#include "topology/AwsTopology.h"

namespace hopscope::AwsTopology {

namespace {

QString hhmmss(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
}

// "arn:…:task/prod/0a1b2c3d4e5f…" -> "0a1b2c3d4e5f" (enough to tell tasks apart in a reason).
QString shortTaskId(const QString &arn)
{
    return arn.section(u'/', -1).left(12);
}

// "arn:…:targetgroup/orders/73e2d6bc24d8a067" -> "orders"
QString groupName(const QString &arn)
{
    return arn.section(u'/', -2, -2);
}

Observation ecsObservation(const EcsTask &task, const QString &serviceId, const QString &label,
    const SourceState &state, const QDateTime &when)
{
    Observation o;
    o.source = QStringLiteral("ecs:") + serviceId;
    o.label = label;
    o.stale = state.stale;
    o.when = when;
    const QString id = QStringLiteral("task ") + shortTaskId(task.arn);
    const QString why = task.stoppedReason.isEmpty() ? QString()
                                                     : QStringLiteral(": ") + task.stoppedReason
            + (task.stopCode.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(task.stopCode));
    if (task.lastStatus == u"STOPPED") {
        o.health = Health::Down;
        o.checked = true;
        o.text = QStringLiteral("STOPPED") + why + QStringLiteral(", ") + id;
    } else if (task.desiredStatus == u"STOPPED" || task.lastStatus == u"DEACTIVATING"
        || task.lastStatus == u"STOPPING" || task.lastStatus == u"DEPROVISIONING") {
        o.health = Health::Draining;
        o.checked = true;
        o.text
            = QStringLiteral("%1, stopping").arg(task.lastStatus) + why + QStringLiteral(", ") + id;
    } else if (task.lastStatus != u"RUNNING") {
        o.health = Health::Unknown; // PROVISIONING, PENDING, ACTIVATING: not serving yet
        o.text = QStringLiteral("%1 (starting), %2").arg(task.lastStatus, id);
    } else if (task.healthStatus == u"HEALTHY") {
        o.health = Health::Healthy;
        o.checked = true;
        o.text = QStringLiteral("RUNNING, HEALTHY, ") + id;
    } else if (task.healthStatus == u"UNHEALTHY") {
        o.health = Health::Down;
        o.checked = true;
        o.text = QStringLiteral("RUNNING, UNHEALTHY (container health check), ") + id;
    } else {
        // Running, nobody checks it: as strong as a DNS listing, no stronger.
        o.health = Health::Healthy;
        o.text = QStringLiteral("RUNNING, no container health check, ") + id;
    }
    return o;
}

} // namespace

QString targetKey(const QString &address, quint16 port)
{
    const QString host = address.contains(u':') ? u'[' + address + u']' : address;
    return host + u':' + QString::number(port);
}

void foldCloudMap(const ClusterProfile &profile, const TopologyInputs &in, const TargetSink &sink)
{
    for (const ServiceSpec &s : profile.services) {
        const auto snap = in.cloudMap.constFind(s.id);
        if (!s.cloudMap || snap == in.cloudMap.constEnd()) {
            continue; // no data yet: the service says so
        }
        const SourceState state = in.cloudMapState.value(s.id);
        const QString label
            = QStringLiteral("cloudmap %1/%2").arg(s.cloudMap->namespaceName, s.cloudMap->service);
        const QString ttl
            = snap->dnsTtl ? QStringLiteral(", TTL %1 s").arg(*snap->dnsTtl) : QString();
        const auto base = [&](const CloudMapInstance &i) -> TargetNode & {
            TargetNode &node = sink.at(s.id, targetKey(i.address, i.port), i.address, i.port);
            if (node.fqdn.isEmpty()) {
                node.fqdn = s.cloudMap->service + u'.' + s.cloudMap->namespaceName;
            }
            if (snap->dnsTtl) {
                node.dnsTtl = quint32(*snap->dnsTtl);
            }
            return node;
        };
        for (const CloudMapInstance &i : snap->instances) {
            if (i.address.isEmpty() || i.port == 0) {
                continue; // an HTTP namespace's instance without AWS_INSTANCE_IPV4/PORT
            }
            TargetNode &node = base(i);
            Observation o;
            o.source = QStringLiteral("cloudmap:") + s.id;
            o.label = label;
            o.stale = state.stale;
            o.when = snap->fetchedAt;
            if (i.health == u"UNHEALTHY") {
                o.health = Health::Down;
                o.checked = true; // and DNS no longer answers with it
                o.text
                    = QStringLiteral("UNHEALTHY (instance %1; left out of DNS answers)").arg(i.id);
            } else {
                o.health = Health::Healthy;
                o.listedInDns = true;
                o.checked = i.health == u"HEALTHY"; // UNKNOWN: no health check configured
                o.text = (o.checked ? QStringLiteral("HEALTHY (instance %1%2)")
                                    : QStringLiteral("registered, no health check (instance %1%2)"))
                             .arg(i.id, ttl);
            }
            node.observations.append(o);
        }
        for (const CloudMapRemovedInstance &r : snap->removed) {
            if (r.instance.address.isEmpty() || r.instance.port == 0 || r.holdUntil <= in.now) {
                continue;
            }
            TargetNode &node = base(r.instance);
            node.dnsRemovedAt = r.removedAt;
            node.dnsHoldUntil = r.holdUntil;
            Observation o;
            o.source = QStringLiteral("cloudmap:") + s.id;
            o.label = label;
            o.health = Health::Draining;
            o.removedFromDns = true;
            o.dnsRemovedAt = r.removedAt;
            o.dnsHoldUntil = r.holdUntil;
            o.stale = state.stale;
            o.when = r.removedAt;
            o.text = QStringLiteral("deregistered at %1 (instance %2); DNS clients may hold it "
                                    "until %3")
                         .arg(hhmmss(r.removedAt), r.instance.id, hhmmss(r.holdUntil));
            node.observations.append(o);
        }
    }
}

void foldEcs(const ClusterProfile &profile, const TopologyInputs &in, const TargetSink &sink)
{
    for (const ServiceSpec &s : profile.services) {
        const auto snap = in.ecs.constFind(s.id);
        if (!s.ecs || snap == in.ecs.constEnd()) {
            continue;
        }
        const SourceState state = in.ecsState.value(s.id);
        const QString label = QStringLiteral("ecs %1/%2").arg(s.ecs->cluster, s.ecs->service);
        for (const EcsTask &task : snap->tasks) {
            if (task.address.isEmpty()) {
                continue; // no ENI attached yet (PROVISIONING) or any more
            }
            const bool stopped = task.lastStatus == u"STOPPED";
            const Observation o = ecsObservation(task, s.id, label, state, snap->fetchedAt);
            // The targets other sources know at this address: where a port-less task (awsvpc
            // tasks list no network bindings) and a stopped one belong.
            QList<TargetNode *> known;
            sink.forEach(s.id, [&](TargetNode &t) {
                if (t.address == task.address) {
                    known.append(&t);
                }
            });
            if (task.ports.isEmpty()) {
                for (TargetNode *t : std::as_const(known)) {
                    t->observations.append(o);
                }
                if (known.isEmpty() && !stopped) {
                    sink.at(s.id, task.address, task.address, 0).observations.append(o);
                }
                continue;
            }
            for (quint16 port : task.ports) {
                const QString key = targetKey(task.address, port);
                const bool isKnown = std::any_of(known.cbegin(), known.cend(),
                    [&](const TargetNode *t) { return t->key == key; });
                if (stopped && !isKnown) {
                    continue; // gone, and nobody else still points at it
                }
                sink.at(s.id, key, task.address, port).observations.append(o);
            }
        }
    }
}

Health elbv2Health(const QString &state, const QString &reason)
{
    if (state == u"healthy") {
        return Health::Healthy;
    }
    if (state == u"draining" || state == u"unhealthy.draining") {
        return Health::Draining;
    }
    if (state == u"unhealthy") {
        return Health::Down;
    }
    if (state == u"unused") {
        // Not registered, or its AZ / the group is not in use: out of rotation on purpose;
        // an instance that is not running is simply down.
        return reason == u"Target.InvalidState" ? Health::Down : Health::Maintenance;
    }
    // initial (registration, first checks), unavailable (health checks disabled): nobody knows.
    return Health::Unknown;
}

void foldElbv2(const LoadBalancerSpec &lb, const Elbv2Snapshot &snapshot, const SourceState &state,
    const TargetSink &sink, LoadBalancerNode &node)
{
    const QString label = QStringLiteral("elbv2 ") + lb.id;
    node.routes = ruleLabels(lb, snapshot.rules);
    node.health = state.stale ? Health::Stale : Health::Healthy;
    node.reason = state.stale
        ? QStringLiteral("stale since %1: %2")
              .arg(hhmmss(state.lastSuccess),
                  state.error.isError() ? state.error.message : QStringLiteral("no recent poll"))
        : QStringLiteral("answering (ELBv2 DescribeTargetHealth, %1 target group%2)")
              .arg(snapshot.groups.size())
              .arg(QLatin1String(snapshot.groups.size() == 1 ? "" : "s"));
    for (const Elbv2TargetGroupState &group : snapshot.groups) {
        for (const Elbv2TargetHealth &t : group.targets) {
            if (t.port == 0) {
                continue; // a Lambda target: nothing to key it by
            }
            TargetNode &target = sink.at(group.spec.service, targetKey(t.id, t.port), t.id, t.port);
            Observation o;
            o.source = QStringLiteral("lb:") + lb.id;
            o.label = label;
            o.stale = state.stale;
            o.when = snapshot.fetchedAt;
            o.health = elbv2Health(t.state, t.reason);
            o.text = t.state
                + (t.reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(t.reason));
            target.observations.append(o);
            target.lbServer = QStringLiteral("tg %1").arg(groupName(group.spec.arn));
        }
    }
}

QStringList ruleLabels(
    const LoadBalancerSpec &lb, const QList<Elbv2Rule> &rules, const QString &toService)
{
    QHash<QString, QString> serviceOf;
    for (const TargetGroupSpec &g : lb.targetGroups) {
        serviceOf.insert(g.arn, g.service);
    }
    QStringList out;
    for (const Elbv2Rule &rule : rules) {
        QStringList services;
        for (const QString &arn : rule.targetGroupArns) {
            // A group the profile does not list is named by its own name.
            const QString service = serviceOf.value(arn, QStringLiteral("tg ") + groupName(arn));
            if (!services.contains(service)) {
                services.append(service);
            }
        }
        QStringList patterns = rule.pathPatterns;
        if (patterns.isEmpty()) {
            patterns.append(rule.isDefault ? QStringLiteral("default")
                                           : QStringLiteral("rule %1").arg(rule.priority));
        }
        for (const QString &pattern : std::as_const(patterns)) {
            if (!toService.isEmpty()) {
                if (services.contains(toService) && !out.contains(pattern)) {
                    out.append(pattern);
                }
                continue;
            }
            for (const QString &service : std::as_const(services)) {
                out.append(pattern + QStringLiteral(" → ") + service);
            }
        }
    }
    return out;
}

QList<SourceError> errors(const ClusterProfile &profile, const TopologyInputs &in)
{
    QList<SourceError> out;
    for (const ServiceSpec &s : profile.services) {
        if (s.cloudMap && in.cloudMapState.value(s.id).error.isError()) {
            out.append(in.cloudMapState.value(s.id).error);
        }
        if (s.ecs && in.ecsState.value(s.id).error.isError()) {
            out.append(in.ecsState.value(s.id).error);
        }
    }
    return out;
}

} // namespace hopscope::AwsTopology
