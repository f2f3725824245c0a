// The delta arithmetic of model/traffic/ on successive real answers captured by
// tests/data/traffic/capture_traffic.py (HAProxy 2.6 show stat / show info, the Envoy emulator's
// /stats?format=json and /clusters?format=json; HAProxy restarted and the sidecar's counters reset
// between rounds 3 and 4). Expected values are computed here from the raw dumps (CSV columns by
// header name, JSON by key), independently of the parsers and of TrafficCounters.
#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyStatsParser.h"
#include "haproxy/HaproxyParsers.h"
#include "profile/ProfileStore.h"
#include "topology/TopologyBuilder.h"
#include "traffic/TrafficJson.h"
#include "traffic/TrafficTracker.h"

#include "TrafficCaptures.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <limits>

using namespace hopscope;
using namespace hopscope::traffic_captures;

namespace {

// A raw `show stat` cell, by header name: the reference the parser-based path is checked against.
double cell(int round, const QByteArray &pxname, const QByteArray &svname, const QByteArray &column)
{
    const QList<QByteArray> lines = data(QStringLiteral("round%1.stat.csv").arg(round)).split('\n');
    const QList<QByteArray> header = lines.first().mid(2).split(',');
    const qsizetype c = header.indexOf(column);
    for (const QByteArray &line : lines) {
        const QList<QByteArray> f = line.split(',');
        if (f.size() > c && f[0] == pxname && f[1] == svname) {
            return f[c].toDouble();
        }
    }
    qFatal("round %d: no %s/%s", round, pxname.constData(), svname.constData());
}

double errorsOf(int round, const QByteArray &px, const QByteArray &sv)
{
    return cell(round, px, sv, "hrsp_5xx") + cell(round, px, sv, "econ")
        + cell(round, px, sv, "eresp");
}

// A raw Envoy counter / histogram interval quantile, by name.
QString paymentsCluster()
{
    const QJsonArray stats
        = QJsonDocument::fromJson(data(QStringLiteral("round1.envoy_stats.json")))[u"stats"]
              .toArray();
    for (const QJsonValue &s : stats) {
        const QString name = s[u"name"].toString();
        if (name.endsWith(u".upstream_rq_total")) {
            return name.mid(8, name.size() - 8 - 18);
        }
    }
    qFatal("no upstream_rq_total");
}

double envoyCounter(int round, const QString &name)
{
    const QJsonArray stats = QJsonDocument::fromJson(
        data(QStringLiteral("round%1.envoy_stats.json").arg(round)))[u"stats"]
                                 .toArray();
    for (const QJsonValue &s : stats) {
        if (s[u"name"].toString() == name) {
            return s[u"value"].toDouble();
        }
    }
    return 0; // Envoy creates response-code stats on first use
}

QJsonValue envoyIntervalQuantile(int round, const QString &histogram, double q)
{
    const QJsonArray stats = QJsonDocument::fromJson(
        data(QStringLiteral("round%1.envoy_stats.json").arg(round)))[u"stats"]
                                 .toArray();
    for (const QJsonValue &s : stats) {
        const QJsonObject h = s[u"histograms"].toObject();
        const QJsonArray supported = h[u"supported_quantiles"].toArray();
        for (const QJsonValue &c : h[u"computed_quantiles"].toArray()) {
            if (c[u"name"].toString() == histogram) {
                for (qsizetype i = 0; i < supported.size(); ++i) {
                    if (supported[i].toDouble() == q) {
                        return c[u"values"][i][u"interval"];
                    }
                }
            }
        }
    }
    return QJsonValue(QJsonValue::Undefined);
}

double seconds(int from, int to)
{
    return double(roundAt(from).msecsTo(roundAt(to))) / 1000.0;
}

const QString s_lb = QStringLiteral("lb:internal-lb");

} // namespace

class tst_TrafficRate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void firstPollHasNoRate();
    void haproxyRates_data();
    void haproxyRates();
    void restartIsACounterResetNotASpike();
    void anotherPidIsARestartEvenWhenCountersGrew();
    void missingPollIsNullThenAWiderWindow();
    void wrapCountsAcrossTheLimit();
    void envoyRatesAndQuantiles();
    void envoyResetCounters();
    void edgesAndTasksOfTheTopology();
    void historyIsBoundedAndKeepsGaps();
    void historyKeepsAResetSeenBetweenRounds();
};

