// DnsResolver against the real harness BIND: every layout, CNAME chains, SRV without glue,
// TCP fallback, NXDOMAIN with the SOA negative TTL, REFUSED, a server that never answers, and the
// window on queries in flight (follow-ups included).

#include "DnsTestBed.h"
#include "dns/DnsResolver.h"

#include <QFile>
#include <QTest>
#include <QUdpSocket>

#include <algorithm>

using namespace hopscope;

class tst_DnsResolver : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void layouts_data();
    void layouts();
    void tcpFallback_data();
    void tcpFallback();
    void nxdomainCarriesNegativeTtl();
    void foreignZoneIsRefused();
    void silentServerTimesOut();
    void srvTargetAaaaAskedAlongsideA();
    void srvTargetWithoutAddressIsReported();
    void destroyWithQueriesPending();
    void cancelledLookupNeverCallsBack();
    void windowCapsQueriesInFlight();
    void cancelAllDropsQueuedQueries();

private:
    DnsResult resolve(DnsResolver &r, const QString &name, DnsRecordType type, bool *ok);
    static QStringList render(const DnsResult &r);
    DnsTestBed m_bed;
};

void tst_DnsResolver::initTestCase()
{
    m_bed = DnsTestBed::fromEnvironment();
    QVERIFY2(m_bed.error.isEmpty(), qPrintable(m_bed.error));
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/dns/layouts.nsupdate"));
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
    QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QString why;
    QVERIFY2(m_bed.nsupdate(lines, &why), qPrintable(why)); // idempotent: same RRs re-added
}

DnsResult tst_DnsResolver::resolve(
    DnsResolver &r, const QString &name, DnsRecordType type, bool *ok)
{
    DnsResult out;
    bool done = false;
    r.lookup(name, type, this, [&](const DnsResult &res) {
        out = res;
        done = true;
    });
    *ok = QTest::qWaitFor([&] { return done; }, 15000);
    return out;
}

QStringList tst_DnsResolver::render(const DnsResult &r)
{
    QStringList out;
    for (const DnsRecord &rec : r.records) {
        QString s = rec.address.toString();
        if (rec.type == DnsRecordType::SRV) {
            s = QStringLiteral("%1 %2 %3 %4 %5")
                    .arg(rec.priority)
                    .arg(rec.weight)
                    .arg(rec.port)
                    .arg(rec.target,
                        rec.address.isNull() ? QStringLiteral("-") : rec.address.toString());
        }
        out.append(s + QStringLiteral(" ttl=") + QString::number(rec.ttl));
    }
    std::sort(out.begin(), out.end()); // BIND rotates record order: compare sets
    return out;
}

void tst_DnsResolver::layouts_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<DnsRecordType>("type");
    QTest::addColumn<QStringList>("expected"); // @ZONE@ replaced
    QTest::addColumn<QStringList>("chain");

    QTest::newRow("cloudmap-a-multivalue")
        << "serviceb.@ZONE@" << DnsRecordType::A << QStringList() << QStringList();
    QTest::newRow("consul-srv-node-targets")
        << "web.service.@ZONE@" << DnsRecordType::SRV
        << QStringList { QStringLiteral("1 1 21001 node1.node.dc1.@ZONE@ 127.0.0.71 ttl=5"),
               QStringLiteral("1 1 21002 node2.node.dc1.@ZONE@ 127.0.0.72 ttl=5") }
        << QStringList();
    QTest::newRow("k8s-headless-srv")
        << "_http._tcp.web.default.svc.@ZONE@" << DnsRecordType::SRV
        << QStringList { QStringLiteral("0 50 8080 web-0.web.default.svc.@ZONE@ 127.0.0.81 ttl=5"),
               QStringLiteral("0 50 8080 web-1.web.default.svc.@ZONE@ 127.0.0.82 ttl=5") }
        << QStringList();
    QTest::newRow("srv-target-without-glue-follow-up")
        << "_x._tcp.noglue.@ZONE@" << DnsRecordType::SRV
        << QStringList { QStringLiteral("0 1 9000 alias-t.noglue.@ZONE@ 127.0.0.77 ttl=5") }
        << QStringList();
    QTest::newRow("srv-ipv6-only-target-a-nodata-then-aaaa")
        << "_v6._tcp.noglue.@ZONE@" << DnsRecordType::SRV
        << QStringList { QStringLiteral("0 1 9001 alias-v6.noglue.@ZONE@ fd00::77 ttl=5") }
        << QStringList();
    QTest::newRow("srv-dual-stack-target-a-only-by-default")
        << "_ds._tcp.noglue.@ZONE@" << DnsRecordType::SRV
        << QStringList { QStringLiteral("0 1 9002 alias-ds.noglue.@ZONE@ 127.0.0.78 ttl=5") }
        << QStringList();
    QTest::newRow("cname-chain-two-hops")
        << "hop1.chain.@ZONE@" << DnsRecordType::A
        << QStringList { QStringLiteral("127.0.0.91 ttl=5") }
        << QStringList { QStringLiteral("hop2.chain.@ZONE@"), QStringLiteral("end.chain.@ZONE@") };
    QTest::newRow("cloudmap-bridge-srv-via-cname")
        << "_http._tcp.servicec.@ZONE@" << DnsRecordType::SRV << QStringList()
        << QStringList { QStringLiteral("servicec.@ZONE@") };
}

