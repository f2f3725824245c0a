// The profile's Prometheus over TLS and through an SSH jump host (issue 15 §1: "TLS and via"),
// with the same wiring as every other HTTP source (TlsContext, TunnelSet). Fixtures:
// peers_prometheus (a real Prometheus 2.42, and HAProxy terminating TLS in front of it with a
// certificate of a per-run CA) and peers_ssh (a throwaway OpenSSH server on loopback). The load
// balancer is read from Prometheus only; its four server states must come through:
//   - https:// with "prometheus.tls": {"ca": ...}: verified against the per-run CA;
//   - https:// without it: refused as an unknown issuer, and nothing is shown healthy;
//   - "prometheus.via": the query goes through a local forward of the SSH session.

#include "PrometheusFixture.h"

#include "prometheus/PrometheusSource.h"
#include "topology/ClusterMonitor.h"

#include <QJsonArray>
#include <QTest>

#include <algorithm>

using namespace hopscope;

namespace {

QJsonObject sshState()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_SSH_PEER_DIR") + QStringLiteral("/state.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.read(1 << 20)).object();
}

// The fixture's load balancer from Prometheus only, with `prometheus` as the profile's section.
QJsonObject profileJson(const QJsonObject &prometheus, const QJsonArray &sshHosts = {})
{
    QJsonObject o {
        { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("prometheus reach") },
        { QStringLiteral("poll"),
            QJsonObject {
                { QStringLiteral("intervalMs"), 500 }, { QStringLiteral("timeoutMs"), 3000 } } },
        { QStringLiteral("services"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("app") },
                { QStringLiteral("name"), QStringLiteral("app") } } } },
        { QStringLiteral("loadBalancers"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("edge-lb") },
                { QStringLiteral("kind"), QStringLiteral("haproxy") },
                { QStringLiteral("source"), QStringLiteral("prometheus") },
                { QStringLiteral("prometheusSelector"), QStringLiteral("job=\"haproxy\"") },
                { QStringLiteral("routes"),
                    QJsonArray {
                        QJsonObject { { QStringLiteral("pathPrefix"), QStringLiteral("/") },
                            { QStringLiteral("backend"), QStringLiteral("be_app") },
                            { QStringLiteral("service"), QStringLiteral("app") } } } } } } },
        { QStringLiteral("edges"), QJsonArray {} },
        { QStringLiteral("prometheus"), prometheus },
    };
    if (!sshHosts.isEmpty()) {
        o.insert(QStringLiteral("sshHosts"), sshHosts);
    }
    return o;
}

Health healthOf(const Topology &t, const QString &server)
{
    const TargetNode *n = t.target(QStringLiteral("app"), QStringLiteral("be_app/") + server);
    return n ? n->health : Health::Unknown;
}

bool statesAsExpected(const Topology &t)
{
    return healthOf(t, QStringLiteral("app1")) == Health::Healthy
        && healthOf(t, QStringLiteral("app2")) == Health::Drained
        && healthOf(t, QStringLiteral("app3")) == Health::Down
        && healthOf(t, QStringLiteral("app4")) == Health::Maintenance
        && healthOf(t, QStringLiteral("app5")) == Health::Drained;
}

bool anyHealthy(const Topology &t)
{
    const ServiceNode *app = t.service(QStringLiteral("app"));
    return app && std::any_of(app->targets.cbegin(), app->targets.cend(), [](const TargetNode &n) {
        return n.health == Health::Healthy;
    });
}

} // namespace

class tst_PrometheusReach : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tlsVerifiedWithTheProfilesCa();
    void tlsWithoutTheCaIsRefused();
    void viaSshJumpHost();

private:
    QJsonObject m_state;
    QTemporaryDir m_tmp;
};

void tst_PrometheusReach::initTestCase()
{
    m_state = promfixture::state();
    QVERIFY2(!m_state.isEmpty(), "no prometheus.json: the peers_prometheus fixture did not start");
    QVERIFY(m_tmp.isValid());
}