void tst_TrafficRate::firstPollHasNoRate()
{
    TrafficTracker t(ClusterProfile {});
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(1), roundAt(1));
    const TrafficPoint p = t.entity(s_lb, TrafficCounterSet::backendKey(QStringLiteral("be_user")));
    QCOMPARE(p.status, TrafficStatus::FirstPoll);
    QVERIFY(!p.rps);
    QVERIFY(!p.errorRatio);
    QCOMPARE(p.activeConnections, cell(1, "be_user", "BACKEND", "scur")); // a gauge is known
    const TrafficPoint never = t.entity(QStringLiteral("lb:other"), QStringLiteral("backend/x"));
    QCOMPARE(never.status, TrafficStatus::FirstPoll);
    QVERIFY(!never.rps);
}

void tst_TrafficRate::haproxyRates_data()
{
    QTest::addColumn<int>("from");
    QTest::addColumn<int>("to");
    QTest::newRow("1 -> 2") << 1 << 2;
    QTest::newRow("2 -> 3") << 2 << 3;
    QTest::newRow("4 -> 5 (after the restart)") << 4 << 5;
}

void tst_TrafficRate::haproxyRates()
{
    QFETCH(int, from);
    QFETCH(int, to);
    TrafficTracker t(ClusterProfile {});
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(from), roundAt(from));
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(to), roundAt(to));
    const double dt = seconds(from, to);
    for (const char *backend : { "be_user", "be_order" }) {
        const TrafficPoint p
            = t.entity(s_lb, TrafficCounterSet::backendKey(QLatin1String(backend)));
        QCOMPARE(p.status, TrafficStatus::Ok);
        QCOMPARE(p.windowS, dt);
        const double requests
            = cell(to, backend, "BACKEND", "req_tot") - cell(from, backend, "BACKEND", "req_tot");
        QVERIFY2(requests > 0, backend);
        QCOMPARE(*p.rps, requests / dt);
        QCOMPARE(*p.errorRatio,
            (errorsOf(to, backend, "BACKEND") - errorsOf(from, backend, "BACKEND")) / requests);
        QCOMPARE(*p.avgMs, cell(to, backend, "BACKEND", "rtime"));
        QCOMPARE(*p.maxMs, cell(to, backend, "BACKEND", "rtime_max"));
    }
    // Servers: stot (req_tot is a frontend/backend column), keyed by address:port.
    const HaproxySnapshot snap = haproxy(to);
    const HaproxyStatProxy *be
        = snap.stat.proxy(QStringLiteral("be_user"), HaproxyStatProxy::Type::Backend);
    QVERIFY(be && be->servers.size() == 2);
    for (const HaproxyStatServer &s : be->servers) {
        const TrafficPoint p = t.entity(s_lb, TrafficCounterSet::serverKey(be->name, s.key()));
        const QByteArray name = s.name.toUtf8();
        QCOMPARE(
            *p.rps, (cell(to, "be_user", name, "stot") - cell(from, "be_user", name, "stot")) / dt);
    }
}

void tst_TrafficRate::restartIsACounterResetNotASpike()
{
    TrafficTracker t(ClusterProfile {});
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(3), roundAt(3));
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(4), roundAt(4));
    QVERIFY(haproxy(3).info.pid != haproxy(4).info.pid);
    QVERIFY(cell(4, "be_user", "BACKEND", "req_tot") < cell(3, "be_user", "BACKEND", "req_tot"));
    const TrafficPoint p = t.entity(s_lb, TrafficCounterSet::backendKey(QStringLiteral("be_user")));
    QCOMPARE(p.status, TrafficStatus::CounterReset);
    QVERIFY(!p.rps); // neither negative nor 2^64 - n over the window
    QVERIFY(!p.errorRatio);
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(5), roundAt(5));
    const TrafficPoint next
        = t.entity(s_lb, TrafficCounterSet::backendKey(QStringLiteral("be_user")));
    QCOMPARE(next.status, TrafficStatus::Ok);
    QVERIFY(*next.rps >= 0);
}

void tst_TrafficRate::anotherPidIsARestartEvenWhenCountersGrew()
{
    const TrafficCounterSet a = TrafficCounterSet::fromHaproxy(haproxy(1), roundAt(1));
    TrafficCounterSet b = TrafficCounterSet::fromHaproxy(haproxy(2), roundAt(2));
    QVERIFY(!TrafficRate::restarted(a, b));
    b.instance += QStringLiteral("0"); // another pid, counters still above the old ones
    QVERIFY(TrafficRate::restarted(a, b));
    const QString key = TrafficCounterSet::backendKey(QStringLiteral("be_user"));
    const TrafficPoint p = TrafficRate::between(a.entities[key], a.at, b.entities[key], b.at, true);
    QCOMPARE(p.status, TrafficStatus::CounterReset);
    QVERIFY(!p.rps);
    // Uptime that went down is a restart too.
    TrafficCounterSet c = TrafficCounterSet::fromHaproxy(haproxy(2), roundAt(2));
    QVERIFY(a.uptimeS && c.uptimeS);
    c.uptimeS = *a.uptimeS - 1;
    QVERIFY(TrafficRate::restarted(a, c));
}

