// HaproxyRuntimeClient / HaproxyRuntimeSource / HaproxyStatsHttpSource against real HAProxy 2.6:
// the demo cluster's (peers_demo fixture) and a private instance this test starts (socket below
// admin level, a backend process that the test really kills).

#include "haproxy/HaproxyRuntimeClient.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

namespace {
QJsonObject peersState()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

RuntimeEndpoint endpoint(const QString &text)
{
    return RuntimeEndpoint::parse(text).value_or(RuntimeEndpoint());
}

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

const HaproxyStatServer *server(
    const HaproxySnapshot &snap, const QString &backend, const QString &name)
{
    const HaproxyStatProxy *p = snap.stat.proxy(backend, HaproxyStatProxy::Type::Backend);
    if (p) {
        for (const HaproxyStatServer &s : p->servers) {
            if (s.name == name) {
                return &s;
            }
        }
    }
    return nullptr;
}

QString statusOf(const HaproxyRuntimeSource &src, const QString &backend, const QString &name)
{
    const HaproxyStatServer *s = server(src.snapshot(), backend, name);
    return s ? s->status : QString();
}
} // namespace

class tst_HaproxyRuntime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void pollsDemo_data();
    void pollsDemo();
    void setStateReadBack_data();
    void setStateReadBack();
    void setWeightReadBack();
    void badCommandReplyIsChecked();
    void failingBackendGoesDown();
    void missingSocketPath();
    void replyOverCapRefused();
    void httpStatsCsv();
    void privateKilledBackendGoesDown();
    void privateSocketBelowAdmin();
    void cliParsesLiveCapture();

private:
    void runCommand(HaproxyRuntimeClient &client, const std::function<quint64()> &issue,
        bool expectOk, QString *reply = nullptr);
    void startPrivate();

    QJsonObject m_state;
    RuntimeEndpoint m_unix;
    RuntimeEndpoint m_tcp;
    QTemporaryDir m_private;
    QProcess m_haproxy;
    QProcess m_backend;
    quint16 m_backendPort = 0;
};

void tst_HaproxyRuntime::initTestCase()
{
    m_state = peersState();
    QVERIFY2(!m_state.isEmpty(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
    const QJsonObject h = m_state.value(QStringLiteral("haproxy")).toObject();
    m_unix = endpoint(QStringLiteral("unix:") + h.value(QStringLiteral("socket")).toString());
    m_tcp = endpoint(h.value(QStringLiteral("runtime")).toString());
    startPrivate();
}

void tst_HaproxyRuntime::cleanupTestCase()
{
    for (QProcess *p : { &m_haproxy, &m_backend }) {
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            p->waitForFinished(5000); // test teardown, not model code
        }
    }
}

void tst_HaproxyRuntime::startPrivate()
{
    // A python backend the test can really kill, and a HAProxy with sockets at user and
    // operator level besides admin.
    m_backendPort = freePort();
    m_backend.setProgram(QStringLiteral("python3"));
    m_backend.setArguments({ QStringLiteral("-m"), QStringLiteral("http.server"),
        QString::number(m_backendPort), QStringLiteral("--bind"), QStringLiteral("127.0.0.1"),
        QStringLiteral("--directory"), m_private.path() });
    m_backend.start();
    const QString d = m_private.path();
    const QString cfg
        = QStringLiteral("global\n"
                         "    stats socket %1/user.sock mode 600 level user\n"
                         "    stats socket %1/operator.sock mode 600 level operator\n"
                         "    stats socket %1/admin.sock mode 600 level admin\n"
                         "defaults\n    mode http\n    timeout connect 1s\n"
                         "    timeout client 5s\n    timeout server 5s\n    timeout check 500ms\n"
                         "backend be_private\n    option httpchk GET /\n"
                         "    server web1 127.0.0.1:%2 check inter 200ms fall 1 rise 1\n")
              .arg(d)
              .arg(m_backendPort);
    QFile f(d + QStringLiteral("/haproxy.cfg"));
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(cfg.toUtf8()) > 0);
    f.close();
    m_haproxy.setProgram(QStringLiteral("haproxy"));
    m_haproxy.setArguments({ QStringLiteral("-db"), QStringLiteral("-f"), f.fileName() });
    m_haproxy.setProcessChannelMode(QProcess::ForwardedChannels);
    m_haproxy.start();
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(d + QStringLiteral("/admin.sock")), 10000);
}

