// An Envoy sidecar read through Prometheus (model/prometheus/PrometheusEnvoy) mapped onto the
// EnvoyAdminSnapshot the admin source produces, then through TopologyBuilder: envoy_server_state
// to LIVE / DRAINING, cluster membership to address-less hosts (a failing local app shows),
// traffic counters to the stats, two instances refused, nothing scraped an error.

#include "profile/ProfileStore.h"
#include "prometheus/PrometheusEnvoy.h"
#include "prometheus/PrometheusEnvoyBatch.h"
#include "prometheus/PrometheusResponse.h"
#include "topology/TopologyBuilder.h"

#include <QTest>

using namespace hopscope;

namespace {

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

// A sidecar of service "order" on 127.0.0.1:18093 whose local app cluster has `healthy` of 1.
QList<S> sidecar(const char *state, const char *healthy)
{
    return {
        { "envoy_server_state", { { "instance", "127.0.0.1:9901" } }, state },
        { "envoy_server_live", { { "instance", "127.0.0.1:9901" } }, "1" },
        { "envoy_cluster_membership_total",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "local_app" } }, "1" },
        { "envoy_cluster_membership_healthy",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "local_app" } }, healthy },
        { "envoy_cluster_membership_total",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "payments" } }, "3" },
        { "envoy_cluster_membership_healthy",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "payments" } }, "2" },
        { "envoy_cluster_upstream_cx_active",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "payments" } }, "4" },
        { "envoy_cluster_upstream_rq_total",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "payments" } }, "120" },
        { "envoy_cluster_upstream_rq_xx",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "payments" },
                { "envoy_response_code_class", "5" } },
            "7" },
        { "envoy_cluster_outlier_detection_ejections_active",
            { { "instance", "127.0.0.1:9901" }, { "envoy_cluster_name", "payments" } }, "1" },
        { "envoy_http_downstream_cx_active",
            { { "instance", "127.0.0.1:9901" },
                { "envoy_http_conn_manager_prefix", "ingress_http" } },
            "0" },
    };
}

Topology build(const EnvoyAdminSnapshot &snap)
{
    const ProfileLoadResult r
        = ProfileStore::parse("{\"schema\": 1, \"name\": \"p\", \"services\": [{\"id\": \"order\", "
                              "\"name\": \"order\"}], "
                              "\"prometheus\": {\"url\": \"http://127.0.0.1:9\"}, \"proxies\": "
                              "[{\"id\": \"order-1-envoy\", "
                              "\"kind\": \"envoy\", \"source\": \"prometheus\", "
                              "\"prometheusSelector\": \"instance=\\\"127.0.0.1:9901\\\"\", "
                              "\"service\": \"order\", \"task\": \"127.0.0.1:18093\"}]}");
    if (!r.ok()) {
        qFatal("profile: %s", qPrintable(r.problems.first().toString()));
    }
    TopologyInputs in;
    in.now = QDateTime::currentDateTimeUtc();
    in.mesh.insert(QStringLiteral("order-1-envoy"), snap);
    SourceState st;
    st.hasData = true;
    st.stale = false;
    st.lastSuccess = in.now;
    in.meshState.insert(QStringLiteral("order-1-envoy"), st);
    return TopologyBuilder::build(*r.profile, in);
}

} // namespace

class tst_PrometheusEnvoy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void liveSidecar();
    void drainingSidecar();
    void failingLocalApp();
    void twoInstancesAreRefused();
    void nothingScrapedIsAnError();
    void queryCarriesTheSelector();
    void batchSplitsOneLabelSelectors();
};

void tst_PrometheusEnvoy::liveSidecar()
{
    const auto snap = prometheusenvoy::snapshot(vector(sidecar("0", "1")));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(snap->serverInfo.state, EnvoyServerInfo::State::Live);
    QCOMPARE(snap->readyHttpStatus, 200);
    QVERIFY(snap->stats);
    QCOMPARE(snap->stats->value(u"cluster.payments.upstream_rq_5xx"), std::optional<quint64>(7));
    QCOMPARE(snap->stats->value(u"cluster.payments.outlier_detection.ejections_active"),
        std::optional<quint64>(1));
    QCOMPARE(
        snap->stats->value(u"cluster.payments.upstream_rq_total"), std::optional<quint64>(120));
    QCOMPARE(snap->clusters.clusters.size(), 2);
    const EnvoyCluster &payments = snap->clusters.clusters.at(1);
    QCOMPARE(payments.name, QStringLiteral("payments"));
    QCOMPARE(payments.hosts.size(), 3);
    QCOMPARE(std::count_if(payments.hosts.cbegin(), payments.hosts.cend(),
                 [](const EnvoyHost &h) { return h.isHealthy(); }),
        2);
    const Topology t = build(*snap);
    QCOMPARE(t.sidecars.first().health, Health::Healthy);
    const TargetNode *own = t.target(QStringLiteral("order"), QStringLiteral("127.0.0.1:18093"));
    QVERIFY(own);
    QCOMPARE(own->health, Health::Healthy);
    QCOMPARE(
        t.service(QStringLiteral("order"))->targets.size(), 1); // no address-less upstream targets
}

