#include "traffic/TrafficTracker.h"

#include "core/OffThread.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"
#include "prometheus/PrometheusSource.h"
#include "topology/ClusterMonitor.h"

#include <QThread>

namespace hopscope {

namespace {

const QString s_lb = QStringLiteral("lb:");
const QString s_mesh = QStringLiteral("mesh:");

} // namespace

TrafficTracker::TrafficTracker(ClusterProfile profile, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_builder(std::make_shared<const TrafficReportBuilder>(std::move(profile)))
    , m_profile(m_builder->profile())
    , m_clock(clock)
    , m_history(TrafficHistory::capacityFor(m_profile.poll.intervalMs))
{ }

void TrafficTracker::attach(ClusterMonitor *monitor)
{
    connect(monitor, &ClusterMonitor::topologyChanged, this, &TrafficTracker::requestReport);
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
    // taken from the first report that includes the answer (the one of the rebuild it causes),
    // the report the views get; a throttled event's sample takes the latest report when that one
    // is current already (its rebuild's report came), else the next one.
    m_eventTimer.setSingleShot(true);
    connect(&m_eventTimer, &QTimer::timeout, monitor, [this] {
        if (sampleDue()) {
            sampleLatest();
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
            m_sampleAt = m_generation;
        }
    });
}

void TrafficTracker::requestReport(const Topology &topology)
{
    if (!m_reportRunning) {
        startReport(topology);
        return;
    }
    if (m_nextTopology) {
        releaseOnPool(std::move(*m_nextTopology)); // replaced before its run
    }
    m_nextTopology = topology; // one more run when this one ends, over the latest
}

void TrafficTracker::startReport(Topology topology)
{
    m_reportRunning = true;
    const quint64 traffic = m_generation;
    // Copies: the topology and the sources' data are implicitly shared (a reference count each;
    // the next answer detaches m_sources from the job's copy), the builder is immutable.
    runOffThread(
        buildThread(), this,
        [builder = m_builder, topology = std::move(topology), sources = m_sources,
            own = thread()]() mutable {
            Computed c;
            auto report = std::make_shared<TrafficReport>(builder->build(topology, sources));
            c.points = pointsOf(*report);
            c.report = std::move(report);
            c.topology = std::move(topology);
            c.onOwnThread = QThread::currentThread() == own;
            return c;
        },
        [this, traffic](Computed c) { reportDone(std::move(c), traffic); });
}

void TrafficTracker::reportDone(Computed computed, quint64 traffic)
{
    m_reportRunning = false;
    ++m_reportsComputed;
    m_reportsOnOwnThread += computed.onOwnThread ? 1 : 0;
    Computed previous = std::exchange(m_latest, std::move(computed));
    m_reportTraffic = traffic;
    if (m_sampleAt != 0 && traffic >= m_sampleAt) {
        takeSample(m_latest.points);
    }
    if (m_nextTopology) {
        // Before the views take this one: the pool works while they do.
        Topology next = std::move(*m_nextTopology);
        m_nextTopology.reset();
        startReport(std::move(next));
    }
    // With the topology it was computed over. A view that pairs it with a newer topology (the
    // graph: its own rebuilt one; that one's report is the run just started) shows this report's
    // numbers, keyed by edge and task, until the next report comes; never another key's.
    const Topology topology = m_latest.topology;
    const std::shared_ptr<const TrafficReport> report = m_latest.report;
    Q_EMIT reportReady(topology, report);
    // The views have let go of the report before and its topology: the last reference is
    // usually this one, and it goes now, on the pool. (Held until the next report, as it was,
    // a topology of 10,000 targets more stayed resident while the next one was being built.)
    releaseOnPool(std::move(previous));
}

void TrafficTracker::sampleLatest()
{
    if (!reportPending() && m_latest.report && m_reportTraffic == m_generation) {
        takeSample(m_latest.points);
    } else {
        m_sampleAt = m_generation; // every event is followed by a rebuild, and so by a report
    }
}

std::shared_ptr<const TrafficReport> TrafficTracker::latestReport() const
{
    static const auto empty = std::make_shared<const TrafficReport>();
    return m_latest.report ? m_latest.report : empty;
}

TrafficReport TrafficTracker::report(const Topology &topology) const
{
    return m_builder->build(topology, m_sources);
}

TrafficPoint TrafficTracker::entity(const QString &source, const QString &entityKey) const
{
    return TrafficReportBuilder::entity(m_sources, source, entityKey);
}

void TrafficTracker::maybeSample(const Topology &topology)
{
    if (sampleDue()) {
        takeSample(pointsOf(report(topology)));
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
    TrafficSourceData &d = m_sources[source];
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
            const QString ap = TrafficReportBuilder::addressPortOf(it.key());
            d.byAddressPort[ap].append(it.key());
            d.byAddress[TrafficReportBuilder::hostOf(ap)].append(it.key());
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
    TrafficSourceData &d = m_sources[source];
    m_eventPending |= !d.failing;
    d.failing = true;
    ++m_generation;
    Q_EMIT updated(source);
}

void TrafficTracker::sample(const Topology &topology)
{
    takeSample(pointsOf(report(topology)));
}

QHash<QString, TrafficPoint> TrafficTracker::pointsOf(const TrafficReport &r)
{
    QHash<QString, TrafficPoint> points;
    points.reserve(r.edges.size() + r.targets.size());
    for (const auto *part : { &r.edges, &r.targets }) {
        for (auto it = part->cbegin(); it != part->cend(); ++it) {
            if (it->measured) {
                points.insert(it.key(), it->point);
            }
        }
    }
    return points;
}

void TrafficTracker::takeSample(const QHash<QString, TrafficPoint> &points)
{
    m_sampleAt = 0;
    m_history.append(m_clock.now(), points);
    Q_EMIT sampled();
}

} // namespace hopscope