void tst_DnsResolver::layouts()
{
    QFETCH(QString, name);
    QFETCH(DnsRecordType, type);
    QFETCH(QStringList, expected);
    QFETCH(QStringList, chain);
    name.replace(QStringLiteral("@ZONE@"), m_bed.zone);
    for (QString &e : expected) {
        e.replace(QStringLiteral("@ZONE@"), m_bed.zone);
    }
    for (QString &c : chain) {
        c.replace(QStringLiteral("@ZONE@"), m_bed.zone);
    }
    DnsResolver r;
    QString why;
    QVERIFY2(r.setServers({ m_bed.server }, &why), qPrintable(why));
    bool ok = false;
    const DnsResult res = resolve(r, name, type, &ok);
    QVERIFY2(ok, "no answer callback");
    QVERIFY2(
        res.isOk(), qPrintable(DnsResult::statusName(res.status) + QLatin1Char(' ') + res.detail));
    QCOMPARE(res.cnameChain, chain);
    if (!expected.isEmpty()) {
        QCOMPARE(render(res), expected);
    } else {
        // The harness' own services: every record has an address, a TTL, and SRV a port/target.
        QVERIFY(res.records.size() >= 2);
        for (const DnsRecord &rec : res.records) {
            QVERIFY2(!rec.address.isNull(), qPrintable(rec.key()));
            QCOMPARE(rec.ttl, 10u);
            if (type == DnsRecordType::SRV) {
                QVERIFY(rec.port != 0);
                QVERIFY2(rec.target.startsWith(QStringLiteral("task-")), qPrintable(rec.target));
                QCOMPARE(rec.addressTtl, 10u);
            }
        }
    }
}

void tst_DnsResolver::tcpFallback_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("edns");
    // 40 A records are ~700 bytes: over plain DNS's 512; 100 are ~1,700: over EDNS0's 1232.
    QTest::newRow("40-a-records-no-edns") << 40 << 0;
    QTest::newRow("100-a-records-edns-1232") << 100 << 1232;
}

void tst_DnsResolver::tcpFallback()
{
    QFETCH(int, count);
    QFETCH(int, edns);
    const QString name = m_bed.fqdn(QStringLiteral("big%1.%2").arg(count).arg(m_bed.label));
    QStringList lines;
    for (int i = 0; i < count; ++i) {
        lines.append(QStringLiteral("update add %1. 30 IN A 127.1.%2.%3")
                         .arg(name)
                         .arg(i / 200)
                         .arg(i % 200 + 1));
    }
    QString why;
    QVERIFY2(m_bed.nsupdate(lines, &why), qPrintable(why));
    DnsResolver::Options o;
    o.ednsPayload = edns;
    DnsResolver r(o);
    QVERIFY(r.setServers({ m_bed.server }));
    bool ok = false;
    const DnsResult res = resolve(r, name, DnsRecordType::A, &ok);
    QVERIFY(ok);
    QVERIFY2(res.isOk(), qPrintable(res.detail));
    // A truncated UDP answer would carry fewer records: all of them means TCP was used.
    QCOMPARE(res.records.size(), count);
}

void tst_DnsResolver::nxdomainCarriesNegativeTtl()
{
    DnsResolver r;
    QVERIFY(r.setServers({ m_bed.server }));
    bool ok = false;
    const DnsResult res
        = resolve(r, m_bed.fqdn(QStringLiteral("nosuch.") + m_bed.label), DnsRecordType::A, &ok);
    QVERIFY(ok);
    QCOMPARE(DnsResult::statusName(res.status), QStringLiteral("NXDOMAIN"));
    QCOMPARE(res.negativeTtl, 10); // min(SOA TTL 10, SOA MINIMUM 10) of the harness zone
    const SourceError e = res.toError();
    QCOMPARE(e.kind, SourceError::Kind::NotFound);
    QVERIFY2(e.message.contains(m_bed.server.toString()), qPrintable(e.message));
}

