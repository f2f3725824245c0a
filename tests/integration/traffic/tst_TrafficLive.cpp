#include "PeersHarness.h"

#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"
#include "topology/GraphTrafficFeed.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace hopscope;

// Traffic measured from the proxies' own counters against real servers: a generator
// (tests/peers/traffic.py) sends a known rate with a known 5xx share through HAProxy (serviceb →
// user) and through a sidecar (order → payments); the rates TrafficTracker computes from
// successive polls must match what was sent (rps ±15 %, error ratio ±5 points), across a HAProxy
// restart (its counters start again at 0: a reset, never a negative rate or a spike). The cluster
// is this test's own (fixture peers_traffic, without the demo's background generator), so the
// generator below is the only traffic. Synchronised on polls (roundCompleted), never on sleeps.
class tst_TrafficLive : public QObject
{
    Q_OBJECT

    static constexpr double s_rate = 30.0; // total: 15 req/s to each of the two paths
    static constexpr double s_share = 0.2;
    static constexpr int s_userLatencyMs = 10; // user's backend sleeps that long per request

    PeersHarness *m_peers = nullptr;
    std::optional<ClusterProfile> m_profile;
    QProcess m_generator;

    static QString edge(const Topology &t, const QString &to)
    {
        for (const EdgeNode &e : t.edges) {
            if (e.to == to) {
                return TrafficTracker::edgeKey(e);
            }
        }
        return QString();
    }

    static QString describe(const QList<TrafficPoint> &ws)
    {
        QStringList out;
        for (const TrafficPoint &p : ws) {
            out.append(QStringLiteral("%1 rps=%2 err=%3 win=%4")
                           .arg(trafficStatusName(p.status))
                           .arg(p.rps ? QString::number(*p.rps, 'f', 2) : QStringLiteral("null"))
                           .arg(p.errorRatio ? QString::number(*p.errorRatio, 'f', 3)
                                             : QStringLiteral("null"))
                           .arg(p.windowS));
        }
        return out.join(QStringLiteral("; "));
    }

    static int okCount(const QList<TrafficPoint> &ws, qsizetype from = 0)
    {
        int n = 0;
        for (qsizetype i = from; i < ws.size(); ++i) {
            n += ws[i].status == TrafficStatus::Ok;
        }
        return n;
    }

