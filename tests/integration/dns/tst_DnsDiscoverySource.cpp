// DnsDiscoverySource against the real harness BIND: nsupdate adds and removes records mid-test
// and the source sees each change within one TTL; deleting every record gives NXDOMAIN with the
// SOA's negative window and keeps the last answer as stale; a silent server does the same.
// The source as a whole fails while every name's last answer failed, even when the names were
// asked in different polls (their TTLs differ) or a poll came before any was due.

#include "DnsTestBed.h"
#include "dns/DnsDiscoverySource.h"

#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>
#include <QUdpSocket>

using namespace hopscope;

class tst_DnsDiscoverySource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void liveChangesWithinOneTtl();
    void failingWhileEveryNameFails();

private:
    DnsTestBed m_bed;
};

void tst_DnsDiscoverySource::initTestCase()
{
    m_bed = DnsTestBed::fromEnvironment();
    QVERIFY2(m_bed.error.isEmpty(), qPrintable(m_bed.error));
}

void tst_DnsDiscoverySource::liveChangesWithinOneTtl()
{
    const int ttl = 2;
    const QString name = m_bed.fqdn(QStringLiteral("live.") + m_bed.label);
    QString why;
    QVERIFY2(m_bed.nsupdate({QStringLiteral("update add %1. %2 IN A 127.0.0.101").arg(name).arg(ttl)}, &why),
             qPrintable(why));

    DnsDiscoveryConfig c;
    c.servers = {m_bed.server};
    c.names = {{QStringLiteral("live"), name, DnsRecordType::A, 8000}};
    c.minIntervalMs = 200;
    c.maxIntervalMs = 30'000;
    c.resolver.timeoutMs = 300;
    c.resolver.tries = 2;
    DnsDiscoverySource src(c);
    QSignalSpy diffs(&src, &DnsDiscoverySource::answersChanged);
    QSignalSpy errors(&src, &DnsDiscoverySource::errorOccurred);
    src.start();

    auto records = [&] {
        QStringList out;
        if (const DnsServiceState *s = src.snapshot().service(QStringLiteral("live"))) {
            for (const DnsTarget &t : s->records) {
                out.append(t.record.key() + (t.stale ? QStringLiteral(" stale") : QString()));
            }
        }
        return out;
    };
    QTRY_COMPARE_WITH_TIMEOUT(records(), QStringList{QStringLiteral("127.0.0.101:8000")}, 5000);

    // Added mid-test: seen within one TTL (+ scheduling slack).
    QVERIFY(m_bed.nsupdate({QStringLiteral("update add %1. %2 IN A 127.0.0.102").arg(name).arg(ttl)}));
    QTRY_COMPARE_WITH_TIMEOUT(records(), (QStringList{QStringLiteral("127.0.0.101:8000"),
                                                      QStringLiteral("127.0.0.102:8000")}),
                              ttl * 1000 + 1000);

    // Removed: the diff says until when clients may still hold it (removal + TTL).
    diffs.clear();
    QVERIFY(m_bed.nsupdate({QStringLiteral("update delete %1. A 127.0.0.101").arg(name)}));
    QTRY_COMPARE_WITH_TIMEOUT(records(), QStringList{QStringLiteral("127.0.0.102:8000")}, ttl * 1000 + 1000);
    QVERIFY(!diffs.isEmpty());
    const DnsAnswerDiff d = diffs.last().at(0).value<DnsAnswerDiff>();
    QCOMPARE(d.removed.size(), 1);
    QCOMPARE(d.removed[0].record.key(), QStringLiteral("127.0.0.101:8000"));
    QCOMPARE(d.removed[0].removedAt.msecsTo(d.removed[0].holdUntil), qint64(ttl) * 1000);
    QCOMPARE(src.snapshot().service(QStringLiteral("live"))->removed.size(), 1);

    // Every record deleted: NXDOMAIN, negative window from the SOA, last answer kept as stale.
    QVERIFY(m_bed.nsupdate({QStringLiteral("update delete %1. A").arg(name)}));
    QTRY_VERIFY_WITH_TIMEOUT(src.snapshot().service(QStringLiteral("live"))->error.isError(), ttl * 1000 + 1000);
    {
        const DnsServiceState s = *src.snapshot().service(QStringLiteral("live"));
        QCOMPARE(DnsResult::statusName(s.lastStatus), QStringLiteral("NXDOMAIN"));
        QCOMPARE(s.error.kind, SourceError::Kind::NotFound);
        QVERIFY2(s.error.message.contains(name) && s.error.message.contains(m_bed.server.toString()),
                 qPrintable(s.error.message));
        QCOMPARE(s.lastQueried.msecsTo(s.negativeUntil), qint64(10'000));
        QCOMPARE(records(), QStringList{QStringLiteral("127.0.0.102:8000 stale")});
        QVERIFY(s.records[0].staleReason.contains(QStringLiteral("NXDOMAIN")));
    }
    QVERIFY(!errors.isEmpty());

    // Back again, then the server goes silent: timeout, last good answer kept, marked stale.
    QVERIFY(m_bed.nsupdate({QStringLiteral("update add %1. %2 IN A 127.0.0.103").arg(name).arg(ttl)}));
    src.pollNow();
    QTRY_COMPARE_WITH_TIMEOUT(records(), QStringList{QStringLiteral("127.0.0.103:8000")}, 12'000);
    QUdpSocket hole;
    QVERIFY(hole.bind(QHostAddress::LocalHost, 0));
    QVERIFY(src.setServers({HostPort{QStringLiteral("127.0.0.1"), hole.localPort()}}));
    QTRY_VERIFY_WITH_TIMEOUT(src.snapshot().service(QStringLiteral("live"))->error.kind
                                 == SourceError::Kind::Timeout,
                             ttl * 1000 + 3000);
    QCOMPARE(records(), QStringList{QStringLiteral("127.0.0.103:8000 stale")});
    QVERIFY(m_bed.nsupdate({QStringLiteral("update delete %1. A").arg(name)}));
}

// Two names on different TTLs are asked in different polls; the server goes silent. Each poll
// then asks one name, which fails: once both have failed the source is failing (it read "ok"
// forever before: only a poll in which every name failed counted), and a poll that asks nothing
// (pollNow() before any name is due) asks them again and keeps it failing. Back on the server,
// it answers again.
void tst_DnsDiscoverySource::failingWhileEveryNameFails()
{
    const QString fast = m_bed.fqdn(QStringLiteral("fast.") + m_bed.label);
    const QString slow = m_bed.fqdn(QStringLiteral("slow.") + m_bed.label);
    QString why;
    QVERIFY2(m_bed.nsupdate({ QStringLiteral("update add %1. 1 IN A 127.0.0.111").arg(fast),
                                QStringLiteral("update add %1. 4 IN A 127.0.0.112").arg(slow) },
                 &why),
        qPrintable(why));
    const auto cleanup = qScopeGuard([&] {
        m_bed.nsupdate({ QStringLiteral("update delete %1. A").arg(fast),
            QStringLiteral("update delete %1. A").arg(slow) });
    });

    DnsDiscoveryConfig c;
    c.servers = { m_bed.server };
    c.names = { { QStringLiteral("fast"), fast, DnsRecordType::A, 8000 },
        { QStringLiteral("slow"), slow, DnsRecordType::A, 8000 } };
    // "fast" is re-asked every 2.5 s (its TTL 1 s, raised to the minimum), "slow" every 4 s:
    // after the first poll they are never due together again within this test.
    c.minIntervalMs = 2500;
    c.maxIntervalMs = 30'000;
    c.resolver.timeoutMs = 300;
    c.resolver.tries = 2;
    DnsDiscoverySource src(c);
    QSignalSpy polls(&src, &DnsDiscoverySource::pollFinished);
    src.start();
    QTRY_COMPARE_WITH_TIMEOUT(src.status(), PollingSource::Status::Ok, 5000);
    for (const QString &id : { QStringLiteral("fast"), QStringLiteral("slow") }) {
        const DnsServiceState *s = src.snapshot().service(id);
        QVERIFY(s && s->records.size() == 1 && !s->error.isError());
    }

    QUdpSocket hole; // bound and never read: every query times out
    QVERIFY(hole.bind(QHostAddress::LocalHost, 0));
    QVERIFY(src.setServers({ HostPort { QStringLiteral("127.0.0.1"), hole.localPort() } }));
    const auto failed = [&](const QString &id) {
        const DnsServiceState *s = src.snapshot().service(id);
        return s && s->error.kind == SourceError::Kind::Timeout;
    };
    // "fast" fails first, alone: "slow" still has a good answer, the source is not failing.
    QTRY_VERIFY_WITH_TIMEOUT(failed(QStringLiteral("fast")), 5000);
    QVERIFY(!failed(QStringLiteral("slow")));
    QCOMPARE(src.status(), PollingSource::Status::Ok);
    // Then "slow", in a poll of its own: now every name fails, and so does the source.
    QTRY_VERIFY_WITH_TIMEOUT(failed(QStringLiteral("slow")), 6000);
    QTRY_COMPARE_WITH_TIMEOUT(src.status(), PollingSource::Status::Failing, 1000);
    QVERIFY2(src.lastError().message.contains(QStringLiteral("(and 1 more names)")),
        qPrintable(src.lastError().toString()));

    // A poll before any name is due (each was asked less than the minimum interval ago): it
    // asks them again rather than call the source ok for having asked nothing.
    QTRY_VERIFY(!src.isPolling());
    const QDateTime asked = src.snapshot().service(QStringLiteral("fast"))->lastQueried;
    const int before = int(polls.size());
    src.pollNow();
    QTRY_VERIFY_WITH_TIMEOUT(polls.size() > before, 5000);
    QCOMPARE(src.status(), PollingSource::Status::Failing);
    QVERIFY(src.snapshot().service(QStringLiteral("fast"))->lastQueried > asked);

    // The server answers again: asked now, the source is ok.
    QVERIFY(src.setServers({ m_bed.server }));
    src.requeryAll();
    QTRY_COMPARE_WITH_TIMEOUT(src.status(), PollingSource::Status::Ok, 5000);
}

QTEST_GUILESS_MAIN(tst_DnsDiscoverySource)
#include "tst_DnsDiscoverySource.moc"
