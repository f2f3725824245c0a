#pragma once

#include "core/Clock.h"
#include "profile/ClusterProfile.h"
#include "topology/Topology.h"
#include "traffic/TrafficCounters.h"
#include "traffic/TrafficHistory.h"
#include "traffic/TrafficRate.h"
#include "traffic/TrafficReport.h"
#include "traffic/TrafficReportBuilder.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <optional>

namespace hopscope {

class ClusterMonitor;

// Rates from the proxies' own counters. Fed the same snapshots ClusterMonitor receives (attach()
// connects to its sources' public signals; nothing in ClusterMonitor changes), it keeps the last
// answer of every HAProxy and Envoy source, turns successive answers into per-entity rates
// (TrafficRate), maps entities onto the topology's edges and tasks (TrafficReportBuilder), and
// keeps a TrafficHistory of both, one sample per poll interval. Lives on the monitor's thread.
//
// Attached to a monitor, it computes the report off that thread: every topology rebuild requests
// one, computed on the thread pool (runOffThread) over copies of the topology and of the sources'
// data (implicitly shared: a reference count each), at most one job in flight; requests that come
// while one runs make one more run after it, over the latest topology and answers. Every answer or
// missing poll is followed by a rebuild (ClusterMonitor schedules one on every pollFinished), so
// the report that follows the last rebuild of a quiet spell is the one of the latest topology and
// the latest answers. reportReady() hands it to the graph (GraphTrafficFeed), the target table and
// the history's sample: one report per rebuild at most, never computed on the GUI thread (at
// 10,000 targets x 500 sidecars one costs tens of ms).
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

    // Computed now on the calling thread, not shared (the CLI, tests).
    TrafficReport report(const Topology &topology) const;
    // What attach() calls on every topology rebuild: a report over `topology` and the answers
    // taken so far, computed on the thread pool and delivered by reportReady(). While one runs,
    // requests make one more run after it, over the latest topology requested.
    void requestReport(const Topology &topology);
    // The last report reportReady() delivered (empty before the first). It
    // may be one job behind the monitor's topology: keys are edge and task keys, so a view that
    // pairs it with a newer topology shows the previous numbers until the next reportReady().
    std::shared_ptr<const TrafficReport> latestReport() const;
    bool reportPending() const { return m_reportRunning || m_nextTopology.has_value(); }
    quint64 generation() const { return m_generation; } // +1 per answer or missing poll
    // Reports computed for the attached monitor, and how many of those ran on this object's own
    // thread (none: they run on the pool). Tests and the bench.
    int reportsComputed() const { return m_reportsComputed; }
    int reportsComputedOnOwnThread() const { return m_reportsOnOwnThread; }
    // Synchronous history rounds over report(topology) (tests); attached, the history is sampled
    // from the reports reportReady() delivers.
    void sample(const Topology &topology); // one history round
    // What attach() calls on every update: a history round once per poll interval, or at once
    // when a source restarted (counter reset) or stopped answering since the last round.
    void maybeSample(const Topology &topology);
    const TrafficHistory &history() const { return m_history; }

    static QString edgeKey(const EdgeNode &edge) // "edge:from>to@via"
    {
        return TrafficReportBuilder::edgeKey(edge);
    }
    static QString targetKey(const QString &serviceId, const QString &targetKey)
    {
        return TrafficReportBuilder::targetKey(serviceId, targetKey); // "task:svc/addr:port"
    }

Q_SIGNALS:
    void updated(const QString &source);
    void sampled(); // history() took a round (views of the history redraw)
    // A report and the topology it was computed over (a rebuild's, with the answers taken when
    // its job started); after the history's sample of it, if one was due. On this object's
    // thread. Views that show both take the topology from here: numbers and rows always match.
    void reportReady(const hopscope::Topology &topology,
        const std::shared_ptr<const hopscope::TrafficReport> &report);

private:
    // What a report job hands back: the topology and the report over it, the history's points of
    // it (measured edges and tasks), and whether it ran on the tracker's thread.
    struct Computed
    {
        Topology topology;
        std::shared_ptr<const TrafficReport> report;
        QHash<QString, TrafficPoint> points;
        bool onOwnThread = false;
    };

    void add(const QString &source, TrafficCounterSet set);
    bool sampleDue(); // maybeSample's rule; true: the slot is taken (m_lastSample is now)
    void startReport(Topology topology);
    void reportDone(Computed computed, quint64 traffic);
    void sampleLatest(); // the event timer's round: from the latest report when it is current
    static QHash<QString, TrafficPoint> pointsOf(const TrafficReport &r);
    void takeSample(const QHash<QString, TrafficPoint> &points);

    std::shared_ptr<const TrafficReportBuilder> m_builder;
    const ClusterProfile &m_profile; // the builder's
    const Clock &m_clock;
    TrafficSources m_sources;
    TrafficHistory m_history;
    QDateTime m_lastSample;
    bool m_eventPending = false;
    static constexpr qint64 MinEventGapMs = 250; // between samples taken for source events
    QTimer m_eventTimer;
    // An answer took the history's round: sample the first report that includes generation
    // m_sampleAt (0: none due).
    quint64 m_sampleAt = 0;

    quint64 m_generation = 0;
    bool m_reportRunning = false; // a job is on the pool
    std::optional<Topology> m_nextTopology; // requested while it ran: one more run after it
    // Topologies requested and replaced before their run: released by the next job, off this
    // thread (the monitor has moved on; these copies may be the last references).
    quint64 m_reportTraffic = 0; // the generation m_latest includes
    Computed m_latest;
    int m_reportsComputed = 0;
    int m_reportsOnOwnThread = 0;
};

} // namespace hopscope