void tst_DnsResolver::foreignZoneIsRefused()
{
    DnsResolver r;
    QVERIFY(r.setServers({ m_bed.server }));
    bool ok = false;
    const DnsResult res = resolve(r, QStringLiteral("www.example.org"), DnsRecordType::A, &ok);
    QVERIFY(ok);
    QCOMPARE(DnsResult::statusName(res.status), QStringLiteral("REFUSED"));
    QCOMPARE(res.toError().kind, SourceError::Kind::Refused);
}

void tst_DnsResolver::silentServerTimesOut()
{
    QUdpSocket hole; // bound, never answers
    QVERIFY(hole.bind(QHostAddress::LocalHost, 0));
    DnsResolver::Options o;
    o.timeoutMs = 200;
    o.tries = 2;
    DnsResolver r(o);
    QVERIFY(r.setServers({ HostPort { QStringLiteral("127.0.0.1"), hole.localPort() } }));
    bool ok = false;
    const DnsResult res = resolve(r, m_bed.fqdn(QStringLiteral("serviceb")), DnsRecordType::A, &ok);
    QVERIFY(ok);
    QCOMPARE(DnsResult::statusName(res.status), QStringLiteral("timeout"));
    QCOMPARE(res.toError().kind, SourceError::Kind::Timeout);
}

void tst_DnsResolver::srvTargetAaaaAskedAlongsideA()
{
    DnsResolver::Options o;
    o.srvTargetAaaa = true;
    DnsResolver r(o);
    QVERIFY(r.setServers({ m_bed.server }));
    bool ok = false;
    const DnsResult res
        = resolve(r, m_bed.fqdn(QStringLiteral("_ds._tcp.noglue")), DnsRecordType::SRV, &ok);
    QVERIFY(ok);
    QVERIFY2(res.isOk(), qPrintable(res.detail));
    const QString t = m_bed.fqdn(QStringLiteral("alias-ds.noglue"));
    QCOMPARE(render(res),
        (QStringList { QStringLiteral("0 1 9002 %1 127.0.0.78 ttl=5").arg(t),
            QStringLiteral("0 1 9002 %1 fd00::78 ttl=5").arg(t) }));
    QVERIFY(res.unresolvedTargets.isEmpty());
    QCOMPARE(r.queriesSent(), quint64(3)); // SRV, then A and AAAA for the glue-less target
}

void tst_DnsResolver::srvTargetWithoutAddressIsReported()
{
    const QString srv = m_bed.fqdn(QStringLiteral("_gone._tcp.") + m_bed.label);
    const QString target = m_bed.fqdn(QStringLiteral("gone.") + m_bed.label);
    QString why;
    QVERIFY2(
        m_bed.nsupdate({ QStringLiteral("update add %1. 5 IN SRV 0 1 9003 %2.").arg(srv, target),
                           QStringLiteral("update add %1. 5 IN TXT \"no address\"").arg(target) },
            &why),
        qPrintable(why));
    DnsResolver r;
    QVERIFY(r.setServers({ m_bed.server }));
    bool ok = false;
    const DnsResult res = resolve(r, srv, DnsRecordType::SRV, &ok);
    QVERIFY(ok);
    QVERIFY2(res.isOk(), qPrintable(res.detail));
    QCOMPARE(res.records.size(), 1);
    QVERIFY(res.records.first().address.isNull());
    // A said NODATA, so AAAA was asked too; both empty: reported once, with the last status.
    QCOMPARE(res.unresolvedTargets, QStringList { target + QStringLiteral(" (NODATA)") });
    QCOMPARE(r.queriesSent(), quint64(3));
}

void tst_DnsResolver::destroyWithQueriesPending()
{
    QUdpSocket hole;
    QVERIFY(hole.bind(QHostAddress::LocalHost, 0));
    int calls = 0;
    {
        auto *r = new DnsResolver;
        QVERIFY(r->setServers({ HostPort { QStringLiteral("127.0.0.1"), hole.localPort() } }));
        for (int i = 0; i < 20; ++i) {
            r->lookup(m_bed.fqdn(QStringLiteral("serviceb")), DnsRecordType::A, this,
                [&calls](const DnsResult &) { ++calls; });
        }
        QCOMPARE(r->pendingCount(), 20);
        delete r; // ARES_EDESTRUCTION path: no callback, no leak, no crash
    }
    QTest::qWait(0);
    QCOMPARE(calls, 0);
}