void tst_HaproxyRuntime::pollsDemo_data()
{
    QTest::addColumn<bool>("tcp");
    QTest::newRow("unix-socket") << false;
    QTest::newRow("tcp-socket") << true;
}

void tst_HaproxyRuntime::pollsDemo()
{
    QFETCH(bool, tcp);
    HaproxyRuntimeSource src(QStringLiteral("internal-lb"), tcp ? m_tcp : m_unix);
    src.setIntervalMs(200);
    QSignalSpy updated(&src, &HaproxyRuntimeSource::snapshotReady);
    src.start();
    QVERIFY2(updated.wait(5000), qPrintable(src.lastError().toString()));
    QCOMPARE(src.status(), PollingSource::Status::Ok);
    const HaproxySnapshot &snap = src.snapshot();
    QVERIFY(snap.info.version.startsWith(QStringLiteral("2.6")));
    const auto user = m_state.value(QStringLiteral("services"))
                          .toObject()
                          .value(QStringLiteral("user"))
                          .toObject()
                          .value(QStringLiteral("tasks"))
                          .toArray();
    const HaproxyStatServer *u1 = server(snap, QStringLiteral("be_user"), QStringLiteral("user1"));
    QVERIFY(u1);
    QCOMPARE(u1->key(),
        user.at(0).toObject().value(QStringLiteral("addr")).toString() + u':'
            + QString::number(user.at(0).toObject().value(QStringLiteral("port")).toInt()));
    QVERIFY(!snap.serversState.servers.isEmpty());
    // Never two polls in flight: a second snapshot arrives after the first finished.
    QVERIFY(updated.wait(5000));
    QVERIFY(!src.isPolling() || updated.size() >= 2);
    src.stop();
}

void tst_HaproxyRuntime::runCommand(HaproxyRuntimeClient &client,
    const std::function<quint64()> &issue, bool expectOk, QString *reply)
{
    QSignalSpy done(&client, &HaproxyRuntimeClient::commandFinished);
    const quint64 id = issue();
    QVERIFY(done.wait(5000));
    const auto result = done.at(0).at(0).value<HaproxyCommandResult>();
    QCOMPARE(result.id, id);
    QVERIFY2(result.ok == expectOk,
        qPrintable(result.command + QStringLiteral(": ") + result.error.toString()));
    if (reply) {
        *reply = result.error.message;
    }
}

void tst_HaproxyRuntime::setStateReadBack_data()
{
    QTest::addColumn<int>("action");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("admin");
    QTest::newRow("drain") << int(HaproxyAdminAction::Drain) << "DRAIN"
                           << "FDRAIN";
    QTest::newRow("maint") << int(HaproxyAdminAction::Maint) << "MAINT"
                           << "FMAINT";
}

void tst_HaproxyRuntime::setStateReadBack()
{
    QFETCH(int, action);
    QFETCH(QString, status);
    QFETCH(QString, admin);
    HaproxyRuntimeSource src(QStringLiteral("internal-lb"), m_unix);
    src.setIntervalMs(200);
    src.start();
    const QString be = QStringLiteral("be_user");
    const QString sv = QStringLiteral("user2");
    runCommand(
        *src.client(),
        [&] { return src.client()->setServerState(be, sv, HaproxyAdminAction(action)); }, true);
    src.pollNow();
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(src, be, sv), status, 5000);
    QStringList adminNames;
    for (const HaproxyServerState &s : src.snapshot().serversState.servers) {
        if (s.backend == be && s.name == sv) {
            adminNames = s.adminStateNames();
        }
    }
    QVERIFY2(adminNames.contains(admin), qPrintable(adminNames.join(u',')));
    runCommand(
        *src.client(),
        [&] { return src.client()->setServerState(be, sv, HaproxyAdminAction::Ready); }, true);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(src, be, sv), QStringLiteral("UP"), 10000);
}

