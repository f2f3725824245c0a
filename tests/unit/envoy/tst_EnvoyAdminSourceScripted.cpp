#include "EnvoyTestData.h"

#include "core/HttpWorker.h"
#include "envoy/EnvoyAdminSource.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace hopscope;

namespace {

// A scripted HTTP/1.1 peer on loopback that answers like Envoy builds the emulator does not
// imitate (pre-1.7 without format=json, pre-1.11 without /ready) and with bodies the emulator
// never sends (chunked and oversized, malformed). Routes are "path?query" -> reply.
class ScriptedAdmin : public QObject
{
public:
    struct Reply
    {
        int status = 200;
        QByteArray body;
        bool chunked = false;
    };

    ScriptedAdmin()
    {
        m_server.listen(QHostAddress::LocalHost);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                ++connections;
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] { serve(s); });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }

    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
    }
    QHash<QByteArray, Reply> routes;
    QList<QByteArray> requests;
    int connections = 0; // accepted

private:
    void serve(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        while (buf.contains("\r\n\r\n")) {
            const qsizetype end = buf.indexOf("\r\n\r\n") + 4;
            const QByteArray head = buf.left(end);
            buf.remove(0, end);
            const QByteArray target = head.split(' ').value(1);
            requests << target;
            const Reply r = routes.value(target, Reply { 404, "invalid path. \n", false });
            QByteArray out
                = "HTTP/1.1 " + QByteArray::number(r.status) + " X\r\ncontent-type: text/plain\r\n";
            if (r.chunked) {
                out += "transfer-encoding: chunked\r\n\r\n";
                for (qsizetype i = 0; i < r.body.size(); i += 65536) {
                    const QByteArray part = r.body.mid(i, 65536);
                    out += QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n";
                }
                out += "0\r\n\r\n";
            } else {
                out += "content-length: " + QByteArray::number(r.body.size()) + "\r\n\r\n" + r.body;
            }
            s->write(out);
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace

// EnvoyAdminSource against scripted loopback peers for what the emulator cannot show: the text
// fallback of Envoy < 1.7, missing /ready and /stats, chunked bodies over the cap, bad bodies.
// (The live behaviour against the emulator is tests/integration/envoy/tst_EnvoyAdminSource.)
class tst_EnvoyAdminSourceScripted : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oldEnvoyFallsBackToText_data();
    void oldEnvoyFallsBackToText();
    void chunkedBodyOverCapIsRefused_data() { onEitherThread(); }
    void chunkedBodyOverCapIsRefused();
    void malformedBodyFailsThePoll_data() { onEitherThread(); }
    void malformedBodyFailsThePoll();
    void pollsShareOneConnection_data() { onEitherThread(); }
    void pollsShareOneConnection();

private:
    // Each case twice: the requests on the source's own thread, and on an HttpWorker's (as
    // ClusterMonitor runs them).
    static void onEitherThread()
    {
        QTest::addColumn<bool>("onWorker");
        QTest::newRow("own-thread") << false;
        QTest::newRow("http-worker") << true;
    }
};

void tst_EnvoyAdminSourceScripted::oldEnvoyFallsBackToText_data()
{
    QTest::addColumn<int>("jsonStatus"); // what /clusters?format=json answers
    QTest::addColumn<bool>("onWorker");
    for (const bool onWorker : { false, true }) {
        const char *where = onWorker ? "http-worker" : "own-thread";
        QTest::addRow("format-json-unknown-404-then-text/%s", where) << 404 << onWorker;
        QTest::addRow("format-json-rejected-400-then-text/%s", where) << 400 << onWorker;
        QTest::addRow("format-json-ignored-text-served/%s", where) << 200 << onWorker;
    }
}

void tst_EnvoyAdminSourceScripted::oldEnvoyFallsBackToText()
{
    QFETCH(int, jsonStatus);
    QFETCH(bool, onWorker);
    HttpWorker worker;
    ScriptedAdmin peer;
    const QByteArray text = envoyTestData(QStringLiteral("envoy_clusters.txt"));
    peer.routes.insert("/clusters?format=json",
        { jsonStatus, jsonStatus == 200 ? text : QByteArray("bad format\n"), false });
    peer.routes.insert("/clusters", { 200, text, false });
    peer.routes.insert(
        "/server_info", { 200, envoyTestData(QStringLiteral("envoy_server_info.json")), false });
    EnvoyAdminSource source(QStringLiteral("old"), peer.url());
    source.setHttpWorker(onWorker ? &worker : nullptr);
    QSignalSpy spy(&source, &EnvoyAdminSource::snapshotReady);
    source.start();
    QVERIFY2(spy.wait(5000), qPrintable(source.lastError().toString()));
    const EnvoyAdminSnapshot s = source.snapshot();
    QCOMPARE(s.clusters.format, EnvoyClusters::Format::Text);
    QCOMPARE(s.clusters.hostCount(), 3);
    // What /ready would say comes from server_info's state; /ready itself is not asked (it says
    // the same thing, and at 500 sidecars each request costs the GUI thread).
    QCOMPARE(s.readyHttpStatus, 200);
    QCOMPARE(s.readyBody, QStringLiteral("LIVE"));
    QVERIFY(!peer.requests.contains("/ready"));
    QVERIFY(!s.stats.has_value()); // /stats?format=json answered 404
    QCOMPARE(s.serverInfo.state, EnvoyServerInfo::State::Live);
    QCOMPARE(peer.requests.contains("/clusters"), jsonStatus != 200);
    // Every request went where it was meant to (the worker counts what it ran).
    QCOMPARE(worker.finishedOnWorker(), onWorker ? quint64(peer.requests.size()) : quint64(0));
}

void tst_EnvoyAdminSourceScripted::chunkedBodyOverCapIsRefused()
{
    QFETCH(bool, onWorker);
    HttpWorker worker;
    ScriptedAdmin peer;
    QByteArray huge(3 * 1024 * 1024, ' ');
    huge.prepend("{\"cluster_statuses\":[]");
    huge.append("}");
    peer.routes.insert("/clusters?format=json", { 200, huge, true }); // no Content-Length
    peer.routes.insert(
        "/server_info", { 200, envoyTestData(QStringLiteral("envoy_server_info.json")), false });
    EnvoyAdminSource source(QStringLiteral("chunked"), peer.url());
    source.setHttpWorker(onWorker ? &worker : nullptr);
    source.setMaxReplyBytes(1024 * 1024);
    QSignalSpy errors(&source, &EnvoyAdminSource::errorOccurred);
    source.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(source.lastError().kind, SourceError::Kind::TooLarge);
    QVERIFY2(source.lastError().message.contains(u"/clusters"),
        qPrintable(source.lastError().toString()));
    QVERIFY2(source.lastError().message.contains(u"reply larger than 1048576 bytes"),
        qPrintable(source.lastError().toString()));
}

void tst_EnvoyAdminSourceScripted::malformedBodyFailsThePoll()
{
    QFETCH(bool, onWorker);
    HttpWorker worker;
    ScriptedAdmin peer;
    const QByteArray json = envoyTestData(QStringLiteral("envoy_clusters.json"));
    peer.routes.insert("/clusters?format=json", { 200, json.left(json.size() / 2), false });
    peer.routes.insert(
        "/server_info", { 200, envoyTestData(QStringLiteral("envoy_server_info.json")), false });
    EnvoyAdminSource source(QStringLiteral("cut"), peer.url());
    source.setHttpWorker(onWorker ? &worker : nullptr);
    QSignalSpy errors(&source, &EnvoyAdminSource::errorOccurred);
    source.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(source.lastError().kind, SourceError::Kind::Malformed);
    QVERIFY2(source.lastError().message.startsWith(u"/clusters: invalid JSON"),
        qPrintable(source.lastError().toString()));
    QVERIFY(!source.hasSnapshot());
    QCOMPARE(source.status(), PollingSource::Status::Failing);
}

// A poll's requests go one after the other on one kept-alive connection, and the next poll
// reuses it: 500 sidecars are 500 sockets, not 1,500 (QtNetwork opens one per concurrent request).
void tst_EnvoyAdminSourceScripted::pollsShareOneConnection()
{
    QFETCH(bool, onWorker);
    HttpWorker worker;
    ScriptedAdmin peer;
    peer.routes.insert(
        "/clusters?format=json", { 200, envoyTestData(QStringLiteral("envoy_clusters.json")), false });
    peer.routes.insert(
        "/server_info", { 200, envoyTestData(QStringLiteral("envoy_server_info.json")), false });
    EnvoyAdminSource source(QStringLiteral("one"), peer.url());
    source.setHttpWorker(onWorker ? &worker : nullptr);
    QSignalSpy spy(&source, &EnvoyAdminSource::snapshotReady);
    source.start();
    QVERIFY2(spy.wait(5000), qPrintable(source.lastError().toString()));
    QCOMPARE(peer.requests.size(), 3); // clusters, server_info, stats (404 here: optional)
    QVERIFY(peer.requests[0].startsWith("/clusters?format=json"));
    QCOMPARE(peer.requests[1], QByteArray("/server_info"));
    QVERIFY(peer.requests[2].startsWith("/stats?format=json"));
    QCOMPARE(peer.connections, 1);
    source.refreshNow();
    QVERIFY2(spy.wait(5000), qPrintable(source.lastError().toString()));
    QCOMPARE(peer.requests.size(), 6);
    QCOMPARE(peer.connections, 1);
}

QTEST_GUILESS_MAIN(tst_EnvoyAdminSourceScripted)
#include "tst_EnvoyAdminSourceScripted.moc"
