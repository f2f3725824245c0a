// DnsUpdater's message building, signing and verification against the byte-exact signed UPDATE
// vector of docs/PROTOCOLS.md §4 (tests/data/ops/dns_update_tsig_vector.txt), and its refusals of bad
// input. ldns compresses owner names, the vector does not: the comparisons below normalise both
// through ldns, and check the MAC byte-exactly over our own wire with the vector's TSIG variables.

#include "dns/DnsUpdater.h"

#include <QFile>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QTest>

#include <ldns/ldns.h>
#include <sys/time.h>

using namespace hopscope;

// ldns_pkt_tsig_sign takes Time Signed from gettimeofday(); the vector was signed at 1700000000.
// This executable's definition interposes the libc one while s_fixedTime is set.
static qint64 s_fixedTime = 0;
extern "C" int gettimeofday(struct timeval *tv, void *)
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = s_fixedTime ? time_t(s_fixedTime) : ts.tv_sec;
    tv->tv_usec = s_fixedTime ? 0 : suseconds_t(ts.tv_nsec / 1000);
    return 0;
}

namespace {

// The hex blocks of the vector file, by their section number ("1.", "2.", "3.", "4.").
QHash<QString, QByteArray> readVector()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/ops/dns_update_tsig_vector.txt"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    QHash<QString, QByteArray> out;
    QString section;
    static const QRegularExpression head(QStringLiteral("^(\\d)\\. "));
    static const QRegularExpression hex(QStringLiteral("^\\s+([0-9a-f]{2}( [0-9a-f]{2})*|[0-9a-f]{64})\\s*$"));
    for (const QByteArray &raw : f.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw);
        const auto h = head.match(line);
        if (h.hasMatch()) {
            section = h.captured(1);
            continue;
        }
        const auto m = hex.match(line);
        if (m.hasMatch() && !section.isEmpty()) {
            out[section] += QByteArray::fromHex(m.captured(1).remove(u' ').toLatin1());
        }
    }
    return out;
}

const DnsUpdateRecord s_record{QStringLiteral("api.svc.example"), QStringLiteral("A"),
    QStringLiteral("10.0.1.13"), 0};

DnsTsigKey vectorKey()
{
    return {QStringLiteral("drain-key"), QStringLiteral("hmac-sha256"),
        QByteArrayLiteral("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")};
}

// ldns's own re-encoding of a message (compressed), to compare messages independent of compression.
QByteArray normalised(const QByteArray &wire, bool dropPrerequisites)
{
    ldns_pkt *pkt = nullptr;
    if (ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t *>(wire.constData()), size_t(wire.size()))
        != LDNS_STATUS_OK) {
        return {};
    }
    if (dropPrerequisites) {
        ldns_rr_list_deep_free(ldns_pkt_answer(pkt));
        ldns_pkt_set_answer(pkt, ldns_rr_list_new());
        ldns_pkt_set_ancount(pkt, 0);
    }
    ldns_pkt_set_tsig(pkt, nullptr);
    ldns_pkt_set_arcount(pkt, 0);
    uint8_t *out = nullptr;
    size_t size = 0;
    ldns_pkt2wire(&out, pkt, &size);
    QByteArray b(reinterpret_cast<const char *>(out), int(size));
    LDNS_FREE(out);
    ldns_pkt_free(pkt);
    return b;
}

} // namespace

class tst_DnsUpdater : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void vectorFileIsComplete();
    void vectorVerifiesWithItsSecret();
    void vectorFailsWithAnotherSecretOrAFlippedByte();
    void builtMessageMatchesTheVector();
    void signatureIsTheVectorsMacOverOurWire();
    void sha512KeysSignAndVerify();
    void badInputIsRefused_data();
    void badInputIsRefused();
    void answerChecks_data();
    void answerChecks();
    void recordsRoundTripThroughJson();
};

void tst_DnsUpdater::vectorFileIsComplete()
{
    const auto v = readVector();
    QCOMPARE(v.value(QStringLiteral("1")).size(), 87);
    QCOMPARE(v.value(QStringLiteral("2")).size(), 42);
    QCOMPARE(v.value(QStringLiteral("3")).size(), 32);
    QCOMPARE(v.value(QStringLiteral("4")).size(), 169);
}

void tst_DnsUpdater::vectorVerifiesWithItsSecret()
{
    const auto v = readVector();
    QString why;
    QVERIFY2(DnsUpdater::verifySignature(v.value(QStringLiteral("4")), vectorKey(), {}, &why), qPrintable(why));
    // and the vector is self-consistent: its MAC is HMAC-SHA256(secret, message || variables)
    const QByteArray mac = QMessageAuthenticationCode::hash(
        v.value(QStringLiteral("1")) + v.value(QStringLiteral("2")),
        QByteArray::fromBase64(vectorKey().secret), QCryptographicHash::Sha256);
    QCOMPARE(mac.toHex(), v.value(QStringLiteral("3")).toHex());
}

