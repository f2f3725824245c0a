// HAProxy read through Prometheus (model/prometheus/PrometheusHaproxy) mapped onto the snapshot the
// direct sources produce, then through TopologyBuilder / TopologyJson: the captured promex answer
// (tests/data/prometheus, a real Prometheus 2.42 scraping HAProxy 2.6 with app1 UP, app2 DRAIN,
// app3 DOWN, app4 MAINT), one-hot precedence, the community haproxy_exporter names, two
// instances refused, NaN gauges unknown; the small queries a poll sends and their answers merged
// into one snapshot; servers known by name only become targets with address
// "" / port 0 / "server", and fold into the target another source placed at an address.

#include "HaproxySnapshotText.h"
#include "profile/ProfileStore.h"
#include "prometheus/PrometheusHaproxy.h"
#include "prometheus/PrometheusResponse.h"
#include "prometheus/PrometheusSource.h"
#include "topology/TopologyBuilder.h"
#include "topology/TopologyJson.h"

#include <QFile>
#include <QJsonArray>
#include <QTest>

#include <algorithm>

using namespace hopscope;
using namespace Qt::StringLiterals;

namespace {

QByteArray readData(const QString &relative)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u'/' + relative);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

// An instant vector of the given series: {name, {labels}, "value"}.
struct S
{
    const char *name;
    QList<std::pair<const char *, const char *>> labels;
    const char *value;
};

PrometheusResponse vector(const QList<S> &series)
{
    PrometheusResponse r;
    r.success = true;
    for (const S &s : series) {
        PrometheusSeries p;
        p.name = QString::fromLatin1(s.name);
        for (const auto &[k, v] : s.labels) {
            p.labels.append({ QString::fromLatin1(k), QString::fromLatin1(v) });
        }
        const QString value = QString::fromLatin1(s.value);
        p.points.append({ 1.0, *parsePrometheusSample(value), value });
        r.series.append(p);
    }
    return r;
}

const HaproxyStatServer *server(const HaproxySnapshot &snap, const QString &name)
{
    for (const auto &p : snap.stat.proxies) {
        for (const auto &s : p.servers) {
            if (s.name == name) {
                return &s;
            }
        }
    }
    return nullptr;
}

ClusterProfile profile(bool withDirectLb)
{
    QByteArray json
        = "{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"app\", \"name\": \"app\"}], "
          "        \"prometheus\": {\"url\": \"http://127.0.0.1:9\"}, "
          "        \"loadBalancers\": [{\"id\": \"edge\", \"kind\": \"haproxy\", \"source\": "
          "\"prometheus\", "
          "            \"routes\": [{\"pathPrefix\": \"/\", \"backend\": \"be_app\", \"service\": "
          "\"app\"}]}";
    if (withDirectLb) {
        json += ", {\"id\": \"direct\", \"kind\": \"haproxy\", \"runtime\": "
                "\"unix:/nonexistent.sock\", "
                "            \"routes\": [{\"pathPrefix\": \"/\", \"backend\": \"be_app\", "
                "\"service\": \"app\"}]}";
    }
    json += "]}";
    const ProfileLoadResult r = ProfileStore::parse(json);
    if (!r.ok()) {
        qFatal("profile: %s", qPrintable(r.problems.first().toString()));
    }
    return *r.profile;
}

SourceState fresh()
{
    SourceState s;
    s.hasData = true;
    s.stale = false;
    s.lastSuccess = QDateTime::currentDateTimeUtc();
    return s;
}

} // namespace

class tst_PrometheusHaproxy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void capturedPromexStates();
    void queryCarriesTheSelector();
    void queriesAreSmallAndCoverEveryName();
    void mergedAnswersMakeOneSnapshot();
    void prometheusTimeoutIsAtLeastTheInterval();
    void freshnessFingerprint();
    void oneHotPrecedence_data();
    void oneHotPrecedence();
    void communityExporterNames();
    void capturedExporterStates();
    void twoInstancesAreRefused();
    void nothingScrapedIsAnError();
    void prometheusErrorIsAnError();
    void nanGaugeIsUnknownNotZero();
    void upWithoutACheckIsNoCheck();
    void profileSourceKeys();
    void nameOnlyTargetsInTheTopology();
    void nameOnlyTargetMergesWithAnAddressedOne();
    void weightZeroIsDrained();
    void upServersConfirmedByTheBackendCount_data();
    void upServersConfirmedByTheBackendCount();
    void capturedAnswerWithoutUpSeriesFoldsTheSame();
    void roundTimeIsTheOldestScrape();
};

