// Run-time fallback to Prometheus (fixture peers_prometheus: a real Prometheus 2.42 scraping the
// fixture's HAProxy promex endpoint and its own Envoy emulator sidecar). A profile with both the
// load balancer's runtime socket and prometheus.url reads the socket; when the socket goes away
// (renamed, HAProxy keeps running and Prometheus keeps scraping it) the same server states come
// through Prometheus with the reason "edge-lb runtime unreachable; reading Prometheus", and the
// socket back, it is read directly again. Likewise a sidecar whose admin API stops answering (a
// fault proxy resets every connection) is read from Prometheus and directly again once it
// answers. On every picture, no server that is not UP is ever shown healthy.

#include "PrometheusFixture.h"

#include "FaultProxy.h"

#include "core/EventLog.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "ops/DrainPlanner.h"
#include "topology/ClusterMonitor.h"

#include <QJsonArray>
#include <QTest>

#include <algorithm>

using namespace hopscope;

namespace {

// The runtime socket moved out of the way for a while (HAProxy still listens on the renamed
// path); put back by restore() or at the latest by the destructor.
class SocketAway
{
public:
    explicit SocketAway(QString path)
        : m_path(std::move(path))
    { }
    ~SocketAway() { restore(); }
    bool hide()
    {
        m_away = QFile::rename(m_path, m_path + QStringLiteral(".away"));
        return m_away;
    }
    bool restore()
    {
        if (m_away && QFile::rename(m_path + QStringLiteral(".away"), m_path)) {
            m_away = false;
            return true;
        }
        return !m_away;
    }

private:
    QString m_path;
    bool m_away = false;
};

// be_app/<server> -> health, over the service's targets (direct: keyed by address; through
// Prometheus: by name).
QMap<QString, Health> byServer(const Topology &t)
{
    QMap<QString, Health> m;
    if (const ServiceNode *app = t.service(QStringLiteral("app"))) {
        for (const TargetNode &n : app->targets) {
            m.insert(n.lbServer, n.health);
        }
    }
    return m;
}

const QMap<QString, Health> &expected()
{
    static const QMap<QString, Health> e { { QStringLiteral("be_app/app1"), Health::Healthy },
        { QStringLiteral("be_app/app2"), Health::Drained },
        { QStringLiteral("be_app/app3"), Health::Down },
        { QStringLiteral("be_app/app4"), Health::Maintenance },
        // `weight 0`: UP to HAProxy and promex, drained whichever way it is read
        { QStringLiteral("be_app/app5"), Health::Drained } };
    return e;
}

// Every target has an address (read over the runtime socket) or none (names from Prometheus).
bool allAddressed(const Topology &t, bool addressed)
{
    const ServiceNode *app = t.service(QStringLiteral("app"));
    return app && !app->targets.isEmpty()
        && std::all_of(app->targets.cbegin(), app->targets.cend(),
            [&](const TargetNode &n) { return (n.port != 0) == addressed; });
}

bool logged(ClusterMonitor &monitor, EventLog::Severity severity, const QString &source,
    const QString &start, const QString &end = {})
{
    const auto &entries = monitor.eventLog()->entries();
    return std::any_of(entries.cbegin(), entries.cend(), [&](const EventLog::Entry &e) {
        return e.severity == severity && e.source == source && e.message.startsWith(start)
            && e.message.endsWith(end);
    });
}

} // namespace

class tst_PrometheusFallbackLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void loadBalancerReadFromPrometheusWhileRuntimeSocketIsAway();
    void sidecarReadFromPrometheusWhileAdminDoesNotAnswer();

private:
    QJsonObject m_state;
    QTemporaryDir m_tmp;
};

void tst_PrometheusFallbackLive::initTestCase()
{
    QVERIFY2(!promfixture::dir().isEmpty(), "HOPSCOPE_PROM_DIR is not set (run through ctest)");
    m_state = promfixture::state();
    QVERIFY2(!m_state.isEmpty(), "no prometheus.json: the peers_prometheus fixture did not start");
    QVERIFY(m_tmp.isValid());
}

