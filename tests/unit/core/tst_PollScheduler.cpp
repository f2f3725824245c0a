// Adaptive polling (issue 15 §3): a PollScheduler caps the polls in flight across sources and
// jitters their intervals (never lengthening them); failing sources back off through it; a
// FrameCoalescer turns many requests into one run per frame, and fewer when the work is
// expensive. Times for the coalescer come from a ManualClock.

#include "core/FrameCoalescer.h"
#include "core/PollScheduler.h"
#include "core/PollingSource.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <vector>

using namespace hopscope;

namespace {
// A source whose polls end when the test says so, or at once.
class StepSource : public PollingSource
{
public:
    enum class Mode { Manual, SucceedAtOnce, FailAtOnce };
    StepSource(const QString &name, Mode mode)
        : PollingSource(name)
        , m_mode(mode)
    { }
    int started = 0;
    void succeed() { finishPoll(); }

protected:
    void startPoll() override
    {
        ++started;
        if (m_mode == Mode::SucceedAtOnce) {
            finishPoll();
        } else if (m_mode == Mode::FailAtOnce) {
            failPoll(makeError(SourceError::Kind::Refused, QStringLiteral("said no")));
        }
    }

private:
    Mode m_mode;
};
} // namespace

class tst_PollScheduler : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jitterShortensWithinBounds();
    void sourcesPollAtJitteredIntervals();
    void capsPollsInFlight();
    void waitingForASlotIsNotATimeout();
    void stoppedSourceLeavesTheQueue();
    void failuresBackOffThroughTheScheduler();
    void manyRequestsOneRun();
    void requestsWithinAFrameWaitForItsEnd();
    void expensiveWorkWidensTheGap();
    void asynchronousWorkRunsOneJobAtATime();
    void poolTimeWidensTheGap();
};