void tst_DnsUpdater::vectorFailsWithAnotherSecretOrAFlippedByte()
{
    const auto v = readVector();
    DnsTsigKey other = vectorKey();
    other.secret = QByteArrayLiteral("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    QVERIFY(!DnsUpdater::verifySignature(v.value(QStringLiteral("4")), other, {}));
    QByteArray flipped = v.value(QStringLiteral("4"));
    QCOMPARE(flipped.size(), 169);
    flipped[86] = char(flipped[86] ^ 0x01); // last octet of the A RDATA: 10.0.1.13 -> 10.0.1.12
    QVERIFY(!DnsUpdater::verifySignature(flipped, vectorKey(), {}));
}

void tst_DnsUpdater::builtMessageMatchesTheVector()
{
    const auto v = readVector();
    QString error;
    const auto built = DnsUpdater::buildMessage(QStringLiteral("svc.example"),
        DnsUpdateOperation::Remove, {s_record}, 0x1234, nullptr, nullptr, &error);
    QVERIFY2(built, qPrintable(error));
    QCOMPARE(quint8(built->at(2)), quint8(0x28)); // opcode UPDATE, RD clear
    QCOMPARE(quint8(built->at(3)), quint8(0x00));
    // The vector adds a value-independent prerequisite; drains send none (deletes are idempotent,
    // docs/PROTOCOLS.md §4.2). Zone and update sections must be identical.
    QCOMPARE(normalised(*built, true).toHex(' '), normalised(v.value(QStringLiteral("1")), true).toHex(' '));
}

void tst_DnsUpdater::signatureIsTheVectorsMacOverOurWire()
{
    const auto v = readVector();
    s_fixedTime = 1700000000;
    QByteArray requestMac;
    QString error;
    const DnsTsigKey key = vectorKey();
    const auto unsignedWire = DnsUpdater::buildMessage(QStringLiteral("svc.example."),
        DnsUpdateOperation::Remove, {s_record}, 0x1234, nullptr, nullptr, &error);
    const auto signedWire = DnsUpdater::buildMessage(QStringLiteral("svc.example."),
        DnsUpdateOperation::Remove, {s_record}, 0x1234, &key, &requestMac, &error);
    s_fixedTime = 0;
    QVERIFY2(signedWire && unsignedWire, qPrintable(error));
    // Our message = our unsigned message + the TSIG RR; ARCOUNT 1.
    QVERIFY(signedWire->startsWith(unsignedWire->mid(0, 10)));
    QCOMPARE(signedWire->mid(12, unsignedWire->size() - 12), unsignedWire->mid(12));
    // The TSIG RR is the vector's TSIG RR (key name .. fudge, MAC size) except for the MAC,
    // which must be HMAC-SHA256 over our (compressed) wire and the vector's TSIG variables.
    const QByteArray vectorTsig = v.value(QStringLiteral("4")).mid(87);
    const QByteArray ourTsig = signedWire->mid(unsignedWire->size());
    QCOMPARE(ourTsig.size(), vectorTsig.size());
    QCOMPARE(ourTsig.left(44).toHex(' '), vectorTsig.left(44).toHex(' '));
    QCOMPARE(ourTsig.right(6).toHex(' '), vectorTsig.right(6).toHex(' '));
    const QByteArray expectedMac = QMessageAuthenticationCode::hash(
        *unsignedWire + v.value(QStringLiteral("2")), QByteArray::fromBase64(key.secret),
        QCryptographicHash::Sha256);
    QCOMPARE(ourTsig.mid(44, 32).toHex(), expectedMac.toHex());
    QCOMPARE(requestMac.mid(2).toHex(), expectedMac.toHex());
    QVERIFY(DnsUpdater::verifySignature(*signedWire, key, {}));
}

void tst_DnsUpdater::sha512KeysSignAndVerify()
{
    DnsTsigKey key = vectorKey();
    key.algorithm = QStringLiteral("hmac-sha512");
    QByteArray mac;
    QString error;
    const auto wire = DnsUpdater::buildMessage(QStringLiteral("svc.example"),
        DnsUpdateOperation::Add, {s_record}, 7, &key, &mac, &error);
    QVERIFY2(wire, qPrintable(error));
    QCOMPARE(mac.size(), 2 + 64);
    QVERIFY(wire->contains(QByteArray("\x0bhmac-sha512\x00", 13)));
    QVERIFY(DnsUpdater::verifySignature(*wire, key, {}));
    key.algorithm = QStringLiteral("hmac-sha256");
    QVERIFY(!DnsUpdater::verifySignature(*wire, DnsTsigKey{key.name, key.algorithm,
        QByteArrayLiteral("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")}, {}));
}

void tst_DnsUpdater::badInputIsRefused_data()
{
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("owner");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("rdata");
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("expected");
    const QByteArray good = vectorKey().secret;
    QTest::newRow("owner-outside-zone") << "svc.example" << "api.other.example" << "A" << "10.0.0.1"
                                        << "hmac-sha256" << good << "outside zone";
    QTest::newRow("suffix-is-not-a-subdomain") << "svc.example" << "apisvc.example" << "A" << "10.0.0.1"
                                               << "hmac-sha256" << good << "outside zone";
    QTest::newRow("bad-a-rdata") << "svc.example" << "api.svc.example" << "A" << "10.0.0.300"
                                 << "hmac-sha256" << good << "cannot read record";
    QTest::newRow("unsupported-type") << "svc.example" << "api.svc.example" << "TXT" << "\"x\""
                                      << "hmac-sha256" << good << "cannot be updated";
    QTest::newRow("md5-algorithm") << "svc.example" << "api.svc.example" << "A" << "10.0.0.1"
                                   << "hmac-md5" << good << "not supported";
    QTest::newRow("secret-not-base64") << "svc.example" << "api.svc.example" << "A" << "10.0.0.1"
                                       << "hmac-sha256" << QByteArray("not base64 !!") << "cannot sign";
}

void tst_DnsUpdater::badInputIsRefused()
{
    QFETCH(QString, zone);
    QFETCH(QString, owner);
    QFETCH(QString, type);
    QFETCH(QString, rdata);
    QFETCH(QString, algorithm);
    QFETCH(QByteArray, secret);
    QFETCH(QString, expected);
    const DnsTsigKey key{QStringLiteral("k"), algorithm, secret};
    QString error;
    const auto wire = DnsUpdater::buildMessage(
        zone, DnsUpdateOperation::Remove, {{owner, type, rdata, 10}}, 1, &key, nullptr, &error);
    QVERIFY(!wire);
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY2(!error.contains(QString::fromLatin1(secret)), "the secret leaked into the error");
}

void tst_DnsUpdater::answerChecks_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<QString>("expected");
    // Header-only answers as a server sends them when it does not sign (BADSIG/BADKEY replies
    // are unsigned, docs/PROTOCOLS.md §4.5). Built from the vector's header with QR set.
    auto answer = [](int rcode) -> QByteArray {
        QByteArray h = QByteArray::fromHex("123428000001000000000000");
        h[2] = char(0xa8);
        h[3] = char(rcode);
        h += QByteArray::fromHex("03737663076578616d706c650000060001");
        return h;
    };
    QTest::newRow("refused") << answer(5) << "REFUSED";
    QTest::newRow("notauth-without-tsig") << answer(9) << "not authoritative";
    QTest::newRow("unsigned-noerror-is-not-trusted") << answer(0) << "without a TSIG signature";
    QTest::newRow("notzone") << answer(10) << "NOTZONE";
    QByteArray otherId = answer(0);
    otherId[1] = 0x35;
    QTest::newRow("other-id") << otherId << "does not belong";
    QTest::newRow("garbage") << QByteArray("\x12\x34\xa8") << "cannot be parsed";
}

void tst_DnsUpdater::answerChecks()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, expected);
    const DnsUpdateResult r = DnsUpdater::interpretResponse(answer, 0x1234, vectorKey(), {}, 0);
    QVERIFY(!r.ok);
    QVERIFY(r.error.isError());
    QVERIFY2(r.message.contains(expected), qPrintable(r.message));
}

void tst_DnsUpdater::recordsRoundTripThroughJson()
{
    const DnsUpdateRecord srv{QStringLiteral("_http._tcp.servicea.corp.internal."), QStringLiteral("SRV"),
        QStringLiteral("1 1 8080 task-1.servicea.corp.internal."), 10};
    const auto back = DnsUpdateRecord::fromJson(srv.toJson());
    QVERIFY(back);
    QCOMPARE(*back, srv);
    QCOMPARE(srv.toString(),
        QStringLiteral("_http._tcp.servicea.corp.internal. 10 IN SRV 1 1 8080 task-1.servicea.corp.internal."));
    QVERIFY(!DnsUpdateRecord::fromJson(QJsonObject{{QStringLiteral("owner"), QStringLiteral("x")}}));
}

QTEST_GUILESS_MAIN(tst_DnsUpdater)
#include "tst_DnsUpdater.moc"
