#include "core/PollingSource.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

using namespace hopscope;

namespace {
// A source whose polls end when the test says so (or at once, in the chosen way).
class FakeSource : public PollingSource
{
public:
    enum class Mode { Manual, SucceedAtOnce, FailAtOnce, SucceedLater };
    explicit FakeSource(Mode mode)
        : PollingSource(QStringLiteral("fake"))
        , m_mode(mode)
    {
    }
    Mode m_mode;
    int started = 0;
    int cancelled = 0;
    int inFlightMax = 0;
    int inFlight = 0;

    void succeed()
    {
        --inFlight;
        finishPoll();
    }
    // Simulates an answer that arrives after the poll already timed out.
    void finishPollForTest() { finishPoll(); }
    void fail()
    {
        --inFlight;
        failPoll(makeError(SourceError::Kind::Refused, QStringLiteral("said no")));
    }

protected:
    void startPoll() override
    {
        ++started;
        ++inFlight;
        inFlightMax = std::max(inFlightMax, inFlight);
        switch (m_mode) {
        case Mode::SucceedAtOnce:
            succeed();
            break;
        case Mode::FailAtOnce:
            fail();
            break;
        case Mode::SucceedLater:
            QTimer::singleShot(5, this, [this] { succeed(); });
            break;
        case Mode::Manual:
            break;
        }
    }
    void cancelPoll() override
    {
        ++cancelled;
        --inFlight;
    }
};
} // namespace

// PollingSource: re-arm after each poll, never two in flight, timeouts, backoff, status.
class tst_PollingSource : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pollsRepeatedlyAndReportsOk()
    {
        FakeSource s(FakeSource::Mode::SucceedLater);
        s.setIntervalMs(20);
        QSignalSpy finished(&s, &PollingSource::pollFinished);
        QCOMPARE(s.status(), PollingSource::Status::Idle);
        s.start();
        QCOMPARE(s.status(), PollingSource::Status::Pending);
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() >= 3, 5000);
        QCOMPARE(s.status(), PollingSource::Status::Ok);
        QVERIFY(s.lastSuccess().isValid());
        QCOMPARE(s.inFlightMax, 1);
        s.stop();
        QCOMPARE(s.status(), PollingSource::Status::Idle);
    }

    void timeoutFailsThePollAndIgnoresTheLateAnswer()
    {
        FakeSource s(FakeSource::Mode::Manual);
        s.setIntervalMs(10'000);
        s.setTimeoutMs(30);
        QSignalSpy errors(&s, &PollingSource::errorOccurred);
        s.start();
        QVERIFY(errors.wait(5000));
        QCOMPARE(s.status(), PollingSource::Status::Failing);
        QCOMPARE(s.lastError().kind, SourceError::Kind::Timeout);
        QCOMPARE(s.lastError().source, QStringLiteral("fake"));
        QVERIFY(s.lastError().message.contains(QStringLiteral("30 ms")));
        QCOMPARE(s.cancelled, 1);
        QCOMPARE(s.consecutiveFailures(), 1);
        // The answer arrives after the timeout: it must not turn the source Ok.
        s.finishPollForTest();
        QCOMPARE(s.status(), PollingSource::Status::Failing);
        QVERIFY(!s.lastSuccess().isValid());
    }

    void failuresBackOffAndRecoveryResets()
    {
        FakeSource s(FakeSource::Mode::FailAtOnce);
        s.setIntervalMs(10);
        s.setBackoff(Backoff(10, 40, 2.0, 0.0));
        QSignalSpy errors(&s, &PollingSource::errorOccurred);
        s.start();
        QTRY_VERIFY_WITH_TIMEOUT(errors.size() >= 4, 5000);
        QVERIFY(s.consecutiveFailures() >= 4);
        QCOMPARE(s.status(), PollingSource::Status::Failing);
        s.m_mode = FakeSource::Mode::SucceedAtOnce;
        QTRY_COMPARE_WITH_TIMEOUT(s.status(), PollingSource::Status::Ok, 5000);
        QCOMPARE(s.consecutiveFailures(), 0);
        QCOMPARE(s.lastError().kind, SourceError::Kind::None);
    }

    void pollNowDuringAPollQueuesExactlyOneMore()
    {
        FakeSource s(FakeSource::Mode::Manual);
        s.setIntervalMs(60'000);
        s.start();
        QTRY_COMPARE(s.started, 1);
        s.pollNow();
        s.pollNow();
        QCOMPARE(s.started, 1); // never two in flight
        s.succeed();
        QTRY_COMPARE(s.started, 2);
        QCOMPARE(s.inFlightMax, 1);
    }

    void staleAfterMissedIntervals()
    {
        FakeSource s(FakeSource::Mode::SucceedAtOnce);
        s.setIntervalMs(1000);
        QVERIFY(s.isStale(QDateTime::currentDateTimeUtc())); // no data yet is stale, not healthy
        s.start();
        QTRY_COMPARE(s.status(), PollingSource::Status::Ok);
        const QDateTime t = s.lastSuccess();
        QVERIFY(!s.isStale(t.addMSecs(2999)));
        QVERIFY(s.isStale(t.addMSecs(3001)));
    }

    void backoffIsCappedAndJittered()
    {
        const Backoff b(1000, 8000, 2.0, 0.2);
        QRandomGenerator rng(42);
        for (int failures = 1; failures < 40; ++failures) {
            const int expected = std::min(8000, 1000 << std::min(failures - 1, 10));
            const int d = b.delayMs(failures, &rng);
            QVERIFY2(d >= expected * 0.8 - 1 && d <= std::min(8000.0, expected * 1.2 + 1),
                     qPrintable(QStringLiteral("failures=%1 delay=%2").arg(failures).arg(d)));
        }
        // Jitter: two sources failing together do not retry at the same moment.
        QRandomGenerator a(1), c(2);
        QVERIFY(b.delayMs(3, &a) != b.delayMs(3, &c));
    }
};

QTEST_GUILESS_MAIN(tst_PollingSource)
#include "tst_PollingSource.moc"
