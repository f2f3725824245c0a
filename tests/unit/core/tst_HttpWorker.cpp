// HttpWorker (model/core) against a real HTTP peer on loopback that runs on a thread of its own,
// so that the test's (GUI) thread can stay away from its event loop: a request is sent, answered
// and read while this thread does not process a single event, and its result then arrives here
// as one queued call. The hard total deadline and the byte cap still hold on the worker; a
// cancelled request closes its connection and delivers nothing; a destroyed context gets nothing;
// destroying the worker aborts what is in flight.

#include "core/HttpWorker.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSemaphore>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>

using namespace hopscope;

namespace {

constexpr int s_slackMs = 1000; // scheduling on a busy 2-core machine

// An HTTP/1.1 peer whose sockets live on its own thread.
class ThreadedPeer : public QThread
{
public:
    enum class Mode {
        Ok, // 200 with a short body and its Content-Length
        Trickle, // 200, no Content-Length, one byte every 20 ms, forever
        HugeLength, // 200 with Content-Length: 1 GiB, a few bytes, then silence
    };

    explicit ThreadedPeer(Mode mode)
        : m_mode(mode)
    {
        start();
        m_ready.acquire();
    }
    ~ThreadedPeer() override
    {
        quit();
        wait();
    }

    QUrl url(const QString &path) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_port.load()).arg(path));
    }

    std::atomic<int> requests { 0 }; // complete request heads received
    std::atomic<int> connections { 0 }; // accepted
    std::atomic<int> disconnects { 0 }; // connections the client closed

protected:
    void run() override
    {
        QTcpServer server;
        server.listen(QHostAddress::LocalHost, 0);
        m_port = server.serverPort();
        QObject::connect(&server, &QTcpServer::newConnection, &server, [this, &server] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                ++connections;
                serve(socket);
            }
        });
        m_ready.release();
        exec();
    }

private:
    void serve(QTcpSocket *socket)
    {
        auto *head = new QByteArray;
        QObject::connect(socket, &QTcpSocket::disconnected, socket, [this, socket, head] {
            ++disconnects;
            delete head;
            socket->deleteLater();
        });
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, head] {
            *head += socket->readAll();
            if (!head->contains("\r\n\r\n")) {
                return;
            }
            const QByteArray path = head->split(' ').value(1);
            head->clear();
            ++requests;
            switch (m_mode) {
            case Mode::Ok: // "hello" and the path asked
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                    + QByteArray::number(5 + path.size()) + "\r\n\r\nhello" + path);
                break;
            case Mode::HugeLength:
                socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\nabc");
                break;
            case Mode::Trickle: {
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
                auto *timer = new QTimer(socket);
                QObject::connect(timer, &QTimer::timeout, socket, [socket] { socket->write("x"); });
                timer->start(20);
                break;
            }
            }
        });
    }

    Mode m_mode;
    QSemaphore m_ready;
    std::atomic<quint16> m_port { 0 };
};

// Waits for `condition` without processing this thread's events (bounded).
template <class Condition> bool waitWithoutEvents(Condition condition, int ms = 5000)
{
    QDeadlineTimer deadline(ms);
    while (!condition()) {
        if (deadline.hasExpired()) {
            return false;
        }
        QThread::msleep(2);
    }
    return true;
}

struct Received
{
    int calls = 0;
    HttpFetchResult result;
    QThread *thread = nullptr;
};

HttpWorker::Done recordInto(Received &r)
{
    return [&r](const HttpFetchResult &result) {
        ++r.calls;
        r.result = result;
        r.thread = QThread::currentThread();
    };
}

} // namespace

class tst_HttpWorker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestRunsWithoutThisThread();
    void sequenceGoesInOrderOnOneConnection();
    void deadlineCutsATricklingReply();
    void contentLengthAboveTheCapIsRefused();
    void cancelClosesTheConnectionAndDeliversNothing();
    void destroyedContextGetsNothing();
    void destroyingTheWorkerAbortsWhatIsInFlight();
};