void tst_PrometheusFallbackLive::loadBalancerReadFromPrometheusWhileRuntimeSocketIsAway()
{
    const QString socket = m_state[u"haproxy"][u"socket"].toString();
    QVERIFY2(QFile::exists(socket), qPrintable(socket));
    const QJsonObject json {
        { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("runtime with Prometheus standing in") },
        { QStringLiteral("poll"),
            QJsonObject {
                { QStringLiteral("intervalMs"), 500 }, { QStringLiteral("timeoutMs"), 1500 } } },
        { QStringLiteral("services"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("app") },
                { QStringLiteral("name"), QStringLiteral("app") } } } },
        { QStringLiteral("loadBalancers"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("edge-lb") },
                { QStringLiteral("kind"), QStringLiteral("haproxy") },
                { QStringLiteral("runtime"), QString(QStringLiteral("unix:") + socket) },
                { QStringLiteral("prometheusSelector"), QStringLiteral("job=\"haproxy\"") },
                { QStringLiteral("routes"),
                    QJsonArray {
                        QJsonObject { { QStringLiteral("pathPrefix"), QStringLiteral("/") },
                            { QStringLiteral("backend"), QStringLiteral("be_app") },
                            { QStringLiteral("service"), QStringLiteral("app") } } } } } } },
        { QStringLiteral("edges"), QJsonArray {} },
        { QStringLiteral("prometheus"),
            QJsonObject { { QStringLiteral("url"), promfixture::prometheusUrl() } } },
    };
    QString why;
    const auto profile = promfixture::write(m_tmp, json, &why);
    QVERIFY2(profile, qPrintable(why));
    QVERIFY(!profile->loadBalancers.first().fromPrometheus);

    ClusterMonitor monitor(*profile);
    QVERIFY(qobject_cast<HaproxyRuntimeSource *>(
        monitor.loadBalancerSource(QStringLiteral("edge-lb"))));
    // Never unknown as healthy: only app1 takes traffic (app5 is UP at weight 0), whichever
    // source the picture came from.
    QStringList falselyHealthy;
    connect(&monitor, &ClusterMonitor::topologyChanged, this, [&](const Topology &t) {
        const QMap<QString, Health> m = byServer(t);
        for (auto it = m.cbegin(); it != m.cend(); ++it) {
            if (it.value() == Health::Healthy && it.key() != u"be_app/app1") {
                falselyHealthy << QStringLiteral("%1 (%2)").arg(
                    it.key(), t.loadBalancers.first().reason);
            }
        }
    });
    monitor.start();
    const auto lbReason = [&] { return monitor.topology().loadBalancers.first().reason; };

    // 1. Directly over the runtime socket.
    QTRY_VERIFY2_WITH_TIMEOUT(byServer(monitor.topology()) == expected()
            && allAddressed(monitor.topology(), true)
            && lbReason().startsWith(u"answering (HAProxy"),
        qPrintable(lbReason()), 20000);
    QVERIFY2(!lbReason().contains(u"Prometheus"), qPrintable(lbReason()));

    // 2. The socket goes away: the same states through Prometheus, with the reason.
    SocketAway away(socket);
    QVERIFY(away.hide());
    const QString note = QStringLiteral("edge-lb runtime unreachable; reading Prometheus: ");
    QTRY_VERIFY2_WITH_TIMEOUT(byServer(monitor.topology()) == expected()
            && allAddressed(monitor.topology(), false)
            && lbReason().startsWith(note + QStringLiteral("answering (HAProxy"))
            && lbReason().contains(u"via Prometheus"),
        qPrintable(lbReason()), 30000);
    QCOMPARE(monitor.topology().loadBalancers.first().health, Health::Healthy);
    QVERIFY(monitor.topology().errors.isEmpty());
    QVERIFY(logged(monitor, EventLog::Severity::Warning, QStringLiteral("lb:edge-lb"),
        QStringLiteral("edge-lb runtime unreachable ("), QStringLiteral("); reading Prometheus")));
    // A drain still needs the runtime API: the plan says so.
    const QString app1
        = QStringLiteral("127.0.0.1:%1").arg(m_state[u"haproxy"][u"check_ports"][u"app1"].toInt());
    const QString planNote
        = QStringLiteral("load balancer edge-lb is read from Prometheus (its runtime does not "
                         "answer): a drain needs "
                         "its runtime API, so it cannot be drained there until that answers");
    QVERIFY2(DrainPlanner::plan(DrainPlanInputs::fromMonitor(monitor), app1, DrainForce::No)
                 .notes.contains(planNote),
        qPrintable(DrainPlanner::plan(DrainPlanInputs::fromMonitor(monitor), app1, DrainForce::No)
                       .toText()));

    // 3. The socket back: read directly again (after the runtime source's backoff).
    QVERIFY(away.restore());
    QTRY_VERIFY2_WITH_TIMEOUT(byServer(monitor.topology()) == expected()
            && allAddressed(monitor.topology(), true)
            && lbReason().startsWith(u"answering (HAProxy"),
        qPrintable(lbReason()), 60000);
    QVERIFY2(!lbReason().contains(u"Prometheus"), qPrintable(lbReason()));
    QVERIFY(logged(monitor, EventLog::Severity::Info, QStringLiteral("lb:edge-lb"),
        QStringLiteral("edge-lb runtime answering again; Prometheus no longer read")));
    QVERIFY(!DrainPlanner::plan(DrainPlanInputs::fromMonitor(monitor), app1, DrainForce::No)
                 .notes.contains(planNote));
    QVERIFY2(falselyHealthy.isEmpty(), qPrintable(falselyHealthy.join(u"; ")));
}