void tst_TrafficRate::missingPollIsNullThenAWiderWindow()
{
    TrafficTracker t(ClusterProfile {});
    const QString key = TrafficCounterSet::backendKey(QStringLiteral("be_order"));
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(1), roundAt(1));
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(2), roundAt(2));
    QCOMPARE(t.entity(s_lb, key).status, TrafficStatus::Ok);
    t.pollFailed(s_lb); // round 3 never arrived
    const TrafficPoint missing = t.entity(s_lb, key);
    QCOMPARE(missing.status, TrafficStatus::MissingPoll);
    QVERIFY(!missing.rps && !missing.activeConnections && !missing.avgMs);
    // The next answer: a rate over the whole gap, from the last answer read.
    TrafficTracker u(ClusterProfile {});
    u.addHaproxy(QStringLiteral("internal-lb"), haproxy(1), roundAt(1));
    u.pollFailed(s_lb);
    u.addHaproxy(QStringLiteral("internal-lb"), haproxy(3), roundAt(3));
    const TrafficPoint wide = u.entity(s_lb, key);
    QCOMPARE(wide.status, TrafficStatus::Ok);
    QCOMPARE(wide.windowS, seconds(1, 3));
    QCOMPARE(*wide.rps,
        (cell(3, "be_order", "BACKEND", "req_tot") - cell(1, "be_order", "BACKEND", "req_tot"))
            / seconds(1, 3));
}

void tst_TrafficRate::wrapCountsAcrossTheLimit()
{
    const quint64 a = quint64(cell(1, "be_user", "BACKEND", "req_tot"));
    const quint64 b = quint64(cell(2, "be_user", "BACKEND", "req_tot"));
    QVERIFY(b > a);
    const quint64 n = b - a;
    // The same number of requests, crossing 2^32 and 2^64.
    const quint64 below32 = (quint64(1) << 32) - 2;
    QCOMPARE(TrafficRate::delta(below32, n - 2), n);
    const quint64 below64 = std::numeric_limits<quint64>::max() - 1;
    QCOMPARE(TrafficRate::delta(below64, n - 2), n);
    // Going down from anywhere else is a reset, never a wrap.
    QVERIFY(!TrafficRate::delta(b, a).has_value());
    QVERIFY(!TrafficRate::delta((quint64(1) << 31), 5).has_value());
    TrafficCounters before;
    before.requests = below32;
    before.errors = 0;
    TrafficCounters after;
    after.requests = n - 2;
    after.errors = 0;
    const TrafficPoint p = TrafficRate::between(before, roundAt(1), after, roundAt(2), false);
    QCOMPARE(p.status, TrafficStatus::Ok);
    QCOMPARE(*p.rps, double(n) / seconds(1, 2));
}

void tst_TrafficRate::envoyRatesAndQuantiles()
{
    const QString cluster = paymentsCluster();
    TrafficTracker t(ClusterProfile {});
    const QString source = QStringLiteral("mesh:order-1-envoy");
    t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(1), roundAt(1));
    QCOMPARE(
        t.entity(source, TrafficCounterSet::clusterKey(cluster)).status, TrafficStatus::FirstPoll);
    t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(2), roundAt(2));
    const TrafficPoint p = t.entity(source, TrafficCounterSet::clusterKey(cluster));
    QCOMPARE(p.status, TrafficStatus::Ok);
    const QString prefix = QStringLiteral("cluster.") + cluster + u'.';
    const double requests = envoyCounter(2, prefix + u"upstream_rq_total")
        - envoyCounter(1, prefix + u"upstream_rq_total");
    const double errors = envoyCounter(2, prefix + u"upstream_rq_5xx")
        - envoyCounter(1, prefix + u"upstream_rq_5xx");
    QVERIFY(requests > 0);
    QVERIFY2(errors > 0, "the capture sends 20 % errors to payments");
    QCOMPARE(*p.rps, requests / seconds(1, 2));
    QCOMPARE(*p.errorRatio, errors / requests);
    const QJsonValue p99 = envoyIntervalQuantile(2, prefix + u"upstream_rq_time", 99);
    const QJsonValue p50 = envoyIntervalQuantile(2, prefix + u"upstream_rq_time", 50);
    QVERIFY(!p99.isUndefined());
    if (p99.isNull()) {
        QVERIFY(!p.p99Ms); // nothing recorded in Envoy's last interval: null, not 0
    } else {
        QCOMPARE(*p.p99Ms, p99.toDouble());
        QCOMPARE(*p.p50Ms, p50.toDouble());
    }
    QVERIFY(!p.avgMs); // Envoy gives quantiles, not an average
}