void tst_PollScheduler::jitterShortensWithinBounds()
{
    PollScheduler s(8, 0.2);
    s.setSeed(7);
    int lo = 5000;
    int hi = 0;
    for (int i = 0; i < 2000; ++i) {
        const int d = s.jitteredMs(5000);
        QVERIFY2(d >= 4000 && d <= 5000, qPrintable(QString::number(d)));
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    // Spread over the whole band, not a constant.
    QVERIFY2(lo < 4100 && hi > 4900, qPrintable(QStringLiteral("%1..%2").arg(lo).arg(hi)));
    s.setJitter(0);
    QCOMPARE(s.jitteredMs(5000), 5000);
}

void tst_PollScheduler::sourcesPollAtJitteredIntervals()
{
    PollScheduler sched(8, 0.5);
    sched.setSeed(3);
    StepSource src(QStringLiteral("a"), StepSource::Mode::SucceedAtOnce);
    src.setIntervalMs(40);
    src.setScheduler(&sched);
    QList<int> delays;
    connect(&src, &PollingSource::pollStarted, this, [&] { delays.append(src.lastDelayMs()); });
    src.start();
    QTRY_VERIFY_WITH_TIMEOUT(delays.size() >= 12, 10000);
    src.stop();
    delays.removeFirst(); // the first poll starts at once
    QSet<int> distinct;
    for (int d : std::as_const(delays)) {
        QVERIFY2(d >= 20 && d <= 40, qPrintable(QString::number(d)));
        distinct.insert(d);
    }
    QVERIFY2(distinct.size() > 1, "the intervals are jittered");
}

void tst_PollScheduler::capsPollsInFlight()
{
    PollScheduler sched(3, 0);
    std::vector<std::unique_ptr<StepSource>> sources;
    for (int i = 0; i < 10; ++i) {
        sources.push_back(
            std::make_unique<StepSource>(QStringLiteral("s%1").arg(i), StepSource::Mode::Manual));
        sources.back()->setIntervalMs(60'000);
        sources.back()->setTimeoutMs(60'000);
        sources.back()->setScheduler(&sched);
    }
    const auto startedCount = [&] {
        int n = 0;
        for (const auto &s : sources) {
            n += s->started;
        }
        return n;
    };
    for (const auto &s : sources) {
        s->start();
    }
    QTRY_COMPARE(startedCount(), 3);
    QCOMPARE(sched.inFlight(), 3);
    QCOMPARE(sched.waiting(), 7);
    // Each finished poll lets exactly one waiting source start, in the order they asked.
    for (int round = 0; round < 7; ++round) {
        for (const auto &s : sources) {
            if (s->isPolling()) {
                s->succeed();
                break;
            }
        }
        QTRY_COMPARE(startedCount(), 4 + round);
        QCOMPARE(sched.inFlight(), 3);
    }
    QVERIFY(sources[9]->started == 1);
    QCOMPARE(sched.peakInFlight(), 3);
    for (const auto &s : sources) {
        s->stop();
    }
    QCOMPARE(sched.inFlight(), 0);
    QCOMPARE(sched.waiting(), 0);
}

void tst_PollScheduler::waitingForASlotIsNotATimeout()
{
    PollScheduler sched(1, 0);
    StepSource busy(QStringLiteral("busy"), StepSource::Mode::Manual);
    StepSource queued(QStringLiteral("queued"), StepSource::Mode::SucceedAtOnce);
    for (StepSource *s : { &busy, &queued }) {
        s->setIntervalMs(60'000);
        s->setTimeoutMs(30);
        s->setScheduler(&sched);
    }
    busy.setTimeoutMs(60'000);
    busy.start();
    queued.start();
    QTRY_COMPARE(busy.started, 1);
    QVERIFY(queued.isWaitingForSlot());
    // Many of `queued`'s timeouts pass while it waits: it must not fail for it.
    QSignalSpy errors(&queued, &PollingSource::errorOccurred);
    QVERIFY(!errors.wait(200));
    QCOMPARE(queued.status(), PollingSource::Status::Pending);
    busy.succeed();
    QTRY_COMPARE(queued.status(), PollingSource::Status::Ok);
    QCOMPARE(errors.size(), 0);
}

void tst_PollScheduler::stoppedSourceLeavesTheQueue()
{
    PollScheduler sched(1, 0);
    StepSource busy(QStringLiteral("busy"), StepSource::Mode::Manual);
    auto gone = std::make_unique<StepSource>(QStringLiteral("gone"), StepSource::Mode::Manual);
    StepSource next(QStringLiteral("next"), StepSource::Mode::Manual);
    for (StepSource *s : { &busy, gone.get(), &next }) {
        s->setIntervalMs(60'000);
        s->setTimeoutMs(60'000);
        s->setScheduler(&sched);
        s->start();
    }
    QTRY_COMPARE(busy.started, 1);
    QCOMPARE(sched.waiting(), 2);
    gone->stop();
    QCOMPARE(sched.waiting(), 1);
    gone.reset();
    busy.succeed();
    QTRY_COMPARE(next.started, 1);
    QCOMPARE(sched.inFlight(), 1);
}

void tst_PollScheduler::failuresBackOffThroughTheScheduler()
{
    PollScheduler sched(4, 0.2);
    StepSource src(QStringLiteral("down"), StepSource::Mode::FailAtOnce);
    src.setIntervalMs(10);
    src.setBackoff(Backoff(40, 200, 2.0, 0.0)); // no jitter in the backoff: exact delays
    src.setScheduler(&sched);
    QList<int> delays;
    connect(&src, &PollingSource::pollStarted, this, [&] { delays.append(src.lastDelayMs()); });
    src.start();
    QTRY_VERIFY_WITH_TIMEOUT(delays.size() >= 5, 10000);
    src.stop();
    // 1st poll at once; then 40, 80, 160, 200 (capped) after 1..4 failures in a row.
    QCOMPARE(delays.mid(0, 5), (QList<int> { 0, 40, 80, 160, 200 }));
    QVERIFY(src.consecutiveFailures() >= 4);
}

void tst_PollScheduler::manyRequestsOneRun()
{
    ManualClock clock;
    int runs = 0;
    FrameCoalescer c(clock, [&] { ++runs; });
    for (int i = 0; i < 500; ++i) {
        c.request();
    }
    QTRY_COMPARE(runs, 1);
    QVERIFY(!c.isPending());
    QCOMPARE(c.requests(), 500);
    QCOMPARE(c.runs(), 1);
}

void tst_PollScheduler::requestsWithinAFrameWaitForItsEnd()
{
    ManualClock clock;
    int runs = 0;
    FrameCoalescer c(clock, [&] { ++runs; });
    c.setFrameMs(16);
    c.runNow();
    QCOMPARE(runs, 1);
    // The clock has not moved: a request now waits the whole frame; later ones join it.
    QCOMPARE(c.delayMs(), 16);
    clock.advanceMs(10);
    QCOMPARE(c.delayMs(), 6);
    // A long "frame" so the 100 event-loop turns below surely fall within it on a busy machine.
    c.setFrameMs(1000);
    QCOMPARE(c.delayMs(), 990);
    for (int i = 0; i < 100; ++i) {
        c.request();
        QCoreApplication::processEvents(); // separate event-loop turns, as polls end
    }
    QCOMPARE(runs, 1);
    QVERIFY(c.isPending());
    QTRY_COMPARE(runs, 2);
    QVERIFY(!c.isPending());
    clock.advanceMs(1000);
    QCOMPARE(c.delayMs(), 0); // after a quiet spell: at once
}

void tst_PollScheduler::expensiveWorkWidensTheGap()
{
    ManualClock clock;
    FrameCoalescer c(clock, [&] { clock.advanceMs(50); }); // the work "takes" 50 ms
    c.setFrameMs(16);
    c.setMaxShare(0.1);
    c.runNow();
    QVERIFY(c.lastCostMs() >= 50);
    QCOMPARE(c.gapMs(), int(c.lastCostMs() * 10));
    clock.advanceMs(100);
    QCOMPARE(c.delayMs(), c.gapMs() - 100);
    c.setMaxGapMs(300);
    QCOMPARE(c.gapMs(), 300);
}

void tst_PollScheduler::asynchronousWorkRunsOneJobAtATime()
{
    ManualClock clock;
    int starts = 0;
    FrameCoalescer c(clock, [&] { ++starts; }); // starts a job; the test plays its completion
    c.setAsync(true);
    c.setFrameMs(16);
    QSignalSpy started(&c, &FrameCoalescer::started);
    c.request();
    QTRY_COMPARE(starts, 1);
    QCOMPARE(started.size(), 1);
    QVERIFY(c.isRunning());
    QCOMPARE(c.runs(), 0); // a run ends when its job is back, not when it was handed out
    for (int i = 0; i < 100; ++i) {
        c.request();
        QCoreApplication::processEvents(); // separate event-loop turns, as answers arrive
    }
    QCOMPARE(starts, 1); // never a second job while one is out
    QVERIFY(c.isPending());
    clock.advanceMs(5); // the job's time on the pool
    c.resume();
    clock.advanceMs(3); // applying its result here
    c.finish(40);
    QCOMPARE(c.runs(), 1);
    QVERIFY(!c.isRunning());
    QVERIFY(c.lastCostMs() >= 3); // the apply is this thread's cost; the pool's time is not
    QVERIFY(c.lastCostMs() < 5);
    QCOMPARE(c.lastPoolMs(), 40);
    QTRY_COMPARE(starts, 2); // one more job for the 100 requests, with the latest inputs
    c.finish(0);
    QCOMPARE(c.runs(), 2);
    QVERIFY(!c.isPending());
    c.finish(0); // a completion without a job out changes nothing
    QCOMPARE(c.runs(), 2);
}

void tst_PollScheduler::poolTimeWidensTheGap()
{
    ManualClock clock;
    FrameCoalescer c(clock, [] { });
    c.setAsync(true);
    c.setFrameMs(16);
    c.setPoolShare(0.25);
    c.runNow();
    QVERIFY(c.isRunning());
    c.finish(300);
    // The job held a pool thread 300 ms: at most a quarter of it, so 900 ms more before the next.
    QCOMPARE(c.gapMs(), 900);
    QCOMPARE(c.delayMs(), 900);
    c.setMaxGapMs(500);
    QCOMPARE(c.gapMs(), 500);
}

QTEST_GUILESS_MAIN(tst_PollScheduler)
#include "tst_PollScheduler.moc"
