#include "traffic/TrafficTracker.h"

#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"
#include "prometheus/PrometheusSource.h"
#include "topology/ClusterMonitor.h"

#include <QSet>

#include <algorithm>
#include <climits>

namespace hopscope {

namespace {

const QString s_lb = QStringLiteral("lb:");
const QString s_mesh = QStringLiteral("mesh:");

// "server/<backend>/<addr:port>" or "host/<cluster>/<addr:port>" -> "addr:port". Backend and
// cluster names hold no '/' in practice; the address is what follows the last one.
QString addressPortOf(const QString &entityKey)
{
    return entityKey.section(u'/', -1);
}

QString hostOf(const QString &addressPort)
{
    QString host = addressPort.left(addressPort.lastIndexOf(u':'));
    if (host.startsWith(u'[') && host.endsWith(u']')) {
        host = host.mid(1, host.size() - 2);
    }
    return host;
}

} // namespace

TrafficTracker::TrafficTracker(ClusterProfile profile, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_profile(std::move(profile))
    , m_clock(clock)
    , m_history(TrafficHistory::capacityFor(m_profile.poll.intervalMs))
{ }

// Built with QStringBuilder (one allocation): a fleet report makes one per task (10,000), where
// arg() parsed the pattern and allocated per placeholder.
QString TrafficTracker::edgeKey(const EdgeNode &edge)
{
    return u"edge:" + edge.from + u'>' + edge.to + u'@' + edge.via;
}

QString TrafficTracker::targetKey(const QString &serviceId, const QString &targetKey)
{
    return u"task:" + serviceId + u'/' + targetKey;
}

void TrafficTracker::attach(ClusterMonitor *monitor)
{
    m_monitor = monitor;
    // Before the views connect theirs (ClusterPage attaches first): a view that reads
    // currentReport() in its slot sees this rebuild's generation.
    connect(monitor, &ClusterMonitor::topologyChanged, this, &TrafficTracker::onTopologyChanged);
    const auto follow = [this](PollingSource *source, const QString &name) {
        // A poll that ends without an answer is a missing poll.
        auto answered = std::make_shared<bool>(false);
        connect(source, &PollingSource::pollStarted, this, [answered] { *answered = false; });
        connect(source, &PollingSource::pollFinished, this, [this, answered, name] {
            if (!*answered) {
                pollFailed(name);
            }
        });
        return answered;
    };
    for (const LoadBalancerSpec &lb : m_profile.loadBalancers) {
        PollingSource *source = monitor->loadBalancerSource(lb.id);
        if (!source || lb.isElbv2()) {
            continue; // ELBv2's counters are in CloudWatch, which hopscope does not read
        }
        auto answered = follow(source, s_lb + lb.id);
        const auto take = [this, answered, id = lb.id](const HaproxySnapshot &s) {
            *answered = true;
            addHaproxy(id, s, m_clock.now());
        };
        if (auto *rt = qobject_cast<HaproxyRuntimeSource *>(source)) {
            connect(rt, &HaproxyRuntimeSource::snapshotReady, this, take);
        } else if (auto *http = qobject_cast<HaproxyStatsHttpSource *>(source)) {
            connect(http, &HaproxyStatsHttpSource::snapshotReady, this, take);
        } else if (auto *prom = qobject_cast<PrometheusSource *>(source)) {
            // Read through Prometheus: the same counters (sessions_total, http_responses_total).
            connect(prom, &PrometheusSource::snapshotReady, this, take);
        }
    }
    for (const ProxySpec &px : m_profile.proxies) {
        EnvoyAdminSource *source = monitor->sidecarSource(px.id);
        if (!source) {
            continue;
        }
        auto answered = follow(source, s_mesh + px.id);
        connect(source, &EnvoyAdminSource::snapshotReady, this,
            [this, answered, id = px.id](const EnvoyAdminSnapshot &s) {
                *answered = true;
                addEnvoy(id, s, s.fetchedAt.isValid() ? s.fetchedAt : m_clock.now());
            });
    }
    // A burst of source events (500 sidecars timing out one by one) samples at most once per
    // MinEventGapMs: the picture is the same one until the monitor's next rebuild anyway, and the
    // events of the burst are all in the one sample taken when the gap ends. A round's sample is
    // taken at the rebuild the answer causes, from the report the views share; only a throttled
    // event's sample (its rebuild may have run already) reads currentReport() from the timer.
    m_eventTimer.setSingleShot(true);
    connect(&m_eventTimer, &QTimer::timeout, monitor, [this] {
        if (sampleDue()) {
            takeSample(*currentReport());
        }
    });
    connect(this, &TrafficTracker::updated, monitor, [this] {
        const qint64 since
            = m_lastSample.isValid() ? m_lastSample.msecsTo(m_clock.now()) : MinEventGapMs;
        if (m_eventPending && since >= 0 && since < MinEventGapMs) {
            if (!m_eventTimer.isActive()) {
                m_eventTimer.start(int(MinEventGapMs - since));
            }
            return;
        }
        if (sampleDue()) {
            m_sampleAtRebuild = true;
        }
    });
}

void TrafficTracker::onTopologyChanged()
{
    ++m_topologyGeneration;
    if (m_sampleAtRebuild) {
        takeSample(*currentReport());
    }
}

std::shared_ptr<const TrafficReport> TrafficTracker::currentReport()
{
    if (!m_monitor) {
        static const auto empty = std::make_shared<const TrafficReport>();
        return empty;
    }
    if (!m_report || m_reportTopology != m_topologyGeneration || m_reportTraffic != m_generation) {
        m_report = std::make_shared<const TrafficReport>(report(m_monitor->topology()));
        m_reportTopology = m_topologyGeneration;
        m_reportTraffic = m_generation;
    }
    return m_report;
}

void TrafficTracker::maybeSample(const Topology &topology)
{
    if (sampleDue()) {
        takeSample(report(topology));
    }
}

bool TrafficTracker::sampleDue()
{
    // One history sample per poll interval, taken after an answer (a round of every source can
    // take a DNS TTL when the profile has DNS names, too coarse for a rate's history). A restart
    // or a first missing poll is sampled when seen: throttled, another source's answer could
    // take the round's sample first, and the next answer already carries a rate again, so the
    // reset would never reach the history.
    const QDateTime now = m_clock.now();
    const qint64 interval = m_profile.poll.intervalMs;
    // Polls come up to PollScheduler's jitter (20 %) early: a throttle above 0.8 of the interval
    // would drop every other jittered poll's sample.
    if (m_eventPending || !m_lastSample.isValid()
        || m_lastSample.msecsTo(now) >= interval * 3 / 4) {
        m_eventPending = false;
        m_lastSample = now;
        return true;
    }
    return false;
}

void TrafficTracker::addHaproxy(
    const QString &lbId, const HaproxySnapshot &snapshot, const QDateTime &at)
{
    add(s_lb + lbId, TrafficCounterSet::fromHaproxy(snapshot, at));
}

void TrafficTracker::addEnvoy(
    const QString &proxyId, const EnvoyAdminSnapshot &snapshot, const QDateTime &at)
{
    add(s_mesh + proxyId, TrafficCounterSet::fromEnvoy(snapshot, at));
}

void TrafficTracker::add(const QString &source, TrafficCounterSet set)
{
    SourceData &d = m_sources[source];
    const bool first = d.answers == 0;
    const bool restarted = !first && TrafficRate::restarted(d.last, set);
    d.points.clear();
    d.byAddressPort.clear();
    d.byAddress.clear();
    for (auto it = set.entities.cbegin(); it != set.entities.cend(); ++it) {
        const auto prev = d.last.entities.constFind(it.key());
        TrafficPoint p = (first || prev == d.last.entities.cend())
            ? TrafficRate::first(*it, set.at)
            : TrafficRate::between(*prev, d.last.at, *it, set.at, restarted);
        d.points.insert(it.key(), p);
        if (it.key().startsWith(u"server/") || it.key().startsWith(u"host/")) {
            const QString ap = addressPortOf(it.key());
            d.byAddressPort[ap].append(it.key());
            d.byAddress[hostOf(ap)].append(it.key());
        }
    }
    m_eventPending |= restarted;
    ++m_generation;
    d.last = std::move(set);
    ++d.answers;
    d.failing = false;
    Q_EMIT updated(source);
}

void TrafficTracker::pollFailed(const QString &source)
{
    SourceData &d = m_sources[source];
    m_eventPending |= !d.failing;
    d.failing = true;
    ++m_generation;
    Q_EMIT updated(source);
}

TrafficPoint TrafficTracker::entity(const QString &source, const QString &entityKey) const
{
    const auto d = m_sources.constFind(source);
    TrafficPoint p;
    if (d == m_sources.cend() || d->answers == 0) {
        p.status = d != m_sources.cend() && d->failing ? TrafficStatus::MissingPoll
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

TrafficAggregate TrafficTracker::aggregate(const Entities &entities) const
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
        points.append(entity(source, key));
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

TrafficReport TrafficTracker::report(const Topology &topology) const
{
    // Indexed once per report, so a fleet (10,000 targets, 500 sidecars, 2,500 edges) costs
    // O(targets + entities) instead of targets x sources: the services by id, the proxies by
    // service (profile order), each "addr:port" and each ingress address with the sources that
    // name it (in m_sources' order, as a loop over m_sources would meet them).
    ++m_reportsComputed;
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
    QHash<QString, QList<const ProxySpec *>> proxiesOf;
    QHash<QString, QHash<QString, QString>> ingressOf; // service id -> task "addr:port" -> address
    QSet<QString> ingressIps;
    for (const ProxySpec &px : m_profile.proxies) {
        proxiesOf[px.service].append(&px);
        ingressOf[px.service].insert(px.task.toString(), px.task.host);
        ingressIps.insert(px.task.host);
    }
    using Named = QList<std::pair<int, const QStringList *>>; // (source ordinal, entity keys)
    QList<QString> sourceKeys;
    QHash<QString, Named> byAddressPort;
    QHash<QString, Named> byIngress;
    for (auto d = m_sources.cbegin(); d != m_sources.cend(); ++d) {
        const int ordinal = int(sourceKeys.size());
        sourceKeys.append(d.key());
        for (auto it = d->byAddressPort.cbegin(); it != d->byAddressPort.cend(); ++it) {
            byAddressPort[it.key()].append({ ordinal, &it.value() });
        }
        for (auto it = d->byAddress.cbegin(); it != d->byAddress.cend(); ++it) {
            if (ingressIps.contains(it.key())) {
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
            for (const ProxySpec *px : proxiesOf.value(e.to)) {
                calleeIps.insert(px->task.host);
            }
            for (const ProxySpec *px : proxiesOf.value(e.from)) {
                const QString source = s_mesh + px->id;
                const auto d = m_sources.constFind(source);
                if (d == m_sources.cend() || d->answers == 0 || d->failing) {
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
        r.edges.insert(edgeKey(e), aggregate(entities));
    }
    static const Named none;
    static const QHash<QString, QString> noIngress;
    r.targets.reserve(allTargets.size());
    for (const ServiceNode &s : topology.services) {
        const auto ingressOfService = ingressOf.constFind(s.id);
        const QHash<QString, QString> &ingressTasks
            = ingressOfService == ingressOf.cend() ? noIngress : *ingressOfService;
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
            r.targets.insert(targetKey(s.id, t.key), aggregate(entities));
        }
    }
    return r;
}

void TrafficTracker::sample(const Topology &topology)
{
    takeSample(report(topology));
}

void TrafficTracker::takeSample(const TrafficReport &r)
{
    m_sampleAtRebuild = false;
    QHash<QString, TrafficPoint> points;
    for (auto it = r.edges.cbegin(); it != r.edges.cend(); ++it) {
        if (it->measured) {
            points.insert(it.key(), it->point);
        }
    }
    for (auto it = r.targets.cbegin(); it != r.targets.cend(); ++it) {
        if (it->measured) {
            points.insert(it.key(), it->point);
        }
    }
    m_history.append(m_clock.now(), points);
    Q_EMIT sampled();
}

} // namespace hopscope