void tst_HaproxyRuntime::setWeightReadBack()
{
    HaproxyRuntimeSource src(QStringLiteral("internal-lb"), m_tcp);
    src.setIntervalMs(200);
    src.start();
    const QString be = QStringLiteral("be_user");
    const QString sv = QStringLiteral("user2");
    const auto weight = [&] {
        const HaproxyStatServer *s = server(src.snapshot(), be, sv);
        return s && s->weight ? int(*s->weight) : -1;
    };
    runCommand(
        *src.client(), [&] { return src.client()->setServerWeight(be, sv, 0); }, true);
    QTRY_COMPARE_WITH_TIMEOUT(weight(), 0, 5000);
    runCommand(
        *src.client(), [&] { return src.client()->setServerWeight(be, sv, 1); }, true);
    QTRY_COMPARE_WITH_TIMEOUT(weight(), 1, 5000);
}

void tst_HaproxyRuntime::badCommandReplyIsChecked()
{
    HaproxyRuntimeClient client(m_unix);
    QString why;
    runCommand(
        client,
        [&] {
            return client.setServerState(
                QStringLiteral("be_user"), QStringLiteral("nosuch"), HaproxyAdminAction::Drain);
        },
        false, &why);
    QVERIFY2(why.contains(QStringLiteral("No such server")), qPrintable(why));
    runCommand(
        client,
        [&] {
            return client.setServerWeight(QStringLiteral("be_user"), QStringLiteral("user1"), 999);
        },
        false, &why);
    QVERIFY2(why.contains(QStringLiteral("0-256")), qPrintable(why));
}

void tst_HaproxyRuntime::failingBackendGoesDown()
{
    const QJsonObject u1 = m_state.value(QStringLiteral("services"))
                               .toObject()
                               .value(QStringLiteral("user"))
                               .toObject()
                               .value(QStringLiteral("tasks"))
                               .toArray()
                               .at(0)
                               .toObject();
    const QString target = u1.value(QStringLiteral("addr")).toString() + u':'
        + QString::number(u1.value(QStringLiteral("port")).toInt());
    HaproxyRuntimeSource src(QStringLiteral("internal-lb"), m_unix);
    src.setIntervalMs(200);
    src.start();
    const auto peers = [&](const QString &action) {
        return QProcess::execute(QStringLiteral("python3"),
            { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), QStringLiteral("backend"),
                QStringLiteral("--dir"), qEnvironmentVariable("HOPSCOPE_PEERS_DIR"), action,
                target });
    };
    QCOMPARE(peers(QStringLiteral("fail")), 0);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(src, QStringLiteral("be_user"), QStringLiteral("user1")),
        QStringLiteral("DOWN"), 15000);
    QCOMPARE(peers(QStringLiteral("recover")), 0);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(src, QStringLiteral("be_user"), QStringLiteral("user1")),
        QStringLiteral("UP"), 15000);
}

void tst_HaproxyRuntime::missingSocketPath()
{
    HaproxyRuntimeSource src(
        QStringLiteral("lb"), endpoint(QStringLiteral("unix:/nonexistent/haproxy.sock")));
    QSignalSpy errors(&src, &HaproxyRuntimeSource::errorOccurred);
    src.start();
    QVERIFY(errors.wait(5000));
    const auto e = errors.at(0).at(0).value<SourceError>();
    QCOMPARE(e.kind, SourceError::Kind::NotFound);
    QVERIFY2(
        e.message.contains(QStringLiteral("/nonexistent/haproxy.sock")), qPrintable(e.message));
    QCOMPARE(src.status(), PollingSource::Status::Failing);
}

