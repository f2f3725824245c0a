// PrometheusSource and ClusterMonitor against a real Prometheus 2.42 that scrapes a real HAProxy
// 2.6's promex endpoint (fixture peers_prometheus, tests/peers/prometheus_peer.py). The profile
// has no runtime socket nor stats URL for the load balancer, only `"source": "prometheus"`:
// app1 UP, app2 DRAIN, app3 DOWN, app4 MAINT and app5 drained by `weight 0` (UP to HAProxy and
// promex, no traffic: drained, as when read directly) come through Prometheus alone; the fixture's
// failing remote_read makes every answer partial, and its warning reaches the event log; a
// selector Prometheus cannot parse comes back as bad_data in plain words; Prometheus killed, the
// load balancer and its targets turn stale with the reason, and recover when it is back.
// Servers named as DNS knows them (the demo's serviceB by ADDRESS:PORT, serviceA by its SRV
// host) merge with the targets the demo's BIND lists: one target each, both sources on it.

#include "HaproxySnapshotText.h"
#include "core/EventLog.h"
#include "core/HttpFetch.h"
#include "profile/ProfileStore.h"
#include "prometheus/PrometheusHaproxy.h"
#include "prometheus/PrometheusResponse.h"
#include "prometheus/PrometheusSource.h"
#include "topology/ClusterMonitor.h"
#include "topology/TopologyJson.h"

#include <QJsonArray>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <algorithm>

using namespace hopscope;

namespace {

QString promDir()
{
    return qEnvironmentVariable("HOPSCOPE_PROM_DIR");
}

QJsonObject peerState()
{
    QFile f(promDir() + QStringLiteral("/prometheus.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.read(1 << 20)).object();
}

ClusterProfile fixtureProfile()
{
    const ProfileLoadResult r
        = ProfileStore::load(promDir() + QStringLiteral("/prometheus.hopscope.json"));
    if (!r.ok()) {
        qFatal("fixture profile: %s",
            r.problems.isEmpty() ? "?" : qPrintable(r.problems.first().toString()));
    }
    return *r.profile;
}

bool peer(const QString &command)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedChannels);
    p.start(QStringLiteral("python3"),
        { qEnvironmentVariable("HOPSCOPE_PROM_PEER"), command, QStringLiteral("--dir"),
            promDir() });
    return p.waitForFinished(90000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

Health healthOf(const Topology &t, const QString &key)
{
    const TargetNode *n = t.target(QStringLiteral("app"), key);
    return n ? n->health : Health::Unknown;
}

bool statesAsExpected(const Topology &t)
{
    return healthOf(t, QStringLiteral("be_app/app1")) == Health::Healthy
        && healthOf(t, QStringLiteral("be_app/app2")) == Health::Drained
        && healthOf(t, QStringLiteral("be_app/app3")) == Health::Down
        && healthOf(t, QStringLiteral("be_app/app4")) == Health::Maintenance
        && healthOf(t, QStringLiteral("be_app/app5")) == Health::Drained;
}

} // namespace

class tst_PrometheusLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void statesComeThroughPrometheus();
    void snapshotJsonShowsServersByName();
    void serversNamedAsDnsKnowsThemMergeWithDns();
    void pollsWithoutANewScrapeReuseTheLastRead();
    void readWithoutUpSeriesEqualsTheFullRead();
    void partialAnswerWarningsReported();
    void badDataQueryReportedInPlainWords();
    void missingBearerTokenIsAnAuthError();
    void
    prometheusKilledTurnsSourcesStale(); // last: it stops and restarts the fixture's Prometheus

private:
    std::unique_ptr<QNetworkAccessManager> m_nam;
};

void tst_PrometheusLive::initTestCase()
{
    QVERIFY2(!promDir().isEmpty(), "HOPSCOPE_PROM_DIR is not set (run through ctest)");
    QVERIFY2(
        !peerState().isEmpty(), "no prometheus.json: the peers_prometheus fixture did not start");
    const ClusterProfile p = fixtureProfile();
    QCOMPARE(p.loadBalancers.size(), 1);
    QVERIFY(!p.loadBalancers.first().runtime); // the runtime socket is absent from the profile
    QVERIFY(p.loadBalancers.first().statsUrl.isEmpty());
    QVERIFY(p.loadBalancers.first().fromPrometheus);
}

void tst_PrometheusLive::init()
{
    m_nam = std::make_unique<QNetworkAccessManager>();
    m_nam->setProxy(QNetworkProxy::NoProxy);
}

void tst_PrometheusLive::statesComeThroughPrometheus()
{
    ClusterMonitor monitor(fixtureProfile());
    QVERIFY(
        qobject_cast<PrometheusSource *>(monitor.loadBalancerSource(QStringLiteral("edge-lb"))));
    monitor.start();
    QTRY_VERIFY_WITH_TIMEOUT(statesAsExpected(monitor.topology()), 20000);
    const Topology &t = monitor.topology();
    QCOMPARE(t.service(QStringLiteral("app"))->targets.size(), 5);
    QCOMPARE(t.loadBalancers.first().health, Health::Healthy);
    QVERIFY2(t.loadBalancers.first().reason.contains(u"via Prometheus"),
        qPrintable(t.loadBalancers.first().reason));
    QVERIFY(t.errors.isEmpty());
    const TargetNode *down = t.target(QStringLiteral("app"), QStringLiteral("be_app/app3"));
    QVERIFY2(
        down->reason.contains(u"L4CON"), qPrintable(down->reason)); // the check status came too
    const TargetNode *weightZero = t.target(QStringLiteral("app"), QStringLiteral("be_app/app5"));
    QVERIFY2(weightZero->reason.contains(u"UP L4OK (weight 0)"), qPrintable(weightZero->reason));
}

void tst_PrometheusLive::snapshotJsonShowsServersByName()
{
    QProcess cli;
    cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("snapshot"), promDir() + QStringLiteral("/prometheus.hopscope.json"),
            QStringLiteral("--json"), QStringLiteral("--timeout"), QStringLiteral("20") });
    QVERIFY(cli.waitForFinished(30000));
    const QByteArray out = cli.readAllStandardOutput();
    const QJsonObject json = QJsonDocument::fromJson(out).object();
    QVERIFY2(!json.isEmpty(), out.left(400).constData());
    const QJsonArray targets = json[u"services"].toArray().first()[u"targets"].toArray();
    QCOMPARE(targets.size(), 5);
    QHash<QString, QString> healthByServer;
    for (const QJsonValue &v : targets) {
        const QJsonObject t = v.toObject();
        QCOMPARE(t[u"address"].toString(), QString());
        QCOMPARE(t[u"port"].toInt(-1), 0);
        healthByServer.insert(t[u"server"].toString(), t[u"health"].toString());
    }
    QCOMPARE(healthByServer.value(QStringLiteral("be_app/app1")), healthName(Health::Healthy));
    QCOMPARE(healthByServer.value(QStringLiteral("be_app/app2")), healthName(Health::Drained));
    QCOMPARE(healthByServer.value(QStringLiteral("be_app/app3")), healthName(Health::Down));
    QCOMPARE(healthByServer.value(QStringLiteral("be_app/app4")), healthName(Health::Maintenance));
    QCOMPARE(healthByServer.value(QStringLiteral("be_app/app5")), healthName(Health::Drained));
}

