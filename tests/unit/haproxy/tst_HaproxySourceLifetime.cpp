#include "core/OffThread.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"

#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest>

using namespace hopscope;

// Destroying an HAProxy source while its poll is being parsed on the pool must be safe: the parse
// reports through a QFutureWatcher the source owns (it used to test a QPointer on the pool thread
// and then invokeMethod() on it, racing with the destruction on the owner's thread). The peers
// are scripted loopback servers (a runtime API socket, an HTTP stats page) that answer one poll
// with a real-format dump big enough for the parse to take a while.
class tst_HaproxySourceLifetime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void runtimeSourceDiesMidParse();
    void httpSourceDiesMidParse();

private:
    static QByteArray fixture(const QString &name);
    static void waitForParseThenCheck(QObject *source, int *updates);
    QByteArray m_bigStat;
    QTemporaryDir m_dir;
};

QByteArray tst_HaproxySourceLifetime::fixture(const QString &name)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/haproxy/" + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void tst_HaproxySourceLifetime::initTestCase()
{
    // show stat with ~60,000 rows (about 16 MB), as HAProxy ends it: an empty line.
    const QByteArray seed = fixture(QStringLiteral("demo_all_up.stat.csv"));
    QVERIFY(seed.endsWith("\n\n"));
    const qsizetype headerEnd = seed.indexOf('\n') + 1;
    const QByteArray rows = seed.sliced(headerEnd, seed.size() - headerEnd - 1);
    m_bigStat = seed.first(headerEnd);
    for (int n = 0; m_bigStat.size() < (16 << 20); ++n) {
        m_bigStat += QByteArray(rows).replace(
            QByteArrayView("be_"), QByteArray("be" + QByteArray::number(n) + '_'));
    }
    m_bigStat += '\n';
}

// Waits until the parse runs on the build thread (HAProxy's answers are parsed there: OffThread.h),
// destroys the source, lets the parse end and the event loop deliver whatever it would: nothing
// may reach the dead source.
void tst_HaproxySourceLifetime::waitForParseThenCheck(QObject *source, int *updates)
{
    QThreadPool *pool = buildThread();
    QTRY_VERIFY_WITH_TIMEOUT(pool->activeThreadCount() > 0, 60000);
    delete source; // the parse of 16 MB is still running
    QVERIFY(pool->waitForDone(120000));
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    QCOMPARE(*updates, 0);
}

void tst_HaproxySourceLifetime::runtimeSourceDiesMidParse()
{
    const QByteArray reply = m_bigStat + fixture(QStringLiteral("demo_all_up.servers_state.txt"))
        + fixture(QStringLiteral("demo.info.txt"));
    QLocalServer server;
    QVERIFY(server.listen(m_dir.filePath(QStringLiteral("runtime.sock"))));
    connect(&server, &QLocalServer::newConnection, this, [&] {
        QLocalSocket *s = server.nextPendingConnection();
        connect(s, &QLocalSocket::readyRead, s, [s, reply] {
            if (s->canReadLine()) {
                s->readAll();
                s->write(reply);
                s->disconnectFromServer(); // after the pending bytes are written
            }
        });
    });
    RuntimeEndpoint endpoint;
    endpoint.kind = RuntimeEndpoint::Kind::Unix;
    endpoint.path = server.fullServerName();
    auto *source = new HaproxyRuntimeSource(QStringLiteral("lb"), endpoint);
    source->setTimeoutMs(60000);
    source->client()->setMaxReplyBytes(64 << 20);
    int updates = 0;
    connect(source, &HaproxyRuntimeSource::snapshotReady, this, [&updates] { ++updates; });
    source->start();
    waitForParseThenCheck(source, &updates);

    // The same poll on a source left alive does arrive (the watcher path works).
    HaproxyRuntimeSource alive(QStringLiteral("lb"), endpoint);
    alive.setTimeoutMs(60000);
    alive.client()->setMaxReplyBytes(64 << 20);
    QSignalSpy updated(&alive, &HaproxyRuntimeSource::snapshotReady);
    alive.start();
    QVERIFY2(updated.wait(120000), qPrintable(alive.lastError().toString()));
    QVERIFY(alive.snapshot().stat.proxies.size() > 1000);
}

void tst_HaproxySourceLifetime::httpSourceDiesMidParse()
{
    const QByteArray body = m_bigStat.first(m_bigStat.size() - 1); // ;csv has no empty line
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    connect(&server, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *s = server.nextPendingConnection();
        connect(s, &QTcpSocket::readyRead, s, [s, body] {
            if (s->readAll().contains("\r\n\r\n")) {
                s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                    + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
                s->disconnectFromHost();
            }
        });
    });
    QNetworkAccessManager nam;
    const QUrl url(QStringLiteral("http://127.0.0.1:%1/stats;csv").arg(server.serverPort()));
    auto *source = new HaproxyStatsHttpSource(QStringLiteral("lb"), url, &nam);
    source->setTimeoutMs(60000);
    int updates = 0;
    connect(source, &HaproxyStatsHttpSource::snapshotReady, this, [&updates] { ++updates; });
    source->start();
    waitForParseThenCheck(source, &updates);

    HaproxyStatsHttpSource alive(QStringLiteral("lb"), url, &nam);
    alive.setTimeoutMs(60000);
    QSignalSpy updated(&alive, &HaproxyStatsHttpSource::snapshotReady);
    alive.start();
    QVERIFY2(updated.wait(120000), qPrintable(alive.lastError().toString()));
    QVERIFY(alive.snapshot().stat.proxies.size() > 1000);
}

QTEST_GUILESS_MAIN(tst_HaproxySourceLifetime)
#include "tst_HaproxySourceLifetime.moc"