void tst_HaproxyRuntime::replyOverCapRefused()
{
    HaproxyRuntimeClient client(m_tcp);
    client.setMaxReplyBytes(512);
    QSignalSpy dummy(&client, &HaproxyRuntimeClient::commandFinished);
    HaproxyRuntimeReply got;
    bool called = false;
    client.send({ QStringLiteral("show stat") }, [&](const HaproxyRuntimeReply &r) {
        got = r;
        called = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(called, 5000);
    QCOMPARE(got.error.kind, SourceError::Kind::TooLarge);
    QVERIFY(got.outputs.isEmpty());
}

void tst_HaproxyRuntime::httpStatsCsv()
{
    QNetworkAccessManager nam;
    const QUrl url(m_state.value(QStringLiteral("haproxy"))
                       .toObject()
                       .value(QStringLiteral("stats_url"))
                       .toString());
    HaproxyStatsHttpSource src(QStringLiteral("internal-lb http"), url, &nam);
    QSignalSpy updated(&src, &HaproxyStatsHttpSource::snapshotReady);
    src.start();
    QVERIFY2(updated.wait(5000), qPrintable(src.lastError().toString()));
    QVERIFY(server(src.snapshot(), QStringLiteral("be_user"), QStringLiteral("user1")));
    QVERIFY(src.snapshot().stat.addressesVisible); // `stats show-legends` in the demo config
    src.stop();

    HaproxyStatsHttpSource small(QStringLiteral("capped"), url, &nam);
    small.setMaxReplyBytes(256);
    QSignalSpy errors(&small, &HaproxyStatsHttpSource::errorOccurred);
    small.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(errors.at(0).at(0).value<SourceError>().kind, SourceError::Kind::TooLarge);
}

void tst_HaproxyRuntime::privateKilledBackendGoesDown()
{
    HaproxyRuntimeSource src(QStringLiteral("private"),
        endpoint(QStringLiteral("unix:") + m_private.path() + QStringLiteral("/admin.sock")));
    src.setIntervalMs(100);
    src.start();
    const QString be = QStringLiteral("be_private");
    const QString sv = QStringLiteral("web1");
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(src, be, sv), QStringLiteral("UP"), 10000);
    m_backend.kill();
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(src, be, sv), QStringLiteral("DOWN"), 10000);
    const HaproxyStatServer *s = server(src.snapshot(), be, sv);
    QVERIFY(s);
    QCOMPARE(s->checkStatus, QStringLiteral("L4CON"));
}

void tst_HaproxyRuntime::privateSocketBelowAdmin()
{
    for (const char *level : { "user", "operator" }) {
        HaproxyRuntimeClient client(endpoint(
            u"unix:" + m_private.path() + u'/' + QLatin1String(level) + QStringLiteral(".sock")));
        QString why;
        runCommand(
            client,
            [&] {
                return client.setServerState(QStringLiteral("be_private"), QStringLiteral("web1"),
                    HaproxyAdminAction::Drain);
            },
            false, &why);
        QVERIFY2(why.contains(QStringLiteral("Permission denied")), qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("admin")), qPrintable(why));
    }
    // At level user, show stat works but hides addresses: the snapshot says so, keys are empty.
    HaproxyRuntimeSource src(QStringLiteral("private user"),
        endpoint(QStringLiteral("unix:") + m_private.path() + QStringLiteral("/user.sock")));
    QSignalSpy updated(&src, &HaproxyRuntimeSource::snapshotReady);
    src.start();
    QVERIFY2(updated.wait(5000), qPrintable(src.lastError().toString()));
    QVERIFY(!src.snapshot().stat.addressesVisible);
}

void tst_HaproxyRuntime::cliParsesLiveCapture()
{
    HaproxyRuntimeClient client(m_unix);
    HaproxyRuntimeReply got;
    bool called = false;
    client.send({ QStringLiteral("show stat"), QStringLiteral("show servers state"),
                    QStringLiteral("show info") },
        [&](const HaproxyRuntimeReply &r) {
            got = r;
            called = true;
        });
    QTRY_VERIFY_WITH_TIMEOUT(called, 5000);
    QVERIFY2(!got.error.isError(), qPrintable(got.error.toString()));
    const QStringList kinds = { QStringLiteral("haproxy-stat"),
        QStringLiteral("haproxy-servers-state"), QStringLiteral("haproxy-info") };
    for (int i = 0; i < kinds.size(); ++i) {
        QProcess cli;
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
            { QStringLiteral("parse"), kinds[i], QStringLiteral("-") });
        // The client splits replies on their terminating empty line; a capture keeps it.
        cli.write(got.outputs.at(i) + '\n');
        cli.closeWriteChannel();
        QVERIFY(cli.waitForFinished(10000));
        QCOMPARE(cli.exitCode(), 0);
        QVERIFY(QJsonDocument::fromJson(cli.readAllStandardOutput()).isObject());
    }
    QProcess bad;
    bad.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("parse"), QStringLiteral("haproxy-stat"), QStringLiteral("-") });
    bad.write("Permission denied\n\n");
    bad.closeWriteChannel();
    QVERIFY(bad.waitForFinished(10000));
    QCOMPARE(bad.exitCode(), 1);
    const QByteArray err = bad.readAllStandardError();
    QCOMPARE(err.count('\n'), 1);
    QVERIFY2(err.contains("not show stat CSV"), err.constData());
}

QTEST_GUILESS_MAIN(tst_HaproxyRuntime)
#include "tst_HaproxyRuntime.moc"
