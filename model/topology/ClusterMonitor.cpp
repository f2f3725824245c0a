#include "ClusterMonitor.h"

#include "core/HttpWorker.h"
#include "core/OffThread.h"
#include "core/TlsContext.h"
#include "dns/DnsDiscoverySource.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"
#include "prometheus/PrometheusFallback.h"
#include "prometheus/PrometheusSource.h"
#include "ssh/TunnelSet.h"

#include <QNetworkAccessManager>
#include <QElapsedTimer>
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
    m_scheduler
        = new PollScheduler(PollScheduler::DefaultMaxInFlight, PollScheduler::DefaultJitter, this);
    m_rebuilds = new FrameCoalescer(
        m_clock, [this] { rebuild(); }, this);
    m_rebuilds->setAsync(true); // the build runs on the pool (rebuild())
    // Endpoints with "via" are reached through local forwards of their jump host's session. A
    // lost jump host is tried again about every half poll interval (1 s to 15 s).
    m_tunnels = new TunnelSet(
        m_profile.sshHosts, this, std::clamp(m_profile.poll.intervalMs / 2, 1000, 15'000));
    connect(m_tunnels, &TunnelSet::tunnelChanged, this,
        [this](const QString &via, SshSession::State state, const QString &text) {
            if (state != SshSession::State::Idle) {
                m_log.append(state == SshSession::State::Failed ? EventLog::Severity::Error
                                                                : EventLog::Severity::Info,
                    QStringLiteral("ssh:") + via, text);
            }
            if (state == SshSession::State::Authenticated && m_staleTimer.isActive()) {
                // The jump host is back: its failing sources ask now, not after their backoff.
                for (PollingSource *source : std::as_const(m_sources)) {
                    const auto r = m_routes.constFind(source);
                    if (r != m_routes.constEnd() && r->via == via
                        && source->status() == PollingSource::Status::Failing) {
                        source->refreshNow();
                    }
                }
            } else if (state == SshSession::State::Failed && m_staleTimer.isActive() && m_dns
                && m_profile.dnsVia == via && m_dns->status() == PollingSource::Status::Ok) {
                // The jump host is gone. The other sources fail at their next poll (within an
                // interval); DNS re-asks a name only when its TTL runs out (up to maxIntervalMs),
                // so it asks every name now and fails with the tunnel's reason at once.
                m_dns->refreshNow();
            }
            scheduleRebuild(); // sources behind a failed tunnel turn stale now
        });

    const bool anyDns = std::any_of(m_profile.services.cbegin(), m_profile.services.cend(),
                                    [](const ServiceSpec &s) { return s.dns.has_value(); });
    if (anyDns) {
        DnsDiscoveryConfig dnsConfig = DnsDiscoveryConfig::fromProfile(m_profile);
        const QList<quint16> dnsPorts = m_tunnels->reachDns(m_profile.dnsVia, dnsConfig);
        m_dns = new DnsDiscoverySource(dnsConfig, m_clock, this);
        route(m_dns, m_profile.dnsVia, dnsPorts);
        connect(m_dns, &DnsDiscoverySource::snapshotReady, this, [this](const DnsDiscoverySnapshot &s) {
            m_inputs.dns = s;
        });
        watch(m_dns);
    }
    for (const LoadBalancerSpec &lb : m_profile.loadBalancers) {
        const QString name = QStringLiteral("lb:") + lb.id;
        PollingSource *source = nullptr;
        if (lb.isElbv2()) {
            source = makeElbv2Source(lb); // ClusterMonitorAws.cpp
        } else if (lb.fromPrometheus && !m_profile.prometheusUrl.isEmpty()) {
            source = makePrometheusSource(lb);
        } else if (lb.runtime) {
            const RuntimeEndpoint endpoint = m_tunnels->runtime(lb.via, *lb.runtime);
            auto *rt = new HaproxyRuntimeSource(name, endpoint, this);
            route(rt, lb.via, { endpoint.tcp.port });
            connect(rt, &HaproxyRuntimeSource::snapshotReady, this,
                [this, id = lb.id](const HaproxySnapshot &s) { m_inputs.lb.insert(id, s); });
            source = rt;
        } else {
            // Through a tunnel the URL is rewritten to the local forward; TLS still checks the
            // certificate against (and sends as SNI) the profile's host.
            const QUrl url = m_tunnels->url(lb.via, lb.statsUrl);
            TlsContext *tls = tlsFor(lb.statsUrl, lb.tls, name, lb.via);
            auto *http = new HaproxyStatsHttpSource(
                name, url, tls ? tls->networkAccessManager() : m_nam.get(), this);
            http->setTls(tls);
            route(http, lb.via, { quint16(url.port()) });
            connect(http, &HaproxyStatsHttpSource::snapshotReady, this,
                [this, id = lb.id](const HaproxySnapshot &s) { m_inputs.lb.insert(id, s); });
            source = http;
        }
        if (!lb.fromPrometheus && !m_profile.prometheusUrl.isEmpty()) {
            addFallback(lb.id, lb.runtime ? QStringLiteral("runtime") : QStringLiteral("stats URL"),
                source, makePrometheusSource(lb));
        }
        m_lbSources.insert(lb.id, source);
        watch(source);
    }
    for (const ProxySpec &px : m_profile.proxies) {
        if (px.fromPrometheus && !m_profile.prometheusUrl.isEmpty()) {
            PrometheusSource *prom = makePrometheusSource(px);
            m_promSidecars.insert(px.id, prom);
            watch(prom);
            continue;
        }
        const QString name = QStringLiteral("mesh:") + px.id;
        const QUrl admin = m_tunnels->url(px.via, px.admin);
        TlsContext *tls = tlsFor(px.admin, px.tls, name, px.via);
        auto *envoy = new EnvoyAdminSource(
            name, admin, tls ? tls->networkAccessManager() : m_nam.get(), this);
        envoy->setTls(tls);
        if (!m_http) {
            m_http = new HttpWorker(this);
        }
        envoy->setHttpWorker(m_http);
        route(envoy, px.via, { quint16(admin.port()) });
        connect(envoy, &EnvoyAdminSource::snapshotReady, this,
            [this, id = px.id](const EnvoyAdminSnapshot &s) { m_inputs.mesh.insert(id, s); });
        if (!m_profile.prometheusUrl.isEmpty()) {
            addFallback(px.id, QStringLiteral("admin API"), envoy, makePrometheusSource(px));
        }
        m_meshSources.insert(px.id, envoy);
        watch(envoy);
    }
    makeAwsServiceSources(); // ClusterMonitorAws.cpp

    m_staleTimer.setInterval(std::max(250, m_profile.poll.intervalMs));
    connect(&m_staleTimer, &QTimer::timeout, this, &ClusterMonitor::scheduleRebuild);
    // The declared picture, "no data yet" everywhere: built here, so that topology() is whole as
    // soon as the monitor exists (the views draw it before the first answer).
    updateInputStates();
    m_topology = TopologyBuilder::build(m_profile, m_inputs);
    noteFallbacks(m_topology);
}

ClusterMonitor::~ClusterMonitor()
{
    stop();
}

void ClusterMonitor::watch(PollingSource *source)
{
    source->applyPollSettings(m_profile.poll.intervalMs, m_profile.poll.timeoutMs);
    source->setScheduler(m_scheduler);
    m_sources.append(source);
    m_pollsFinished.insert(source, 0);
    connect(source, &PollingSource::pollFinished, this, [this, source] {
        if (const PrometheusFallback *f = m_fallbacks.value(source); !f || !f->isActive()) {
            ++m_pollsFinished[source];
        }
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

void ClusterMonitor::route(
    const PollingSource *source, const QString &via, const QList<quint16> &ports)
{
    if (!via.isEmpty()) {
        m_routes.insert(source, Route { via, ports });
    }
}

// The "tls" of one https:// source (its own, else the profile's), or null. Each source gets its
// own context, so its connections (and client certificate) are never shared with another's.
TlsContext *ClusterMonitor::tlsFor(
    const QUrl &url, const std::optional<TlsSpec> &own, const QString &source, const QString &via)
{
    std::optional<TlsSpec> spec = m_profile.tlsFor(url, own);
    if (!spec && !via.isEmpty() && url.scheme() == u"https") {
        spec = TlsSpec {}; // the system CAs, but the profile's host name through the tunnel
    }
    if (!spec) {
        return nullptr;
    }
    auto *tls = new TlsContext(*spec, this);
    if (!via.isEmpty()) {
        tls->setPeerVerifyName(url.host());
    }
    m_tls.insert(source, tls);
    if (const QString warning = tls->warning(); !warning.isEmpty()) {
        m_log.append(EventLog::Severity::Warning, source, warning);
        SourceError w;
        w.source = source;
        w.message = warning;
        w.when = m_clock.now();
        m_warnings.append(w);
    }
    return tls;
}

int ClusterMonitor::pollRounds() const
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
    m_staleTimer.start(); // before the sources: it says "running" to the tunnels' callbacks
    for (PollingSource *s : std::as_const(m_sources)) {
        const auto r = m_routes.constFind(s);
        if (r == m_routes.constEnd()) {
            s->start();
            continue;
        }
        // Behind a jump host: the first poll waits until the tunnel is up (or failed, then it
        // fails with the tunnel's reason) instead of timing out on the SSH handshake.
        m_tunnels->whenSettled(r->via, s, [this, s] {
            if (m_staleTimer.isActive()) {
                s->start();
            }
        });
    }
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
    m_rebuilds->request();
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
    // Behind a tunnel that failed: stale, with the tunnel's reason (a host-key mismatch names
    // both fingerprints) instead of "connection closed" from the local forward.
    if (const auto r = m_routes.constFind(source); r != m_routes.constEnd()) {
        const bool failing = source->status() == PollingSource::Status::Failing;
        const SourceError tunnel
            = m_tunnels->failure(r->via, source->name(), failing ? r->ports : QList<quint16>());
        if (tunnel.isError()) {
            st.error = tunnel;
            st.stale = true;
        }
    }
    return st;
}

void ClusterMonitor::updateInputStates()
{
    m_inputs.now = m_clock.now();
    if (m_dns) {
        m_inputs.dnsState = stateOf(m_dns, m_inputs.dns.has_value());
        // Per-name failures live in the snapshot; the source as a whole is stale only when
        // every name failed, which stateOf() sees through the source's status.
    }
    for (auto it = m_lbSources.cbegin(); it != m_lbSources.cend(); ++it) {
        m_inputs.lbState.insert(
            it.key(), stateOf(shownSource(it.value()), m_inputs.lb.contains(it.key())));
    }
    for (auto it = m_meshSources.cbegin(); it != m_meshSources.cend(); ++it) {
        m_inputs.meshState.insert(
            it.key(), stateOf(shownSource(it.value()), m_inputs.mesh.contains(it.key())));
    }
    for (auto it = m_promSidecars.cbegin(); it != m_promSidecars.cend(); ++it) {
        m_inputs.meshState.insert(it.key(), stateOf(it.value(), m_inputs.mesh.contains(it.key())));
    }
    updateAwsStates();
}

namespace {
struct Built
{
    Topology topology;
    qint64 poolMs = 0;
};
} // namespace

// The coalescer's work: the sources' states are read here, on the GUI thread (cheap: one entry
// per source); the build itself (hundreds of ms at 10,000 targets) runs on the pool over copies
// of the profile and the inputs (implicitly shared: copying them is a reference count, and a
// snapshot arriving meanwhile detaches the GUI thread's copy, never the pool's). The coalescer
// runs one build at a time and one more after it when answers came meanwhile.
void ClusterMonitor::rebuild()
{
    updateInputStates();
    // Rounds counted now: the topology applied below holds exactly the answers seen so far.
    const int rounds = pollRounds();
    runOffThread(
        buildThread(), this,
        [profile = m_profile, inputs = m_inputs] {
            QElapsedTimer timer;
            timer.start();
            Built built { TopologyBuilder::build(profile, inputs), 0 };
            built.poolMs = timer.elapsed();
            return built;
        },
        [this, rounds](Built built) {
            m_rebuilds->resume();
            apply(std::move(built.topology), rounds);
            m_rebuilds->finish(built.poolMs);
        });
}

void ClusterMonitor::apply(Topology topology, int rounds)
{
    Topology previous = std::exchange(m_topology, std::move(topology));
    noteFallbacks(m_topology);
    Q_EMIT topologyChanged(m_topology);
    // The views have taken the new picture and let go of the previous one: its last copy is
    // here, and freeing 10,000 targets' strings is the pool's work, not the GUI thread's.
    releaseOnPool(std::move(previous));
    if (rounds > m_lastRound) {
        m_lastRound = rounds;
        Q_EMIT roundCompleted(rounds);
    }
}

} // namespace hopscope