// The contract: a server known by name only is a target with "address": "", "port": 0
// and "server" until DNS supplies its address, then they merge. Checked per server against what
// the demo's BIND lists at the time (other tests may drain a name meanwhile): a server whose
// address (or SRV host) DNS lists is that DNS target, with the load balancer's state on it, and
// no name-only twin is left.
void tst_PrometheusLive::serversNamedAsDnsKnowsThemMergeWithDns()
{
    const QJsonObject st = peerState();
    const QString profile = st[u"dns_profile"].toString();
    QVERIFY2(!profile.isEmpty(), "no prometheus-dns profile: the fixture ran without --demo-dir");
    QProcess cli;
    cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("snapshot"), profile, QStringLiteral("--json"),
            QStringLiteral("--timeout"), QStringLiteral("20") });
    QVERIFY(cli.waitForFinished(30000));
    const QByteArray out = cli.readAllStandardOutput();
    const QJsonObject json = QJsonDocument::fromJson(out).object();
    QVERIFY2(!json.isEmpty(), out.left(400).constData());
    QVERIFY2(json[u"errors"].toArray().isEmpty(),
        QJsonDocument(json[u"errors"].toArray()).toJson().constData());
    QHash<QString, QJsonObject> targets; // "service key" -> target
    for (const QJsonValue &s : json[u"services"].toArray()) {
        for (const QJsonValue &t : s[u"targets"].toArray()) {
            targets.insert(s[u"id"].toString() + u' ' + t[u"key"].toString(), t.toObject());
        }
    }
    const QJsonObject services = st[u"dns_merge"][u"services"].toObject();
    // serviceB: servers named ADDRESS:PORT (the second `disabled`); serviceA: by SRV host label.
    struct Server
    {
        QString service, backend, name, key;
        bool maint;
    };
    QList<Server> servers;
    const QJsonArray b = services[u"serviceb"][u"tasks"].toArray();
    for (int i = 0; i < b.size(); ++i) {
        const QString key
            = QStringLiteral("%1:%2").arg(b[i][u"addr"].toString()).arg(b[i][u"port"].toInt());
        servers.append(
            { QStringLiteral("serviceb"), QStringLiteral("be_serviceb"), key, key, i == 1 });
    }
    for (const QJsonValue &t : services[u"servicea"][u"tasks"].toArray()) {
        servers.append({ QStringLiteral("servicea"), QStringLiteral("be_servicea"),
            t[u"host"].toString().section(u'.', 0, 0),
            QStringLiteral("%1:%2").arg(t[u"addr"].toString()).arg(t[u"port"].toInt()), false });
    }
    QSet<QString> mergedIn;
    for (const Server &s : servers) {
        const QString server = s.backend + u'/' + s.name;
        const QJsonObject dns = targets.value(s.service + u' ' + s.key);
        const bool listed = dns[u"sources"][u"dns"][u"listed"].toBool();
        const bool twin = targets.contains(s.service + u' ' + server);
        if (!listed) {
            QVERIFY2(twin, qPrintable(server + QStringLiteral(": neither merged nor name-only")));
            continue;
        }
        QVERIFY2(
            !twin, qPrintable(server + QStringLiteral(" left as a name-only twin of ") + s.key));
        const QJsonObject lb = dns[u"sources"][u"lb"][u"edge-lb"].toObject();
        QVERIFY2(!lb.isEmpty(), qPrintable(s.key + QStringLiteral(" has no lb:edge-lb source")));
        // Servers without health checks (prometheus_peer.py): HAProxy's "no check", unknown --
        // as `show stat` reads them -- not healthy, though promex says state="UP".
        QCOMPARE(
            lb[u"health"].toString(), healthName(s.maint ? Health::Maintenance : Health::Unknown));
        QVERIFY2(lb[u"text"].toString().startsWith(
                     s.maint ? QStringLiteral("MAINT") : QStringLiteral("no check")),
            qPrintable(lb[u"text"].toString()));
        QCOMPARE(dns[u"address"].toString(), s.key.section(u':', 0, 0));
        mergedIn.insert(s.service);
    }
    // Both rules were exercised (a concurrent drain takes out one name, not a whole service).
    QCOMPARE(mergedIn.size(), 2);
}

