// TTL / stale-window arithmetic of DnsAnswerTracker with a ManualClock.

#include "core/Clock.h"
#include "dns/DnsAnswerTracker.h"

#include <QTest>

using namespace hopscope;

namespace {
DnsResult okA(const QStringList &addrs, quint32 ttl)
{
    DnsResult r;
    r.name = QStringLiteral("svc.corp.internal");
    r.server = QStringLiteral("127.0.0.1:53");
    r.status = DnsResult::Status::Ok;
    for (const QString &a : addrs) {
        DnsRecord rec;
        rec.address = QHostAddress(a);
        rec.ttl = ttl;
        r.records.append(rec);
    }
    return r;
}
} // namespace

class tst_DnsAnswerTracker : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void nextQueryIsTtlClamped_data();
    void nextQueryIsTtlClamped();
    void removalHoldsForLastTtl();
    void failureKeepsLastAnswerStale();
    void negativeWindowFromSoa();
    void comebackClearsRemoved();
};

void tst_DnsAnswerTracker::nextQueryIsTtlClamped_data()
{
    QTest::addColumn<int>("ttl");
    QTest::addColumn<int>("expectedMs");
    QTest::newRow("ttl-inside-bounds") << 10 << 10'000;
    QTest::newRow("ttl-zero-consul-default-uses-min") << 0 << 1'000;
    QTest::newRow("ttl-huge-capped-at-max") << 86'400 << 60'000;
}

void tst_DnsAnswerTracker::nextQueryIsTtlClamped()
{
    QFETCH(int, ttl);
    QFETCH(int, expectedMs);
    ManualClock clock;
    DnsAnswerTracker t(QStringLiteral("s"), QStringLiteral("svc.corp.internal"), DnsRecordType::A, 80);
    t.apply(okA({QStringLiteral("10.0.0.1")}, quint32(ttl)), clock.now());
    QCOMPARE(clock.now().msecsTo(t.nextQueryAt(1000, 60'000)), qint64(expectedMs));
}

void tst_DnsAnswerTracker::removalHoldsForLastTtl()
{
    ManualClock clock;
    DnsAnswerTracker t(QStringLiteral("s"), QStringLiteral("svc.corp.internal"), DnsRecordType::A, 80);
    t.apply(okA({QStringLiteral("10.0.0.1"), QStringLiteral("10.0.0.2")}, 30), clock.now());
    const QDateTime first = clock.now();
    clock.advanceMs(5000);
    const DnsAnswerDiff d = t.apply(okA({QStringLiteral("10.0.0.2")}, 30), clock.now());
    QCOMPARE(d.added.size(), 0);
    QCOMPARE(d.removed.size(), 1);
    QCOMPARE(d.removed[0].record.key(), QStringLiteral("10.0.0.1:80"));
    QCOMPARE(d.removed[0].removedAt, clock.now());
    QCOMPARE(d.removed[0].holdUntil, clock.now().addSecs(30));
    QCOMPARE(d.removed[0].firstSeen, first);
    QCOMPARE(t.state(clock.now()).records[0].firstSeen, first);
    QCOMPARE(t.state(clock.now()).records[0].lastSeen, clock.now());
    clock.advanceMs(29'999);
    QCOMPARE(t.state(clock.now()).removed.size(), 1);
    clock.advanceMs(2);
    QCOMPARE(t.state(clock.now()).removed.size(), 0); // clients cannot hold it any more
}

void tst_DnsAnswerTracker::failureKeepsLastAnswerStale()
{
    ManualClock clock;
    DnsAnswerTracker t(QStringLiteral("s"), QStringLiteral("svc.corp.internal"), DnsRecordType::A, 80);
    t.apply(okA({QStringLiteral("10.0.0.1")}, 10), clock.now());
    clock.advanceMs(10'000);
    DnsResult fail = okA({}, 0);
    fail.status = DnsResult::Status::Timeout;
    const DnsAnswerDiff d = t.apply(fail, clock.now());
    QVERIFY(d.isEmpty());
    const DnsServiceState s = t.state(clock.now());
    QCOMPARE(s.records.size(), 1);
    QVERIFY(s.records[0].stale);
    QVERIFY(s.records[0].staleReason.contains(QStringLiteral("timeout")));
    QCOMPARE(s.error.kind, SourceError::Kind::Timeout);
    QCOMPARE(clock.now().msecsTo(t.nextQueryAt(1000, 60'000)), qint64(1000)); // retry soon
}

void tst_DnsAnswerTracker::negativeWindowFromSoa()
{
    ManualClock clock;
    DnsAnswerTracker t(QStringLiteral("s"), QStringLiteral("svc.corp.internal"), DnsRecordType::A, 80);
    DnsResult nx = okA({}, 0);
    nx.status = DnsResult::Status::NxDomain;
    nx.negativeTtl = 15;
    t.apply(nx, clock.now());
    const DnsServiceState s = t.state(clock.now());
    QCOMPARE(s.negativeUntil, clock.now().addSecs(15));
    QCOMPARE(s.error.kind, SourceError::Kind::NotFound);
    QCOMPARE(clock.now().msecsTo(t.nextQueryAt(1000, 60'000)), qint64(15'000));
}

void tst_DnsAnswerTracker::comebackClearsRemoved()
{
    ManualClock clock;
    DnsAnswerTracker t(QStringLiteral("s"), QStringLiteral("svc.corp.internal"), DnsRecordType::A, 80);
    t.apply(okA({QStringLiteral("10.0.0.1")}, 10), clock.now());
    clock.advanceMs(1000);
    t.apply(okA({}, 10), clock.now());
    QCOMPARE(t.state(clock.now()).removed.size(), 1);
    clock.advanceMs(1000);
    const DnsAnswerDiff d = t.apply(okA({QStringLiteral("10.0.0.1")}, 10), clock.now());
    QCOMPARE(d.added.size(), 1);
    QCOMPARE(t.state(clock.now()).removed.size(), 0);
}

QTEST_GUILESS_MAIN(tst_DnsAnswerTracker)
#include "tst_DnsAnswerTracker.moc"
