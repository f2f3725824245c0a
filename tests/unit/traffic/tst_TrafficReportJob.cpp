// TrafficTracker's reports off the calling thread (issue 15, round 23): requestReport() computes
// on the thread pool, one job at a time; requests while one runs make one more run, over the
// latest topology and the answers taken by then. Fed the captured answers of tests/data/traffic
// (HAProxy restarted between rounds 3 and 4), so the runs' inputs differ in what they show.
#include "core/OffThread.h"
#include "profile/ProfileStore.h"
#include "topology/TopologyBuilder.h"
#include "traffic/TrafficTracker.h"

#include "TrafficCaptures.h"

#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>

#include <memory>

using namespace hopscope;
using namespace hopscope::traffic_captures;

namespace {

using ReportPtr = std::shared_ptr<const TrafficReport>;

struct Fleet
{
    ClusterProfile profile;
    TopologyInputs inputs;

    Topology topology(int round)
    {
        SourceState ok;
        ok.hasData = true;
        ok.stale = false;
        inputs.lbState.insert(QStringLiteral("internal-lb"), ok);
        inputs.meshState.insert(QStringLiteral("order-1-envoy"), ok);
        inputs.lb.insert(QStringLiteral("internal-lb"), haproxy(round));
        inputs.mesh.insert(QStringLiteral("order-1-envoy"), envoy(round));
        inputs.now = roundAt(round);
        return TopologyBuilder::build(profile, inputs);
    }

    void answer(TrafficTracker &t, int round) const
    {
        t.addHaproxy(QStringLiteral("internal-lb"), haproxy(round), roundAt(round));
        t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(round), roundAt(round));
    }
};

QString userEdge(const Topology &topo)
{
    for (const EdgeNode &e : topo.edges) {
        if (e.to == u"user" && e.via != u"dns") {
            return TrafficTracker::edgeKey(e);
        }
    }
    return {};
}

bool same(const TrafficAggregate &a, const TrafficAggregate &b)
{
    return a.measured == b.measured && a.from == b.from && a.point.status == b.point.status
        && a.point.rps == b.point.rps && a.point.errorRatio == b.point.errorRatio
        && a.point.activeConnections == b.point.activeConnections && a.point.p99Ms == b.point.p99Ms;
}

// Every edge and task of `expected` in `got`, the same.
QString difference(const TrafficReport &got, const TrafficReport &expected)
{
    if (got.edges.size() != expected.edges.size()
        || got.targets.size() != expected.targets.size()) {
        return QStringLiteral("%1/%2 edges, %3/%4 tasks")
            .arg(got.edges.size())
            .arg(expected.edges.size())
            .arg(got.targets.size())
            .arg(expected.targets.size());
    }
    for (const auto *part : { &expected.edges, &expected.targets }) {
        const auto &gotPart = part == &expected.edges ? got.edges : got.targets;
        for (auto it = part->cbegin(); it != part->cend(); ++it) {
            if (!gotPart.contains(it.key()) || !same(gotPart.value(it.key()), *it)) {
                return it.key();
            }
        }
    }
    return {};
}

} // namespace

class tst_TrafficReportJob : public QObject
{
    Q_OBJECT

    Fleet m_fleet;

private Q_SLOTS:
    void initTestCase()
    {
        const ProfileLoadResult loaded
            = ProfileStore::parse(data(QStringLiteral("demo.hopscope.json")));
        QVERIFY2(loaded.profile.has_value(), "demo.hopscope.json");
        m_fleet.profile = *loaded.profile;
    }

    // A burst of rebuilds while a report runs: nothing computed on the caller's thread, two runs
    // in all (the first, then one over the latest inputs), the last one the latest topology's
    // with the latest answers.
    void burstOfRequestsRunsOnceMoreOverTheLatest()
    {
        TrafficTracker t(m_fleet.profile);
        QSignalSpy ready(&t, &TrafficTracker::reportReady);
        for (int round : { 1, 2 }) {
            m_fleet.answer(t, round);
        }
        const Topology before = m_fleet.topology(2);
        const TrafficReport expectedFirst = t.report(before); // the reference, computed here
        t.requestReport(before);
        QVERIFY(t.reportPending());
        QCOMPARE(ready.count(), 0); // not computed in the call
        // HAProxy restarts (round 4: another pid, lower counters), the graph rebuilds 10 times.
        for (int round : { 3, 4 }) {
            m_fleet.answer(t, round);
        }
        const Topology after = m_fleet.topology(4);
        for (int i = 0; i < 10; ++i) {
            t.requestReport(i < 9 ? m_fleet.topology(3) : after);
        }
        const TrafficReport expectedLast = t.report(after);
        QTRY_VERIFY_WITH_TIMEOUT(!t.reportPending(), 10000);
        QCOMPARE(ready.count(), 2);
        QCOMPARE(t.reportsComputed(), 2);
        QCOMPARE(t.reportsComputedOnOwnThread(), 0);

        const ReportPtr first = ready.at(0).at(1).value<ReportPtr>();
        const ReportPtr last = ready.at(1).at(1).value<ReportPtr>();
        QVERIFY(first && last && first != last);
        QCOMPARE(last, t.latestReport());
        QVERIFY2(difference(*first, expectedFirst).isEmpty(),
            qPrintable(difference(*first, expectedFirst)));
        QVERIFY2(
            difference(*last, expectedLast).isEmpty(), qPrintable(difference(*last, expectedLast)));
        // The two runs' inputs differ where it shows: the restart is in the last one only.
        const QString edge = userEdge(after);
        QVERIFY(!edge.isEmpty());
        QCOMPARE(first->edges.value(edge).point.status, TrafficStatus::Ok);
        QCOMPARE(last->edges.value(edge).point.status, TrafficStatus::CounterReset);
    }

    // A request with nothing running starts at once; one after its report came starts another.
    void requestsAfterAReportEachRun()
    {
        TrafficTracker t(m_fleet.profile);
        QSignalSpy ready(&t, &TrafficTracker::reportReady);
        m_fleet.answer(t, 1);
        for (int i = 1; i <= 3; ++i) {
            t.requestReport(m_fleet.topology(1));
            QVERIFY(ready.wait(10000));
            QCOMPARE(ready.count(), i);
            QVERIFY(!t.reportPending());
        }
        QCOMPARE(t.reportsComputed(), 3);
        QCOMPARE(t.reportsComputedOnOwnThread(), 0);
    }

    // The tracker goes away while its job runs: the job ends on the build thread and reports to
    // no one.
    void destroyedWhileAJobRuns()
    {
        auto t = std::make_unique<TrafficTracker>(m_fleet.profile);
        m_fleet.answer(*t, 1);
        m_fleet.answer(*t, 2);
        t->requestReport(m_fleet.topology(2));
        QVERIFY(t->reportPending());
        t.reset();
        QVERIFY(buildThread()->waitForDone(10000));
        QCoreApplication::processEvents();
    }
};

QTEST_GUILESS_MAIN(tst_TrafficReportJob)
#include "tst_TrafficReportJob.moc"