// Polled faster than Prometheus scrapes (every 1 s), most polls find the same scrape as the last
// full read (timestamp(up{selector})) and re-emit it instead of asking the fleet queries again.
void tst_PrometheusLive::pollsWithoutANewScrapeReuseTheLastRead()
{
    const ClusterProfile p = fixtureProfile();
    PrometheusSource source(QStringLiteral("lb:edge-lb"), p.prometheusUrl,
        p.loadBalancers.first().prometheusSelector, m_nam.get());
    source.applyPollSettings(150, 3000);
    QSignalSpy snapshots(&source, &PrometheusSource::snapshotReady);
    source.start();
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 12, 20000);
    source.stop();
    QVERIFY2(source.reusedPolls() > 0, "every poll asked the fleet queries again");
    QVERIFY(source.reusedPolls() < snapshots.size()); // new scrapes were read in full
    const auto last = snapshots.last().first().value<HaproxySnapshot>();
    QVERIFY(!last.stat.proxies.isEmpty());
}

// The queries of a round (states other than UP only; UP confirmed by the backends' counts)
// against the read that asked every server's state (the queries of the previous version, kept
// here), both evaluated at the same scrape (prometheushaproxy::roundTime), on the fixture's real
// Prometheus and HAProxy (be_app: UP, DRAIN, DOWN, MAINT, UP at weight 0; with the demo, the
// name-merge backends): the same snapshot, line by line, and through every load-balancer
// selector the fixture's profiles use.
void tst_PrometheusLive::readWithoutUpSeriesEqualsTheFullRead()
{
    const ClusterProfile p = fixtureProfile();
    const QString selector = p.loadBalancers.first().prometheusSelector;
    PrometheusSource source(QStringLiteral("lb:compare"), p.prometheusUrl, selector, m_nam.get());
    source.setTimeoutMs(10000);
    QObject parent;
    const auto ask = [&](const QString &query, const QString &time) -> PrometheusResponse {
        HttpFetch *f = source.newQueryFetch(query, qint64(64) << 20, &parent, time);
        QSignalSpy done(f, &HttpFetch::finished);
        if (!done.wait(15000)) {
            qWarning("no answer to %s", qPrintable(query));
            return {};
        }
        const auto r = done.first().first().value<HttpFetchResult>();
        const Parsed<PrometheusResponse> parsed = parsePrometheusResponse(r.body);
        if (!r.ok() || !parsed) {
            qWarning("%s: %s", qPrintable(query), qPrintable(r.reason));
            return {};
        }
        return *parsed;
    };
    const QString time = prometheushaproxy::roundTime(
        ask(prometheushaproxy::freshnessQuery(selector), {}));
    QVERIFY2(!time.isEmpty(), "timestamp(up{...}) gave no scrape time");
    const auto read = [&](const QStringList &queries) {
        QList<PrometheusResponse> answers;
        for (const QString &q : queries) {
            answers.append(ask(q, time));
        }
        return prometheushaproxy::snapshot(mergePrometheusResponses(std::move(answers)));
    };
    const QString sel = u',' + selector;
    const QStringList full {
        QStringLiteral("haproxy_server_status{%1} == 1").arg(selector),
        QStringLiteral("haproxy_server_check_status{%1} == 1").arg(selector),
        QStringLiteral("{__name__=~\"haproxy_server_(current_sessions|up)\"%1}").arg(sel),
        QStringLiteral("haproxy_server_weight{%1}").arg(selector),
        QStringLiteral("{__name__=~\"haproxy_server_(sessions|connections)_total\"%1}").arg(sel),
        QStringLiteral("haproxy_server_http_responses_total{code=\"5xx\"%1}").arg(sel),
        QStringLiteral("{__name__=~\"haproxy_backend_(active_servers|current_server)|"
                       "haproxy_process_build_info\"%1}")
            .arg(sel),
    };
    QVERIFY(prometheushaproxy::queries(selector) != full);
    const auto before = read(full);
    const auto now = read(prometheushaproxy::queries(selector));
    QVERIFY2(before, qPrintable(before.errorText()));
    QVERIFY2(now, qPrintable(now.errorText()));
    QCOMPARE(snapshottext::lines(*now), snapshottext::lines(*before));
    // Not vacuous: servers UP (confirmed, not asked) and every other state are in it.
    const QStringList lines = snapshottext::lines(*now);
    for (const QString &server : { QStringLiteral("be_app/app1"), QStringLiteral("be_app/app5") }) {
        QVERIFY2(std::any_of(lines.cbegin(), lines.cend(),
                     [&](const QString &l) {
                         return l.startsWith(u"  " + server + u" state=")
                             && l.contains(u" status=UP check=L4OK");
                     }),
            qPrintable(lines.join(u'\n')));
    }
    QVERIFY(lines.filter(QStringLiteral(" status=DRAIN ")).size() >= 1);
    QVERIFY(lines.filter(QStringLiteral(" status=MAINT ")).size() >= 1);
    QVERIFY(lines.filter(QStringLiteral(" status=DOWN ")).size() >= 1);
}