void tst_PrometheusHaproxy::capturedPromexStates()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_promex_vector.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    const auto snap = prometheushaproxy::snapshot(*r);
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(snap->stat.proxies.size(), 1);
    const HaproxyStatProxy &be = snap->stat.proxies.first();
    QCOMPARE(be.name, QStringLiteral("be_app"));
    QCOMPARE(be.type, HaproxyStatProxy::Type::Backend);
    QCOMPARE(be.status, QStringLiteral("UP")); // haproxy_backend_active_servers 1
    QCOMPARE(be.servers.size(), 4);
    const QList<std::pair<QString, HaproxyServerStatus>> expected = {
        { QStringLiteral("app1"), HaproxyServerStatus::Up },
        { QStringLiteral("app2"), HaproxyServerStatus::Drain },
        { QStringLiteral("app3"), HaproxyServerStatus::Down },
        { QStringLiteral("app4"), HaproxyServerStatus::Maint },
    };
    for (const auto &[name, state] : expected) {
        const HaproxyStatServer *s = server(*snap, name);
        QVERIFY2(s, qPrintable(name));
        QCOMPARE(s->state, state);
        QVERIFY(s->nameOnly);
        QVERIFY(!s->address);
        QCOMPARE(s->weight, std::optional<qint64>(1));
        QCOMPARE(s->scur, std::optional<qint64>(0));
        QCOMPARE(s->traffic.hrsp5xx, std::optional<qint64>(0));
        QVERIFY(s->stot.has_value());
    }
    QCOMPARE(server(*snap, QStringLiteral("app1"))->checkStatus, QStringLiteral("L4OK"));
    QCOMPARE(server(*snap, QStringLiteral("app3"))->checkStatus, QStringLiteral("L4CON"));
    QCOMPARE(
        server(*snap, QStringLiteral("app4"))->checkStatus, QString()); // MAINT: no check series
    QCOMPARE(server(*snap, QStringLiteral("app2"))->status, QStringLiteral("DRAIN"));
    QVERIFY2(
        snap->info.version.startsWith(u"2.6.") && snap->info.version.endsWith(u" via Prometheus"),
        qPrintable(snap->info.version));
}

void tst_PrometheusHaproxy::queryCarriesTheSelector()
{
    const QStringList qs = prometheushaproxy::queries(QStringLiteral("job=\"lb\""));
    QVERIFY(qs.size() > 1);
    for (const QString &q : qs) {
        QCOMPARE(q.count(QStringLiteral("job=\"lb\"}")), 1);
    }
    for (const QString &q : prometheushaproxy::queries({})) {
        QVERIFY2(!q.contains(u",}") && !q.contains(u"{}") && !q.contains(u"job"), qPrintable(q));
    }
}

// What a poll asks Prometheus: each metric family in a query of its own (no `or` of everything:
// at 10,000 servers that one query outlasted any poll timeout), one-hot states only where they
// are 1, and of http_responses_total only code="5xx", but every name the snapshot reads (promex
// and haproxy_exporter) still asked for.
void tst_PrometheusHaproxy::queriesAreSmallAndCoverEveryName()
{
    const QStringList qs = prometheushaproxy::queries(QStringLiteral("job=\"lb\""));
    for (const QString &q : qs) {
        QVERIFY2(!q.contains(u" or "), qPrintable(q));
    }
    const auto asking = [&](const QString &name) {
        return std::count_if(
            qs.cbegin(), qs.cend(), [&](const QString &q) { return q.contains(name); });
    };
    QVERIFY(qs.contains(u"haproxy_server_status{state!=\"UP\",job=\"lb\"} == 1"_s));
    QVERIFY(qs.contains(u"haproxy_server_check_status{job=\"lb\"} == 1"_s));
    QVERIFY(qs.contains(u"haproxy_server_http_responses_total{code=\"5xx\",job=\"lb\"}"_s));
    QCOMPARE(asking(u"http_responses_total"_s), 1);
    for (const char *part : { "current_sessions", "server_(current_sessions|up)", "weight",
             "sessions", "connections", "active_servers", "backup_servers", "current_server",
             "build_info" }) {
        QVERIFY2(asking(QString::fromLatin1(part)) >= 1, part);
    }
}

// The answers of those queries, merged, make the same snapshot the one big answer made.
void tst_PrometheusHaproxy::mergedAnswersMakeOneSnapshot()
{
    const auto lbl = [](const char *server, const char *state) {
        return QList<std::pair<const char *, const char *>> { { "instance", "lb:8404" },
            { "proxy", "be" }, { "server", server }, { "state", state } };
    };
    const auto plain = [](const char *server) {
        return QList<std::pair<const char *, const char *>> { { "instance", "lb:8404" },
            { "proxy", "be" }, { "server", server } };
    };
    PrometheusResponse status = vector({ { "haproxy_server_status", lbl("a", "UP"), "1" },
        { "haproxy_server_status", lbl("b", "DRAIN"), "1" } });
    status.warnings = QStringList { QStringLiteral("remote_read: 503") };
    PrometheusResponse check = vector({ { "haproxy_server_check_status", lbl("a", "L7OK"), "1" } });
    check.warnings = QStringList { QStringLiteral("remote_read: 503") };
    const PrometheusResponse sessions
        = vector({ { "haproxy_server_current_sessions", plain("a"), "7" },
            { "haproxy_server_current_sessions", plain("b"), "0" } });
    const PrometheusResponse errors = vector({ { "haproxy_server_http_responses_total",
        { { "instance", "lb:8404" }, { "proxy", "be" }, { "server", "a" }, { "code", "5xx" } },
        "42" } });
    const PrometheusResponse backends = vector({ { "haproxy_backend_active_servers",
        { { "instance", "lb:8404" }, { "proxy", "be" } }, "1" } });
    const PrometheusResponse merged
        = mergePrometheusResponses({ status, check, sessions, errors, backends });
    QCOMPARE(merged.warnings, QStringList { QStringLiteral("remote_read: 503") });
    const auto snap = prometheushaproxy::snapshot(merged);
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(snap->stat.proxies.size(), 1);
    QCOMPARE(snap->stat.proxies.first().status, QStringLiteral("UP"));
    const HaproxyStatServer *a = server(*snap, QStringLiteral("a"));
    const HaproxyStatServer *b = server(*snap, QStringLiteral("b"));
    QVERIFY(a && b);
    QCOMPARE(a->state, HaproxyServerStatus::Up);
    QCOMPARE(a->checkStatus, QStringLiteral("L7OK"));
    QCOMPARE(a->scur, std::optional<qint64>(7));
    QCOMPARE(a->traffic.hrsp5xx, std::optional<qint64>(42));
    QCOMPARE(b->state, HaproxyServerStatus::Drain);
    QCOMPARE(b->scur, std::optional<qint64>(0));
    QVERIFY(!b->traffic.hrsp5xx); // not asked back: unknown, not zero

    // One failed query fails the whole: its error, not a snapshot of the rest.
    PrometheusResponse failed;
    failed.errorType = QStringLiteral("timeout");
    failed.error = QStringLiteral("query timed out in expression evaluation");
    const PrometheusResponse withFailure = mergePrometheusResponses({ status, failed, sessions });
    QVERIFY(!withFailure.success);
    QVERIFY(withFailure.series.isEmpty());
    const auto none = prometheushaproxy::snapshot(withFailure);
    QVERIFY(!none);
    QVERIFY2(none.errorText().contains(u"query timed out in expression evaluation"),
        qPrintable(none.errorText()));
}

