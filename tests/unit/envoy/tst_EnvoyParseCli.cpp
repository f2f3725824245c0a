#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

// `hopscope-cli parse envoy-*` on real-format dumps: the JSON contract keys of issue 4 are there,
// and unparsable input exits 1 with a one-line reason.
class tst_EnvoyParseCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void contract_data();
    void contract();
    void rejects_data();
    void rejects();

private:
    static QProcess *run(const QString &kind, const QString &file, QObject *parent);
};

QProcess *tst_EnvoyParseCli::run(const QString &kind, const QString &file, QObject *parent)
{
    auto *p = new QProcess(parent);
    p->start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("parse"), kind,
            qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/envoy/" + file });
    p->waitForFinished(30000);
    return p;
}

void tst_EnvoyParseCli::contract_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("check"); // which contract to check
    QTest::newRow("clusters-json-outlier") << "envoy-clusters"
                                           << "envoy_clusters.json"
                                           << "outlier";
    QTest::newRow("clusters-text-outlier") << "envoy-clusters"
                                           << "envoy_clusters.txt"
                                           << "outlier";
    QTest::newRow("clusters-text-pipe-port-null") << "envoy-clusters"
                                                  << "mixed_clusters.txt"
                                                  << "pipe";
    QTest::newRow("clusters-json-pipe-port-null") << "envoy-clusters"
                                                  << "mixed_clusters.json"
                                                  << "pipe";
    QTest::newRow("clusters-istioctl") << "envoy-clusters"
                                       << "istioctl_endpoints.json"
                                       << "istioctl";
    QTest::newRow("server-info-live") << "envoy-server-info"
                                      << "envoy_server_info.json"
                                      << "server";
    QTest::newRow("server-info-emulator-draining") << "envoy-server-info"
                                                   << "emulator_server_info_draining.json"
                                                   << "draining";
    QTest::newRow("stats-text") << "envoy-stats"
                                << "emulator_stats.txt"
                                << "stats";
    QTest::newRow("stats-json") << "envoy-stats"
                                << "emulator_stats.json"
                                << "stats";
}

void tst_EnvoyParseCli::contract()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(QString, check);
    QProcess *p = run(kind, file, this);
    QCOMPARE(p->exitStatus(), QProcess::NormalExit);
    const QByteArray err = p->readAllStandardError();
    QVERIFY2(p->exitCode() == 0, err.constData());
    QJsonParseError jsonError;
    const QJsonObject out
        = QJsonDocument::fromJson(p->readAllStandardOutput(), &jsonError).object();
    QVERIFY2(jsonError.error == QJsonParseError::NoError, qPrintable(jsonError.errorString()));

    auto findHost = [&out](const QString &address) {
        for (const auto &c : out.value(u"clusters").toArray()) {
            for (const auto &h : c.toObject().value(u"hosts").toArray()) {
                if (h.toObject().value(u"address").toString() == address) {
                    return h.toObject();
                }
            }
        }
        return QJsonObject();
    };
    if (check == u"outlier") {
        const QJsonObject h = findHost(QStringLiteral("10.0.1.12"));
        QCOMPARE(h.value(u"port").toInt(), 8080);
        QCOMPARE(h.value(u"healthy").toBool(true), false);
        QCOMPARE(h.value(u"healthFlags").toArray(),
            QJsonArray { QStringLiteral("failed_outlier_check") });
        QCOMPARE(h.value(u"stats").toObject().value(u"rq_total").toInteger(), 39181);
        QCOMPARE(h.value(u"stats").toObject().value(u"cx_active").toInteger(-1), 0);
        QVERIFY(out.value(u"clusters").toArray().at(1).toObject().contains(u"name"));
    } else if (check == u"pipe") {
        const QJsonObject h = findHost(QStringLiteral("/run/app/app.sock"));
        QVERIFY(h.contains(u"port"));
        QVERIFY(h.value(u"port").isNull());
        QCOMPARE(h.value(u"healthy").toBool(true), false);
        QVERIFY(
            h.value(u"healthFlags").toArray().contains(QStringLiteral("pending_dynamic_removal")));
    } else if (check == u"istioctl") {
        QCOMPARE(out.value(u"format").toString(), QStringLiteral("istioctl"));
        QCOMPARE(findHost(QStringLiteral("10.244.0.17"))
                     .value(u"stats")
                     .toObject()
                     .value(u"rq_total")
                     .toInteger(),
            12);
    } else if (check == u"server" || check == u"draining") {
        QCOMPARE(out.value(u"state").toString(),
            check == u"server" ? QStringLiteral("LIVE") : QStringLiteral("DRAINING"));
        QVERIFY(out.value(u"version").toString().contains(u"/1.29.4/"));
        QVERIFY(out.value(u"uptimeSeconds").isDouble());
        QVERIFY(!out.value(u"node").toObject().value(u"id").toString().isEmpty());
        QVERIFY(!out.value(u"node").toObject().value(u"cluster").toString().isEmpty());
    } else {
        QVERIFY(out.value(u"stats").toObject().contains(u"server.live"));
        QVERIFY(!out.value(u"clusters").toArray().isEmpty());
        QVERIFY(!out.value(u"listeners").toArray().isEmpty());
    }
}

void tst_EnvoyParseCli::rejects_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::newRow("server-info-given-clusters") << "envoy-server-info"
                                                << "envoy_clusters.txt";
    QTest::newRow("clusters-given-stats-text") << "envoy-clusters"
                                               << "emulator_stats.txt";
    QTest::newRow("stats-given-clusters-json") << "envoy-stats"
                                               << "envoy_clusters.json";
}

void tst_EnvoyParseCli::rejects()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QProcess *p = run(kind, file, this);
    QCOMPARE(p->exitCode(), 1);
    const QByteArray err = p->readAllStandardError();
    QCOMPARE(err.count('\n'), 1);
    QVERIFY2(err.startsWith(QByteArray("hopscope-cli parse " + kind.toUtf8() + ": ")), err.constData());
    QVERIFY(p->readAllStandardOutput().isEmpty());
}

QTEST_GUILESS_MAIN(tst_EnvoyParseCli)
#include "tst_EnvoyParseCli.moc"
