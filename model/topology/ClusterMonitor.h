#pragma once

#include "core/Clock.h"
#include "core/EventLog.h"
#include "core/FrameCoalescer.h"
#include "core/PollScheduler.h"
#include "core/PollingSource.h"
#include "profile/ClusterProfile.h"
#include "topology/Topology.h"
#include "topology/TopologyBuilder.h"

#include <QObject>
#include <QTimer>

#include <memory>

class QNetworkAccessManager;

namespace hopscope {

class AwsSession;
class DnsDiscoverySource;
class EnvoyAdminSource;
class HttpWorker;
class TunnelSet;
class TlsContext;
class PrometheusSource;
class PrometheusFallback;

// Watches one cluster profile: owns a polling source per endpoint (DNS discovery, one per load
// balancer, one per sidecar), keeps each one's latest snapshot, and rebuilds the Topology
// (TopologyBuilder, pure, on the thread pool) whenever a poll ends — coalesced to one rebuild per
// frame at most (FrameCoalescer; fewer when rebuilds are expensive), one build at a time — and
// once per interval so that silent sources turn Stale. topologyChanged comes on this thread. Its PollScheduler caps the polls in flight and jitters the intervals. Errors
// go to its EventLog. Lives on the GUI thread (or the CLI's main thread); all I/O is asynchronous.
class ClusterMonitor : public QObject
{
    Q_OBJECT
public:
    explicit ClusterMonitor(ClusterProfile profile, QObject *parent = nullptr,
                            const Clock &clock = Clock::system());
    ~ClusterMonitor() override;

    const ClusterProfile &profile() const { return m_profile; }
    const Topology &topology() const { return m_topology; }
    EventLog *eventLog() { return &m_log; }
    QList<PollingSource *> sources() const { return m_sources; }
    DnsDiscoverySource *dnsSource() const { return m_dns; }
    PollingSource *loadBalancerSource(const QString &id) const { return m_lbSources.value(id); }
    EnvoyAdminSource *sidecarSource(const QString &id) const { return m_meshSources.value(id); }
    // The SSH tunnels of the profile's sshHosts (empty without): sources with "via" reach their
    // endpoints through it; the drain layers reach theirs through it too.
    TunnelSet *tunnels() const { return m_tunnels; }
    // The profile's "aws" session (null without): the AWS sources' and drain layers' one set of
    // credentials and endpoint (ClusterMonitorAws.cpp).
    AwsSession *awsSession() const { return m_aws; }

    // What each source must show besides its errors: "tls" with "verify": false.
    QList<SourceError> warnings() const { return m_warnings; }
    // The "tls" a source ("mesh:pay-1", "lb:internal-lb") was given, for operations on the same
    // endpoint (an Envoy drain POST); null for http:// endpoints.
    TlsContext *tlsContext(const QString &source) const { return m_tls.value(source); }

    // Paces the sources' polls (cap on polls in flight, jitter) and their rebuilds (issue 15 §3).
    PollScheduler *scheduler() const { return m_scheduler; }
    FrameCoalescer *rebuilds() const { return m_rebuilds; }
    // The sources read from Prometheus now ("lb:<id>", "mesh:<id>") and why: no endpoint of
    // their own in the profile, or theirs does not answer (PrometheusFallback). Drains need the
    // own endpoint; the drain plan says so.
    QHash<QString, QString> readFromPrometheus() const;

    // Every source has finished (succeeded or failed) at least this many polls, and the
    // topology holds their answers (rebuilds are coalesced: a poll can finish a frame before).
    int completedRounds() const { return m_lastRound; }

    void start();
    void stop();
    void pollNow(); // every source, e.g. after an operation, to confirm by observation
    // The open drains of the audit log, kept in the graph as drained tasks until undone. A mark
    // without a service gets the target's service from the current topology, remembered.
    void setOpenDrains(QList<DrainMark> drains);
    const QList<DrainMark> &openDrains() const { return m_inputs.drains; }

Q_SIGNALS:
    void topologyChanged(const hopscope::Topology &topology);
    void roundCompleted(int rounds);

private:
    void scheduleRebuild();
    void rebuild(); // starts a build on the pool; apply() takes its result
    void updateInputStates();
    void apply(Topology topology, int rounds);
    int pollRounds() const; // rounds every source has finished polling (maybe not rebuilt yet)
    SourceState stateOf(const PollingSource *source, bool hasData) const;
    void watch(PollingSource *source);
    void route(const PollingSource *source, const QString &via, const QList<quint16> &ports);
    TlsContext *tlsFor(const QUrl &url, const std::optional<TlsSpec> &own, const QString &source,
        const QString &via = QString());
    PrometheusSource *makePrometheusSource(const LoadBalancerSpec &lb);
    PrometheusSource *makePrometheusSource(const ProxySpec &px);
    PrometheusSource *makePrometheusSource(
        const QString &name, bool envoy, const QString &selector);
    void addFallback(const QString &id, const QString &endpoint, PollingSource *direct,
        PrometheusSource *standby);
    const PollingSource *shownSource(const PollingSource *direct) const;
    QString fallbackNote(const PollingSource *direct) const;
    void noteFallbacks(Topology &topology) const;
    void logPartialAnswers(PrometheusSource *prom);
    // ClusterMonitorAws.cpp (issue 16): an "elbv2" load balancer's source; the Cloud Map and
    // ECS sources of the services; their states before each rebuild.
    PollingSource *makeElbv2Source(const LoadBalancerSpec &lb);
    void makeAwsServiceSources();
    void updateAwsStates();

    ClusterProfile m_profile;
    const Clock &m_clock;
    EventLog m_log;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    // The Envoy sidecars' plain-HTTP polls run on its thread (a fleet's 500 sidecars cost the
    // GUI thread ~11 % in QtNetwork's per-request objects); created with the first sidecar.
    HttpWorker *m_http = nullptr;
    TunnelSet *m_tunnels = nullptr;
    struct Route
    {
        QString via;
        QList<quint16> ports; // the local forwards the source connects to
    };
    QHash<const PollingSource *, Route> m_routes;
    DnsDiscoverySource *m_dns = nullptr;
    QHash<QString, PollingSource *> m_lbSources;
    QHash<QString, EnvoyAdminSource *> m_meshSources;
    QHash<QString, PollingSource *> m_promSidecars; // proxies read from Prometheus
    // Direct sources with Prometheus standing in while they fail (profile with prometheus.url).
    QHash<const PollingSource *, PrometheusFallback *> m_fallbacks;
    AwsSession *m_aws = nullptr;
    QHash<QString, PollingSource *> m_cloudMapSources; // by services[].id
    QHash<QString, PollingSource *> m_ecsSources; // by services[].id
    QList<PollingSource *> m_sources;
    QList<SourceError> m_warnings;
    QHash<QString, TlsContext *> m_tls;
    QHash<const PollingSource *, int> m_pollsFinished;
    QHash<const PollingSource *, PollingSource::Status> m_lastStatus;
    TopologyInputs m_inputs;
    Topology m_topology;
    PollScheduler *m_scheduler = nullptr;
    FrameCoalescer *m_rebuilds = nullptr; // at most one rebuild per frame
    QTimer m_staleTimer;   // once per interval
    int m_lastRound = 0;
};

} // namespace hopscope