void tst_TrafficRate::envoyResetCounters()
{
    const QString cluster = paymentsCluster();
    const QString prefix = QStringLiteral("cluster.") + cluster + u'.';
    QVERIFY(envoyCounter(4, prefix + u"upstream_rq_total")
        < envoyCounter(3, prefix + u"upstream_rq_total"));
    TrafficTracker t(ClusterProfile {});
    const QString source = QStringLiteral("mesh:order-1-envoy");
    t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(3), roundAt(3));
    t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(4), roundAt(4));
    const TrafficPoint p = t.entity(source, TrafficCounterSet::clusterKey(cluster));
    QCOMPARE(p.status, TrafficStatus::CounterReset);
    QVERIFY(!p.rps && !p.errorRatio);
    t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(5), roundAt(5));
    QCOMPARE(t.entity(source, TrafficCounterSet::clusterKey(cluster)).status, TrafficStatus::Ok);
}

void tst_TrafficRate::edgesAndTasksOfTheTopology()
{
    const ProfileLoadResult loaded
        = ProfileStore::parse(data(QStringLiteral("demo.hopscope.json")));
    QVERIFY2(loaded.profile.has_value(), "demo.hopscope.json");
    const ClusterProfile &profile = *loaded.profile;
    TrafficTracker t(profile);
    TopologyInputs in;
    for (int round : { 1, 2 }) {
        t.addHaproxy(QStringLiteral("internal-lb"), haproxy(round), roundAt(round));
        t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(round), roundAt(round));
        in.lb.insert(QStringLiteral("internal-lb"), haproxy(round));
        in.mesh.insert(QStringLiteral("order-1-envoy"), envoy(round));
    }
    in.now = roundAt(2);
    SourceState ok;
    ok.hasData = true;
    ok.stale = false;
    in.lbState.insert(QStringLiteral("internal-lb"), ok);
    in.meshState.insert(QStringLiteral("order-1-envoy"), ok);
    const Topology topo = TopologyBuilder::build(profile, in);
    const TrafficReport r = t.report(topo);
    QJsonObject doc = QJsonObject { { QStringLiteral("edges"), QJsonArray {} } };
    int seen = 0;
    for (const EdgeNode &e : topo.edges) {
        const TrafficAggregate a = r.edges.value(TrafficTracker::edgeKey(e));
        if (e.via == u"dns") {
            QVERIFY(!a.measured); // nothing on the way counts: unknown, not 0
            QVERIFY(TrafficJson::edgeToJson(a).isNull());
        } else if (e.to == u"user") {
            ++seen;
            QCOMPARE(a.from, QStringList { s_lb });
            QCOMPARE(*a.point.rps,
                *t.entity(s_lb, TrafficCounterSet::backendKey(QStringLiteral("be_user"))).rps);
        } else if (e.via == u"mesh") {
            ++seen;
            QCOMPARE(a.from, QStringList { QStringLiteral("mesh:order-1-envoy") });
            QCOMPARE(*a.point.rps,
                *t.entity(a.from.first(), TrafficCounterSet::clusterKey(paymentsCluster())).rps);
            const QJsonObject j = TrafficJson::edgeToJson(a).toObject();
            QCOMPARE(j[u"from"].toString(), QStringLiteral("mesh:order-1-envoy"));
            QVERIFY(j[u"latencyMs"][u"avg"].isNull());
        }
    }
    QCOMPARE(seen, 2);
    // user's tasks: their HAProxy server rows; payments' tasks: the order sidecar's hosts (the
    // payments sidecars' ingress on the tasks' IPs, Consul style).
    for (const ServiceNode &s : topo.services) {
        for (const TargetNode &n : s.targets) {
            const TrafficAggregate a = r.targets.value(TrafficTracker::targetKey(s.id, n.key));
            if (s.id == u"user") {
                QCOMPARE(a.from, QStringList { s_lb });
                QVERIFY(a.point.rps.has_value());
            } else if (s.id == u"payments") {
                QCOMPARE(a.from, QStringList { QStringLiteral("mesh:order-1-envoy") });
                QVERIFY(a.point.rps.has_value() && a.point.activeConnections.has_value());
            }
        }
    }
}