void tst_DnsResolver::cancelledLookupNeverCallsBack()
{
    DnsResolver r;
    QVERIFY(r.setServers({ m_bed.server }));
    bool cancelledCalled = false;
    bool otherDone = false;
    const quint64 id = r.lookup(m_bed.fqdn(QStringLiteral("serviceb")), DnsRecordType::A, this,
        [&](const DnsResult &) { cancelledCalled = true; });
    r.lookup(m_bed.fqdn(QStringLiteral("serviceb")), DnsRecordType::A, this,
        [&](const DnsResult &) { otherDone = true; });
    r.cancel(id);
    QTRY_VERIFY_WITH_TIMEOUT(otherDone, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(r.pendingCount(), 0, 10000);
    QVERIFY(!cancelledCalled);
}

void tst_DnsResolver::windowCapsQueriesInFlight()
{
    // SRV names whose targets need follow-up queries, and plain A names: 40 lookups, at most 3
    // DNS queries out at once, every answer the same as asked alone.
    const QList<QPair<QString, DnsRecordType>> names {
        { m_bed.fqdn(QStringLiteral("_x._tcp.noglue")), DnsRecordType::SRV },
        { m_bed.fqdn(QStringLiteral("hop1.chain")), DnsRecordType::A },
        { m_bed.fqdn(QStringLiteral("_v6._tcp.noglue")), DnsRecordType::SRV },
        { m_bed.fqdn(QStringLiteral("web.service")), DnsRecordType::SRV },
    };
    QHash<QString, QStringList> alone;
    {
        DnsResolver single;
        QVERIFY(single.setServers({ m_bed.server }));
        for (const auto &[name, type] : names) {
            bool ok = false;
            const DnsResult res = resolve(single, name, type, &ok);
            QVERIFY(ok);
            QVERIFY2(res.isOk(), qPrintable(name + u' ' + res.detail));
            alone.insert(name, render(res));
        }
    }
    DnsResolver::Options o;
    o.maxOutstanding = 3;
    DnsResolver r(o);
    QVERIFY(r.setServers({ m_bed.server }));
    QHash<QString, int> answered;
    QStringList wrong;
    for (int i = 0; i < 40; ++i) {
        const auto &[name, type] = names[i % names.size()];
        r.lookup(name, type, this, [&, name = name](const DnsResult &res) {
            ++answered[name];
            if (!res.isOk() || render(res) != alone.value(name)) {
                wrong << name + u' ' + DnsResult::statusName(res.status) + u' ' + res.detail;
            }
        });
    }
    QCOMPARE(r.outstandingQueries(), 3);
    QCOMPARE(r.queuedQueries(), 37);
    QTRY_COMPARE_WITH_TIMEOUT(r.pendingCount(), 0, 15000);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(u'\n')));
    for (const auto &[name, type] : names) {
        QCOMPARE(answered.value(name), 10);
    }
    QCOMPARE(r.peakOutstanding(), 3);
    QCOMPARE(r.outstandingQueries(), 0);
    QCOMPARE(r.queuedQueries(), 0);
    QVERIFY(r.queriesSent() > 40); // the SRV follow-ups went through the window too
}

void tst_DnsResolver::cancelAllDropsQueuedQueries()
{
    DnsResolver::Options o;
    o.maxOutstanding = 2;
    DnsResolver r(o);
    QVERIFY(r.setServers({ m_bed.server }));
    int called = 0;
    for (int i = 0; i < 12; ++i) {
        r.lookup(m_bed.fqdn(QStringLiteral("serviceb")), DnsRecordType::A, this,
            [&](const DnsResult &) { ++called; });
    }
    QCOMPARE(r.queuedQueries(), 10);
    r.cancelAll();
    QCOMPARE(r.queuedQueries(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(r.pendingCount(), 0, 10000);
    QCOMPARE(r.queriesSent(), quint64(2)); // the queued ten never left
    QCOMPARE(called, 0);
    // The resolver still works, the window free again.
    bool ok = false;
    const DnsResult res = resolve(r, m_bed.fqdn(QStringLiteral("serviceb")), DnsRecordType::A, &ok);
    QVERIFY(ok);
    QVERIFY2(res.isOk(), qPrintable(res.detail));
    QCOMPARE(r.outstandingQueries(), 0);
}

QTEST_GUILESS_MAIN(tst_DnsResolver)
#include "tst_DnsResolver.moc"
