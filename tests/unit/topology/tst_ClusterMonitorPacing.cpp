// ClusterMonitor paces its sources (issue 15 §3). 50 Envoy sidecar sources against a silent
// loopback peer (accepts, never answers): at most the scheduler's cap of polls is in flight, the
// rest wait for a slot. Many polls ending in separate event-loop turns within one frame cause one
// topology rebuild, not one each. Times for the coalescer come from a ManualClock.

#include "core/OffThread.h"
#include "topology/ClusterMonitor.h"

#include "prometheus/PrometheusSource.h"

#include <QScopeGuard>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThreadPool>
#include <QTimer>

#include <memory>
#include <vector>

using namespace hopscope;

namespace {
ClusterProfile sidecars(int n, const QList<quint16> &ports)
{
    ClusterProfile p;
    p.name = QStringLiteral("pacing");
    p.poll.intervalMs = 60'000;
    p.poll.timeoutMs = 30'000;
    for (int i = 0; i < n; ++i) {
        ServiceSpec svc;
        svc.id = svc.name = QStringLiteral("s%1").arg(i);
        p.services << svc;
        ProxySpec px;
        px.id = QStringLiteral("px%1").arg(i);
        px.kind = QStringLiteral("envoy");
        px.admin = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(ports.value(i, 9)));
        px.service = svc.id;
        px.task = HostPort { QStringLiteral("127.0.0.1"), quint16(10000 + i) };
        p.proxies << px;
    }
    return p;
}
} // namespace

class tst_ClusterMonitorPacing : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void capsPollsInFlightAcrossSources();
    void pollsEndingWithinAFrameRebuildOnce();
    void prometheusStandbysTakeSlots();
    void buildsOnThePoolNotTheGuiThread();
};

void tst_ClusterMonitorPacing::capsPollsInFlightAcrossSources()
{
    // One silent admin endpoint per sidecar: accepts connections, never writes a byte.
    std::vector<std::unique_ptr<QTcpServer>> peers;
    QList<quint16> ports;
    QSet<int> contacted; // the peers that saw a connection
    QList<QTcpSocket *> held;
    for (int i = 0; i < 50; ++i) {
        peers.push_back(std::make_unique<QTcpServer>());
        QTcpServer *peer = peers.back().get();
        QVERIFY(peer->listen(QHostAddress::LocalHost));
        ports << peer->serverPort();
        connect(peer, &QTcpServer::newConnection, this, [&, peer, i] {
            while (QTcpSocket *s = peer->nextPendingConnection()) {
                held.append(s);
                contacted.insert(i);
            }
        });
    }
    ClusterMonitor monitor(sidecars(50, ports));
    PollScheduler *sched = monitor.scheduler();
    QVERIFY(sched);
    QVERIFY(sched->maxInFlight() < 50);
    for (PollingSource *s : monitor.sources()) {
        QVERIFY(!s->isPolling());
    }
    monitor.start();
    const int cap = sched->maxInFlight();
    QTRY_COMPARE(sched->inFlight(), cap);
    QCOMPARE(sched->waiting(), 50 - cap);
    int polling = 0;
    int waiting = 0;
    for (PollingSource *s : monitor.sources()) {
        polling += s->isPolling();
        waiting += s->isWaitingForSlot();
    }
    QCOMPARE(polling, cap);
    QCOMPARE(waiting, 50 - cap);
    // Exactly the sources holding a slot reached their peers; the others did not connect.
    QTRY_COMPARE(contacted.size(), cap);
    QCOMPARE(sched->waiting(), 50 - cap);
    monitor.stop();
    QCOMPARE(sched->inFlight(), 0);
    QCOMPARE(sched->waiting(), 0);
    QCOMPARE(sched->peakInFlight(), cap);
}

