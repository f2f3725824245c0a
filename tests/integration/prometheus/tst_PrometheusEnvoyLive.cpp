// Envoy sidecars through a real Prometheus 2.42 (fixture peers_prometheus: it scrapes the demo
// harness's three sidecars and one of its own, all Envoy emulators, at /stats/prometheus). The
// fixture's profile prometheus-envoy.hopscope.json reads every sidecar from Prometheus only
// ("source": "prometheus", selected by the instance label of its admin address): they come out
// LIVE; each sidecar's clusters, matched by name, have the membership its own admin API reports
// at the same time (a cluster with an unhealthy host among them); the fixture's own sidecar turns
// DRAINING through Prometheus when its health check is failed, and LIVE again after.

#include "PrometheusFixture.h"

#include "envoy/EnvoyAdminSource.h"
#include "prometheus/PrometheusEnvoy.h"
#include "prometheus/PrometheusSource.h"
#include "topology/ClusterMonitor.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace hopscope;

namespace {

struct Membership
{
    quint64 healthy = 0;
    quint64 total = 0;
    bool operator==(const Membership &o) const { return healthy == o.healthy && total == o.total; }
};

// cluster name -> membership, from a snapshot's /stats view (direct) or its series (Prometheus).
QMap<QString, Membership> membership(const EnvoyAdminSnapshot &s)
{
    QMap<QString, Membership> m;
    if (!s.stats) {
        return m;
    }
    for (const EnvoyTrafficStats &c : s.stats->clusters) {
        if (c.membershipTotal) {
            m.insert(c.name, { c.membershipHealthy.value_or(0), *c.membershipTotal });
        }
    }
    return m;
}

QString describe(const QMap<QString, Membership> &m)
{
    QStringList parts;
    for (auto it = m.cbegin(); it != m.cend(); ++it) {
        parts << QStringLiteral("%1 %2/%3").arg(it.key()).arg(it->healthy).arg(it->total);
    }
    return parts.join(QStringLiteral(", "));
}

bool allLive(const Topology &t, int expected)
{
    return t.sidecars.size() == expected
        && std::all_of(t.sidecars.cbegin(), t.sidecars.cend(), [](const SidecarNode &s) {
               return s.health == Health::Healthy && s.reason.startsWith(u"sidecar LIVE");
           });
}

} // namespace

class tst_PrometheusEnvoyLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sidecarsLiveThroughPrometheus();
    void clustersMatchTheAdminApiByName();
    void ownSidecarDrainingThroughPrometheus();

private:
    ClusterProfile m_profile;
    QJsonObject m_envoy; // id -> {admin_url, service, task, own}
};

void tst_PrometheusEnvoyLive::initTestCase()
{
    QVERIFY2(!promfixture::dir().isEmpty(), "HOPSCOPE_PROM_DIR is not set (run through ctest)");
    const QJsonObject st = promfixture::state();
    QVERIFY2(!st.isEmpty(), "no prometheus.json: the peers_prometheus fixture did not start");
    m_envoy = st[u"envoy"].toObject();
    // The demo's sidecars (fixture started with --demo-dir) and the fixture's own.
    QVERIFY2(m_envoy.size() >= 2 && m_envoy.contains(u"fleet-envoy"),
        QJsonDocument(m_envoy).toJson().constData());
    QString why;
    const auto p = promfixture::load(st[u"envoy_profile"].toString(), &why);
    QVERIFY2(p, qPrintable(why));
    m_profile = *p;
    QCOMPARE(m_profile.proxies.size(), m_envoy.size());
}

void tst_PrometheusEnvoyLive::sidecarsLiveThroughPrometheus()
{
    ClusterMonitor monitor(m_profile);
    for (const ProxySpec &px : m_profile.proxies) {
        QVERIFY(px.fromPrometheus);
        QVERIFY(!monitor.sidecarSource(px.id)); // no admin source: Prometheus only
    }
    monitor.start();
    const int n = int(m_profile.proxies.size());
    QTRY_VERIFY_WITH_TIMEOUT(allLive(monitor.topology(), n), 20000);
    const Topology &t = monitor.topology();
    QVERIFY2(t.errors.isEmpty(), t.errors.isEmpty() ? "" : qPrintable(t.errors.first().message));
    for (const ProxySpec &px : m_profile.proxies) {
        const TargetNode *own = t.target(px.service, px.task.toString());
        QVERIFY2(own, qPrintable(px.id));
        QCOMPARE(own->sidecar, px.id);
        QCOMPARE(own->health, Health::Healthy);
    }
}

