// DnsAnswerParser on real answers captured from the harness BIND 9.18 (tests/data/dns/wire, made
// by tests/data/dns/capture_answers.py) and on hostile bytes derived from them: every layout the
// resolver meets, and for broken input a Malformed status with a reason, never a crash.

#include "dns/DnsAnswerParser.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>

using namespace hopscope;
using namespace Qt::StringLiterals;

namespace {

// The parser's answer as the resolver sees it: a ParseError is a Malformed status with its text.
DnsParsedAnswer parseAnswer(const QByteArray &bytes, const QString &name, DnsRecordType type)
{
    const Parsed<DnsParsedAnswer> parsed = DnsAnswerParser::parse(bytes, name, type);
    if (parsed) {
        return parsed.value();
    }
    DnsParsedAnswer a;
    a.status = DnsResult::Status::Malformed;
    a.detail = parsed.errorText();
    return a;
}

QByteArray wire(const QString &base)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/dns/wire/") + base
        + QStringLiteral(".bin"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("missing test data %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

// Records as sorted text (BIND rotates record order): "ADDR ttl=T" or
// "PRIO WEIGHT PORT TARGET ttl=T glue=ADDR/TTL,...".
QStringList render(const DnsParsedAnswer &a)
{
    QStringList out;
    for (const DnsRecord &r : a.records) {
        if (r.type != DnsRecordType::SRV) {
            out.append(QStringLiteral("%1 ttl=%2").arg(r.address.toString()).arg(r.ttl));
            continue;
        }
        QStringList glue;
        for (const DnsAddress &g : a.addresses.value(r.target)) {
            glue.append(QStringLiteral("%1/%2").arg(g.address.toString()).arg(g.ttl));
        }
        std::sort(glue.begin(), glue.end());
        out.append(QStringLiteral("%1 %2 %3 %4 ttl=%5 glue=%6")
                       .arg(r.priority)
                       .arg(r.weight)
                       .arg(r.port)
                       .arg(r.target)
                       .arg(r.ttl)
                       .arg(glue.isEmpty() ? QStringLiteral("-") : glue.join(QLatin1Char(','))));
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

class tst_DnsAnswerParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void realAnswers_data();
    void realAnswers();
    void hostileInput_data();
    void hostileInput();
    void everyPrefixOfEveryCapture_data();
    void everyPrefixOfEveryCapture();
    void randomBitFlipsNeverCrash();
};

void tst_DnsAnswerParser::realAnswers_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("name");
    QTest::addColumn<DnsRecordType>("type");
    QTest::addColumn<QString>("status"); // DnsResult::statusName
    QTest::addColumn<QStringList>("records");
    QTest::addColumn<QStringList>("chain");
    QTest::addColumn<int>("negativeTtl");
    QTest::addColumn<bool>("truncated");

    const QString z = QStringLiteral(".corp.internal");
    QTest::newRow("cloudmap-awsvpc-multivalue-a")
        << "a-multivalue" << u"serviceb"_s + z << DnsRecordType::A << "NOERROR"
        << QStringList { u"127.196.221.11 ttl=10"_s, u"127.196.221.12 ttl=10"_s,
               u"127.196.221.13 ttl=10"_s }
        << QStringList() << -1 << false;
    QTest::newRow("single-a-additional-ns-glue-ignored")
        << "a-single" << u"task-1.servicec"_s + z << DnsRecordType::A << "NOERROR"
        << QStringList { u"127.196.221.21 ttl=10"_s } << QStringList() << -1 << false;
    QTest::newRow("name-case-and-trailing-dot-do-not-matter")
        << "a-multivalue"
        << "ServiceB.CORP.internal." << DnsRecordType::A << "NOERROR"
        << QStringList { u"127.196.221.11 ttl=10"_s, u"127.196.221.12 ttl=10"_s,
               u"127.196.221.13 ttl=10"_s }
        << QStringList() << -1 << false;
    QTest::newRow("cloudmap-bridge-srv-with-glue")
        << "srv-bridge-glue" << u"servicec"_s + z << DnsRecordType::SRV << "NOERROR"
        << QStringList { u"1 1 35893 task-2.servicec.corp.internal ttl=10 glue=127.196.221.22/10"_s,
               u"1 1 48541 task-1.servicec.corp.internal ttl=10 glue=127.196.221.21/10"_s }
        << QStringList() << -1 << false;
    QTest::newRow("consul-srv-node-targets-with-glue")
        << "srv-consul-glue" << u"web.service"_s + z << DnsRecordType::SRV << "NOERROR"
        << QStringList { u"1 1 21001 node1.node.dc1.corp.internal ttl=5 glue=127.0.0.71/5"_s,
               u"1 1 21002 node2.node.dc1.corp.internal ttl=5 glue=127.0.0.72/5"_s }
        << QStringList() << -1 << false;
    QTest::newRow("k8s-headless-srv-with-glue")
        << "srv-k8s-glue" << u"_http._tcp.web.default.svc"_s + z << DnsRecordType::SRV << "NOERROR"
        << QStringList { u"0 50 8080 web-0.web.default.svc.corp.internal ttl=5 glue=127.0.0.81/5"_s,
               u"0 50 8080 web-1.web.default.svc.corp.internal ttl=5 glue=127.0.0.82/5"_s }
        << QStringList() << -1 << false;
    QTest::newRow("k8s-style-harness-srv-with-glue")
        << "srv-k8s-harness" << u"_http._tcp.servicea"_s + z << DnsRecordType::SRV << "NOERROR"
        << QStringList { u"0 10 35515 a-1.servicea.corp.internal ttl=10 glue=127.196.221.5/10"_s,
               u"0 10 53947 a-2.servicea.corp.internal ttl=10 glue=127.196.221.6/10"_s }
        << QStringList() << -1 << false;
    QTest::newRow("srv-without-glue-leaves-target-unresolved")
        << "srv-no-glue" << u"_x._tcp.noglue"_s + z << DnsRecordType::SRV << "NOERROR"
        << QStringList { u"0 1 9000 alias-t.noglue.corp.internal ttl=5 glue=-"_s } << QStringList()
        << -1 << false;
    QTest::newRow("srv-behind-cname-follows-chain")
        << "srv-via-cname" << u"_http._tcp.servicec"_s + z << DnsRecordType::SRV << "NOERROR"
        << QStringList { u"1 1 35893 task-2.servicec.corp.internal ttl=10 glue=127.196.221.22/10"_s,
               u"1 1 48541 task-1.servicec.corp.internal ttl=10 glue=127.196.221.21/10"_s }
        << QStringList { u"servicec.corp.internal"_s } << -1 << false;
    QTest::newRow("cname-chain-two-hops")
        << "cname-chain" << u"hop1.chain"_s + z << DnsRecordType::A << "NOERROR"
        << QStringList { u"127.0.0.91 ttl=5"_s }
        << QStringList { u"hop2.chain.corp.internal"_s, u"end.chain.corp.internal"_s } << -1
        << false;
    QTest::newRow("nxdomain-negative-ttl-from-soa")
        << "nxdomain-soa" << u"nosuch.capture"_s + z << DnsRecordType::A << "NXDOMAIN"
        << QStringList() << QStringList() << 10 << false;
    QTest::newRow("nodata-aaaa-negative-ttl-from-soa")
        << "nodata-soa" << u"serviceb"_s + z << DnsRecordType::AAAA << "NODATA" << QStringList()
        << QStringList() << 10 << false;
    QTest::newRow("refused-foreign-zone") << "refused"
                                          << "www.example.org" << DnsRecordType::A << "REFUSED"
                                          << QStringList() << QStringList() << -1 << false;
    QTest::newRow("asked-type-absent-a-answer-read-as-srv-is-nodata")
        << "a-multivalue" << u"serviceb"_s + z << DnsRecordType::SRV << "NODATA" << QStringList()
        << QStringList() << -1 << false;
    QTest::newRow("other-name-answer-is-nodata")
        << "a-multivalue" << u"servicex"_s + z << DnsRecordType::A << "NODATA" << QStringList()
        << QStringList() << -1 << false;
}

void tst_DnsAnswerParser::realAnswers()
{
    QFETCH(QString, file);
    QFETCH(QString, name);
    QFETCH(DnsRecordType, type);
    QFETCH(QString, status);
    QFETCH(QStringList, records);
    QFETCH(QStringList, chain);
    QFETCH(int, negativeTtl);
    QFETCH(bool, truncated);
    const DnsParsedAnswer a = parseAnswer(wire(file), name, type);
    QCOMPARE(DnsResult::statusName(a.status), status);
    QCOMPARE(render(a), records);
    QCOMPARE(a.cnameChain, chain);
    QCOMPARE(a.negativeTtl, negativeTtl);
    QCOMPARE(a.truncated, truncated);
    QVERIFY(!a.chainIncomplete);
    for (const DnsRecord &r : a.records) {
        QCOMPARE(r.owner, chain.isEmpty() ? DnsAnswerParser::normalizedName(name) : chain.last());
    }
}

void tst_DnsAnswerParser::hostileInput_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("detail"); // a fragment of the reason given
    QTest::addColumn<int>("records");

    // Real answers that are incomplete rather than broken: BIND fills a 512-byte UDP answer
    // with as many whole records as fit (29 of 40) and sets TC.
    QTest::newRow("truncated-tc-keeps-whole-records-and-flags-tc") << "truncated-tc"
                                                                   << "big40.capture.corp.internal"
                                                                   << "NOERROR" << QString() << 29;
    QTest::newRow("truncated-tc-without-asked-records-says-use-tcp")
        << "truncated-tc"
        << "other.capture.corp.internal"
        << "error"
        << "over TCP" << 0;
    // ldns reads A rdata as 4 bytes and moves on by its own reading, not by an RDLENGTH of 5:
    // the records read are the ones on the wire. Tolerated (documented), not an error.
    QTest::newRow("a-rdlength-5-read-as-4-bytes-by-ldns") << "hostile-a-rdlength-5"
                                                          << "serviceb.corp.internal"
                                                          << "NOERROR" << QString() << 3;
    // Broken or hostile bytes: Malformed, with ldns' reason.
    QTest::newRow("zero-length") << "hostile-empty"
                                 << "serviceb.corp.internal"
                                 << "malformed answer"
                                 << "empty answer" << 0;
    QTest::newRow("header-cut-short") << "hostile-header-cut"
                                      << "serviceb.corp.internal"
                                      << "malformed answer"
                                      << "ldns: " << 0;
    QTest::newRow("cut-mid-question") << "hostile-cut-mid-question"
                                      << "serviceb.corp.internal"
                                      << "malformed answer"
                                      << "ldns: " << 0;
    QTest::newRow("cut-mid-record") << "hostile-cut-mid-record"
                                    << "serviceb.corp.internal"
                                    << "malformed answer"
                                    << "ldns: " << 0;
    QTest::newRow("answer-count-lies") << "hostile-answer-count-lies"
                                       << "serviceb.corp.internal"
                                       << "malformed answer"
                                       << "ldns: " << 0;
    QTest::newRow("rdlength-past-the-end") << "hostile-rdlength-past-end"
                                           << "serviceb.corp.internal"
                                           << "malformed answer"
                                           << "ldns: " << 0;
    QTest::newRow("a-record-with-3-byte-rdata") << "hostile-a-rdlength-3"
                                                << "serviceb.corp.internal"
                                                << "malformed answer"
                                                << "ldns: " << 0;
    QTest::newRow("compression-pointer-to-itself") << "hostile-compression-pointer-loop"
                                                   << "serviceb.corp.internal"
                                                   << "malformed answer"
                                                   << "ldns: " << 0;
    QTest::newRow("compression-pointers-to-each-other") << "hostile-compression-pointer-pair"
                                                        << "serviceb.corp.internal"
                                                        << "malformed answer"
                                                        << "ldns: " << 0;
    QTest::newRow("label-longer-than-63") << "hostile-label-too-long"
                                          << "serviceb.corp.internal"
                                          << "malformed answer"
                                          << "ldns: " << 0;
    QTest::newRow("name-longer-than-255") << "hostile-name-too-long"
                                          << "serviceb.corp.internal"
                                          << "malformed answer"
                                          << "ldns: " << 0;
    QTest::newRow("random-bytes") << "hostile-random-bytes"
                                  << "serviceb.corp.internal"
                                  << "malformed answer"
                                  << "ldns: " << 0;
    QTest::newRow("random-bytes-after-plausible-header") << "hostile-random-after-header"
                                                         << "serviceb.corp.internal"
                                                         << "malformed answer"
                                                         << "ldns: " << 0;
}

void tst_DnsAnswerParser::hostileInput()
{
    QFETCH(QString, file);
    QFETCH(QString, name);
    QFETCH(QString, status);
    QFETCH(QString, detail);
    QFETCH(int, records);
    const DnsParsedAnswer a = parseAnswer(wire(file), name, DnsRecordType::A);
    QCOMPARE(DnsResult::statusName(a.status), status);
    QCOMPARE(a.records.size(), records);
    if (a.status != DnsResult::Status::Ok) {
        QVERIFY2(!a.detail.isEmpty(), "a failure must say why");
        QVERIFY2(a.detail.contains(detail), qPrintable(a.detail));
        QVERIFY(a.records.isEmpty());
    }
    QCOMPARE(a.truncated, file == u"truncated-tc");
}

void tst_DnsAnswerParser::everyPrefixOfEveryCapture_data()
{
    QTest::addColumn<QString>("file");
    for (const char *f : { "a-multivalue", "srv-bridge-glue", "srv-via-cname", "cname-chain",
             "nxdomain-soa", "truncated-tc" }) {
        QTest::newRow(f) << QString::fromLatin1(f);
    }
}

// A datagram cut anywhere (short read, hostile sender) is Malformed with a reason, or (when the
// cut only drops the trailing EDNS OPT record) still a correct answer; never a crash.
void tst_DnsAnswerParser::everyPrefixOfEveryCapture()
{
    QFETCH(QString, file);
    const QByteArray full = wire(file);
    for (qsizetype n = 0; n < full.size(); ++n) {
        const DnsParsedAnswer a
            = parseAnswer(full.left(n), QStringLiteral("x.corp.internal"), DnsRecordType::A);
        if (a.status == DnsResult::Status::Malformed) {
            QVERIFY2(!a.detail.isEmpty(), qPrintable(QStringLiteral("prefix %1").arg(n)));
        }
    }
}

void tst_DnsAnswerParser::randomBitFlipsNeverCrash()
{
    QRandomGenerator rng(20261128); // fixed seed: reproducible
    int malformed = 0;
    for (const char *f : { "a-multivalue", "srv-bridge-glue", "srv-via-cname", "nxdomain-soa" }) {
        const QByteArray full = wire(QString::fromLatin1(f));
        for (int i = 0; i < 500; ++i) {
            QByteArray b = full;
            for (int k = 0; k < 3; ++k) {
                const int pos = int(rng.bounded(quint32(b.size())));
                b[pos] = char(b[pos] ^ char(1 << rng.bounded(8)));
            }
            for (DnsRecordType t : { DnsRecordType::A, DnsRecordType::SRV }) {
                const DnsParsedAnswer a
                    = parseAnswer(b, QStringLiteral("servicec.corp.internal"), t);
                if (a.status == DnsResult::Status::Malformed) {
                    ++malformed;
                    QVERIFY(!a.detail.isEmpty());
                }
            }
        }
    }
    QVERIFY2(malformed > 0, "bit flips must produce some malformed answers");
}

QTEST_GUILESS_MAIN(tst_DnsAnswerParser)
#include "tst_DnsAnswerParser.moc"