void tst_ClusterMonitorPacing::pollsEndingWithinAFrameRebuildOnce()
{
    ManualClock clock;
    ClusterMonitor monitor(sidecars(50, {}), nullptr, clock);
    QSignalSpy changed(&monitor, &ClusterMonitor::topologyChanged);
    monitor.rebuilds()->setFrameMs(5000); // one long "frame" for a busy machine
    clock.advanceMs(60'000); // quiet since the declared picture
    // Each source's poll ends in its own event-loop turn (as answers arrive one by one).
    for (PollingSource *s : monitor.sources()) {
        Q_EMIT s->pollFinished();
        QCoreApplication::processEvents();
    }
    // The first answer was drawn at once (its build on the pool); the 49 others wait for the
    // build and the frame's end, together.
    QTRY_COMPARE(changed.size(), 1);
    QVERIFY(monitor.rebuilds()->isPending());
    QCOMPARE(monitor.rebuilds()->requests(), 50);
}

void tst_ClusterMonitorPacing::prometheusStandbysTakeSlots()
{
    // Every sidecar's admin API refuses (a closed port), so each direct source fails at once and
    // its PrometheusFallback starts the standby; Prometheus accepts and never answers. The
    // standbys' queries go through the same scheduler: at most the cap in flight, the rest wait.
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 closedPort = closed.serverPort();
    closed.close();
    QTcpServer prometheus;
    QVERIFY(prometheus.listen(QHostAddress::LocalHost));
    QList<QTcpSocket *> held;
    connect(&prometheus, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = prometheus.nextPendingConnection()) {
            held.append(s);
        }
    });
    ClusterProfile p = sidecars(50, QList<quint16>(50, closedPort));
    p.prometheusUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(prometheus.serverPort()));
    ClusterMonitor monitor(p);
    PollScheduler *sched = monitor.scheduler();
    const int cap = sched->maxInFlight();
    QVERIFY(cap < 50);
    monitor.start();
    // The 50 direct polls fail (refused) and each starts its standby; once all 50 standbys run,
    // the cap's worth hold slots (Prometheus never answers) and the others wait for one.
    const QList<PrometheusSource *> standbys = monitor.findChildren<PrometheusSource *>();
    QCOMPARE(standbys.size(), 50);
    const auto count = [&](bool polling) {
        int n = 0;
        for (const PrometheusSource *s : standbys) {
            n += polling ? s->isPolling() : s->isWaitingForSlot();
        }
        return n;
    };
    QTRY_COMPARE(count(true) + count(false), 50);
    QTRY_COMPARE(count(true), cap); // a direct retry may hold a slot for a moment
    QCOMPARE(count(false), 50 - cap);
    QVERIFY(sched->inFlight() <= cap);
    monitor.stop();
    QCOMPARE(sched->inFlight(), 0);
}

void tst_ClusterMonitorPacing::buildsOnThePoolNotTheGuiThread()
{
    // The build thread (OffThread.h: buildThread) is held, so a build handed to it cannot run.
    // The GUI thread must stay free meanwhile (its events run), the picture stays the last one,
    // and the build's result arrives once the thread is free. A build on the GUI thread (the
    // rebuild of rounds 15-22) delivers topologyChanged although the build thread is held.
    ClusterMonitor monitor(sidecars(20, {}));
    QSignalSpy changed(&monitor, &ClusterMonitor::topologyChanged);
    QThreadPool *pool = buildThread();
    const int threads = pool->maxThreadCount();
    auto holding = std::make_shared<QSemaphore>();
    auto release = std::make_shared<QSemaphore>();
    auto freePool = qScopeGuard([&] { release->release(threads); });
    for (int i = 0; i < threads; ++i) {
        pool->start([holding, release] {
            holding->release();
            release->acquire();
        });
    }
    QVERIFY(holding->tryAcquire(threads, 10'000)); // the build thread is held now
    Q_EMIT monitor.sources().first()->pollFinished();
    QTRY_VERIFY(monitor.rebuilds()->isRunning());
    bool turned = false;
    QTimer::singleShot(0, this, [&] { turned = true; });
    QTRY_VERIFY(turned); // the GUI thread runs its events while the build waits for the pool
    QCOMPARE(changed.size(), 0);
    // More answers while the build is out: one more build after it, not one each.
    for (PollingSource *s : monitor.sources()) {
        Q_EMIT s->pollFinished();
        QCoreApplication::processEvents();
    }
    QCOMPARE(changed.size(), 0);
    QVERIFY(monitor.rebuilds()->isPending());
    freePool.dismiss();
    release->release(threads);
    QTRY_COMPARE(changed.size(), 2);
    QTRY_VERIFY(!monitor.rebuilds()->isPending() && !monitor.rebuilds()->isRunning());
    QCOMPARE(changed.size(), 2);
    QCOMPARE(monitor.rebuilds()->runs(), 2);
    QCOMPARE(monitor.topology().services.size(), 20); // the whole picture, from the pool
}

QTEST_GUILESS_MAIN(tst_ClusterMonitorPacing)
#include "tst_ClusterMonitorPacing.moc"
