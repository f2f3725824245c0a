#pragma once

#include "core/Clock.h"
#include "profile/ClusterProfile.h"
#include "topology/Topology.h"
#include "traffic/TrafficCounters.h"
#include "traffic/TrafficHistory.h"
#include "traffic/TrafficRate.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QVarLengthArray>

#include <memory>

namespace hopscope {

class ClusterMonitor;

// Traffic of one edge or one task: the sum of the entities the proxies report for it.
struct TrafficAggregate
{
    bool measured = false; // some proxy on the way reports it (false: a dns edge, an unseen task)
    QStringList from; // "lb:<id>", "mesh:<id>"
    TrafficPoint point;
};

struct TrafficReport
{
    QHash<QString, TrafficAggregate> edges; // by edgeKey()
    QHash<QString, TrafficAggregate> targets; // by targetKey()
};

// Rates from the proxies' own counters. Fed the same snapshots ClusterMonitor receives (attach()
// connects to its sources' public signals; nothing in ClusterMonitor changes), it keeps the last
// answer of every HAProxy and Envoy source, turns successive answers into per-entity rates
// (TrafficRate), maps entities onto the topology's edges and tasks (report()), and keeps a
// TrafficHistory of both, one sample per poll interval. Lives on the monitor's thread.
//
// Attached to a monitor, it computes one report per (topology rebuild, traffic change) and shares
// it: the target table, the graph (GraphTrafficFeed) and the history all read currentReport(),
// keyed on two generation counters (the monitor's rebuilds it counted, the answers it took), not
// on content. Every answer or missing poll is followed by a rebuild (ClusterMonitor schedules
// one on every pollFinished), so the history's sample waits for that rebuild and reads the
// report the views read: at 10,000 targets x 500 sidecars one report costs tens of ms.
class TrafficTracker : public QObject
{
    Q_OBJECT
public:
    explicit TrafficTracker(
        ClusterProfile profile, QObject *parent = nullptr, const Clock &clock = Clock::system());

    // Follows the monitor's load balancer and sidecar sources, and samples the history once per
    // poll interval.
    void attach(ClusterMonitor *monitor);

    // The same, fed by hand (tests; any other owner of snapshots). `source` is "lb:<id>" or
    // "mesh:<id>"; `at` when the answer was read.
    void addHaproxy(const QString &lbId, const HaproxySnapshot &snapshot, const QDateTime &at);
    void addEnvoy(const QString &proxyId, const EnvoyAdminSnapshot &snapshot, const QDateTime &at);
    void pollFailed(const QString &source);

    int answers(const QString &source) const { return m_sources.value(source).answers; }
    TrafficPoint entity(const QString &source, const QString &entityKey) const;

    TrafficReport report(const Topology &topology) const; // computed now, not shared
    // The report over the attached monitor's current topology and the latest answers: computed
    // when the topology was rebuilt or an answer came since the last one, else the same object.
    // Empty when not attached.
    std::shared_ptr<const TrafficReport> currentReport();
    quint64 generation() const { return m_generation; } // +1 per answer or missing poll
    int reportsComputed() const { return m_reportsComputed; } // report()s so far (tests, bench)
    void sample(const Topology &topology); // one history round
    // What attach() calls on every update: a history round once per poll interval, or at once
    // when a source restarted (counter reset) or stopped answering since the last round.
    void maybeSample(const Topology &topology);
    const TrafficHistory &history() const { return m_history; }

    static QString edgeKey(const EdgeNode &edge); // "edge:from>to@via"
    static QString targetKey(
        const QString &serviceId, const QString &targetKey); // "task:svc/addr:port"

Q_SIGNALS:
    void updated(const QString &source);
    void sampled(); // history() took a round (views of the history redraw)

private:
    struct SourceData
    {
        TrafficCounterSet last;
        QHash<QString, TrafficPoint> points; // by entity key
        int answers = 0;
        bool failing = false;
        // server/… and host/… entities by the "addr:port" they name, and by "addr" alone.
        QHash<QString, QStringList> byAddressPort;
        QHash<QString, QStringList> byAddress;
    };

    void add(const QString &source, TrafficCounterSet set);
    bool sampleDue(); // maybeSample's rule; true: the slot is taken (m_lastSample is now)
    void onTopologyChanged();
    void takeSample(const TrafficReport &r);
    using Entities = QVarLengthArray<std::pair<QString, QString>, 4>; // (source, entity key)
    TrafficAggregate aggregate(const Entities &entities) const;

    ClusterProfile m_profile;
    const Clock &m_clock;
    QHash<QString, SourceData> m_sources;
    TrafficHistory m_history;
    QDateTime m_lastSample;
    bool m_eventPending = false;
    static constexpr qint64 MinEventGapMs = 250; // between samples taken for source events
    QTimer m_eventTimer;
    bool m_sampleAtRebuild = false; // an answer took the round: sample at the rebuild it causes

    QPointer<ClusterMonitor> m_monitor;
    quint64 m_generation = 0;
    quint64 m_topologyGeneration = 0; // the monitor's topologyChanged signals seen
    quint64 m_reportTopology = 0; // the generations m_report was computed at
    quint64 m_reportTraffic = 0;
    std::shared_ptr<const TrafficReport> m_report;
    mutable int m_reportsComputed = 0;
};

} // namespace hopscope
