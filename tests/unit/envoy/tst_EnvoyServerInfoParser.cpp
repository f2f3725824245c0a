#include "EnvoyTestData.h"

#include "envoy/EnvoyServerInfoParser.h"

#include <QtTest>

using namespace hopscope;

// Parses /server_info from the docs/PROTOCOLS.md example and the emulator (LIVE, DRAINING, older
// version rendering uint64 as strings) and checks state, version, uptime and node identity.
class tst_EnvoyServerInfoParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parses_data();
    void parses();
    void durations_data();
    void durations();
};

void tst_EnvoyServerInfoParser::parses_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("semver");
    QTest::addColumn<qint64>("uptime"); // -1: any positive
    QTest::addColumn<QString>("nodeId");
    QTest::addColumn<QString>("nodeCluster");
    QTest::addColumn<qint64>("drainTime");

    QTest::newRow("protocols-example-live")
        << "envoy_server_info.json" << int(EnvoyServerInfo::State::Live) << "1.29.4"
        << qint64(183912) << "orders-sidecar-proxy"
        << "orders" << qint64(600);
    QTest::newRow("emulator-number-mode-live")
        << "emulator_number_server_info.json" << int(EnvoyServerInfo::State::Live) << "1.29.4"
        << qint64(-1) << "order-1-envoy"
        << "order" << qint64(-1);
    QTest::newRow("emulator-string-mode-older-version")
        << "emulator_string_server_info.json" << int(EnvoyServerInfo::State::Live) << "1.22.11"
        << qint64(-1) << "payments-2-envoy"
        << "payments" << qint64(-1);
    QTest::newRow("emulator-healthcheck-failed-draining")
        << "emulator_server_info_draining.json" << int(EnvoyServerInfo::State::Draining) << "1.29.4"
        << qint64(-1) << "order-1-envoy"
        << "order" << qint64(-1);
}

void tst_EnvoyServerInfoParser::parses()
{
    QFETCH(QString, file);
    QFETCH(int, state);
    QFETCH(QString, semver);
    QFETCH(qint64, uptime);
    QFETCH(QString, nodeId);
    QFETCH(QString, nodeCluster);
    QFETCH(qint64, drainTime);

    const auto parsed = EnvoyServerInfoParser::parse(envoyTestData(file));
    QVERIFY2(parsed.ok(), qPrintable(parsed.errorText()));
    QCOMPARE(int(parsed->state), state);
    QCOMPARE(parsed->semver, semver);
    if (uptime >= 0) {
        QCOMPARE(parsed->uptimeSeconds, uptime);
    } else {
        QVERIFY(parsed->uptimeSeconds >= 0);
        QVERIFY(parsed->uptimeAllEpochsSeconds >= parsed->uptimeSeconds);
    }
    QCOMPARE(parsed->nodeId, nodeId);
    QCOMPARE(parsed->nodeCluster, nodeCluster);
    if (drainTime >= 0) {
        QCOMPARE(parsed->drainTimeSeconds, std::optional<qint64>(drainTime));
        QCOMPARE(parsed->drainStrategy, QStringLiteral("Gradual"));
    } else {
        QVERIFY(parsed->drainTimeSeconds);
    }
}

void tst_EnvoyServerInfoParser::durations_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("seconds"); // -1: rejected
    QTest::newRow("whole-seconds") << QByteArray("183912s") << qint64(183912);
    QTest::newRow("fractional") << QByteArray("1.500s") << qint64(1);
    QTest::newRow("zero") << QByteArray("0s") << qint64(0);
    QTest::newRow("no-unit") << QByteArray("600") << qint64(-1);
    QTest::newRow("negative") << QByteArray("-5s") << qint64(-1);
    QTest::newRow("only-unit") << QByteArray("s") << qint64(-1);
    QTest::newRow("huge") << QByteArray("1e300s") << qint64(-1);
}

void tst_EnvoyServerInfoParser::durations()
{
    QFETCH(QByteArray, text);
    QFETCH(qint64, seconds);
    const auto d = EnvoyServerInfoParser::durationSeconds(text);
    QCOMPARE(d.value_or(-1), seconds);
}

QTEST_GUILESS_MAIN(tst_EnvoyServerInfoParser)
#include "tst_EnvoyServerInfoParser.moc"