void tst_PrometheusEnvoy::drainingSidecar()
{
    const auto snap = prometheusenvoy::snapshot(vector(sidecar("1", "1")));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(snap->serverInfo.stateName, QStringLiteral("DRAINING"));
    QCOMPARE(snap->readyHttpStatus, 503);
    const Topology t = build(*snap);
    const TargetNode *own = t.target(QStringLiteral("order"), QStringLiteral("127.0.0.1:18093"));
    QCOMPARE(own->health, Health::Drained); // 0 downstream connections
}

void tst_PrometheusEnvoy::failingLocalApp()
{
    const auto snap = prometheusenvoy::snapshot(vector(sidecar("0", "0")));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    const Topology t = build(*snap);
    const TargetNode *own = t.target(QStringLiteral("order"), QStringLiteral("127.0.0.1:18093"));
    QCOMPARE(own->health, Health::Down);
    QVERIFY2(own->reason.contains(u"local app failing"), qPrintable(own->reason));
}

void tst_PrometheusEnvoy::twoInstancesAreRefused()
{
    const auto snap = prometheusenvoy::snapshot(vector({
        { "envoy_server_state", { { "instance", "a:9901" } }, "0" },
        { "envoy_server_state", { { "instance", "b:9901" } }, "0" },
    }));
    QVERIFY(!snap);
    QVERIFY2(snap.errorText().startsWith(u"series from 2 Envoy instances (a:9901, b:9901)"),
        qPrintable(snap.errorText()));
}

void tst_PrometheusEnvoy::nothingScrapedIsAnError()
{
    const auto snap = prometheusenvoy::snapshot(vector({}));
    QVERIFY(!snap);
    QVERIFY(snap.errorText().startsWith(u"Prometheus has no envoy_server_state series"));
}

void tst_PrometheusEnvoy::queryCarriesTheSelector()
{
    const QString q = prometheusenvoy::query(QStringLiteral("instance=\"x:9901\""));
    QCOMPARE(q.count(QStringLiteral(",instance=\"x:9901\"}")), 2);
    QVERIFY(q.contains(u"envoy_response_code_class=\"5\""));
}

// Sidecars selected by one equality matcher share a query round (PrometheusEnvoyBatch); any
// other selector asks on its own. The round's regex matches the values literally.
void tst_PrometheusEnvoy::batchSplitsOneLabelSelectors()
{
    const QUrl admin(QStringLiteral("http://10.0.3.41:9901"));
    const auto one = PrometheusEnvoyBatch::splitSelector(prometheusenvoy::instanceSelector(admin));
    QVERIFY(one);
    QCOMPARE(one->first, QStringLiteral("instance"));
    QCOMPARE(one->second, admin.authority());
    const auto quoted = PrometheusEnvoyBatch::splitSelector(QStringLiteral(R"( pod = "a\"b\\c" )"));
    QVERIFY(quoted);
    QCOMPARE(quoted->second, QStringLiteral(R"(a"b\c)"));
    for (const char *other : { R"(job="envoy",instance="a:1")", R"(instance=~"a.*")",
             R"(instance!="a")", R"(__name__="x")", "", R"(pod="a\nb")" }) {
        QVERIFY2(!PrometheusEnvoyBatch::splitSelector(QString::fromLatin1(other)), other);
    }
    const QString q = PrometheusEnvoyBatch::query(
        QStringLiteral("instance"), { QStringLiteral("10.0.0.2:80"), QStringLiteral("a+b") });
    // Sorted, dots and pluses escaped for RE2, the backslashes escaped again for PromQL.
    QVERIFY2(q.contains(QStringLiteral(R"(instance=~"10\\.0\\.0\\.2:80|a\\+b")")), qPrintable(q));
    QCOMPARE(q.count(QStringLiteral("instance=~")), 2); // both halves of the query
}

QTEST_GUILESS_MAIN(tst_PrometheusEnvoy)
#include "tst_PrometheusEnvoy.moc"
