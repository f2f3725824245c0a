#include "EnvoyTestData.h"

#include "envoy/EnvoyClustersParser.h"

#include <QtTest>

#include <cmath>

using namespace hopscope;

// Parses real-format /clusters dumps (docs/PROTOCOLS.md examples, emulator captures in both stat
// value modes, hand-made IPv6/pipe/all-flags dumps, istioctl output) and checks one host of each.
class tst_EnvoyClustersParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesHost_data();
    void parsesHost();
    void jsonAndTextAgree_data();
    void jsonAndTextAgree();
    void everyTextFlagIsKnown();
};

void tst_EnvoyClustersParser::parsesHost_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("format");
    QTest::addColumn<int>("clusters");
    QTest::addColumn<int>("hosts");
    QTest::addColumn<int>("clusterIndex");
    QTest::addColumn<QString>("hostKey");
    QTest::addColumn<bool>("healthy");
    QTest::addColumn<QString>("flags");
    QTest::addColumn<qint64>("cxActive");
    QTest::addColumn<qint64>("rqTotal");
    QTest::addColumn<qint64>("rqError");
    QTest::addColumn<int>("weight");
    QTest::addColumn<int>("priority");
    QTest::addColumn<double>("successRate"); // -1: none
    QTest::addColumn<QString>("zone");

    const QString outlier = QStringLiteral("failed_outlier_check");
    QTest::newRow("protocols-json-outlier-ejected")
        << "envoy_clusters.json"
        << "json" << 2 << 3 << 1 << "10.0.1.12:8080" << false << outlier << qint64(0)
        << qint64(39181) << qint64(5311) << 1 << 0 << 41.5 << "us-east-1b";
    QTest::newRow("protocols-text-outlier-ejected")
        << "envoy_clusters.txt"
        << "text" << 2 << 3 << 1 << "10.0.1.12:8080" << false << outlier << qint64(0)
        << qint64(39181) << qint64(5311) << 1 << 0 << 41.5 << "us-east-1b";
    QTest::newRow("protocols-json-healthy-no-success-rate")
        << "envoy_clusters.json"
        << "json" << 2 << 3 << 0 << "127.0.0.1:8080" << true << "" << qint64(6) << qint64(88123)
        << qint64(3) << 1 << 0 << -1.0 << "";
    QTest::newRow("emulator-number-values-backend-down")
        << "emulator_number_clusters_backend_down.json"
        << "json" << 2 << 3 << 1 << "127.6.223.61:60467" << false << "failed_active_hc" << qint64(0)
        << qint64(-1) << qint64(-1) << 1 << 0 << 85.7143 << "loopback-a";
    QTest::newRow("emulator-text-backend-down")
        << "emulator_number_clusters_backend_down.txt"
        << "text" << 2 << 3 << 1 << "127.6.223.61:60467" << false << "failed_active_hc" << qint64(0)
        << qint64(-1) << qint64(-1) << 1 << 0 << 85.7143 << "loopback-a";
    QTest::newRow("emulator-string-values")
        << "emulator_string_clusters.json"
        << "json" << 1 << 1 << 0 << "127.6.223.62:46793" << true << "" << qint64(0) << qint64(14)
        << qint64(0) << 1 << 0 << -1.0 << "loopback-b";
    QTest::newRow("emulator-string-values-text")
        << "emulator_string_clusters.txt"
        << "text" << 1 << 1 << 0 << "127.6.223.62:46793" << true << "" << qint64(0) << qint64(-1)
        << qint64(0) << 1 << 0 << -1.0 << "loopback-b";
    QTest::newRow("text-ipv6-bracketed-host-with-every-hc-flag")
        << "mixed_clusters.txt"
        << "text" << 2 << 4 << 0 << "[2001:db8::1]:8080" << false
        << "failed_active_hc,failed_outlier_check,active_hc_timeout" << qint64(3) << qint64(100)
        << qint64(2) << 3 << 1 << 97.5 << "eu-west-1c";
    QTest::newRow("text-ipv6-loopback-degraded-is-still-healthy")
        << "mixed_clusters.txt"
        << "text" << 2 << 4 << 0 << "[::1]:9090" << true << "degraded_active_hc,degraded_eds_health"
        << qint64(0) << qint64(5) << qint64(0) << 1 << 0 << -1.0 << "";
    QTest::newRow("text-pipe-host-excluded-flags")
        << "mixed_clusters.txt"
        << "text" << 2 << 4 << 1 << "/run/app/app.sock" << false
        << "failed_eds_health,pending_dynamic_removal,pending_active_hc,excluded_via_immediate_hc_"
           "fail"
        << qint64(2) << qint64(44) << qint64(0) << 1 << 0 << -1.0 << "";
    QTest::newRow("text-abstract-socket-eds-draining-and-unknown-flag")
        << "mixed_clusters.txt"
        << "text" << 2 << 4 << 1 << "@abstract_admin" << false << "eds_status_draining" << qint64(0)
        << qint64(1) << qint64(0) << 1 << 0 << -1.0 << "";
    QTest::newRow("json-string-values-omitted-defaults-ipv6")
        << "mixed_clusters.json"
        << "json" << 3 << 4 << 0 << "[2001:db8::1]:8080" << false
        << "failed_active_hc,failed_outlier_check,active_hc_timeout" << qint64(3) << qint64(100)
        << qint64(2) << 3 << 1 << 97.5 << "eu-west-1c";
    QTest::newRow("json-pipe-host-eds-unhealthy")
        << "mixed_clusters.json"
        << "json" << 3 << 4 << 1 << "/run/app/app.sock" << false
        << "failed_eds_health,pending_dynamic_removal,pending_active_hc,excluded_via_immediate_hc_"
           "fail"
        << qint64(2) << qint64(44) << qint64(0) << 1 << 0 << -1.0 << "";
    QTest::newRow("json-internal-address-eds-draining")
        << "mixed_clusters.json"
        << "json" << 3 << 4 << 1 << "envoy://inner_listener/e1" << false << "eds_status_draining"
        << qint64(0) << qint64(0) << qint64(0) << 1 << 0 << -1.0 << "";
    QTest::newRow("istioctl-camelcase-array-outlier")
        << "istioctl_endpoints.json"
        << "istioctl" << 2 << 2 << 0 << "10.244.0.17:9080" << false << outlier << qint64(2)
        << qint64(12) << qint64(1) << 1 << 0 << -1.0 << "us-central1-a";
    QTest::newRow("istioctl-camelcase-success-rate")
        << "istioctl_endpoints.json"
        << "istioctl" << 2 << 2 << 0 << "10.244.0.18:9080" << true << "" << qint64(0) << qint64(30)
        << qint64(0) << 1 << 0 << 100.0 << "";
}

