#include "envoy/EnvoyAdminClient.h"
#include "envoy/EnvoyAdminSource.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace hopscope;

// EnvoyAdminSource and EnvoyAdminClient against the demo cluster's Envoy emulator (real active
// health checks of real upstreams), plus the failure paths against sockets this test owns.
class tst_EnvoyAdminSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void pollsLiveSidecar_data();
    void pollsLiveSidecar();
    void healthcheckFailDrainsAndOkRestores();
    void drainOptionsRejectedByEnvoyAreReported();
    void killedUpstreamSidecarFailsActiveHealthCheck();
    void closedPortFailsWithNetworkError();
    void oversizedResponseIsRefused();
    void silentPeerTimesOut();
    void cliParsesLiveCapture();

private:
    QJsonObject sidecar(const QString &id) const;
    int peers(const QStringList &args);
    EnvoyAdminSnapshot pollOnce(EnvoyAdminSource &source);

    QJsonObject m_state;
};

QJsonObject tst_EnvoyAdminSource::sidecar(const QString &id) const
{
    return m_state.value(u"envoy").toObject().value(id).toObject();
}

int tst_EnvoyAdminSource::peers(const QStringList &args)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedChannels);
    p.start(QStringLiteral("python3"),
        QStringList { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT") } + args
            + QStringList { QStringLiteral("--dir"), qEnvironmentVariable("HOPSCOPE_PEERS_DIR") });
    if (!p.waitForFinished(60000)) {
        return -1;
    }
    return p.exitCode();
}

EnvoyAdminSnapshot tst_EnvoyAdminSource::pollOnce(EnvoyAdminSource &source)
{
    QSignalSpy spy(&source, &EnvoyAdminSource::snapshotReady);
    source.pollNow();
    if (!spy.wait(5000)) {
        return {};
    }
    return spy.takeLast().at(0).value<EnvoyAdminSnapshot>();
}

void tst_EnvoyAdminSource::initTestCase()
{
    QFile file(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + u"/state.json");
    QVERIFY2(
        file.open(QIODevice::ReadOnly), qPrintable(file.fileName() + u": " + file.errorString()));
    m_state = QJsonDocument::fromJson(file.readAll()).object();
    QVERIFY2(
        !sidecar(QStringLiteral("order-1-envoy")).isEmpty(), "state.json has no order-1-envoy");
}

void tst_EnvoyAdminSource::pollsLiveSidecar_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("semver");
    QTest::newRow("number-stat-values-1.29") << "order-1-envoy"
                                             << "1.29.4";
    QTest::newRow("string-stat-values-1.22") << "payments-2-envoy"
                                             << "1.22.11";
}

void tst_EnvoyAdminSource::pollsLiveSidecar()
{
    QFETCH(QString, id);
    QFETCH(QString, semver);
    const QJsonObject e = sidecar(id);
    EnvoyAdminSource source(id, QUrl(e.value(u"admin_url").toString()));
    source.setIntervalMs(60000);
    QSignalSpy spy(&source, &EnvoyAdminSource::snapshotReady);
    source.start();
    QVERIFY2(spy.wait(5000), qPrintable(source.lastError().toString()));
    QCOMPARE(source.status(), PollingSource::Status::Ok);
    const EnvoyAdminSnapshot s = source.snapshot();
    QCOMPARE(s.serverInfo.nodeId, id);
    QCOMPARE(s.serverInfo.semver, semver);
    QCOMPARE(s.serverInfo.state, EnvoyServerInfo::State::Live);
    QCOMPARE(s.readyHttpStatus, 200);
    QCOMPARE(s.readyBody, QStringLiteral("LIVE"));
    QCOMPARE(s.clusters.format, EnvoyClusters::Format::Json);
    QVERIFY(s.clusters.hostCount() >= 1);
    QVERIFY(s.stats.has_value());
    QVERIFY(!s.stats->clusters.isEmpty());
    QCOMPARE(s.stats->serverState, std::optional<quint64>(0));
    for (const auto &c : s.clusters.clusters) {
        for (const auto &h : c.hosts) {
            QVERIFY2(h.port && *h.port > 0, qPrintable(h.key()));
        }
    }
    const QString upstream = e.value(u"upstream_cluster").toString();
    if (!upstream.isEmpty()) {
        bool found = false;
        for (const auto &c : s.clusters.clusters) {
            found |= c.name == upstream && c.hosts.size() == 2;
        }
        QVERIFY2(found, qPrintable(upstream));
    }
}