// A Prometheus source waits up to two poll intervals (not less than the profile's timeout).
void tst_PrometheusHaproxy::prometheusTimeoutIsAtLeastTheInterval()
{
    PrometheusSource s(
        QStringLiteral("lb:x"), QUrl(QStringLiteral("http://127.0.0.1:9")), {}, nullptr);
    s.applyPollSettings(5000, 4000);
    QCOMPARE(s.intervalMs(), 5000);
    QCOMPARE(s.timeoutMs(), 10000);
    s.applyPollSettings(1000, 3000);
    QCOMPARE(s.timeoutMs(), 3000);
    QCOMPARE(s.queries(), prometheushaproxy::queries({}));
}

void tst_PrometheusHaproxy::oneHotPrecedence_data()
{
    QTest::addColumn<QStringList>("states");
    QTest::addColumn<HaproxyServerStatus>("expected");
    QTest::newRow("maint over drain")
        << QStringList { u"DRAIN"_s, u"MAINT"_s } << HaproxyServerStatus::Maint;
    QTest::newRow("drain over up")
        << QStringList { u"UP"_s, u"DRAIN"_s } << HaproxyServerStatus::Drain;
    QTest::newRow("drain over down")
        << QStringList { u"DOWN"_s, u"DRAIN"_s } << HaproxyServerStatus::Drain;
    QTest::newRow("nolb") << QStringList { u"NOLB"_s } << HaproxyServerStatus::NoLb;
    QTest::newRow("down") << QStringList { u"DOWN"_s } << HaproxyServerStatus::Down;
    QTest::newRow("none at 1") << QStringList {} << HaproxyServerStatus::Unknown;
}

void tst_PrometheusHaproxy::oneHotPrecedence()
{
    QFETCH(QStringList, states);
    QFETCH(HaproxyServerStatus, expected);
    QList<S> series { { "haproxy_server_weight", { { "proxy", "be" }, { "server", "s1" } }, "1" } };
    for (const char *st : { "UP", "DOWN", "MAINT", "DRAIN", "NOLB" }) {
        series.append(
            { "haproxy_server_status", { { "proxy", "be" }, { "server", "s1" }, { "state", st } },
                states.contains(QString::fromLatin1(st)) ? "1" : "0" });
    }
    const auto snap = prometheushaproxy::snapshot(vector(series));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(server(*snap, QStringLiteral("s1"))->state, expected);
}

void tst_PrometheusHaproxy::communityExporterNames()
{
    const auto snap = prometheushaproxy::snapshot(vector({
        { "haproxy_server_up", { { "backend", "be" }, { "server", "a" } }, "1" },
        { "haproxy_server_up", { { "backend", "be" }, { "server", "b" } }, "0" },
        { "haproxy_server_current_sessions", { { "backend", "be" }, { "server", "a" } }, "7" },
        { "haproxy_server_connections_total", { { "backend", "be" }, { "server", "a" } }, "1234" },
        { "haproxy_server_http_responses_total",
            { { "backend", "be" }, { "server", "a" }, { "code", "5xx" } }, "3" },
        { "haproxy_backend_current_server", { { "backend", "be" } }, "1" },
    }));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(server(*snap, QStringLiteral("a"))->state, HaproxyServerStatus::Up);
    QCOMPARE(server(*snap, QStringLiteral("b"))->state, HaproxyServerStatus::Down);
    QCOMPARE(server(*snap, QStringLiteral("a"))->scur, std::optional<qint64>(7));
    QCOMPARE(server(*snap, QStringLiteral("a"))->traffic.stot, std::optional<qint64>(1234));
    QCOMPARE(server(*snap, QStringLiteral("a"))->traffic.hrsp5xx, std::optional<qint64>(3));
    QCOMPARE(snap->stat.proxies.first().status, QStringLiteral("UP"));
}