void tst_EnvoyClustersParser::parsesHost()
{
    QFETCH(QString, file);
    QFETCH(QString, format);
    QFETCH(int, clusters);
    QFETCH(int, hosts);
    QFETCH(int, clusterIndex);
    QFETCH(QString, hostKey);
    QFETCH(bool, healthy);
    QFETCH(QString, flags);
    QFETCH(qint64, cxActive);
    QFETCH(qint64, rqTotal);
    QFETCH(qint64, rqError);
    QFETCH(int, weight);
    QFETCH(int, priority);
    QFETCH(double, successRate);
    QFETCH(QString, zone);

    const QByteArray input = envoyTestData(file);
    QVERIFY2(!input.isEmpty(), qPrintable(file));
    const auto parsed = EnvoyClustersParser::parse(input);
    QVERIFY2(parsed.ok(), qPrintable(parsed.errorText()));
    QCOMPARE(EnvoyClusters::formatName(parsed->format), format);
    QCOMPARE(parsed->clusters.size(), clusters);
    QCOMPARE(parsed->hostCount(), hosts);
    const EnvoyCluster &cluster = parsed->clusters.at(clusterIndex);
    const EnvoyHost *host = nullptr;
    QStringList keys;
    for (const EnvoyHost &h : cluster.hosts) {
        keys << h.key();
        if (h.key() == hostKey) {
            host = &h;
        }
    }
    QVERIFY2(host, qPrintable(u"no host " + hostKey + u" in " + keys.join(u", ")));
    QCOMPARE(host->isHealthy(), healthy);
    QCOMPARE(host->healthFlags.names().join(u','), flags);
    if (cxActive >= 0) {
        QCOMPARE(qint64(host->cxActive), cxActive);
    }
    if (rqTotal >= 0) { // emulator captures: traffic moved, only check it is there
        QCOMPARE(qint64(host->rqTotal), rqTotal);
    }
    if (rqError >= 0) {
        QCOMPARE(qint64(host->rqError), rqError);
    }
    QCOMPARE(int(host->weight), weight);
    QCOMPARE(int(host->priority), priority);
    if (successRate < 0) {
        QVERIFY(!host->successRate);
    } else {
        QVERIFY(host->successRate);
        // The text dump prints 6 significant digits, the JSON one 6 decimals.
        QVERIFY2(std::abs(*host->successRate - successRate) < 1e-3,
            qPrintable(QString::number(*host->successRate)));
    }
    QCOMPARE(host->locality.zone, zone);
}

