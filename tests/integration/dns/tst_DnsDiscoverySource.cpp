// DnsDiscoverySource against the real harness BIND: nsupdate adds and removes records mid-test
// and the source sees each change within one TTL; deleting every record gives NXDOMAIN with the
// SOA's negative window and keeps the last answer as stale; a silent server does the same.

#include "DnsTestBed.h"
#include "dns/DnsDiscoverySource.h"

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

QTEST_GUILESS_MAIN(tst_DnsDiscoverySource)
#include "tst_DnsDiscoverySource.moc"