void tst_PrometheusEnvoyLive::clustersMatchTheAdminApiByName()
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    const QUrl prometheus(promfixture::prometheusUrl());
    bool sawUnhealthyHost = false;
    for (auto it = m_envoy.constBegin(); it != m_envoy.constEnd(); ++it) {
        const QUrl admin(it->toObject()[u"admin_url"].toString());
        PrometheusSource prom(QStringLiteral("mesh:") + it.key(), PrometheusSource::Target::Envoy,
            prometheus, prometheusenvoy::instanceSelector(admin), &nam);
        EnvoyAdminSource direct(QStringLiteral("mesh:") + it.key(), admin, &nam);
        for (PollingSource *s :
            { static_cast<PollingSource *>(&prom), static_cast<PollingSource *>(&direct) }) {
            s->setIntervalMs(500);
            s->setTimeoutMs(3000);
            s->start();
        }
        // Prometheus scrapes every second: the two agree once a scrape after the last change of
        // health is in (health checks settle within the fixture's start-up).
        const auto agree = [&] {
            if (prom.status() != PollingSource::Status::Ok || !direct.hasSnapshot()) {
                return false;
            }
            const auto m = membership(prom.envoySnapshot());
            return !m.isEmpty() && m == membership(direct.snapshot());
        };
        QTRY_VERIFY2_WITH_TIMEOUT(agree(),
            qPrintable(QStringLiteral("%1: Prometheus [%2] admin API [%3] (%4)")
                           .arg(it.key(), describe(membership(prom.envoySnapshot())),
                               describe(membership(direct.snapshot())), prom.lastError().message)),
            20000);
        const EnvoyAdminSnapshot s = prom.envoySnapshot();
        QCOMPARE(s.serverInfo.stateName, direct.snapshot().serverInfo.stateName);
        // The hosts Prometheus implies: as many as the membership, the unhealthy ones failing
        // their active health check; the names are the admin API's cluster names.
        const auto m = membership(s);
        for (const EnvoyCluster &c : s.clusters.clusters) {
            QVERIFY2(m.contains(c.name), qPrintable(c.name));
            QCOMPARE(quint64(c.hosts.size()), m.value(c.name).total);
            const auto healthy = std::count_if(
                c.hosts.cbegin(), c.hosts.cend(), [](const EnvoyHost &h) { return h.isHealthy(); });
            QCOMPARE(quint64(healthy), m.value(c.name).healthy);
            sawUnhealthyHost = sawUnhealthyHost || quint64(healthy) < m.value(c.name).total;
        }
    }
    QVERIFY2(sawUnhealthyHost, "no cluster with an unhealthy host: the comparison proves less");
}

void tst_PrometheusEnvoyLive::ownSidecarDrainingThroughPrometheus()
{
    const QString admin = m_envoy[u"fleet-envoy"][u"admin_url"].toString();
    struct Restore
    {
        QString admin;
        ~Restore() { promfixture::adminPost(admin + QStringLiteral("/healthcheck/ok")); }
    } restore { admin };

    ClusterMonitor monitor(m_profile);
    monitor.start();
    const auto fleet
        = [&] { return promfixture::sidecar(monitor.topology(), QStringLiteral("fleet-envoy")); };
    QTRY_VERIFY_WITH_TIMEOUT(fleet() && fleet()->health == Health::Healthy, 20000);

    QVERIFY(promfixture::adminPost(admin + QStringLiteral("/healthcheck/fail")));
    QTRY_VERIFY2_WITH_TIMEOUT(
        (fleet()->health == Health::Draining || fleet()->health == Health::Drained)
            && fleet()->reason.contains(u"DRAINING"),
        qPrintable(fleet()->reason), 20000);

    QVERIFY(promfixture::adminPost(admin + QStringLiteral("/healthcheck/ok")));
    QTRY_VERIFY2_WITH_TIMEOUT(
        fleet()->health == Health::Healthy, qPrintable(fleet()->reason), 20000);
}

QTEST_GUILESS_MAIN(tst_PrometheusEnvoyLive)
#include "tst_PrometheusEnvoyLive.moc"