void tst_EnvoyAdminSource::healthcheckFailDrainsAndOkRestores()
{
    const QUrl url(sidecar(QStringLiteral("payments-2-envoy")).value(u"admin_url").toString());
    EnvoyAdminSource source(QStringLiteral("payments-2"), url);
    source.setIntervalMs(60000);
    EnvoyAdminClient client(QStringLiteral("payments-2"), url);
    QSignalSpy done(&client, &EnvoyAdminClient::operationFinished);
    source.start();

    const quint64 failId = client.healthcheckFail();
    QVERIFY(done.wait(5000));
    auto result = done.takeLast().at(0).value<EnvoyOperationResult>();
    // Restore whatever happens below: the demo cluster is shared by other tests.
    auto restore = qScopeGuard([&client, &done] {
        client.healthcheckOk();
        done.wait(5000);
    });
    QCOMPARE(result.id, failId);
    QVERIFY2(result.ok, qPrintable(result.error.toString()));
    QCOMPARE(result.httpStatus, 200);
    QTRY_COMPARE_WITH_TIMEOUT(
        pollOnce(source).serverInfo.state, EnvoyServerInfo::State::Draining, 10000);
    QCOMPARE(source.snapshot().readyHttpStatus, 503);
    QCOMPARE(source.snapshot().stats->serverState, std::optional<quint64>(1));

    client.healthcheckOk();
    QVERIFY(done.wait(5000));
    result = done.takeLast().at(0).value<EnvoyOperationResult>();
    QVERIFY2(result.ok, qPrintable(result.error.toString()));
    QTRY_COMPARE_WITH_TIMEOUT(
        pollOnce(source).serverInfo.state, EnvoyServerInfo::State::Live, 10000);
    QCOMPARE(source.snapshot().readyHttpStatus, 200);
}

void tst_EnvoyAdminSource::drainOptionsRejectedByEnvoyAreReported()
{
    // skip_exit without graceful is refused by Envoy with 400 and drains nothing.
    EnvoyAdminClient client(QStringLiteral("order-1"),
        QUrl(sidecar(QStringLiteral("order-1-envoy")).value(u"admin_url").toString()));
    QSignalSpy done(&client, &EnvoyAdminClient::operationFinished);
    EnvoyDrainOptions options;
    options.mode = EnvoyDrainOptions::Mode::Immediate;
    options.skipExit = true;
    client.drainListeners(options);
    QVERIFY(done.wait(5000));
    const auto result = done.takeLast().at(0).value<EnvoyOperationResult>();
    QVERIFY(!result.ok);
    QCOMPARE(result.httpStatus, 400);
    QCOMPARE(result.error.kind, SourceError::Kind::Refused);
    QVERIFY2(result.error.message.contains(u"/drain_listeners?skip_exit"),
        qPrintable(result.error.message));
    QCOMPARE(result.body, QStringLiteral("skip_exit requires graceful"));
}

void tst_EnvoyAdminSource::killedUpstreamSidecarFailsActiveHealthCheck()
{
    const QJsonObject order = sidecar(QStringLiteral("order-1-envoy"));
    const QJsonObject victim = sidecar(QStringLiteral("payments-1-envoy"));
    const QJsonObject ingress = victim.value(u"listeners").toObject().value(u"ingress").toObject();
    const QString key = ingress.value(u"addr").toString() + u':'
        + QString::number(ingress.value(u"port").toInt());
    const QString upstream = order.value(u"upstream_cluster").toString();
    EnvoyAdminSource source(QStringLiteral("order-1"), QUrl(order.value(u"admin_url").toString()));
    source.setIntervalMs(60000);
    source.start();

    auto hostOf = [&](const EnvoyAdminSnapshot &s) -> std::optional<EnvoyHost> {
        for (const auto &c : s.clusters.clusters) {
            for (const auto &h : c.hosts) {
                if (c.name == upstream && h.key() == key) {
                    return h;
                }
            }
        }
        return std::nullopt;
    };
    QTRY_VERIFY_WITH_TIMEOUT(hostOf(pollOnce(source)).value_or(EnvoyHost()).isHealthy(), 15000);

    QCOMPARE(peers({ QStringLiteral("kill"), QStringLiteral("payments-1-envoy") }), 0);
    auto restart = qScopeGuard([this] {
        peers({ QStringLiteral("start"), QStringLiteral("payments-1-envoy") });
    });
    QTRY_VERIFY_WITH_TIMEOUT(hostOf(pollOnce(source))
                                 .value_or(EnvoyHost())
                                 .healthFlags.has(EnvoyHealthFlag::FailedActiveHc),
        15000);
    QVERIFY(!hostOf(source.snapshot())->isHealthy());

    restart.dismiss();
    QCOMPARE(peers({ QStringLiteral("start"), QStringLiteral("payments-1-envoy") }), 0);
    QTRY_VERIFY_WITH_TIMEOUT(hostOf(pollOnce(source)).value_or(EnvoyHost()).isHealthy(), 20000);
}