// The community haproxy_exporter 0.14 (Debian prometheus-haproxy-exporter) scraped by the same
// Prometheus from the same HAProxy (prometheus_peer.py capture-exporter): backend/server labels,
// haproxy_server_up 0/1 only, so DRAIN reads as UP and MAINT as DOWN; sessions, weight and the
// response classes come through.
void tst_PrometheusHaproxy::capturedExporterStates()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_exporter_vector.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    QCOMPARE(r->warnings.size(), 1); // the fixture's failing remote_read
    const auto snap = prometheushaproxy::snapshot(*r);
    QVERIFY2(snap, qPrintable(snap.errorText()));
    const HaproxyStatProxy *be = nullptr;
    for (const HaproxyStatProxy &p : snap->stat.proxies) {
        if (p.name == u"be_app") {
            be = &p;
        }
    }
    QVERIFY(be);
    QCOMPARE(be->status, QStringLiteral("UP")); // haproxy_backend_current_server 1
    QCOMPARE(be->servers.size(), 4);
    const QList<std::pair<QString, HaproxyServerStatus>> expected = {
        { QStringLiteral("app1"), HaproxyServerStatus::Up },
        { QStringLiteral("app2"), HaproxyServerStatus::Up }, // DRAIN: the exporter says up 1
        { QStringLiteral("app3"), HaproxyServerStatus::Down },
        { QStringLiteral("app4"), HaproxyServerStatus::Down }, // MAINT: up 0
    };
    for (const auto &[name, state] : expected) {
        const HaproxyStatServer *s = server(*snap, name);
        QVERIFY2(s, qPrintable(name));
        QCOMPARE(s->state, state);
        QVERIFY(s->nameOnly);
        QCOMPARE(s->weight, std::optional<qint64>(1));
        QCOMPARE(s->scur, std::optional<qint64>(0));
        QCOMPARE(s->traffic.hrsp5xx, std::optional<qint64>(0));
        QVERIFY(s->stot.has_value());
        QCOMPARE(s->checkStatus, QString()); // no check status series in the exporter
    }
    // The limit is said where the snapshot's details are shown.
    QVERIFY(std::any_of(snap->info.fields.cbegin(), snap->info.fields.cend(), [](const auto &f) {
        return f.first == u"prometheus note" && f.second.contains(u"DRAIN reads as UP");
    }));
}

void tst_PrometheusHaproxy::twoInstancesAreRefused()
{
    const auto snap = prometheushaproxy::snapshot(vector({
        { "haproxy_server_weight",
            { { "instance", "10.0.0.1:8404" }, { "proxy", "be" }, { "server", "a" } }, "1" },
        { "haproxy_server_weight",
            { { "instance", "10.0.0.2:8404" }, { "proxy", "be" }, { "server", "a" } }, "1" },
    }));
    QVERIFY(!snap);
    QCOMPARE(snap.errorText(),
        QStringLiteral(
            "series from 2 HAProxy instances (10.0.0.1:8404, 10.0.0.2:8404): give the load "
            "balancer a \"prometheusSelector\" that matches one"));
}

void tst_PrometheusHaproxy::nothingScrapedIsAnError()
{
    const auto snap = prometheushaproxy::snapshot(vector({}));
    QVERIFY(!snap);
    QVERIFY2(snap.errorText().startsWith(u"Prometheus has no haproxy_server_* series"),
        qPrintable(snap.errorText()));
}

void tst_PrometheusHaproxy::prometheusErrorIsAnError()
{
    const auto r = parsePrometheusResponse(readData(QStringLiteral("prometheus/bad_data.json")));
    QVERIFY(r);
    const auto snap = prometheushaproxy::snapshot(*r);
    QVERIFY(!snap);
    QVERIFY2(snap.errorText().startsWith(u"Prometheus rejected the query as malformed (bad_data)"),
        qPrintable(snap.errorText()));
    const auto m = parsePrometheusResponse(readData(QStringLiteral("prometheus/matrix.json")));
    QCOMPARE(prometheushaproxy::snapshot(*m).errorText(),
        QStringLiteral("expected an instant vector, got a matrix"));
}

void tst_PrometheusHaproxy::nanGaugeIsUnknownNotZero()
{
    const auto snap = prometheushaproxy::snapshot(vector({
        { "haproxy_server_current_sessions", { { "proxy", "be" }, { "server", "a" } }, "NaN" },
        { "haproxy_server_weight", { { "proxy", "be" }, { "server", "a" } }, "+Inf" },
    }));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QVERIFY(!server(*snap, QStringLiteral("a"))->scur);
    QVERIFY(!server(*snap, QStringLiteral("a"))->weight);
    QCOMPARE(server(*snap, QStringLiteral("a"))->state, HaproxyServerStatus::Unknown);
}