    // Every Ok window matches what the generator sent; none is negative or a spike.
    static void checkWindows(const QList<TrafficPoint> &ws)
    {
        const double perPath = s_rate / 2;
        for (const TrafficPoint &p : ws) {
            if (p.status != TrafficStatus::Ok) {
                QVERIFY2(!p.rps && !p.errorRatio, qPrintable(describe(ws))); // null, never 0
                continue;
            }
            QVERIFY2(p.rps && *p.rps >= perPath * 0.85 && *p.rps <= perPath * 1.15,
                qPrintable(describe(ws)));
            QVERIFY2(p.errorRatio && std::abs(*p.errorRatio - s_share) <= 0.05,
                qPrintable(describe(ws)));
        }
        QVERIFY2(okCount(ws) >= 3, qPrintable(describe(ws)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        // This test's own cluster, not the shared demo one.
        qputenv("HOPSCOPE_PEERS_DIR", qgetenv("HOPSCOPE_TRAFFIC_PEERS_DIR"));
        m_peers = new PeersHarness;
        QVERIFY2(m_peers->isUp(), qPrintable(QStringLiteral("no cluster at ") + m_peers->dir()));
        QVERIFY2(!m_peers->state()[u"only"].toArray().contains(QStringLiteral("traffic")),
            "the demo's background generator must not run here");
        const ProfileLoadResult r = ProfileStore::load(m_peers->profilePath());
        QVERIFY(r.ok());
        m_profile = *r.profile;

        const QString script
            = QFileInfo(qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT")).absolutePath()
            + u"/traffic.py";
        m_generator.setProcessChannelMode(QProcess::MergedChannels);
        m_generator.start(QStringLiteral("python3"),
            { script, QStringLiteral("--state"), m_peers->dir() + u"/state.json",
                QStringLiteral("--rate"), QString::number(s_rate), QStringLiteral("--targets"),
                QStringLiteral("user,payments"), QStringLiteral("--errors"),
                QStringLiteral("user=%1").arg(s_share), QStringLiteral("--errors"),
                QStringLiteral("payments=%1").arg(s_share), QStringLiteral("--latency"),
                QStringLiteral("user=%1").arg(s_userLatencyMs) });
        QVERIFY(m_generator.waitForStarted(10000));
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += m_generator.readAll()).contains("traffic: started")
                || m_generator.state() != QProcess::Running,
            15000);
        QVERIFY2(m_generator.state() == QProcess::Running, said.constData());
    }

    void cleanupTestCase()
    {
        if (m_generator.state() == QProcess::Running) {
            m_generator.terminate();
            if (!m_generator.waitForFinished(5000)) {
                m_generator.kill();
                m_generator.waitForFinished(5000);
            }
        }
        if (m_peers && m_peers->isUp()) {
            m_peers->run(QStringLiteral("start"),
                { QStringLiteral("haproxy") }); // if a failure left it down
        }
        delete m_peers;
    }

    void ratesMatchWhatWasSentAcrossAHaproxyRestart()
    {
        ClusterMonitor monitor(*m_profile);
        TrafficTracker traffic(*m_profile);
        traffic.attach(&monitor);
        // One window per answer of each proxy: synchronised on the polls themselves.
        QList<TrafficPoint> lb;
        QList<TrafficPoint> mesh;
        connect(&traffic, &TrafficTracker::updated, this, [&](const QString &source) {
            const Topology &t = monitor.topology();
            const TrafficReport r = traffic.report(t);
            if (source == u"lb:internal-lb") {
                lb.append(r.edges.value(edge(t, QStringLiteral("user"))).point);
            } else if (source == u"mesh:order-1-envoy") {
                mesh.append(r.edges.value(edge(t, QStringLiteral("payments"))).point);
            }
        });
        monitor.start();
        // Steady: four windows of both paths.
        QTRY_VERIFY2_WITH_TIMEOUT(okCount(lb) >= 4 && okCount(mesh) >= 4,
            qPrintable(describe(lb) + u" | " + describe(mesh)), 60000);
        QCOMPARE(lb.first().status, TrafficStatus::FirstPoll); // no rate from one answer
        QVERIFY(!lb.first().rps);

        // Restart HAProxy: its counters start again at 0.
        const qsizetype before = lb.size();
        QString log;
        QVERIFY2(m_peers->run(QStringLiteral("kill"), { QStringLiteral("haproxy") }, &log),
            qPrintable(log));
        QVERIFY2(m_peers->run(QStringLiteral("start"), { QStringLiteral("haproxy") }, &log),
            qPrintable(log));
        monitor.pollNow(); // as after an operation: no waiting out the failed polls' backoff
        // Then three more windows through the new HAProxy.
        const auto resetThenSteady = [&] {
            qsizetype reset = -1;
            for (qsizetype i = before; i < lb.size(); ++i) {
                if (lb[i].status == TrafficStatus::CounterReset) {
                    reset = i;
                }
            }
            return reset >= 0 && okCount(lb, reset) >= 3;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(resetThenSteady(), qPrintable(describe(lb)), 90000);
        monitor.stop();
        qInfo().noquote() << "HAProxy (serviceb -> user):" << describe(lb);
        qInfo().noquote() << "sidecar (order -> payments):" << describe(mesh);
        checkWindows(lb);
        checkWindows(mesh);
        // The history holds the reset as a null, never a negative or huge rate.
        const QList<TrafficHistory::Sample> history
            = traffic.history().series(edge(monitor.topology(), QStringLiteral("user")));
        QVERIFY(history.size() >= 8);
        bool nullReset = false;
        for (const TrafficHistory::Sample &s : history) {
            nullReset |= s.status == TrafficStatus::CounterReset && !s.rps;
            QVERIFY(!s.rps || (*s.rps >= 0 && *s.rps <= s_rate));
        }
        QVERIFY2(nullReset, qPrintable(describe(lb)));
    }

    // One traffic report per topology rebuild at most, none computed on the GUI thread (round
    // 22's fleet profile: 9 % of the GUI thread in TrafficTracker::report at 11,000 targets), and
    // the graph, the target table and the history take that one report as it comes. Wired as
    // ClusterPage wires it: the tracker attached, the graph's feed, the table on reportReady with
    // the monitor's topology. After a quiet spell the last report is the one of the latest
    // topology and the latest answers.
    void oneReportPerRebuildSharedByGraphTableAndHistory()
    {
        ClusterMonitor monitor(*m_profile);
        TrafficTracker traffic(*m_profile);
        traffic.attach(&monitor);
        ServiceGraphModel graph;
        graph.setProfile(*m_profile);
        int rebuilds = 0;
        connect(&monitor, &ClusterMonitor::topologyChanged, this, [&](const Topology &t) {
            ++rebuilds;
            graph.setTopology(t);
        });
        new GraphTrafficFeed(&traffic, &graph); // owned by the tracker
        int delivered = 0;
        int tableMisses = 0; // the table was handed another report than the latest
        connect(&traffic, &TrafficTracker::reportReady, this,
            [&](const Topology &, const std::shared_ptr<const TrafficReport> &r) {
                ++delivered;
                tableMisses += !r || r != traffic.latestReport();
            });
        // Each history sample is taken from a delivered report: the sampled window is the one
        // the latest report holds.
        int samples = 0;
        int sampleMisses = 0;
        const QString userEdge = edge(monitor.topology(), QStringLiteral("user"));
        QVERIFY(!userEdge.isEmpty());
        connect(&traffic, &TrafficTracker::sampled, this, [&] {
            ++samples;
            const TrafficReport &r = *traffic.latestReport();
            const QList<TrafficHistory::Sample> h = traffic.history().series(userEdge);
            const TrafficAggregate a = r.edges.value(userEdge);
            sampleMisses += h.isEmpty() || h.last().status != a.point.status
                || h.last().rps.has_value() != a.point.rps.has_value()
                || (a.point.rps && *h.last().rps != double(float(*a.point.rps))); // kept as float
        });
        const auto userRateShown = [&] {
            for (const auto &s : graph.segments()) {
                if (s.trafficKeys.contains(userEdge) && s.traffic.known()) {
                    return true;
                }
            }
            return false;
        };
        int rounds = 0;
        connect(&monitor, &ClusterMonitor::roundCompleted, this, [&](int n) { rounds = n; });
        monitor.start();
        // Three rounds with a rate on the graph: every source answered several times.
        QTRY_VERIFY_WITH_TIMEOUT(rounds >= 3 && userRateShown(), 60000);
        monitor.stop();
        // Quiet: no more answers; the last rebuild's report comes.
        QTRY_VERIFY_WITH_TIMEOUT(!traffic.reportPending(), 10000);
        qInfo("%d rebuilds, %d reports (%d on the GUI thread), %d history samples", rebuilds,
            traffic.reportsComputed(), traffic.reportsComputedOnOwnThread(), samples);
        QVERIFY(rebuilds >= 3);
        QVERIFY(samples >= 2);
        QCOMPARE(traffic.reportsComputedOnOwnThread(), 0);
        QCOMPARE(delivered, traffic.reportsComputed());
        QVERIFY2(traffic.reportsComputed() <= rebuilds,
            qPrintable(QStringLiteral("%1 reports for %2 rebuilds")
                           .arg(traffic.reportsComputed())
                           .arg(rebuilds)));
        QCOMPARE(tableMisses, 0);
        QCOMPARE(sampleMisses, 0);
        // The final report is the latest topology's with the latest answers: what a report
        // computed now says, edge by edge and task by task, and what the graph shows.
        const TrafficReport now = traffic.report(monitor.topology());
        const TrafficReport &last = *traffic.latestReport();
        QCOMPARE(last.edges.size(), now.edges.size());
        QCOMPARE(last.targets.size(), now.targets.size());
        const auto same = [](const TrafficAggregate &a, const TrafficAggregate &b) {
            return a.measured == b.measured && a.from == b.from && a.point.status == b.point.status
                && a.point.rps == b.point.rps && a.point.errorRatio == b.point.errorRatio
                && a.point.activeConnections == b.point.activeConnections;
        };
        for (auto it = now.edges.cbegin(); it != now.edges.cend(); ++it) {
            QVERIFY2(last.edges.contains(it.key()) && same(last.edges.value(it.key()), *it),
                qPrintable(it.key()));
        }
        for (auto it = now.targets.cbegin(); it != now.targets.cend(); ++it) {
            QVERIFY2(last.targets.contains(it.key()) && same(last.targets.value(it.key()), *it),
                qPrintable(it.key()));
        }
        QVERIFY(now.edges.value(userEdge).point.rps.has_value());
        int userSegments = 0;
        for (const auto &s : graph.segments()) {
            if (s.trafficKeys == QStringList { userEdge }) {
                ++userSegments;
                QVERIFY(s.traffic == EdgeTraffic::from(now.edges.value(userEdge)));
            }
        }
        QVERIFY(userSegments > 0);
    }

    void snapshotJsonCarriesTrafficAfterTwoPolls()
    {
        const auto snapshot = [&](const QString &polls, QByteArray *err) {
            QProcess cli;
            cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
                { QStringLiteral("snapshot"), m_peers->profilePath(), QStringLiteral("--json"),
                    QStringLiteral("--polls"), polls, QStringLiteral("--timeout"),
                    QStringLiteral("60") });
            if (!cli.waitForFinished(90000)) {
                cli.kill();
                cli.waitForFinished();
            }
            *err = cli.readAllStandardError();
            return QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
        };
        const auto edgeTraffic = [](const QJsonObject &doc, const QString &to) {
            for (const QJsonValue &e : doc[u"edges"].toArray()) {
                if (e[u"to"].toString() == to) {
                    return e[u"traffic"];
                }
            }
            return QJsonValue(QJsonValue::Undefined);
        };
        QByteArray err;
        const QJsonObject one = snapshot(QStringLiteral("1"), &err);
        QVERIFY2(err.contains("need at least 2 polls"), err.constData());
        const QJsonValue first = edgeTraffic(one, QStringLiteral("user"));
        QVERIFY2(first.isObject(), err.constData());
        QVERIFY(first[u"rps"].isNull()); // not 0
        QCOMPARE(first[u"status"].toString(), QStringLiteral("first-poll"));
        QVERIFY(edgeTraffic(one, QStringLiteral("serviceb")).isNull()); // dns: nothing measures it

        const QJsonObject two = snapshot(QStringLiteral("2"), &err);
        for (const QString &to : { QStringLiteral("user"), QStringLiteral("payments") }) {
            const QJsonValue t = edgeTraffic(two, to);
            QVERIFY2(t[u"rps"].isDouble(), QJsonDocument(two).toJson().constData());
            QVERIFY2(std::abs(t[u"rps"].toDouble() - s_rate / 2) <= s_rate / 2 * 0.15,
                qPrintable(to + u": " + QString::number(t[u"rps"].toDouble())));
            QVERIFY(std::abs(t[u"errorRatio"].toDouble() - s_share) <= 0.05);
            QVERIFY(t[u"windowS"].toDouble() > 0);
        }
        QCOMPARE(edgeTraffic(two, QStringLiteral("user"))[u"from"].toString(),
            QStringLiteral("lb:internal-lb"));
        // HAProxy's response time sees the backend sleep; Envoy's quantiles are what it measured.
        const QJsonValue userMs = edgeTraffic(two, QStringLiteral("user"))[u"latencyMs"];
        QVERIFY2(userMs[u"avg"].toDouble() >= s_userLatencyMs,
            qPrintable(QString::number(userMs[u"avg"].toDouble())));
        QVERIFY(userMs[u"max"].toDouble() >= userMs[u"avg"].toDouble());
        QVERIFY(userMs[u"p99"].isNull()); // HAProxy gives no quantiles: null, not 0
        const QJsonValue meshMs = edgeTraffic(two, QStringLiteral("payments"))[u"latencyMs"];
        QVERIFY2(meshMs[u"p99"].isDouble() && meshMs[u"p50"].isDouble(),
            QJsonDocument(meshMs.toObject()).toJson().constData());
        QVERIFY(meshMs[u"p99"].toDouble() >= meshMs[u"p50"].toDouble());
        QVERIFY(meshMs[u"p50"].toDouble() > 0);
        QVERIFY(meshMs[u"avg"].isNull());
        QCOMPARE(edgeTraffic(two, QStringLiteral("payments"))[u"from"].toString(),
            QStringLiteral("mesh:order-1-envoy"));
        bool userTask = false;
        for (const QJsonValue &s : two[u"services"].toArray()) {
            if (s[u"id"].toString() != u"user") {
                continue;
            }
            for (const QJsonValue &t : s[u"targets"].toArray()) {
                userTask = true;
                QVERIFY(t[u"traffic"][u"rps"].isDouble());
                QVERIFY(t[u"traffic"][u"activeConnections"].isDouble());
            }
        }
        QVERIFY(userTask);
    }
};

QTEST_GUILESS_MAIN(tst_TrafficLive)
#include "tst_TrafficLive.moc"