void tst_EnvoyAdminSource::closedPortFailsWithNetworkError()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    const quint16 port = server.serverPort();
    server.close(); // nobody listens there now
    EnvoyAdminSource source(
        QStringLiteral("gone"), QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    QSignalSpy errors(&source, &EnvoyAdminSource::errorOccurred);
    source.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(source.status(), PollingSource::Status::Failing);
    QCOMPARE(source.lastError().kind, SourceError::Kind::Network);
    QVERIFY2(source.lastError().message.contains(u"GET /clusters?format=json"),
        qPrintable(source.lastError().toString()));
    QVERIFY(!source.hasSnapshot());
}

void tst_EnvoyAdminSource::oversizedResponseIsRefused()
{
    EnvoyAdminSource source(QStringLiteral("order-1"),
        QUrl(sidecar(QStringLiteral("order-1-envoy")).value(u"admin_url").toString()));
    source.setMaxReplyBytes(1000); // the demo's /clusters JSON is ~4 KB
    QSignalSpy errors(&source, &EnvoyAdminSource::errorOccurred);
    source.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(source.lastError().kind, SourceError::Kind::TooLarge);
    QVERIFY2(source.lastError().message.contains(u"reply larger than 1000 bytes"),
        qPrintable(source.lastError().toString()));
}

void tst_EnvoyAdminSource::silentPeerTimesOut()
{
    QTcpServer server; // accepts and never answers
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QList<QTcpSocket *> held;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (server.hasPendingConnections()) {
            held << server.nextPendingConnection();
        }
    });
    EnvoyAdminSource source(QStringLiteral("silent"),
        QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort())));
    source.setTimeoutMs(300);
    QSignalSpy errors(&source, &EnvoyAdminSource::errorOccurred);
    source.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(source.lastError().kind, SourceError::Kind::Timeout);
    QVERIFY(!source.isPolling());
}

void tst_EnvoyAdminSource::cliParsesLiveCapture()
{
    // What an operator does: capture /clusters (text) elsewhere, parse it with the CLI.
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QUrl url(sidecar(QStringLiteral("order-1-envoy")).value(u"admin_url").toString());
    url.setPath(QStringLiteral("/clusters"));
    QNetworkReply *reply = nam.get(QNetworkRequest(url));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(5000));
    const QByteArray capture = reply->readAll();
    reply->deleteLater();
    QVERIFY(capture.contains("::health_flags::"));

    QProcess cli;
    cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("parse"), QStringLiteral("envoy-clusters"), QStringLiteral("-") });
    QVERIFY(cli.waitForStarted());
    cli.write(capture);
    cli.closeWriteChannel();
    QVERIFY(cli.waitForFinished(10000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject out = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QCOMPARE(out.value(u"format").toString(), QStringLiteral("text"));
    const auto clusters = out.value(u"clusters").toArray();
    QVERIFY(clusters.size() >= 2);
    const auto host = clusters.at(0).toObject().value(u"hosts").toArray().at(0).toObject();
    QVERIFY(host.value(u"port").toInt() > 0);
    QVERIFY(host.value(u"stats").toObject().contains(u"rq_total"));
    QVERIFY(host.contains(u"healthy"));

    QProcess bad;
    bad.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("parse"), QStringLiteral("envoy-clusters"), QStringLiteral("-") });
    QVERIFY(bad.waitForStarted());
    bad.write(capture.left(capture.size() / 2));
    bad.closeWriteChannel();
    QVERIFY(bad.waitForFinished(10000));
    QCOMPARE(bad.exitCode(), 1);
    const QByteArray reason = bad.readAllStandardError();
    QVERIFY2(reason.count('\n') == 1 && reason.contains("truncated"), reason.constData());
}

QTEST_GUILESS_MAIN(tst_EnvoyAdminSource)
#include "tst_EnvoyAdminSource.moc"