// promex exports haproxy_server_check_status only for checked servers: an UP server without one
// is `show stat`'s "no check" (unknown in the topology), not a checked UP server (healthy).
// Without any check series nothing tells them apart: UP, and a note says so.
void tst_PrometheusHaproxy::upWithoutACheckIsNoCheck()
{
    const QList<S> states {
        { "haproxy_server_status", { { "proxy", "be" }, { "server", "checked" }, { "state", "UP" } },
            "1" },
        { "haproxy_server_status", { { "proxy", "be" }, { "server", "plain" }, { "state", "UP" } },
            "1" },
        { "haproxy_server_status",
            { { "proxy", "be" }, { "server", "off" }, { "state", "MAINT" } }, "1" },
    };
    QList<S> withChecks = states;
    withChecks.append({ "haproxy_server_check_status",
        { { "proxy", "be" }, { "server", "checked" }, { "state", "HCHK_STATUS_L7OK" } }, "1" });
    const auto snap = prometheushaproxy::snapshot(vector(withChecks));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(server(*snap, QStringLiteral("checked"))->state, HaproxyServerStatus::Up);
    QCOMPARE(server(*snap, QStringLiteral("plain"))->state, HaproxyServerStatus::NoCheck);
    QCOMPARE(server(*snap, QStringLiteral("plain"))->status, QStringLiteral("no check"));
    QCOMPARE(server(*snap, QStringLiteral("off"))->state, HaproxyServerStatus::Maint);

    const auto bare = prometheushaproxy::snapshot(vector(states));
    QVERIFY2(bare, qPrintable(bare.errorText()));
    QCOMPARE(server(*bare, QStringLiteral("plain"))->state, HaproxyServerStatus::Up);
    bool noted = false;
    for (const auto &field : bare->info.fields) {
        noted |= field.second.contains(u"no haproxy_server_check_status series");
    }
    QVERIFY(noted);
}

void tst_PrometheusHaproxy::profileSourceKeys()
{
    const ClusterProfile p = profile(true);
    QVERIFY(p.loadBalancer(QStringLiteral("edge"))->fromPrometheus);
    QVERIFY(!p.loadBalancer(QStringLiteral("direct"))->fromPrometheus);
    // No endpoint of its own + a prometheus section: read from Prometheus.
    auto r = ProfileStore::parse(
        "{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"a\", \"name\": \"a\"}], "
        "\"prometheus\": {\"url\": \"http://127.0.0.1:9\", "
        "        \"bearerToken\": \"env:PROM_TOKEN\"}, \"loadBalancers\": [{\"id\": \"lb\", "
        "\"kind\": \"haproxy\", "
        "        \"prometheusSelector\": \"job=\\\"x\\\"\"}]}");
    QVERIFY2(r.ok(), r.problems.isEmpty() ? "" : qPrintable(r.problems.first().toString()));
    QVERIFY(r.profile->loadBalancers.first().fromPrometheus);
    QCOMPARE(r.profile->loadBalancers.first().prometheusSelector, QStringLiteral("job=\"x\""));
    QCOMPARE(r.profile->prometheusBearerToken.toString(), QStringLiteral("env:PROM_TOKEN"));
    // "source": "prometheus" without a prometheus section, an unknown source, an inline token.
    r = ProfileStore::parse("{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"a\", "
                            "\"name\": \"a\"}], \"loadBalancers\": [{\"id\": \"lb\", "
                            "        \"kind\": \"haproxy\", \"runtime\": \"unix:/x.sock\", "
                            "\"source\": \"prometheus\"}]}");
    QVERIFY(!r.ok());
    QCOMPARE(r.problems.first().toString(),
        QStringLiteral("loadBalancers[0].source: is \"prometheus\" but the profile has no "
                       "\"prometheus\" section"));
    r = ProfileStore::parse(
        "{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"a\", \"name\": \"a\"}], "
        "\"loadBalancers\": [{\"id\": \"lb\", "
        "        \"kind\": \"haproxy\", \"runtime\": \"unix:/x.sock\", \"source\": \"snmp\"}]}");
    QVERIFY(!r.ok());
    QCOMPARE(r.problems.first().toString(),
        QStringLiteral("loadBalancers[0].source: \"snmp\" is not one of direct, prometheus"));
    r = ProfileStore::parse(
        "{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"a\", \"name\": \"a\"}], "
        "\"prometheus\": {\"url\": \"http://127.0.0.1:9\", "
        "        \"bearerToken\": "
        "\"eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0dozjgNryP4J3jVmNHl0w5N\"}}");
    QVERIFY(!r.ok());
    QVERIFY(r.problems.first().toString().startsWith(u"prometheus.bearerToken: "));
    QVERIFY(!r.problems.first().toString().contains(u"eyJhbGci"));
    // prometheus.tls and prometheus.via, as for any HTTP endpoint; a sidecar without "admin" is
    // read from Prometheus.
    r = ProfileStore::parse(
        "{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"a\", \"name\": \"a\"}], "
        "\"sshHosts\": [{\"id\": \"jump\", \"host\": \"10.0.0.1\", \"user\": \"ops\", "
        "\"identity\": \"file:/home/ops/.ssh/id_ed25519\", "
        "\"hostKey\": \"SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\"}], "
        "\"prometheus\": {\"url\": \"https://prom.internal:9090\", \"via\": \"jump\", "
        "\"tls\": {\"verify\": false}}, "
        "\"proxies\": [{\"id\": \"pay-1\", \"kind\": \"envoy\", \"service\": \"a\", "
        "\"task\": \"10.0.3.41:8080\"}]}");
    QVERIFY2(r.ok(), r.problems.isEmpty() ? "" : qPrintable(r.problems.first().toString()));
    QCOMPARE(r.profile->prometheusVia, QStringLiteral("jump"));
    QVERIFY(r.profile->prometheusTls && !r.profile->prometheusTls->verify);
    QVERIFY(r.profile->proxies.first().fromPrometheus);
    r = ProfileStore::parse(
        "{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"a\", \"name\": \"a\"}], "
        "\"prometheus\": {\"url\": \"http://127.0.0.1:9\", \"via\": \"nowhere\", "
        "\"tls\": {\"verify\": false}}}");
    QVERIFY(!r.ok());
    QStringList problems;
    for (const auto &pr : r.problems) {
        problems << pr.toString();
    }
    QVERIFY2(problems.contains(QStringLiteral("prometheus.via: no sshHosts entry with id "
                                              "\"nowhere\" (the profile declares no sshHosts)")),
        qPrintable(problems.join(u'\n')));
    QVERIFY2(problems.contains(QStringLiteral(
                 "prometheus.tls: is set but http://127.0.0.1:9 is not an https:// URL")),
        qPrintable(problems.join(u'\n')));
}