void tst_TrafficRate::historyIsBoundedAndKeepsGaps()
{
    QCOMPARE(TrafficHistory::capacityFor(2000), 450); // 15 minutes at 2 s
    QCOMPARE(TrafficHistory::capacityFor(1000), 900);
    TrafficHistory h(3);
    QDateTime at = roundAt(1);
    for (int i = 1; i <= 5; ++i) {
        QHash<QString, TrafficPoint> points;
        TrafficPoint p;
        p.status = TrafficStatus::Ok;
        p.rps = double(i);
        if (i != 4) { // round 4: the edge is missing
            points.insert(QStringLiteral("e"), p);
        }
        h.append(at.addSecs(i), points);
    }
    const QList<TrafficHistory::Sample> s = h.series(QStringLiteral("e"));
    QCOMPARE(s.size(), 3);
    QCOMPARE(*s[0].rps, 3.0); // oldest kept
    QVERIFY(!s[1].rps); // the gap stays a gap
    QCOMPARE(s[1].status, TrafficStatus::NotReported);
    QCOMPARE(*s[2].rps, 5.0);
    QCOMPARE(s[2].at, at.addSecs(5));
    // A key null for a whole ring is dropped.
    for (int i = 0; i < 3; ++i) {
        h.append(at.addSecs(10 + i), {});
    }
    QVERIFY(h.series(QStringLiteral("e")).isEmpty());
}

// Two sources answer at their own times; the history takes one round per poll interval. A HAProxy
// restart seen just after the sidecar's answer took the round must still reach the history (it
// was lost when the next answer already carried a rate again: CI run of stop 18).
void tst_TrafficRate::historyKeepsAResetSeenBetweenRounds()
{
    const ProfileLoadResult loaded
        = ProfileStore::parse(data(QStringLiteral("demo.hopscope.json")));
    QVERIFY(loaded.profile.has_value());
    const ClusterProfile &profile = *loaded.profile;
    ManualClock clock(roundAt(3));
    TrafficTracker t(profile, nullptr, clock);
    TopologyInputs in;
    SourceState ok;
    ok.hasData = true;
    ok.stale = false;
    in.lbState.insert(QStringLiteral("internal-lb"), ok);
    in.meshState.insert(QStringLiteral("order-1-envoy"), ok);
    const auto topology = [&](int round) {
        in.lb.insert(QStringLiteral("internal-lb"), haproxy(round));
        in.mesh.insert(QStringLiteral("order-1-envoy"), envoy(round));
        in.now = clock.now();
        return TopologyBuilder::build(profile, in);
    };
    // Round 3: both answer; the sidecar's answer takes the round.
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(3), clock.now());
    t.addEnvoy(QStringLiteral("order-1-envoy"), envoy(3), clock.now());
    t.maybeSample(topology(3));
    // 100 ms later the restarted HAProxy answers (round 4 has another pid, lower counters).
    clock.advanceMs(100);
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(4), clock.now());
    t.maybeSample(topology(4));
    // A poll interval later it answers again, with a rate.
    clock.advanceMs(profile.poll.intervalMs);
    t.addHaproxy(QStringLiteral("internal-lb"), haproxy(5), clock.now());
    t.maybeSample(topology(5));
    const Topology topo = topology(5);
    QString userEdge;
    for (const EdgeNode &e : topo.edges) {
        if (e.to == u"user" && e.via != u"dns") {
            userEdge = TrafficTracker::edgeKey(e);
        }
    }
    QVERIFY(!userEdge.isEmpty());
    const QList<TrafficHistory::Sample> h = t.history().series(userEdge);
    QList<TrafficStatus> statuses;
    for (const TrafficHistory::Sample &s : h) {
        statuses.append(s.status);
    }
    QCOMPARE(statuses,
        (QList<TrafficStatus> {
            TrafficStatus::FirstPoll, TrafficStatus::CounterReset, TrafficStatus::Ok }));
    QVERIFY(!h[1].rps);
    QVERIFY(h[2].rps && *h[2].rps >= 0);
}

QTEST_GUILESS_MAIN(tst_TrafficRate)
#include "tst_TrafficRate.moc"