void tst_EnvoyClustersParser::jsonAndTextAgree_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("text");
    QTest::newRow("protocols-examples") << "envoy_clusters.json"
                                        << "envoy_clusters.txt";
    QTest::newRow("hand-made-ipv6-pipe") << "mixed_clusters.json"
                                         << "mixed_clusters.txt";
    QTest::newRow("emulator-backend-down") << "emulator_number_clusters_backend_down.json"
                                           << "emulator_number_clusters_backend_down.txt";
}

void tst_EnvoyClustersParser::jsonAndTextAgree()
{
    QFETCH(QString, json);
    QFETCH(QString, text);
    const auto a = EnvoyClustersParser::parse(envoyTestData(json));
    const auto b = EnvoyClustersParser::parse(envoyTestData(text));
    QVERIFY2(a.ok(), qPrintable(a.errorText()));
    QVERIFY2(b.ok(), qPrintable(b.errorText()));
    // Same host keys, health and weights in both renderings (hosts only JSON can express, like
    // internal addresses, and clusters without hosts are skipped).
    QHash<QString, QString> fromJson;
    for (const auto &c : a->clusters) {
        for (const auto &h : c.hosts) {
            fromJson.insert(c.name + u' ' + h.key(),
                h.healthFlags.names().join(u',') + u" w" + QString::number(h.weight));
        }
    }
    int compared = 0;
    for (const auto &c : b->clusters) {
        for (const auto &h : c.hosts) {
            const QString k = c.name + u' ' + h.key();
            if (h.addressKind == EnvoyHost::AddressKind::Pipe && !fromJson.contains(k)) {
                continue; // the text dump has an abstract socket the JSON one does not
            }
            QVERIFY2(fromJson.contains(k), qPrintable(k));
            QCOMPARE(h.healthFlags.names().join(u',') + u" w" + QString::number(h.weight),
                fromJson.value(k));
            ++compared;
        }
    }
    QVERIFY(compared >= 3);
}

void tst_EnvoyClustersParser::everyTextFlagIsKnown()
{
    // Every flag of docs/PROTOCOLS.md §1.4 round-trips through its text name.
    QCOMPARE(EnvoyHealthFlags::all().size(), 10);
    for (EnvoyHealthFlag flag : EnvoyHealthFlags::all()) {
        const QString name = EnvoyHealthFlags::name(flag);
        QVERIFY(!name.isEmpty());
        QCOMPARE(EnvoyHealthFlags::fromName(name), std::optional<EnvoyHealthFlag>(flag));
    }
    const auto unknown
        = EnvoyClustersParser::parse(envoyTestData(QStringLiteral("mixed_clusters.txt")));
    QVERIFY(unknown.ok());
    QCOMPARE(unknown->clusters.at(1).hosts.at(1).unknownHealthFlags,
        QStringList { QStringLiteral("some_future_flag") });
}

QTEST_GUILESS_MAIN(tst_EnvoyClustersParser)
#include "tst_EnvoyClustersParser.moc"