void tst_PrometheusLive::partialAnswerWarningsReported()
{
    const ClusterProfile p = fixtureProfile();
    PrometheusSource source(QStringLiteral("lb:edge-lb"), p.prometheusUrl,
        p.loadBalancers.first().prometheusSelector, m_nam.get());
    source.setTimeoutMs(3000);
    QSignalSpy warnings(&source, &PrometheusSource::warningsChanged);
    QSignalSpy snapshots(&source, &PrometheusSource::snapshotReady);
    source.start();
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10000);
    QCOMPARE(source.status(), PollingSource::Status::Ok); // partial: the data is used
    QCOMPARE(warnings.size(), 1);
    const QStringList w = warnings.first().first().toStringList();
    QCOMPARE(w.size(), 1);
    QVERIFY2(w.first().startsWith(u"remote_read: ") && w.first().contains(u"503"),
        qPrintable(w.first()));
    const HaproxySnapshot s = snapshots.first().first().value<HaproxySnapshot>();
    QVERIFY(std::any_of(s.info.fields.cbegin(), s.info.fields.cend(),
        [&](const auto &f) { return f.first == u"prometheus warning" && f.second == w.first(); }));

    // Through the monitor: the event log carries it as a warning of the load balancer.
    ClusterMonitor monitor(p);
    monitor.start();
    const auto logged = [&] {
        for (const EventLog::Entry &e : monitor.eventLog()->entries()) {
            if (e.severity == EventLog::Severity::Warning && e.source == u"lb:edge-lb"
                && e.message.startsWith(u"partial answer from Prometheus: remote_read: ")) {
                return true;
            }
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(logged(), 10000);
}

void tst_PrometheusLive::badDataQueryReportedInPlainWords()
{
    const ClusterProfile p = fixtureProfile();
    PrometheusSource source(
        QStringLiteral("lb:bad"), p.prometheusUrl, QStringLiteral("job=~\"(\""), m_nam.get());
    source.setTimeoutMs(3000);
    QSignalSpy errors(&source, &PollingSource::errorOccurred);
    source.start();
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 10000);
    const SourceError e = errors.first().first().value<SourceError>();
    QCOMPARE(e.kind, SourceError::Kind::Config);
    QCOMPARE(e.source, QStringLiteral("lb:bad"));
    const QString expected = QStringLiteral(
        "POST %1/api/v1/query: Prometheus rejected the query as malformed (bad_data): ")
                                 .arg(p.prometheusUrl.toString());
    QVERIFY2(e.message.startsWith(expected), qPrintable(e.message));
    QVERIFY2(
        e.message.contains(u"error parsing regexp"), qPrintable(e.message)); // Prometheus's words
    QCOMPARE(e.detail, QStringLiteral("HTTP 400"));
    QCOMPARE(source.status(), PollingSource::Status::Failing);
}

