#include "EnvoyTestData.h"

#include "envoy/EnvoyStatsParser.h"

#include <QRegularExpression>
#include <QtTest>

using namespace hopscope;

// Parses /stats captured from the emulator (text, JSON, JSON with the poll's filter) and checks
// the derived per-cluster, per-listener and per-HTTP-manager connection and request counts.
class tst_EnvoyStatsParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void derives_data();
    void derives();
    void filterMatchesWhatItDerives();
};

void tst_EnvoyStatsParser::derives_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("minValues");
    QTest::addColumn<QString>("cluster");
    QTest::addColumn<qint64>("membershipTotal");
    QTest::addColumn<QString>("listener");
    QTest::addColumn<QString>("httpManager");

    const QString payments
        = QStringLiteral("payments.default.dc1.internal.5f1c2d3e-hopscope-demo.consul");
    QTest::newRow("emulator-text-with-histograms")
        << "emulator_stats.txt" << 90 << payments << qint64(2) << "127.6.223.51_50105"
        << "upstream.payments";
    QTest::newRow("emulator-json-with-histograms")
        << "emulator_stats.json" << 90 << payments << qint64(2) << "127.6.223.51_50105"
        << "upstream.payments";
    QTest::newRow("emulator-json-poll-filter")
        << "emulator_stats_filtered.json" << 10 << payments << qint64(2) << "127.6.223.51_50105"
        << "upstream.payments";
}

void tst_EnvoyStatsParser::derives()
{
    QFETCH(QString, file);
    QFETCH(int, minValues);
    QFETCH(QString, cluster);
    QFETCH(qint64, membershipTotal);
    QFETCH(QString, listener);
    QFETCH(QString, httpManager);

    const auto parsed = EnvoyStatsParser::parse(envoyTestData(file));
    QVERIFY2(parsed.ok(), qPrintable(parsed.errorText()));
    QVERIFY2(
        parsed->values.size() >= minValues, qPrintable(QString::number(parsed->values.size())));
    QCOMPARE(parsed->serverState, std::optional<quint64>(0));
    const EnvoyTrafficStats *c = nullptr;
    for (const auto &t : parsed->clusters) {
        if (t.name == cluster) {
            c = &t;
        }
    }
    QVERIFY2(c, qPrintable(cluster));
    QCOMPARE(c->membershipTotal, std::optional<quint64>(quint64(membershipTotal)));
    QVERIFY(c->cxActive && c->rqActive && c->rqTotal);
    QCOMPARE(c->rqTotal, parsed->value(QString(u"cluster." + cluster + u".upstream_rq_total")));
    bool haveListener = false;
    for (const auto &t : parsed->listeners) {
        haveListener |= t.name == listener && t.cxActive.has_value();
        QVERIFY2(!t.name.contains(u"worker_"), qPrintable(t.name));
    }
    QVERIFY2(haveListener, qPrintable(listener));
    bool haveHttp = false;
    for (const auto &t : parsed->httpManagers) {
        haveHttp |= t.name == httpManager && t.rqTotal.has_value() && t.rqActive.has_value();
    }
    QVERIFY2(haveHttp, qPrintable(httpManager));
}

void tst_EnvoyStatsParser::filterMatchesWhatItDerives()
{
    const QRegularExpression filter(EnvoyStatsParser::pollFilter());
    QVERIFY2(filter.isValid(), qPrintable(filter.errorString()));
    QVERIFY(filter.match(u"cluster.outbound|80||a.b.upstream_rq_total").hasMatch());
    QVERIFY(filter.match(u"listener.0.0.0.0_15001.downstream_cx_active").hasMatch());
    QVERIFY(filter.match(u"http.inbound_0.0.0.0_8080.downstream_rq_active").hasMatch());
    QVERIFY(filter.match(u"server.state").hasMatch());
    QVERIFY(!filter.match(u"cluster.a.upstream_rq_2xx").hasMatch());
    // model/traffic/: 5xx (class and codes) and the request-time histogram's quantiles.
    QVERIFY(filter.match(u"cluster.a.upstream_rq_5xx").hasMatch());
    QVERIFY(filter.match(u"cluster.a.upstream_rq_503").hasMatch());
    QVERIFY(filter.match(u"cluster.a.upstream_rq_time").hasMatch());
    QVERIFY(!filter.match(u"cluster.a.upstream_rq_404").hasMatch());
    QVERIFY(!filter.match(u"cluster_manager.active_clusters").hasMatch());
}

QTEST_GUILESS_MAIN(tst_EnvoyStatsParser)
#include "tst_EnvoyStatsParser.moc"
