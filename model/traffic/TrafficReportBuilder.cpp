#include "traffic/TrafficReportBuilder.h"

#include <algorithm>
#include <climits>

namespace hopscope {

namespace {

const QString s_lb = QStringLiteral("lb:");
const QString s_mesh = QStringLiteral("mesh:");

} // namespace

TrafficReportBuilder::TrafficReportBuilder(ClusterProfile profile)
    : m_profile(std::move(profile))
{
    for (const ProxySpec &px : m_profile.proxies) {
        m_proxiesOf[px.service].append(&px);
        m_ingressOf[px.service].insert(px.task.toString(), px.task.host);
        m_ingressIps.insert(px.task.host);
    }
}

// Built with QStringBuilder (one allocation): a fleet report makes one per task (10,000), where
// arg() parsed the pattern and allocated per placeholder.
QString TrafficReportBuilder::edgeKey(const EdgeNode &edge)
{
    return u"edge:" + edge.from + u'>' + edge.to + u'@' + edge.via;
}

QString TrafficReportBuilder::targetKey(const QString &serviceId, const QString &targetKey)
{
    return u"task:" + serviceId + u'/' + targetKey;
}

// "server/<backend>/<addr:port>" or "host/<cluster>/<addr:port>" -> "addr:port". Backend and
// cluster names hold no '/' in practice; the address is what follows the last one.
QString TrafficReportBuilder::addressPortOf(const QString &entityKey)
{
    return entityKey.section(u'/', -1);
}

QString TrafficReportBuilder::hostOf(const QString &addressPort)
{
    QString host = addressPort.left(addressPort.lastIndexOf(u':'));
    if (host.startsWith(u'[') && host.endsWith(u']')) {
        host = host.mid(1, host.size() - 2);
    }
    return host;
}

TrafficPoint TrafficReportBuilder::entity(
    const TrafficSources &sources, const QString &source, const QString &entityKey)
{
    const auto d = sources.constFind(source);
    TrafficPoint p;
    if (d == sources.cend() || d->answers == 0) {
        p.status = d != sources.cend() && d->failing ? TrafficStatus::MissingPoll
                                                     : TrafficStatus::FirstPoll;
        return p;
    }
    if (d->failing) {
        p.status = TrafficStatus::MissingPoll;
        p.at = d->last.at;
        return p;
    }
    return d->points.value(entityKey, p);
}

TrafficAggregate TrafficReportBuilder::aggregate(
    const TrafficSources &sources, const Entities &entities)
{
    TrafficAggregate a;
    a.measured = !entities.isEmpty();
    if (!a.measured) {
        return a;
    }
    QVarLengthArray<TrafficPoint, 4> points;
    for (const auto &[source, key] : entities) {
        if (!a.from.contains(source)) {
            a.from.append(source);
        }
        points.append(entity(sources, source, key));
    }
    TrafficPoint &out = a.point;
    out.status = TrafficStatus::Ok;
    for (const TrafficPoint &p : points) {
        if (trafficStatusRank(p.status) < trafficStatusRank(out.status)) {
            out.status = p.status;
        }
        out.at = std::max(out.at, p.at);
        out.windowS = std::max(out.windowS, p.windowS);
    }
    if (out.status == TrafficStatus::MissingPoll) {
        return a; // something on the way is not answering: nothing current is known
    }
    const auto sumOf = [&](auto member) -> std::optional<double> {
        std::optional<double> total = 0.0;
        for (const TrafficPoint &p : points) {
            const std::optional<double> &v = p.*member;
            if (!v) {
                return std::nullopt; // a part unknown: the sum is unknown, not smaller
            }
            *total += *v;
        }
        return total;
    };
    out.activeConnections = sumOf(&TrafficPoint::activeConnections);
    if (out.status == TrafficStatus::Ok) {
        out.rps = sumOf(&TrafficPoint::rps);
        out.errorsPerS = sumOf(&TrafficPoint::errorsPerS);
        if (out.rps && out.errorsPerS && *out.rps > 0) {
            out.errorRatio = std::min(1.0, *out.errorsPerS / *out.rps);
        }
    } else {
        out.windowS = 0;
    }
    // Latencies: one part as it is; several weighted by their request rate (avg, p50) or the
    // largest (p99, max: an upper bound).
    const auto weighted = [&](auto member) -> std::optional<double> {
        double sum = 0;
        double weight = 0;
        for (const TrafficPoint &p : points) {
            const std::optional<double> &v = p.*member;
            if (v) {
                const double w = points.size() == 1 ? 1.0 : p.rps.value_or(0);
                sum += *v * w;
                weight += w;
            }
        }
        return weight > 0 ? std::optional<double>(sum / weight) : std::nullopt;
    };
    const auto largest = [&](auto member) -> std::optional<double> {
        std::optional<double> m;
        for (const TrafficPoint &p : points) {
            const std::optional<double> &v = p.*member;
            if (v) {
                m = std::max(m.value_or(*v), *v);
            }
        }
        return m;
    };
    out.avgMs = weighted(&TrafficPoint::avgMs);
    out.p50Ms = weighted(&TrafficPoint::p50Ms);
    out.p99Ms = largest(&TrafficPoint::p99Ms);
    out.maxMs = largest(&TrafficPoint::maxMs);
    return a;
}

TrafficReport TrafficReportBuilder::build(
    const Topology &topology, const TrafficSources &sources) const
{
    // Indexed once per report, so a fleet (10,000 targets, 500 sidecars, 2,500 edges) costs
    // O(targets + entities) instead of targets x sources: the services by id, each "addr:port"
    // and each ingress address with the sources that name it (in `sources`' order, as a loop over
    // the sources would meet them). The proxies by service are the constructor's.
    TrafficReport r;
    QSet<QString> allTargets;
    QHash<QString, const ServiceNode *> serviceById;
    for (const ServiceNode &s : topology.services) {
        if (!serviceById.contains(s.id)) {
            serviceById.insert(s.id, &s);
        }
        for (const TargetNode &t : s.targets) {
            allTargets.insert(t.key);
        }
    }
    using Named = QList<std::pair<int, const QStringList *>>; // (source ordinal, entity keys)
    QList<QString> sourceKeys;
    QHash<QString, Named> byAddressPort;
    QHash<QString, Named> byIngress;
    for (auto d = sources.cbegin(); d != sources.cend(); ++d) {
        const int ordinal = int(sourceKeys.size());
        sourceKeys.append(d.key());
        for (auto it = d->byAddressPort.cbegin(); it != d->byAddressPort.cend(); ++it) {
            byAddressPort[it.key()].append({ ordinal, &it.value() });
        }
        for (auto it = d->byAddress.cbegin(); it != d->byAddress.cend(); ++it) {
            if (m_ingressIps.contains(it.key())) {
                byIngress[it.key()].append({ ordinal, &it.value() });
            }
        }
    }
    r.edges.reserve(topology.edges.size());
    for (const EdgeNode &e : topology.edges) {
        Entities entities;
        if (e.via.startsWith(s_lb)) {
            const QString id = e.via.mid(s_lb.size());
            if (const LoadBalancerSpec *lb = m_profile.loadBalancer(id)) {
                QStringList backends;
                for (const RouteSpec &route : lb->routes) {
                    if (route.service == e.to && !backends.contains(route.backend)) {
                        backends.append(route.backend);
                        entities.append({ e.via, TrafficCounterSet::backendKey(route.backend) });
                    }
                }
            }
        } else if (e.via == u"mesh") {
            // The caller's sidecars; in each, the upstream clusters whose hosts are the callee's
            // tasks (by address:port) or its sidecars' ingress (by the task's IP).
            const ServiceNode *callee = serviceById.value(e.to);
            QSet<QString> calleeKeys;
            QSet<QString> calleeIps;
            if (callee) {
                for (const TargetNode &t : callee->targets) {
                    calleeKeys.insert(t.key);
                }
            }
            for (const ProxySpec *px : m_proxiesOf.value(e.to)) {
                calleeIps.insert(px->task.host);
            }
            for (const ProxySpec *px : m_proxiesOf.value(e.from)) {
                const QString source = s_mesh + px->id;
                const auto d = sources.constFind(source);
                if (d == sources.cend() || d->answers == 0 || d->failing) {
                    entities.append({ source, QString() }); // measured there, not known now
                    continue;
                }
                QSet<QString> clusters;
                for (auto it = d->byAddressPort.cbegin(); it != d->byAddressPort.cend(); ++it) {
                    const bool toCallee = calleeKeys.contains(it.key())
                        || (!allTargets.contains(it.key()) && calleeIps.contains(hostOf(it.key())));
                    if (!toCallee) {
                        continue;
                    }
                    for (const QString &k : it.value()) {
                        if (k.startsWith(u"host/")) {
                            clusters.insert(k.section(u'/', 1, -2));
                        }
                    }
                }
                QStringList sorted(clusters.cbegin(), clusters.cend());
                sorted.sort();
                for (const QString &c : std::as_const(sorted)) {
                    entities.append({ source, TrafficCounterSet::clusterKey(c) });
                }
            }
        }
        r.edges.insert(edgeKey(e), aggregate(sources, entities));
    }
    static const Named none;
    static const QHash<QString, QString> noIngress;
    r.targets.reserve(allTargets.size());
    for (const ServiceNode &s : topology.services) {
        const auto ingressOfService = m_ingressOf.constFind(s.id);
        const QHash<QString, QString> &ingressTasks
            = ingressOfService == m_ingressOf.cend() ? noIngress : *ingressOfService;
        for (const TargetNode &t : s.targets) {
            Entities entities;
            // Consul style: callers' sidecars send to this task's sidecar ingress (its IP,
            // another port); that host stands for the task when it is no task of its own.
            const QString ingressIp = ingressTasks.value(t.key);
            const QString ownSidecar = s_mesh + t.sidecar; // its local app, not a caller
            const auto named = byAddressPort.constFind(t.key);
            const Named &direct = named == byAddressPort.cend() ? none : *named;
            const auto in = ingressIp.isEmpty() ? byIngress.cend() : byIngress.constFind(ingressIp);
            const Named &ingress = in == byIngress.cend() ? none : *in;
            // Both lists are in source order: walk them together, source by source.
            qsizetype i = 0;
            qsizetype j = 0;
            while (i < direct.size() || j < ingress.size()) {
                const int next = std::min(i < direct.size() ? direct[i].first : INT_MAX,
                    j < ingress.size() ? ingress[j].first : INT_MAX);
                const QString &source = sourceKeys[next];
                const bool own = source == ownSidecar;
                if (i < direct.size() && direct[i].first == next) {
                    if (!own) {
                        for (const QString &k : *direct[i].second) {
                            entities.append({ source, k });
                        }
                    }
                    ++i;
                }
                if (j < ingress.size() && ingress[j].first == next) {
                    if (!own) {
                        for (const QString &k : *ingress[j].second) {
                            const QString ap = addressPortOf(k);
                            if (ap != t.key && !allTargets.contains(ap)) {
                                entities.append({ source, k });
                            }
                        }
                    }
                    ++j;
                }
            }
            r.targets.insert(targetKey(s.id, t.key), aggregate(sources, entities));
        }
    }
    return r;
}

} // namespace hopscope