void tst_PrometheusLive::missingBearerTokenIsAnAuthError()
{
    const ClusterProfile p = fixtureProfile();
    PrometheusSource source(QStringLiteral("lb:tok"), p.prometheusUrl, {}, m_nam.get());
    qunsetenv("HOPSCOPE_TEST_NO_SUCH_TOKEN");
    source.setBearerToken(*SecretRef::parse(u"env:HOPSCOPE_TEST_NO_SUCH_TOKEN"));
    QSignalSpy errors(&source, &PollingSource::errorOccurred);
    source.start();
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 10000);
    const SourceError e = errors.first().first().value<SourceError>();
    QCOMPARE(e.kind, SourceError::Kind::Auth);
    QVERIFY2(e.message.startsWith(u"bearer token env:HOPSCOPE_TEST_NO_SUCH_TOKEN: "),
        qPrintable(e.message));
}

void tst_PrometheusLive::prometheusKilledTurnsSourcesStale()
{
    ClusterMonitor monitor(fixtureProfile());
    monitor.start();
    QTRY_VERIFY_WITH_TIMEOUT(statesAsExpected(monitor.topology()), 20000);

    QVERIFY(peer(QStringLiteral("kill")));
    const auto staleWithReason = [&] {
        const Topology &t = monitor.topology();
        const LoadBalancerNode &lb = t.loadBalancers.first();
        if (lb.health != Health::Stale || !lb.reason.contains(u"Connection refused")) {
            return false;
        }
        const ServiceNode *app = t.service(QStringLiteral("app"));
        return std::all_of(app->targets.cbegin(), app->targets.cend(), [](const TargetNode &n) {
            return n.health == Health::Stale;
        }) && app->health == Health::Stale;
    };
    QTRY_VERIFY_WITH_TIMEOUT(staleWithReason(), 15000);
    const Topology &t = monitor.topology();
    QVERIFY2(t.loadBalancers.first().reason.startsWith(u"stale since "),
        qPrintable(t.loadBalancers.first().reason));
    QCOMPARE(t.errors.size(), 1);
    QCOMPARE(t.errors.first().source, QStringLiteral("lb:edge-lb"));
    QCOMPARE(t.errors.first().kind, SourceError::Kind::Network);
    QVERIFY2(
        t.errors.first().message.startsWith(QStringLiteral("POST %1/api/v1/query: ")
                                                .arg(monitor.profile().prometheusUrl.toString())),
        qPrintable(t.errors.first().message));
    // The reason says which source and why, for each target.
    const TargetNode *n = t.target(QStringLiteral("app"), QStringLiteral("be_app/app1"));
    QVERIFY2(n->reason.contains(u"lb:edge-lb"), qPrintable(n->reason));

    // Back: the same states again, from the same (restarted) Prometheus.
    QVERIFY(peer(QStringLiteral("start")));
    QTRY_VERIFY_WITH_TIMEOUT(statesAsExpected(monitor.topology()), 30000);
    QCOMPARE(monitor.topology().loadBalancers.first().health, Health::Healthy);
}

QTEST_GUILESS_MAIN(tst_PrometheusLive)
#include "tst_PrometheusLive.moc"