void tst_PrometheusHaproxy::nameOnlyTargetsInTheTopology()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_promex_vector.json")));
    const auto snap = prometheushaproxy::snapshot(*r);
    QVERIFY(snap);
    TopologyInputs in;
    in.now = QDateTime::currentDateTimeUtc();
    in.lb.insert(QStringLiteral("edge"), *snap);
    in.lbState.insert(QStringLiteral("edge"), fresh());
    const Topology t = TopologyBuilder::build(profile(false), in);
    const ServiceNode *app = t.service(QStringLiteral("app"));
    QVERIFY(app);
    QCOMPARE(app->targets.size(), 4);
    const QList<std::pair<QString, Health>> expected = {
        { QStringLiteral("be_app/app1"), Health::Healthy },
        { QStringLiteral("be_app/app2"), Health::Drained }, // DRAIN with 0 sessions
        { QStringLiteral("be_app/app3"), Health::Down },
        { QStringLiteral("be_app/app4"), Health::Maintenance },
    };
    for (const auto &[key, health] : expected) {
        const TargetNode *n = t.target(QStringLiteral("app"), key);
        QVERIFY2(n, qPrintable(key));
        QCOMPARE(n->health, health);
        QCOMPARE(n->address, QString());
        QCOMPARE(n->port, quint16(0));
    }
    QVERIFY2(t.loadBalancers.first().reason.contains(u"via Prometheus"),
        qPrintable(t.loadBalancers.first().reason));
    // snapshot --json: address "", port 0 and "server".
    const QJsonObject json = TopologyJson::toJson(t);
    const QJsonObject first
        = json[u"services"].toArray().first()[u"targets"].toArray().first().toObject();
    QCOMPARE(first[u"key"].toString(), QStringLiteral("be_app/app1"));
    QCOMPARE(first[u"address"].toString(), QString());
    QCOMPARE(first[u"port"].toInt(), 0);
    QCOMPARE(first[u"server"].toString(), QStringLiteral("be_app/app1"));
    QCOMPARE(first[u"health"].toString(), healthName(Health::Healthy));
}

void tst_PrometheusHaproxy::nameOnlyTargetMergesWithAnAddressedOne()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_promex_vector.json")));
    const auto snap = prometheushaproxy::snapshot(*r);
    QVERIFY(snap);
    // The same HAProxy read directly too: app3 has an address there.
    HaproxySnapshot direct;
    HaproxyStatProxy be;
    be.name = QStringLiteral("be_app");
    HaproxyStatServer app3;
    app3.name = QStringLiteral("app3");
    app3.address = QStringLiteral("127.0.0.1");
    app3.port = 18093;
    app3.status = QStringLiteral("DOWN");
    app3.state = HaproxyServerStatus::Down;
    be.servers.append(app3);
    direct.stat.proxies.append(be);
    TopologyInputs in;
    in.now = QDateTime::currentDateTimeUtc();
    in.lb.insert(QStringLiteral("edge"), *snap);
    in.lbState.insert(QStringLiteral("edge"), fresh());
    in.lb.insert(QStringLiteral("direct"), direct);
    in.lbState.insert(QStringLiteral("direct"), fresh());
    const Topology t = TopologyBuilder::build(profile(true), in);
    const ServiceNode *app = t.service(QStringLiteral("app"));
    QCOMPARE(app->targets.size(), 4); // app3 once, at its address
    QVERIFY(!t.target(QStringLiteral("app"), QStringLiteral("be_app/app3")));
    const TargetNode *merged = t.target(QStringLiteral("app"), QStringLiteral("127.0.0.1:18093"));
    QVERIFY(merged);
    QCOMPARE(merged->observations.size(), 2); // lb:direct and lb:edge
    QCOMPARE(merged->health, Health::Down);
    QCOMPARE(merged->lbServer, QStringLiteral("be_app/app3"));
}