void tst_PrometheusReach::tlsVerifiedWithTheProfilesCa()
{
    const QJsonObject tls = m_state[u"tls"].toObject();
    QString why;
    const auto profile = promfixture::write(m_tmp,
        profileJson({ { QStringLiteral("url"), tls[u"url"].toString() },
            { QStringLiteral("tls"),
                QJsonObject { { QStringLiteral("ca"),
                    QString(QStringLiteral("file:") + tls[u"ca"].toString()) } } } }),
        &why);
    QVERIFY2(profile, qPrintable(why));
    QVERIFY(profile->prometheusTls);
    ClusterMonitor monitor(*profile);
    QVERIFY(monitor.tlsContext(QStringLiteral("lb:edge-lb prometheus")));
    monitor.start();
    QTRY_VERIFY2_WITH_TIMEOUT(statesAsExpected(monitor.topology()),
        monitor.topology().errors.isEmpty() ? "no error yet"
                                            : qPrintable(monitor.topology().errors.first().message),
        20000);
    QVERIFY(monitor.topology().errors.isEmpty());
    QCOMPARE(monitor.topology().loadBalancers.first().health, Health::Healthy);
}

void tst_PrometheusReach::tlsWithoutTheCaIsRefused()
{
    const QJsonObject tls = m_state[u"tls"].toObject();
    QString why;
    const auto profile = promfixture::write(
        m_tmp, profileJson({ { QStringLiteral("url"), tls[u"url"].toString() } }), &why);
    QVERIFY2(profile, qPrintable(why));
    ClusterMonitor monitor(*profile);
    bool everHealthy = false;
    connect(&monitor, &ClusterMonitor::topologyChanged, this,
        [&](const Topology &t) { everHealthy = everHealthy || anyHealthy(t); });
    monitor.start();
    const auto refused = [&] {
        const Topology &t = monitor.topology();
        return !t.errors.isEmpty() && t.errors.first().message.contains(u"unknown issuer");
    };
    QTRY_VERIFY_WITH_TIMEOUT(refused(), 20000);
    const Topology &t = monitor.topology();
    QCOMPARE(t.errors.first().source, QStringLiteral("lb:edge-lb"));
    QCOMPARE(t.loadBalancers.first().health, Health::Down);
    QVERIFY(!everHealthy);
}

void tst_PrometheusReach::viaSshJumpHost()
{
    const QJsonObject ssh = sshState();
    QVERIFY2(ssh.contains(u"port"), "no ssh state.json: the peers_ssh fixture did not start");
    const QJsonArray hosts { QJsonObject { { QStringLiteral("id"), QStringLiteral("jump") },
        { QStringLiteral("host"), QStringLiteral("127.0.0.1") },
        { QStringLiteral("port"), ssh[u"port"].toInt() },
        { QStringLiteral("user"), ssh[u"user"].toString() },
        { QStringLiteral("identity"),
            QString(QStringLiteral("file:") + ssh[u"user_key"].toString()) },
        { QStringLiteral("hostKey"), ssh[u"host_key_fingerprint"].toString() } } };
    const QUrl url(promfixture::prometheusUrl());
    QString why;
    const auto profile = promfixture::write(m_tmp,
        profileJson({ { QStringLiteral("url"), url.toString() },
                        { QStringLiteral("via"), QStringLiteral("jump") } },
            hosts),
        &why);
    QVERIFY2(profile, qPrintable(why));
    QCOMPARE(profile->prometheusVia, QStringLiteral("jump"));
    ClusterMonitor monitor(*profile);
    auto *prom
        = qobject_cast<PrometheusSource *>(monitor.loadBalancerSource(QStringLiteral("edge-lb")));
    QVERIFY(prom);
    // The query goes to a local forward of the SSH session, not to Prometheus's own port.
    QVERIFY2(prom->queryUrl().port() != url.port(), qPrintable(prom->queryUrl().toString()));
    monitor.start();
    QTRY_VERIFY2_WITH_TIMEOUT(statesAsExpected(monitor.topology()),
        monitor.topology().errors.isEmpty() ? "no error yet"
                                            : qPrintable(monitor.topology().errors.first().message),
        30000);
    QCOMPARE(monitor.topology().loadBalancers.first().health, Health::Healthy);
}

QTEST_GUILESS_MAIN(tst_PrometheusReach)
#include "tst_PrometheusReach.moc"