void tst_HttpWorker::requestRunsWithoutThisThread()
{
    ThreadedPeer peer(ThreadedPeer::Mode::Ok);
    HttpWorker worker;
    QObject context;
    Received got;
    worker.get(&context, QNetworkRequest(peer.url(QStringLiteral("/clusters"))), { 5000, 1024, 0 },
        recordInto(got));
    // Sent, answered and read while this thread processes no event at all.
    QVERIFY(waitWithoutEvents([&] { return worker.finishedOnWorker() == 1; }));
    QCOMPARE(peer.requests.load(), 1);
    QCOMPARE(got.calls, 0); // the result waits for this thread's event loop
    QCOMPARE(worker.pending(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(got.calls, 1, 5000);
    QCOMPARE(got.thread, QThread::currentThread());
    QVERIFY2(got.result.ok(), qPrintable(got.result.reason));
    QCOMPARE(got.result.httpStatus, 200);
    QCOMPARE(got.result.body, QByteArray("hello/clusters"));
    QCOMPARE(got.result.what, QStringLiteral("GET /clusters"));
    QCOMPARE(worker.pending(), 0);
    QCOMPARE(worker.runningOnWorker(), 0);
}

void tst_HttpWorker::sequenceGoesInOrderOnOneConnection()
{
    ThreadedPeer peer(ThreadedPeer::Mode::Ok);
    HttpWorker worker;
    QObject context;
    int calls = 0;
    QList<HttpFetchResult> results;
    worker.getAll(&context,
        { QNetworkRequest(peer.url(QStringLiteral("/clusters"))),
            QNetworkRequest(peer.url(QStringLiteral("/server_info"))),
            QNetworkRequest(peer.url(QStringLiteral("/stats"))) },
        { 5000, 1024, 0 }, [&](const QList<HttpFetchResult> &r) {
            ++calls;
            results = r;
        });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 5000);
    QCOMPARE(results.size(), 3);
    QCOMPARE(results[0].body, QByteArray("hello/clusters"));
    QCOMPARE(results[1].body, QByteArray("hello/server_info"));
    QCOMPARE(results[2].body, QByteArray("hello/stats"));
    QCOMPARE(peer.requests.load(), 3);
    QCOMPARE(peer.connections.load(), 1); // one after the other: one kept-alive connection
    QCOMPARE(worker.finishedOnWorker(), quint64(3));
    QCOMPARE(worker.pending(), 0);
}

void tst_HttpWorker::deadlineCutsATricklingReply()
{
    ThreadedPeer peer(ThreadedPeer::Mode::Trickle);
    HttpWorker worker;
    QObject context;
    Received got;
    QElapsedTimer clock;
    clock.start();
    worker.get(&context, QNetworkRequest(peer.url(QStringLiteral("/stats"))), { 400, 1 << 20, 0 },
        recordInto(got));
    QTRY_COMPARE_WITH_TIMEOUT(got.calls, 1, 400 + 5000);
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(got.result.failure, HttpFetchResult::Failure::Deadline);
    QCOMPARE(got.result.kind, SourceError::Kind::Timeout);
    QVERIFY2(elapsed >= 400 && elapsed < 400 + s_slackMs, qPrintable(QString::number(elapsed)));
    QTRY_COMPARE_WITH_TIMEOUT(peer.disconnects.load(), 1, 5000); // the reply was aborted
}

void tst_HttpWorker::contentLengthAboveTheCapIsRefused()
{
    ThreadedPeer peer(ThreadedPeer::Mode::HugeLength);
    HttpWorker worker;
    QObject context;
    Received got;
    worker.get(&context, QNetworkRequest(peer.url(QStringLiteral("/clusters"))), { 5000, 65536, 0 },
        recordInto(got));
    QTRY_COMPARE_WITH_TIMEOUT(got.calls, 1, 5000);
    QCOMPARE(got.result.failure, HttpFetchResult::Failure::TooLarge);
    QVERIFY2(
        got.result.reason.contains(u"Content-Length 1073741824"), qPrintable(got.result.reason));
    QVERIFY(got.result.body.isEmpty());
}

void tst_HttpWorker::cancelClosesTheConnectionAndDeliversNothing()
{
    ThreadedPeer peer(ThreadedPeer::Mode::Trickle);
    HttpWorker worker;
    QObject context;
    Received got;
    const quint64 id = worker.get(&context, QNetworkRequest(peer.url(QStringLiteral("/clusters"))),
        { 5000, 1 << 20, 0 }, recordInto(got));
    QVERIFY(id != 0);
    QVERIFY(waitWithoutEvents([&] { return peer.requests.load() == 1; }));
    worker.cancel(id);
    QCOMPARE(worker.pending(), 0);
    QVERIFY(waitWithoutEvents([&] { return peer.disconnects.load() == 1; }));
    QCOMPARE(worker.runningOnWorker(), 0);
    QCOMPARE(worker.finishedOnWorker(), quint64(0));
    QCoreApplication::processEvents();
    QCOMPARE(got.calls, 0);
    worker.cancel(id); // again: ignored
}

void tst_HttpWorker::destroyedContextGetsNothing()
{
    ThreadedPeer peer(ThreadedPeer::Mode::Ok);
    HttpWorker worker;
    auto *context = new QObject;
    Received got;
    worker.get(context, QNetworkRequest(peer.url(QStringLiteral("/server_info"))),
        { 5000, 1024, 0 }, recordInto(got));
    delete context;
    QVERIFY(waitWithoutEvents([&] { return worker.finishedOnWorker() == 1; }));
    QTRY_COMPARE_WITH_TIMEOUT(worker.pending(), 0, 5000); // the result arrived, and was dropped
    QCOMPARE(got.calls, 0);
}

void tst_HttpWorker::destroyingTheWorkerAbortsWhatIsInFlight()
{
    ThreadedPeer peer(ThreadedPeer::Mode::Trickle);
    auto worker = std::make_unique<HttpWorker>();
    QObject context;
    Received got;
    worker->get(&context, QNetworkRequest(peer.url(QStringLiteral("/clusters"))),
        { 30'000, 1 << 20, 0 }, recordInto(got));
    QVERIFY(waitWithoutEvents([&] { return peer.requests.load() == 1; }));
    QElapsedTimer clock;
    clock.start();
    worker.reset();
    QVERIFY2(clock.elapsed() < s_slackMs, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(waitWithoutEvents([&] { return peer.disconnects.load() == 1; }));
    QCoreApplication::processEvents();
    QCOMPARE(got.calls, 0);
}

QTEST_GUILESS_MAIN(tst_HttpWorker)
#include "tst_HttpWorker.moc"