// The freshness check: when Prometheus last scraped what the selector matches; equal fingerprints
// only for the same targets scraped at the same times; unknown (empty) when nothing says.
void tst_PrometheusHaproxy::freshnessFingerprint()
{
    QCOMPARE(prometheushaproxy::freshnessQuery(QStringLiteral("job=\"lb\"")),
        QStringLiteral("timestamp(up{job=\"lb\"})"));
    QCOMPARE(prometheushaproxy::freshnessQuery({}), QStringLiteral("timestamp(up)"));
    const auto at = [](const char *a, const char *b) {
        QList<S> series { { "", { { "instance", "lb:8404" }, { "job", "lb" } }, a } };
        if (b) {
            series.append({ "", { { "instance", "lb2:8404" }, { "job", "lb" } }, b });
        }
        return vector(series);
    };
    const QString first = prometheushaproxy::freshnessFingerprint(at("1796061034.758", nullptr));
    QVERIFY(!first.isEmpty());
    QCOMPARE(prometheushaproxy::freshnessFingerprint(at("1796061034.758", nullptr)), first);
    QVERIFY(prometheushaproxy::freshnessFingerprint(at("1796061049.758", nullptr)) != first);
    const QString two = prometheushaproxy::freshnessFingerprint(at("1796061034.758", "17.5"));
    QVERIFY(two != first); // a second target (or one gone): read again
    QVERIFY(prometheushaproxy::freshnessFingerprint(vector({})).isEmpty()); // nothing scraped
    PrometheusResponse failed;
    QVERIFY(prometheushaproxy::freshnessFingerprint(failed).isEmpty());
    PrometheusResponse scalar = at("1", nullptr);
    scalar.resultType = PrometheusResponse::ResultType::Scalar;
    QVERIFY(prometheushaproxy::freshnessFingerprint(scalar).isEmpty());
}

// A server at weight 0 (captured: a real Prometheus 2.42 scraping HAProxy 2.6.12 with app5
// `check weight 0`, tests/peers/prometheus_peer.py capture-promex): promex says state="UP" (and
// L4OK) with haproxy_server_weight 0, and leaves it out of haproxy_backend_active_servers (1:
// app1). No traffic goes to it: drained, as when the same HAProxy is read directly
// (tst_TopologyBuilder::targetHealth "lb-up-weight-0-idle"), never healthy.
void tst_PrometheusHaproxy::weightZeroIsDrained()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_promex_weight0_vector.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    const auto snap = prometheushaproxy::snapshot(*r);
    QVERIFY2(snap, qPrintable(snap.errorText()));
    const HaproxyStatServer *app5 = server(*snap, QStringLiteral("app5"));
    QVERIFY(app5);
    QCOMPARE(app5->state, HaproxyServerStatus::Up);
    QCOMPARE(app5->checkStatus, QStringLiteral("L4OK"));
    QCOMPARE(app5->weight, std::optional<qint64>(0));
    QCOMPARE(app5->scur, std::optional<qint64>(0));
    QCOMPARE(server(*snap, QStringLiteral("app1"))->weight, std::optional<qint64>(1));

    TopologyInputs in;
    in.now = QDateTime::currentDateTimeUtc();
    in.lb.insert(QStringLiteral("edge"), *snap);
    in.lbState.insert(QStringLiteral("edge"), fresh());
    const Topology t = TopologyBuilder::build(profile(false), in);
    const QList<std::pair<QString, Health>> expected = {
        { QStringLiteral("be_app/app1"), Health::Healthy },
        { QStringLiteral("be_app/app2"), Health::Drained },
        { QStringLiteral("be_app/app3"), Health::Down },
        { QStringLiteral("be_app/app4"), Health::Maintenance },
        { QStringLiteral("be_app/app5"), Health::Drained },
    };
    QCOMPARE(t.service(QStringLiteral("app"))->targets.size(), expected.size());
    for (const auto &[key, health] : expected) {
        const TargetNode *n = t.target(QStringLiteral("app"), key);
        QVERIFY2(n, qPrintable(key));
        QVERIFY2(n->health == health, qPrintable(key + u' ' + healthName(n->health)));
    }
    const TargetNode *n = t.target(QStringLiteral("app"), QStringLiteral("be_app/app5"));
    QVERIFY2(n->reason.contains(u"UP L4OK (weight 0) 0 sessions"), qPrintable(n->reason));
    QCOMPARE(t.service(QStringLiteral("app"))->healthyCount, 1);
}

// The UP servers are not asked (`state!="UP"`): a server named by its sessions gauge and in no
// state series is UP only when its backend's active count (UP at a weight other than 0, backups
// apart) confirms it; a count that disagrees or is absent leaves those servers unknown, never
// healthy, with a note naming the backend.
void tst_PrometheusHaproxy::upServersConfirmedByTheBackendCount_data()
{
    QTest::addColumn<QString>("active"); // haproxy_backend_active_servers ("" absent)
    QTest::addColumn<QString>("backup"); // haproxy_backend_backup_servers ("" absent)
    QTest::addColumn<HaproxyServerStatus>("expected"); // of a, c and d (no state series)
    // a and d UP at weight 1, c UP at weight 0 (not counted by HAProxy), b DRAIN, e DOWN.
    QTest::newRow("count confirms") << "2" << "" << HaproxyServerStatus::Up;
    QTest::newRow("count confirms, backups apart") << "1" << "1" << HaproxyServerStatus::Up;
    QTest::newRow("one fewer active: a state series missing") << "1" << ""
                                                              << HaproxyServerStatus::Unknown;
    QTest::newRow("weight 0 counted would be 3") << "3" << "" << HaproxyServerStatus::Unknown;
    QTest::newRow("no count") << "" << "" << HaproxyServerStatus::Unknown;
    QTest::newRow("count not a number") << "NaN" << "" << HaproxyServerStatus::Unknown;
}

