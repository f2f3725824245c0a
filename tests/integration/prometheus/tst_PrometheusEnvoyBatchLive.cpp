// Sidecars read from a REAL Prometheus 2.42 share one query round (issue 15, fleet scale;
// PrometheusEnvoyBatch): the fixture's prometheus-envoy profile (every scraped sidecar through
// Prometheus, selected by instance) plus a sidecar Prometheus never scraped. Prometheus's own
// request counter (prometheus_http_requests_total{handler="/api/v1/query"}, read at /metrics,
// which is not that handler) shows one query answering every sidecar's first poll and about one
// round an interval after that (one query per sidecar per interval before); the sidecar missing
// from the answer is the only one without data, with the reason, while the others are LIVE.

#include "PrometheusFixture.h"

#include "topology/ClusterMonitor.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QTest>

#include <algorithm>

using namespace hopscope;

namespace {

// Query API requests Prometheus has answered so far (every status code); -1 when unreadable.
double queryRequests()
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request { QUrl(promfixture::prometheusUrl() + QStringLiteral("/metrics")) };
    request.setTransferTimeout(5000);
    QNetworkReply *reply = nam.get(request);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !done.wait(10000)) {
        reply->deleteLater();
        return -1;
    }
    const QByteArray body = reply->read(8 * 1024 * 1024);
    reply->deleteLater();
    double total = -1;
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith("prometheus_http_requests_total{")
            && line.contains("handler=\"/api/v1/query\"")) {
            total = std::max(total, 0.0) + line.mid(line.lastIndexOf(' ') + 1).toDouble();
        }
    }
    return total;
}

} // namespace

class tst_PrometheusEnvoyBatchLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void oneQueryRoundForEverySidecar();

private:
    ClusterProfile m_profile;
    QTemporaryDir m_tmp;
};

void tst_PrometheusEnvoyBatchLive::initTestCase()
{
    const QJsonObject st = promfixture::state();
    QVERIFY2(!st.isEmpty(), "no prometheus.json: is the peers_prometheus fixture up?");
    QFile f(st[u"envoy_profile"].toString());
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
    QJsonObject json = QJsonDocument::fromJson(f.read(1 << 20)).object();
    QJsonArray proxies = json[u"proxies"].toArray();
    QVERIFY(proxies.size() >= 2);
    // A sidecar at an address Prometheus does not scrape: no series of its own in the answer.
    QJsonObject ghost = proxies.first().toObject();
    ghost[u"id"] = QStringLiteral("ghost");
    ghost[u"admin"] = QStringLiteral("http://127.0.0.1:9");
    ghost[u"task"] = QStringLiteral("127.0.0.1:9");
    proxies.append(ghost);
    json[u"proxies"] = proxies;
    QVERIFY(m_tmp.isValid());
    QString why;
    const auto p = promfixture::write(m_tmp, json, &why);
    QVERIFY2(p, qPrintable(why));
    m_profile = *p;
}

void tst_PrometheusEnvoyBatchLive::oneQueryRoundForEverySidecar()
{
    const double before = queryRequests();
    QVERIFY2(before >= 0, "no prometheus_http_requests_total at /metrics");
    ClusterMonitor monitor(m_profile);
    monitor.start();
    const int n = int(m_profile.proxies.size());
    const auto node
        = [&](const QString &id) { return promfixture::sidecar(monitor.topology(), id); };
    // Every sidecar has had its first poll answered: LIVE, or (the ghost) failing with why.
    const auto answered = [&] {
        const Topology &t = monitor.topology();
        return t.sidecars.size() == n
            && std::all_of(t.sidecars.cbegin(), t.sidecars.cend(), [](const SidecarNode &s) {
                   return s.id == u"ghost" ? s.reason.contains(u"envoy_server_state")
                                           : s.reason.startsWith(u"sidecar LIVE");
               });
    };
    QTRY_VERIFY2_WITH_TIMEOUT(answered(),
        qPrintable(node(QStringLiteral("ghost")) ? node(QStringLiteral("ghost"))->reason
                                                 : QStringLiteral("no ghost node")),
        20000);
    const double first = queryRequests();
    // One query for the first polls of all n sidecars (one per sidecar before).
    QCOMPARE(first - before, 1.0);
    for (const SidecarNode &s : monitor.topology().sidecars) {
        if (s.id == u"ghost") {
            QVERIFY2(s.health != Health::Healthy, qPrintable(s.reason));
            QVERIFY2(s.reason.contains(u"no envoy_server_state series"), qPrintable(s.reason));
        } else {
            QVERIFY2(s.health == Health::Healthy, qPrintable(s.id + u": " + s.reason));
        }
    }
    // Then about one round an interval, whatever the number of sidecars (each sidecar still
    // polls every interval: the ghost too, with its backoff).
    QElapsedTimer window;
    window.start();
    QSignalSpy rounds(&monitor, &ClusterMonitor::roundCompleted);
    QTRY_VERIFY_WITH_TIMEOUT(rounds.size() >= 3, 30000);
    const double later = queryRequests();
    const double intervals = double(window.elapsed()) / m_profile.poll.intervalMs;
    QVERIFY2(later - first <= intervals + 2,
        qPrintable(QStringLiteral("%1 queries in %2 intervals for %3 sidecars")
                       .arg(later - first)
                       .arg(intervals)
                       .arg(n)));
    QVERIFY2(answered(), "a sidecar lost its data or its reason");
}

QTEST_GUILESS_MAIN(tst_PrometheusEnvoyBatchLive)
#include "tst_PrometheusEnvoyBatchLive.moc"
