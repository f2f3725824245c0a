// buildThread() (model/core/OffThread): the topology builds and traffic reports of every window
// run on one thread of their own, one after the other, apart from the global pool where the
// answers are parsed, and their results come back on the caller's thread.

#include "core/OffThread.h"

#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace hopscope;

class tst_BuildThread : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void jobsRunOneAfterTheOtherOnOneThreadOfTheirOwn();
};

void tst_BuildThread::jobsRunOneAfterTheOtherOnOneThreadOfTheirOwn()
{
    QVERIFY(buildThread() == buildThread());
    QCOMPARE(buildThread()->maxThreadCount(), 1);
    std::atomic<int> running { 0 };
    std::atomic<int> mostAtOnce { 0 };
    QSet<QThread *> ranOn;
    QList<int> doneOrder;
    QObject owner;
    constexpr int jobs = 6;
    for (int i = 0; i < jobs; ++i) {
        runOffThread(
            buildThread(), &owner,
            [&running, &mostAtOnce, i] {
                const int now = ++running;
                int seen = mostAtOnce.load();
                while (now > seen && !mostAtOnce.compare_exchange_weak(seen, now)) { }
                // Work long enough for a second thread, if there were one, to start the next.
                volatile quint64 sum = 0;
                for (quint64 k = 0; k < 3'000'000; ++k) {
                    sum = sum + k;
                }
                --running;
                return std::pair { i, QThread::currentThread() };
            },
            [&](std::pair<int, QThread *> r) {
                QCOMPARE(QThread::currentThread(), owner.thread()); // back on the caller's thread
                doneOrder.append(r.first);
                ranOn.insert(r.second);
            });
    }
    QTRY_COMPARE_WITH_TIMEOUT(doneOrder.size(), jobs, 30'000);
    QCOMPARE(mostAtOnce.load(), 1);
    QCOMPARE(doneOrder, (QList<int> { 0, 1, 2, 3, 4, 5 }));
    QCOMPARE(ranOn.size(), 1);
    QThread *builder = *ranOn.cbegin();
    QVERIFY(builder != QThread::currentThread());
    // The global pool's jobs (parses) run elsewhere.
    QThread *parsedOn = nullptr;
    runOffThread(
        &owner, [] { return QThread::currentThread(); }, [&](QThread *t) { parsedOn = t; });
    QTRY_VERIFY_WITH_TIMEOUT(parsedOn != nullptr, 10'000);
    QVERIFY(parsedOn != builder);
}

QTEST_GUILESS_MAIN(tst_BuildThread)
#include "tst_BuildThread.moc"
