#include "ClusterMonitor.h"

#include "dns/DnsDiscoverySource.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"
#include "prometheus/PrometheusSource.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>

#include <algorithm>
#include <limits>

namespace hopscope {

ClusterMonitor::ClusterMonitor(ClusterProfile profile, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_profile(std::move(profile))
    , m_clock(clock)
    , m_nam(std::make_unique<QNetworkAccessManager>())
{
    qRegisterMetaType<Topology>();
    // Admin endpoints are local or inside the VPC: never through a system proxy.
    m_nam->setProxy(QNetworkProxy::NoProxy);

    const bool anyDns = std::any_of(m_profile.services.cbegin(), m_profile.services.cend(),
                                    [](const ServiceSpec &s) { return s.dns.has_value(); });
    if (anyDns) {
        m_dns = new DnsDiscoverySource(DnsDiscoveryConfig::fromProfile(m_profile), m_clock, this);
        connect(m_dns, &DnsDiscoverySource::snapshotReady, this, [this](const DnsDiscoverySnapshot &s) {
            m_inputs.dns = s;
        });
        watch(m_dns);
    }
    for (const LoadBalancerSpec &lb : m_profile.loadBalancers) {
        const QString name = QStringLiteral("lb:") + lb.id;
        PollingSource *source = nullptr;
        if (lb.fromPrometheus && !m_profile.prometheusUrl.isEmpty()) {
            source = makePrometheusSource(lb);
        } else if (lb.runtime) {
            auto *rt = new HaproxyRuntimeSource(name, *lb.runtime, this);
            connect(rt, &HaproxyRuntimeSource::snapshotReady, this,
                [this, id = lb.id](const HaproxySnapshot &s) { m_inputs.lb.insert(id, s); });
            source = rt;
        } else {
            auto *http = new HaproxyStatsHttpSource(name, lb.statsUrl, m_nam.get(), this);
            connect(http, &HaproxyStatsHttpSource::snapshotReady, this,
                [this, id = lb.id](const HaproxySnapshot &s) { m_inputs.lb.insert(id, s); });
            source = http;
        }
        m_lbSources.insert(lb.id, source);
        watch(source);
    }
    for (const ProxySpec &px : m_profile.proxies) {
        if (px.fromPrometheus && !m_profile.prometheusUrl.isEmpty()) {
            auto *prom = new PrometheusSource(QStringLiteral("mesh:") + px.id, PrometheusSource::Target::Envoy,
                m_profile.prometheusUrl, px.prometheusSelector, m_nam.get(), this);
            prom->setBearerToken(m_profile.prometheusBearerToken);
            connect(prom, &PrometheusSource::envoySnapshotReady, this,
                [this, id = px.id](const EnvoyAdminSnapshot &s) { m_inputs.mesh.insert(id, s); });
            logPartialAnswers(prom);
            m_promSidecars.insert(px.id, prom);
            watch(prom);
            continue;
        }
        auto *envoy = new EnvoyAdminSource(QStringLiteral("mesh:") + px.id, px.admin, m_nam.get(), this);
        connect(envoy, &EnvoyAdminSource::snapshotReady, this,
            [this, id = px.id](const EnvoyAdminSnapshot &s) { m_inputs.mesh.insert(id, s); });
        m_meshSources.insert(px.id, envoy);
        watch(envoy);
    }

    m_rebuildTimer.setSingleShot(true);
    m_rebuildTimer.setInterval(0);
    connect(&m_rebuildTimer, &QTimer::timeout, this, &ClusterMonitor::rebuild);
    m_staleTimer.setInterval(std::max(250, m_profile.poll.intervalMs));
    connect(&m_staleTimer, &QTimer::timeout, this, &ClusterMonitor::scheduleRebuild);
    rebuild(); // the declared picture, "no data yet" everywhere
}

// A load balancer read from the profile's Prometheus: the same HaproxySnapshot as a direct
// source; a partial answer's warnings go to the event log.
PollingSource *ClusterMonitor::makePrometheusSource(const LoadBalancerSpec &lb)
{
    auto *prom = new PrometheusSource(QStringLiteral("lb:") + lb.id, m_profile.prometheusUrl,
        lb.prometheusSelector, m_nam.get(), this);
    prom->setBearerToken(m_profile.prometheusBearerToken);
    connect(prom, &PrometheusSource::snapshotReady, this,
        [this, id = lb.id](const HaproxySnapshot &s) { m_inputs.lb.insert(id, s); });
    logPartialAnswers(prom);
    return prom;
}

void ClusterMonitor::logPartialAnswers(PrometheusSource *prom)
{
    connect(prom, &PrometheusSource::warningsChanged, this, [this, prom](const QStringList &warnings) {
        for (const QString &w : warnings) {
            m_log.append(EventLog::Severity::Warning, prom->name(),
                QStringLiteral("partial answer from Prometheus: ") + w);
        }
    });
}

ClusterMonitor::~ClusterMonitor()
{
    stop();
}

void ClusterMonitor::watch(PollingSource *source)
{
    source->applyPollSettings(m_profile.poll.intervalMs, m_profile.poll.timeoutMs);
    m_sources.append(source);
    m_pollsFinished.insert(source, 0);
    connect(source, &PollingSource::pollFinished, this, [this, source] {
        ++m_pollsFinished[source];
        scheduleRebuild();
    });
    connect(source, &PollingSource::errorOccurred, this, [this](const SourceError &e) { m_log.appendError(e); });
    connect(source, &PollingSource::statusChanged, this, [this, source](PollingSource::Status status) {
        const PollingSource::Status before = m_lastStatus.value(source, PollingSource::Status::Idle);
        m_lastStatus.insert(source, status);
        if (status == PollingSource::Status::Ok && before == PollingSource::Status::Failing) {
            m_log.append(EventLog::Severity::Info, source->name(), QStringLiteral("recovered"));
        } else if (status == PollingSource::Status::Ok && before == PollingSource::Status::Pending) {
            m_log.append(EventLog::Severity::Info, source->name(), QStringLiteral("answering"));
        }
    });
}

int ClusterMonitor::completedRounds() const
{
    if (m_sources.isEmpty()) {
        return m_lastRound;
    }
    int rounds = std::numeric_limits<int>::max();
    for (const PollingSource *s : m_sources) {
        rounds = std::min(rounds, m_pollsFinished.value(s));
    }
    return rounds;
}

void ClusterMonitor::start()
{
    for (PollingSource *s : std::as_const(m_sources)) {
        s->start();
    }
    m_staleTimer.start();
    if (m_sources.isEmpty()) {
        // Nothing to poll: the declared picture is complete at once.
        m_lastRound = 1;
        QMetaObject::invokeMethod(this, [this] { Q_EMIT roundCompleted(1); }, Qt::QueuedConnection);
    }
}

void ClusterMonitor::stop()
{
    m_staleTimer.stop();
    for (PollingSource *s : std::as_const(m_sources)) {
        s->stop();
    }
}

void ClusterMonitor::pollNow()
{
    for (PollingSource *s : std::as_const(m_sources)) {
        s->refreshNow();
    }
}

void ClusterMonitor::setOpenDrains(QList<DrainMark> drains)
{
    for (DrainMark &m : drains) {
        // The plan names the services by display name ("serviceB", or "a, b" when the target is
        // in several); the graph keys services by id: the first that matches.
        const QStringList named = m.service.split(QStringLiteral(", "), Qt::SkipEmptyParts);
        m.service.clear();
        for (const QString &name : named) {
            for (const ServiceSpec &s : m_profile.services) {
                if (m.service.isEmpty() && (name == s.name || name == s.id)) {
                    m.service = s.id;
                }
            }
        }
        if (m_profile.service(m.service)) {
            continue;
        }
        m.service.clear();
        // Else the service this target had last: in the current picture, or a previous mark's.
        for (const ServiceNode &s : std::as_const(m_topology.services)) {
            for (const TargetNode &t : s.targets) {
                if (t.key == m.target && m.service.isEmpty()) {
                    m.service = s.id;
                }
            }
        }
        for (const DrainMark &old : std::as_const(m_inputs.drains)) {
            if (old.target == m.target && m.service.isEmpty()) {
                m.service = old.service;
            }
        }
    }
    const auto same = [](const DrainMark &a, const DrainMark &b) {
        return a.target == b.target && a.service == b.service && a.since == b.since && a.user == b.user;
    };
    if (std::equal(drains.cbegin(), drains.cend(), m_inputs.drains.cbegin(), m_inputs.drains.cend(), same)) {
        return; // nothing changed: no rebuild (a picture set without polling stays as it is)
    }
    m_inputs.drains = std::move(drains);
    scheduleRebuild();
}

void ClusterMonitor::scheduleRebuild()
{
    if (!m_rebuildTimer.isActive()) {
        m_rebuildTimer.start();
    }
}

SourceState ClusterMonitor::stateOf(const PollingSource *source, bool hasData) const
{
    SourceState st;
    st.hasData = hasData;
    st.error = source->lastError();
    st.lastSuccess = source->lastSuccess();
    // Each source says when its data is stale (3 missed intervals; DNS: per record, by TTL).
    st.stale = !hasData || source->status() == PollingSource::Status::Failing
        || source->isStale(m_clock.now(), 3);
    return st;
}

void ClusterMonitor::rebuild()
{
    m_inputs.now = m_clock.now();
    if (m_dns) {
        m_inputs.dnsState = stateOf(m_dns, m_inputs.dns.has_value());
        // Per-name failures live in the snapshot; the source as a whole is stale only when
        // every name failed, which stateOf() sees through the source's status.
    }
    for (auto it = m_lbSources.cbegin(); it != m_lbSources.cend(); ++it) {
        m_inputs.lbState.insert(it.key(), stateOf(it.value(), m_inputs.lb.contains(it.key())));
    }
    for (auto it = m_meshSources.cbegin(); it != m_meshSources.cend(); ++it) {
        m_inputs.meshState.insert(it.key(), stateOf(it.value(), m_inputs.mesh.contains(it.key())));
    }
    for (auto it = m_promSidecars.cbegin(); it != m_promSidecars.cend(); ++it) {
        m_inputs.meshState.insert(it.key(), stateOf(it.value(), m_inputs.mesh.contains(it.key())));
    }
    m_topology = TopologyBuilder::build(m_profile, m_inputs);
    Q_EMIT topologyChanged(m_topology);
    const int rounds = completedRounds();
    if (rounds > m_lastRound) {
        m_lastRound = rounds;
        Q_EMIT roundCompleted(rounds);
    }
}

} // namespace hopscope