void tst_PrometheusHaproxy::upServersConfirmedByTheBackendCount()
{
    QFETCH(QString, active);
    QFETCH(QString, backup);
    QFETCH(HaproxyServerStatus, expected);
    const auto lbl = [](const char *server) {
        return QList<std::pair<const char *, const char *>> { { "instance", "lb:8404" },
            { "proxy", "be" }, { "server", server } };
    };
    QList<S> series {
        { "haproxy_server_status",
            { { "instance", "lb:8404" }, { "proxy", "be" }, { "server", "b" },
                { "state", "DRAIN" } },
            "1" },
        { "haproxy_server_status",
            { { "instance", "lb:8404" }, { "proxy", "be" }, { "server", "e" },
                { "state", "DOWN" } },
            "1" },
    };
    for (const char *name : { "a", "b", "c", "d", "e" }) {
        series.append({ "haproxy_server_current_sessions", lbl(name), "0" });
        series.append({ "haproxy_server_weight", lbl(name), qstrcmp(name, "c") == 0 ? "0" : "1" });
    }
    const QByteArray activeText = active.toLatin1();
    const QByteArray backupText = backup.toLatin1();
    if (!active.isEmpty()) {
        series.append({ "haproxy_backend_active_servers",
            { { "instance", "lb:8404" }, { "proxy", "be" } }, activeText.constData() });
    }
    if (!backup.isEmpty()) {
        series.append({ "haproxy_backend_backup_servers",
            { { "instance", "lb:8404" }, { "proxy", "be" } }, backupText.constData() });
    }
    const auto snap = prometheushaproxy::snapshot(vector(series));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    for (const char *name : { "a", "c", "d" }) {
        const HaproxyStatServer *r = server(*snap, QString::fromLatin1(name));
        QVERIFY(r);
        QCOMPARE(r->state, expected);
        QCOMPARE(r->status,
            expected == HaproxyServerStatus::Up ? QStringLiteral("UP") : QString());
    }
    QCOMPARE(server(*snap, QStringLiteral("b"))->state, HaproxyServerStatus::Drain);
    QCOMPARE(server(*snap, QStringLiteral("e"))->state, HaproxyServerStatus::Down);
    const bool noted = std::any_of(snap->info.fields.cbegin(), snap->info.fields.cend(),
        [](const auto &f) { return f.first == u"prometheus note" && f.second.contains(u"be ("); });
    QCOMPARE(noted, expected != HaproxyServerStatus::Up);

    // In the topology: unknown stays unknown, c (weight 0) is drained, never healthy.
    TopologyInputs in;
    in.now = QDateTime::currentDateTimeUtc();
    in.lb.insert(QStringLiteral("edge"), *snap);
    in.lbState.insert(QStringLiteral("edge"), fresh());
    ClusterProfile p = profile(false);
    p.loadBalancers.first().routes.first().backend = QStringLiteral("be");
    const Topology t = TopologyBuilder::build(p, in);
    const TargetNode *a = t.target(QStringLiteral("app"), QStringLiteral("be/a"));
    const TargetNode *c = t.target(QStringLiteral("app"), QStringLiteral("be/c"));
    QVERIFY(a && c);
    QCOMPARE(a->health, expected == HaproxyServerStatus::Up ? Health::Healthy : Health::Unknown);
    QCOMPARE(c->health, expected == HaproxyServerStatus::Up ? Health::Drained : Health::Unknown);
}

// The same real answer (captured from Prometheus 2.42 scraping HAProxy 2.6.12: app1 UP, app2
// DRAIN, app3 DOWN, app4 MAINT, app5 UP at weight 0) without its UP state series, as
// `state!="UP"` asks it, folds to exactly the snapshot the whole answer makes.
void tst_PrometheusHaproxy::capturedAnswerWithoutUpSeriesFoldsTheSame()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_promex_weight0_vector.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    PrometheusResponse withoutUp = *r;
    const qsizetype before = withoutUp.series.size();
    withoutUp.series.removeIf([](const PrometheusSeries &s) {
        return s.name == u"haproxy_server_status" && s.label(u"state") == u"UP";
    });
    QCOMPARE(withoutUp.series.size(), before - 2); // app1 and app5 (states at 1 only)
    const auto all = prometheushaproxy::snapshot(*r);
    const auto notUp = prometheushaproxy::snapshot(withoutUp);
    QVERIFY(all && notUp);
    QCOMPARE(snapshottext::lines(*notUp), snapshottext::lines(*all));
    QCOMPARE(server(*notUp, QStringLiteral("app1"))->state, HaproxyServerStatus::Up);
    QCOMPARE(server(*notUp, QStringLiteral("app5"))->state, HaproxyServerStatus::Up);
}

void tst_PrometheusHaproxy::roundTimeIsTheOldestScrape()
{
    PrometheusResponse r = vector({ { "", { { "instance", "a:1" } }, "1764559000.123" },
        { "", { { "instance", "b:1" } }, "1764558999.5" } });
    QCOMPARE(prometheushaproxy::roundTime(r), QStringLiteral("1764558999.5"));
    QCOMPARE(prometheushaproxy::roundTime(vector({})), QString()); // no target: Prometheus's now
    r.success = false;
    QCOMPARE(prometheushaproxy::roundTime(r), QString());
    QCOMPARE(prometheushaproxy::roundTime(vector({ { "", { { "instance", "a:1" } }, "NaN" } })),
        QString());
}

QTEST_GUILESS_MAIN(tst_PrometheusHaproxy)
#include "tst_PrometheusHaproxy.moc"
