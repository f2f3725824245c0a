// Over 500 lines: build() is one pass in the order the sources are merged (DNS, LBs, sidecars,
// fold, edges); splitting it would scatter that order. Open drains live in OpenDrains.
#include "TopologyBuilder.h"

#include "topology/AwsTopology.h"
#include "topology/NameOnlyMatch.h"

#include <QHostAddress>
#include <QMap>
#include <QSet>

#include <algorithm>
#include <functional>

namespace hopscope {

const ServiceNode *Topology::service(const QString &id) const
{
    for (const ServiceNode &s : services) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

const TargetNode *Topology::target(const QString &serviceId, const QString &key) const
{
    if (const ServiceNode *s = service(serviceId)) {
        for (const TargetNode &t : s->targets) {
            if (t.key == key) {
                return &t;
            }
        }
    }
    return nullptr;
}

namespace {

QString keyOf(const QString &address, quint16 port)
{
    const QString host = address.contains(u':') ? QLatin1Char('[') + address + QLatin1Char(']') : address;
    return host + QLatin1Char(':') + QString::number(port);
}

QString hhmmss(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
}

// Targets of every service while building: service id -> key -> node.
class TargetTable
{
public:
    TargetNode &at(const QString &serviceId, const QString &address, quint16 port)
    {
        return at(serviceId, keyOf(address, port), address, port);
    }
    // A server known by name only (through Prometheus): keyed by "<backend>/<server>".
    TargetNode &at(const QString &serviceId, const QString &key, const QString &address, quint16 port)
    {
        auto &byKey = m_table[serviceId];
        auto it = byKey.find(key);
        if (it == byKey.end()) {
            TargetNode node;
            node.key = key;
            node.address = address;
            node.port = port;
            it = byKey.insert(key, node);
            if (!m_serviceOfKey.contains(key)) {
                m_serviceOfKey.insert(key, serviceId); // the first service that has this key
            }
        }
        return *it;
    }
    // The service that already has a target with this key (DNS found it first), if any. An
    // index, not a scan: it is asked once per LB server and per sidecar host on every rebuild.
    QString serviceWithKey(const QString &key) const { return m_serviceOfKey.value(key); }
    QList<TargetNode> take(const QString &serviceId) { return m_table.take(serviceId).values(); }
    // Name-only targets (a server known as "<backend>/<server>" through Prometheus) fold into the
    // target of the same service that another source placed at an address (nameOnlyMatches).
    void mergeNameOnly()
    {
        for (auto &byKey : m_table) {
            const QHash<QString, QString> into = nameOnlyMatches(byKey);
            for (auto it = byKey.begin(); it != byKey.end();) {
                const QString key = it->address.isEmpty() ? into.value(it->key) : QString();
                if (key.isEmpty()) {
                    ++it;
                    continue;
                }
                TargetNode &target = byKey[key];
                target.observations.append(it->observations);
                if (it->lbSessions && !target.lbSessions) {
                    target.lbSessions = it->lbSessions;
                }
                if (target.lbServer.isEmpty()) {
                    target.lbServer = it->lbServer;
                }
                it = byKey.erase(it);
            }
        }
    }
    template<typename Fn>
    void forEach(const QString &serviceId, Fn &&fn)
    {
        auto it = m_table.find(serviceId);
        if (it != m_table.end()) {
            for (TargetNode &t : *it) {
                fn(t);
            }
        }
    }

private:
    QHash<QString, QMap<QString, TargetNode>> m_table;
    QHash<QString, QString> m_serviceOfKey;
};

Observation lbObservation(const QString &lbId, const HaproxyStatServer &server, bool stale,
                          const QDateTime &when)
{
    Observation o;
    o.source = QStringLiteral("lb:") + lbId;
    o.stale = stale;
    o.when = when;
    // Effective weight 0 on a running server: HAProxy sends it no load-balanced traffic (the
    // backend's active server count leaves it out: promex's haproxy_backend_active_servers is
    // "active UP servers with a non-zero weight"), yet `show stat` still says "UP" or "no
    // check" and promex state="UP". Drained by weight, like DRAIN, whichever way it was read.
    const bool weightZero = server.weight == qint64(0)
        && (server.state == HaproxyServerStatus::Up
            || server.state == HaproxyServerStatus::NoCheck);
    switch (weightZero ? HaproxyServerStatus::Drain : server.state) {
    case HaproxyServerStatus::Up:
        // "UP 1/2" is a server going down (checks failing) — except right after start or a
        // DNS fill, when the check is still INI(tializing): nothing is known yet.
        if (server.checkStatus.startsWith(u"INI")) {
            o.health = Health::Unknown;
        } else {
            o.health = server.transitional ? Health::Degraded : Health::Healthy;
        }
        break;
    case HaproxyServerStatus::Down:
        o.health = Health::Down;
        break;
    case HaproxyServerStatus::NoLb:
        o.health = Health::Draining;
        break;
    case HaproxyServerStatus::Drain:
        o.health = server.scur.value_or(1) == 0 ? Health::Drained : Health::Draining;
        break;
    case HaproxyServerStatus::Maint:
        o.health = Health::Maintenance;
        break;
    default:
        o.health = Health::Unknown; // "no check" and unknown strings: running, but nobody checks
        break;
    }
    QStringList words{server.status.isEmpty() ? QStringLiteral("no status") : server.status};
    if (!server.checkStatus.isEmpty()) {
        words.append(server.checkStatus);
    }
    if (weightZero) {
        words.append(QStringLiteral("(weight 0)"));
    }
    if (server.scur) {
        words.append(QStringLiteral("%1 sessions").arg(*server.scur));
    }
    o.text = words.join(u' ');
    return o;
}

Observation meshHostObservation(const QString &proxyId, const EnvoyHost &host, bool stale,
                                const QDateTime &when)
{
    Observation o;
    o.source = QStringLiteral("mesh:") + proxyId;
    o.stale = stale;
    o.when = when;
    const EnvoyHealthFlags &f = host.healthFlags;
    if (f.has(EnvoyHealthFlag::FailedActiveHc) || f.has(EnvoyHealthFlag::FailedEdsHealth)) {
        o.health = Health::Down;
    } else if (f.has(EnvoyHealthFlag::FailedOutlierCheck)) {
        o.health = Health::Down;
    } else if (f.has(EnvoyHealthFlag::ExcludedViaImmediateHcFail) || f.has(EnvoyHealthFlag::EdsStatusDraining)
               || f.has(EnvoyHealthFlag::PendingDynamicRemoval)) {
        o.health = host.cxActive == 0 ? Health::Drained : Health::Draining;
    } else if (host.isDegraded()) {
        o.health = Health::Degraded;
    } else if (f.has(EnvoyHealthFlag::PendingActiveHc)) {
        o.health = Health::Unknown;
    } else {
        o.health = host.isHealthy() ? Health::Healthy : Health::Down;
    }
    const QStringList flags = f.names();
    o.text = (flags.isEmpty() ? QStringLiteral("healthy") : flags.join(QStringLiteral(", ")))
             + QStringLiteral(" · %1 active connections").arg(host.cxActive);
    return o;
}

bool isLocalAppCluster(const EnvoyCluster &c)
{
    return c.name == u"local_app" || c.name.startsWith(u"inbound|") || c.name.endsWith(u"local_app");
}

} // namespace

QList<PathNode> TopologyBuilder::paths(const ClusterProfile &profile, const QList<EdgeNode> &edges,
                                       int maxPaths)
{
    QHash<QString, QList<const EdgeNode *>> out;
    QSet<QString> called;
    for (const EdgeNode &e : edges) {
        out[e.from].append(&e);
        called.insert(e.to);
    }
    QList<PathNode> result;
    QStringList stack;
    QList<const EdgeNode *> edgeStack;
    std::function<void(const QString &)> walk = [&](const QString &service) {
        if (result.size() >= maxPaths) {
            return;
        }
        stack.append(service);
        const auto next = out.value(service);
        bool extended = false;
        for (const EdgeNode *e : next) {
            if (stack.contains(e->to)) {
                continue; // a cycle: the path ends here
            }
            extended = true;
            edgeStack.append(e);
            walk(e->to);
            edgeStack.removeLast();
        }
        if (!extended && stack.size() > 1) {
            PathNode p;
            p.services = stack;
            for (const EdgeNode *e : std::as_const(edgeStack)) {
                p.networkHops += e->hops.networkHops;
                p.proxyHops += e->hops.proxyHops;
                p.hairpin = p.hairpin || e->hairpin;
            }
            result.append(p);
        }
        stack.removeLast();
    };
    for (const ServiceSpec &s : profile.services) {
        if (!called.contains(s.id) && out.contains(s.id)) {
            walk(s.id);
        }
    }
    return result;
}

quint64 TopologyBuilder::chipsDigest(const QList<TargetNode> &targets)
{
    // Seeded with the count: a target more or less changes the digest whatever it holds.
    size_t h = qHash(targets.size(), size_t(0x9e3779b97f4a7c15ULL));
    for (const TargetNode &t : targets) {
        h = qHashMulti(h, t.key, int(t.health), t.reason, !t.sidecar.isEmpty(), t.openDrain);
    }
    return h == 0 ? 1 : quint64(h);
}

Topology TopologyBuilder::build(const ClusterProfile &profile, const TopologyInputs &in)
{
    Topology t;
    t.profileName = profile.name;
    t.builtAt = in.now;
    TargetTable table;
    QHash<QString, QString> dnsErrors;
    // The AWS sources fold through this view of the table (AwsTopology.cpp).
    const AwsTopology::TargetSink aws { [&table](const QString &service, const QString &key,
                                            const QString &address, quint16 port) -> TargetNode & {
                                           return table.at(service, key, address, port);
                                       },
        [&table](const QString &service, const std::function<void(TargetNode &)> &fn) {
            table.forEach(service, fn);
        } };

    // 1. DNS: the tasks each service name resolves to, and those it stopped resolving to.
    if (in.dns) {
        for (const DnsServiceState &s : in.dns->services) {
            if (s.error.isError()) {
                dnsErrors.insert(s.id, s.error.message);
            }
            for (const DnsTarget &r : s.records) {
                if (r.record.address.isNull()) {
                    continue; // an SRV target that did not resolve: nothing to key it by
                }
                const quint16 port = r.record.type == DnsRecordType::SRV ? r.record.port : s.profilePort;
                TargetNode &node = table.at(s.id, r.record.address.toString(), port);
                node.fqdn = r.record.type == DnsRecordType::SRV ? r.record.target : r.record.owner;
                node.dnsTtl = r.record.ttl;
                node.dnsFirstSeen = r.firstSeen;
                Observation o;
                o.source = QStringLiteral("dns");
                o.health = Health::Healthy; // discovery lists only registered (healthy) instances
                o.listedInDns = true;
                o.stale = r.stale || in.dnsState.stale;
                o.when = r.lastSeen;
                o.text = QStringLiteral("listed in %1 %2, TTL %3 s")
                             .arg(s.name, dnsRecordTypeName(s.type))
                             .arg(r.record.ttl);
                if (r.stale) {
                    o.text += QStringLiteral(" (last good answer; ") + r.staleReason + QLatin1Char(')');
                }
                node.observations.append(o);
            }
            for (const DnsRemovedTarget &r : s.removed) {
                if (r.record.address.isNull() || r.holdUntil <= in.now) {
                    continue;
                }
                const quint16 port = r.record.type == DnsRecordType::SRV ? r.record.port : s.profilePort;
                TargetNode &node = table.at(s.id, r.record.address.toString(), port);
                node.fqdn = r.record.type == DnsRecordType::SRV ? r.record.target : r.record.owner;
                node.dnsRemovedAt = r.removedAt;
                node.dnsHoldUntil = r.holdUntil;
                Observation o;
                o.source = QStringLiteral("dns");
                o.health = Health::Draining;
                o.removedFromDns = true;
                o.dnsRemovedAt = r.removedAt;
                o.dnsHoldUntil = r.holdUntil;
                o.stale = in.dnsState.stale;
                o.when = r.removedAt;
                o.text = QStringLiteral("removed from DNS at %1; clients may hold it until %2")
                             .arg(hhmmss(r.removedAt), hhmmss(r.holdUntil));
                node.observations.append(o);
            }
        }
    }

    // 1b. Cloud Map: the instances each service's Cloud Map service lists (like DNS, with health).
    AwsTopology::foldCloudMap(profile, in, aws);

    // 2. Load balancers: every server with an address is matched to a service, through the
    //    profile's routes (backend -> service) or by address:port to a target DNS found.
    //    Membership from an LB that has not answered (or whose answer is old) is unknown, not
    //    absent: such services are never healthy and their summary says which LB is missing.
    QHash<QString, QStringList> membershipGaps; // service id -> "internal-lb unreachable", ...
    QHash<QString, bool> gapFromFailure; // service id -> some gap is a failing or stale LB
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        const SourceState state = in.lbState.value(lb.id);
        QSet<QString> members; // the services whose tasks this LB routes to
        for (const RouteSpec &r : lb.routes) {
            members.insert(r.service);
        }
        for (const TargetGroupSpec &g : lb.targetGroups) {
            members.insert(g.service);
        }
        for (const EdgeSpec &e : profile.edges) {
            if (e.via == EdgeSpec::Via::LoadBalancer && e.loadBalancer == lb.id) {
                members.insert(e.to);
            }
        }
        const bool haveSnapshot = lb.isElbv2() ? in.elbv2.contains(lb.id) : in.lb.contains(lb.id);
        const bool answered = state.hasData && haveSnapshot;
        if (!answered || state.stale) {
            const QString gap = lb.id
                + (answered ? QStringLiteral(" stale")
                            : (state.error.isError() ? QStringLiteral(" unreachable")
                                                     : QStringLiteral(" no data yet")));
            for (const QString &serviceId : std::as_const(members)) {
                membershipGaps[serviceId].append(gap);
                gapFromFailure[serviceId]
                    = gapFromFailure.value(serviceId) || answered || state.error.isError();
            }
        }
        LoadBalancerNode node;
        node.id = lb.id;
        for (const RouteSpec &r : lb.routes) {
            node.routes.append(r.pathPrefix + QStringLiteral("* → ") + r.service);
        }
        const auto snap = in.lb.constFind(lb.id);
        if (!answered) {
            node.health = state.error.isError() ? Health::Down : Health::Unknown;
            node.reason = state.error.isError() ? QStringLiteral("unreachable: ") + state.error.message
                                                : QStringLiteral("no data yet");
            // The services this LB routes to are health-checked by it: until it answers, their
            // tasks are not known to be healthy, whatever DNS lists.
            for (const QString &serviceId : std::as_const(members)) {
                table.forEach(serviceId, [&](TargetNode &target) {
                    Observation o;
                    o.source = QStringLiteral("lb:") + lb.id;
                    o.health = Health::Unknown;
                    o.stale = state.error.isError();
                    o.text = node.reason;
                    target.observations.append(o);
                });
            }
        } else if (lb.isElbv2()) {
            AwsTopology::foldElbv2(lb, in.elbv2.value(lb.id), state, aws, node);
        } else {
            node.version = snap->info.version;
            node.health = state.stale ? Health::Stale : Health::Healthy;
            node.reason = state.stale ? QStringLiteral("stale since %1: %2")
                                            .arg(hhmmss(state.lastSuccess), state.error.isError() ? state.error.message : QStringLiteral("no recent poll"))
                                      : QStringLiteral("answering (HAProxy %1)").arg(node.version);
            QHash<QString, QString> backendService;
            for (const RouteSpec &r : lb.routes) {
                backendService.insert(r.backend, r.service);
            }
            for (const HaproxyStatProxy &proxy : snap->stat.proxies) {
                if (proxy.type != HaproxyStatProxy::Type::Backend) {
                    continue;
                }
                for (const HaproxyStatServer &server : proxy.servers) {
                    if (server.nameOnly) {
                        // Through Prometheus: no address; matched to a service by the routes only.
                        const QString serviceId = backendService.value(proxy.name);
                        if (serviceId.isEmpty()) {
                            continue;
                        }
                        const QString name = proxy.name + QLatin1Char('/') + server.name;
                        TargetNode &target = table.at(serviceId, name, QString(), 0);
                        target.observations.append(lbObservation(lb.id, server, state.stale, state.lastSuccess));
                        if (server.scur) {
                            target.lbSessions = target.lbSessions.value_or(0) + *server.scur;
                        }
                        target.lbServer = name;
                        continue;
                    }
                    if (!server.address || !server.port || *server.address == u"unix") {
                        continue; // an unfilled server-template slot, or an address the socket hides
                    }
                    const QString key = keyOf(*server.address, *server.port);
                    QString serviceId = backendService.value(proxy.name);
                    if (serviceId.isEmpty()) {
                        serviceId = table.serviceWithKey(key);
                    }
                    if (serviceId.isEmpty()) {
                        continue; // the LB routes somewhere this profile does not model
                    }
                    TargetNode &target = table.at(serviceId, *server.address, *server.port);
                    target.observations.append(lbObservation(lb.id, server, state.stale, state.lastSuccess));
                    if (server.scur) {
                        target.lbSessions = target.lbSessions.value_or(0) + *server.scur;
                    }
                    target.lbServer = proxy.name + QLatin1Char('/') + server.name;
                }
            }
        }
        t.loadBalancers.append(node);
    }

    // 2b. ECS: each service's tasks, by their ENI address (after the LBs, so that a task without
    //     network bindings joins the targets they found at its address).
    AwsTopology::foldEcs(profile, in, aws);

    // 3. Mesh: each sidecar reports on its own task (server state, local app health) and, as a
    //    caller, on the upstream hosts it sends to.
    QHash<QString, QString> sidecarByIp; // task IP -> service id (for Consul-style ingress ports)
    for (const ProxySpec &px : profile.proxies) {
        sidecarByIp.insert(px.task.host, px.service);
    }
    for (const ProxySpec &px : profile.proxies) {
        const SourceState state = in.meshState.value(px.id);
        SidecarNode side;
        side.id = px.id;
        side.service = px.service;
        side.task = px.task.toString();
        TargetNode &own = table.at(px.service, px.task.host, px.task.port);
        own.sidecar = px.id;
        Observation o;
        o.source = QStringLiteral("mesh:") + px.id;
        o.stale = state.stale;
        o.when = state.lastSuccess;
        const auto snap = in.mesh.constFind(px.id);
        if (!state.hasData || snap == in.mesh.constEnd()) {
            side.health = state.error.isError() ? Health::Down : Health::Unknown;
            side.reason = state.error.isError() ? QStringLiteral("admin API unreachable: ") + state.error.message
                                                : QStringLiteral("no data yet");
            o.health = Health::Unknown;
            o.stale = state.error.isError(); // unreachable: stale; not polled yet: no data yet
            o.text = side.reason;
        } else {
            side.version = snap->serverInfo.semver;
            const EnvoyServerInfo::State s = snap->serverInfo.state;
            qint64 downstream = 0;
            bool haveDownstream = false;
            if (snap->stats) {
                for (const EnvoyTrafficStats &l : snap->stats->httpManagers) {
                    // The admin listener's connections are our own polls, not traffic.
                    if (l.name == u"admin") {
                        continue;
                    }
                    if (l.cxActive) {
                        downstream += qint64(*l.cxActive);
                        haveDownstream = true;
                    }
                }
            }
            if (haveDownstream) {
                own.meshActiveConnections = downstream;
            }
            if (s == EnvoyServerInfo::State::Draining || snap->readyHttpStatus == 503) {
                o.health = haveDownstream && downstream == 0 ? Health::Drained : Health::Draining;
                o.text = QStringLiteral("sidecar %1 (healthcheck failed)").arg(snap->serverInfo.stateName);
            } else if (s == EnvoyServerInfo::State::Live) {
                o.health = Health::Healthy;
                o.text = QStringLiteral("sidecar LIVE");
            } else {
                o.health = Health::Unknown;
                o.text = QStringLiteral("sidecar %1").arg(snap->serverInfo.stateName);
            }
            // The app behind the sidecar, as the sidecar's own health checks see it.
            for (const EnvoyCluster &c : snap->clusters.clusters) {
                if (!isLocalAppCluster(c)) {
                    continue;
                }
                for (const EnvoyHost &h : c.hosts) {
                    if (!h.isHealthy() && o.health == Health::Healthy) {
                        o.health = Health::Down;
                        o.text = QStringLiteral("sidecar LIVE, local app failing: ") + h.healthFlags.names().join(QStringLiteral(", "));
                    }
                }
            }
            if (haveDownstream) {
                o.text += QStringLiteral(" · %1 downstream connections").arg(downstream);
            }
            side.health = state.stale ? Health::Stale : o.health;
            // Stale: why first (as for a balancer), then what the last good answer said.
            side.reason = state.stale
                ? QStringLiteral("stale since %1: %2 (last answer: %3)")
                      .arg(hhmmss(state.lastSuccess),
                          state.error.isError() ? state.error.message
                                                : QStringLiteral("no recent poll"),
                          o.text)
                : o.text;
            // As a caller: upstream hosts, matched by key, else by the IP of a known sidecar task.
            for (const EnvoyCluster &c : snap->clusters.clusters) {
                if (isLocalAppCluster(c)) {
                    continue;
                }
                for (const EnvoyHost &h : c.hosts) {
                    if (h.addressKind != EnvoyHost::AddressKind::Socket || !h.port) {
                        continue;
                    }
                    const QString key = keyOf(h.address, *h.port);
                    QString serviceId = table.serviceWithKey(key);
                    TargetNode *target = nullptr;
                    if (!serviceId.isEmpty()) {
                        target = &table.at(serviceId, h.address, *h.port);
                    } else if (sidecarByIp.contains(h.address)) {
                        // Consul/App Mesh style: the host is the callee's sidecar ingress on the
                        // task's IP; attribute it to that task.
                        for (const ProxySpec &callee : profile.proxies) {
                            if (callee.task.host == h.address) {
                                target = &table.at(callee.service, callee.task.host, callee.task.port);
                                break;
                            }
                        }
                    }
                    if (!target) {
                        continue;
                    }
                    target->observations.append(meshHostObservation(px.id, h, state.stale, state.lastSuccess));
                    target->meshRequestsTotal = target->meshRequestsTotal.value_or(0) + qint64(h.rqTotal);
                }
            }
        }
        own.observations.append(o);
        t.sidecars.append(side);
    }

    // 3b. Servers known by name only (through Prometheus) merge with the target DNS, the ECS
    //     tasks or a sidecar placed at an address (NameOnlyMatch.h).
    table.mergeNameOnly();

    // 4. Fold each target, then each service. Reasons and observations' words repeat across
    //    thousands of targets ("lb:fleet-lb", "UP no check"): the topology keeps one string
    //    per distinct value (it is held while the next one is built, and by the views).
    QSet<QString> words;
    const auto shared = [&words](QString &s) {
        if (s.isEmpty()) {
            return;
        }
        if (const auto it = words.constFind(s); it != words.cend()) {
            s = *it;
        } else if (words.size() < 100'000) {
            words.insert(s);
        }
    };
    for (const ServiceSpec &spec : profile.services) {
        ServiceNode s;
        s.id = spec.id;
        s.name = spec.name;
        if (spec.dns) {
            s.dnsName = spec.dns->name;
            s.dnsType = dnsRecordTypeName(spec.dns->type);
        }
        s.dnsError = dnsErrors.value(spec.id);
        s.targets = table.take(spec.id); // QMap order: sorted by key
        for (TargetNode &target : s.targets) {
            const FoldedHealth f = HealthFolder::fold(target.observations);
            target.health = f.health;
            target.reason = f.reason;
            shared(target.reason);
            for (Observation &o : target.observations) {
                shared(o.source);
                shared(o.text);
                shared(o.label);
            }
        }
        // Open drains: marked targets read drained; those no source lists any more stay.
        s.drainedCount = OpenDrains::apply(s, in.drains, [&](const QString &key) {
            const QString owner = table.serviceWithKey(key);
            return !owner.isEmpty() && owner != spec.id;
        });
        int conflicts = 0, stale = 0, unknown = 0, down = 0;
        for (const TargetNode &target : std::as_const(s.targets)) {
            if (target.openDrain) {
                continue; // out of rotation on purpose: neither capacity nor a fault
            }
            const Health h = target.health;
            s.healthyCount += isServing(h) ? 1 : 0;
            conflicts += h == Health::Conflict;
            stale += h == Health::Stale;
            unknown += h == Health::Unknown;
            down += h == Health::Down;
        }
        const int n = int(s.targets.size()) - s.drainedCount;
        const QStringList gaps = membershipGaps.value(spec.id);
        // An LB that never answered: only the members other sources found are known.
        const bool partlyKnown = std::any_of(
            gaps.cbegin(), gaps.cend(), [](const QString &g) { return !g.endsWith(u" stale"); });
        if (n == 0 && s.drainedCount > 0) {
            s.health = Health::Drained;
            s.summary = QStringLiteral("none in rotation");
        } else if (n == 0) {
            s.health = s.dnsError.isEmpty() ? Health::Unknown : Health::Stale;
            s.summary = s.dnsError.isEmpty() ? QStringLiteral("no data yet")
                                             : QStringLiteral("no targets: ") + s.dnsError;
        } else {
            // Partly known (an LB never answered): how many are known; the chips show their health.
            s.summary = partlyKnown ? QStringLiteral("%1 known").arg(n)
                                    : QStringLiteral("%1 of %2 healthy").arg(s.healthyCount).arg(n);
            if (conflicts > 0) {
                s.health = Health::Conflict;
            } else if (stale == n) {
                s.health = Health::Stale;
            } else if (unknown == n) {
                s.health = Health::Unknown;
            } else if (s.healthyCount == n) {
                const bool allHealthy = std::all_of(s.targets.cbegin(), s.targets.cend(),
                    [](const TargetNode &x) { return x.openDrain || x.health == Health::Healthy; });
                s.health = allHealthy ? Health::Healthy : Health::Degraded;
            } else if (s.healthyCount == 0) {
                s.health = down > 0 ? Health::Down : (stale > 0 ? Health::Stale : Health::Unknown);
            } else {
                s.health = Health::Degraded;
            }
        }
        if (s.drainedCount > 0) {
            s.summary += QStringLiteral(" · %1 drained").arg(s.drainedCount);
        }
        // (Nothing known and no LB failed yet: "no data yet" says it all.)
        if (!gaps.isEmpty() && (n > 0 || gapFromFailure.value(spec.id))) {
            s.summary += QStringLiteral(" · ") + gaps.join(QStringLiteral(", "));
            // Members may be missing: never healthy, and a fresh start no more optimistic than a
            // long-running window that kept the LB's last answer as stale.
            if (s.health == Health::Healthy) {
                s.health = gapFromFailure.value(spec.id) ? Health::Stale : Health::Unknown;
            }
        }
        s.chipsDigest = chipsDigest(s.targets);
        t.services.append(s);
    }

    // 5. Edges, hops and paths.
    QSet<QString> meshServices;
    for (const ProxySpec &px : profile.proxies) {
        meshServices.insert(px.service);
    }
    for (const EdgeSpec &e : profile.edges) {
        EdgeNode edge;
        edge.from = e.from;
        edge.to = e.to;
        edge.via = e.viaText();
        edge.hops = HopModel::classify(e);
        if (e.via == EdgeSpec::Via::LoadBalancer) {
            if (const LoadBalancerSpec *lb = profile.loadBalancer(e.loadBalancer)) {
                for (const RouteSpec &r : lb->routes) {
                    if (r.service == e.to) {
                        edge.routes.append(r.pathPrefix + QLatin1Char('*'));
                    }
                }
                if (lb->isElbv2()) {
                    edge.routes += AwsTopology::ruleLabels(*lb, in.elbv2.value(lb->id).rules, e.to);
                }
            }
            edge.hairpin = meshServices.contains(e.from) && meshServices.contains(e.to);
            for (const LoadBalancerNode &lb : std::as_const(t.loadBalancers)) {
                if (lb.id == e.loadBalancer) {
                    edge.health = lb.health;
                    edge.reason = lb.id + QStringLiteral(": ") + lb.reason;
                }
            }
        }
        t.edges.append(edge);
    }
    t.paths = paths(profile, t.edges);

    // 6. Every failing source, for the status bar, the log and `snapshot --json`.
    if (in.dnsState.error.isError()) {
        t.errors.append(in.dnsState.error);
    }
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        if (in.lbState.value(lb.id).error.isError()) {
            t.errors.append(in.lbState.value(lb.id).error);
        }
    }
    for (const ProxySpec &px : profile.proxies) {
        if (in.meshState.value(px.id).error.isError()) {
            t.errors.append(in.meshState.value(px.id).error);
        }
    }
    t.errors += AwsTopology::errors(profile, in);
    return t;
}

} // namespace hopscope