void tst_PrometheusFallbackLive::sidecarReadFromPrometheusWhileAdminDoesNotAnswer()
{
    const QJsonObject fleet = m_state[u"envoy"][u"fleet-envoy"].toObject();
    const QUrl admin(fleet[u"admin_url"].toString());
    FaultProxy proxy;
    QString why;
    QVERIFY2(proxy.start(
                 { QStringLiteral("admin=http:%1:%2").arg(admin.host()).arg(admin.port()) }, &why),
        qPrintable(why));
    const QJsonObject json {
        { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("admin API with Prometheus standing in") },
        { QStringLiteral("poll"),
            QJsonObject {
                { QStringLiteral("intervalMs"), 500 }, { QStringLiteral("timeoutMs"), 1500 } } },
        { QStringLiteral("services"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("fleet") },
                { QStringLiteral("name"), QStringLiteral("fleet") } } } },
        // The admin API as this desktop reaches it (through the fault proxy); Prometheus scrapes
        // the sidecar itself, so its series are selected by that address.
        { QStringLiteral("proxies"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("fleet-envoy") },
                { QStringLiteral("kind"), QStringLiteral("envoy") },
                { QStringLiteral("admin"),
                    QString(QStringLiteral("http://") + proxy.hostPort(QStringLiteral("admin"))) },
                { QStringLiteral("prometheusSelector"),
                    QStringLiteral("instance=\"%1:%2\"").arg(admin.host()).arg(admin.port()) },
                { QStringLiteral("service"), QStringLiteral("fleet") },
                { QStringLiteral("task"), fleet[u"task"].toString() } } } },
        { QStringLiteral("edges"), QJsonArray {} },
        { QStringLiteral("prometheus"),
            QJsonObject { { QStringLiteral("url"), promfixture::prometheusUrl() } } },
    };
    const auto profile = promfixture::write(m_tmp, json, &why);
    QVERIFY2(profile, qPrintable(why));

    ClusterMonitor monitor(*profile);
    QVERIFY(monitor.sidecarSource(QStringLiteral("fleet-envoy")));
    monitor.start();
    const auto side
        = [&] { return promfixture::sidecar(monitor.topology(), QStringLiteral("fleet-envoy")); };
    QTRY_VERIFY2_WITH_TIMEOUT(side() && side()->health == Health::Healthy
            && side()->reason.startsWith(u"sidecar LIVE") && !side()->version.isEmpty(),
        side() ? qPrintable(side()->reason) : "no sidecar", 20000);

    // The admin API stops answering (every connection reset): Prometheus stands in.
    QVERIFY(proxy.set(QStringLiteral("admin"), QStringLiteral("reset")));
    const QString note = QStringLiteral("fleet-envoy admin API unreachable; reading Prometheus: ");
    QTRY_VERIFY2_WITH_TIMEOUT(side()->health == Health::Healthy
            && side()->reason.startsWith(note + QStringLiteral("sidecar LIVE")),
        qPrintable(side()->reason), 30000);
    QVERIFY(logged(monitor, EventLog::Severity::Warning, QStringLiteral("mesh:fleet-envoy"),
        QStringLiteral("fleet-envoy admin API unreachable ("),
        QStringLiteral("); reading Prometheus")));

    // It answers again: read directly.
    QVERIFY(proxy.set(QStringLiteral("admin"), QStringLiteral("pass")));
    QTRY_VERIFY2_WITH_TIMEOUT(side()->health == Health::Healthy
            && side()->reason.startsWith(u"sidecar LIVE") && !side()->version.isEmpty(),
        qPrintable(side()->reason), 60000);
    QVERIFY(logged(monitor, EventLog::Severity::Info, QStringLiteral("mesh:fleet-envoy"),
        QStringLiteral("fleet-envoy admin API answering again; Prometheus no longer read")));
}

QTEST_GUILESS_MAIN(tst_PrometheusFallbackLive)
#include "tst_PrometheusFallbackLive.moc"
