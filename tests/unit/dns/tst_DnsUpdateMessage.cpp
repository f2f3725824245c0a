// Over 500 lines by a few: one table of the vector, forged, cut and hostile cases around one
// vector reader; splitting it would copy the reader and the answer builder.
// The RFC 2136 + TSIG message and answer as pure functions (DnsUpdateMessage, DnsUpdateAnswer),
// on the signed UPDATE vector of docs/PROTOCOLS.md §4 (docs/examples/dns_update_tsig_vector.txt,
// copied to tests/data/ops): built at the vector's time with its key, the message must equal
// the vector byte for byte. Answers: a signed NOERROR verifies against the request's MAC and
// our clock; a tampered one, one signed with another key name or algorithm, one not bound to
// the request, one signed outside the fudge, and malformed or cut bytes are refused in words.

#include "core/Clock.h"
#include "dns/DnsUpdateAnswer.h"
#include "dns/DnsUpdateMessage.h"
#include "dns/DnsUpdateRecord.h"

#include <QDir>
#include <QFile>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QTest>

#include <ldns/ldns.h>

using namespace hopscope;

namespace {

// The hex blocks of the vector file, by their section number ("1.", "2.", "3.", "4.").
QHash<QString, QByteArray> readVector()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
        + QStringLiteral("/ops/dns_update_tsig_vector.txt"));
    if (!f.open(QIODevice::ReadOnly) || f.size() > 64 * 1024) {
        return {};
    }
    QHash<QString, QByteArray> out;
    QString section;
    static const QRegularExpression head(QStringLiteral("^(\\d)\\. "));
    static const QRegularExpression hex(
        QStringLiteral("^\\s+([0-9a-f]{2}( [0-9a-f]{2})*|[0-9a-f]{64})\\s*$"));
    for (const QByteArray &raw : f.read(64 * 1024).split('\n')) {
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

const QDateTime s_vectorTime = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);
const quint16 s_vectorId = 0x1234;

const DnsUpdateRecord s_record { QStringLiteral("api.svc.example"), QStringLiteral("A"),
    QStringLiteral("10.0.1.13"), 0 };

DnsTsigKey vectorKey()
{
    return { QStringLiteral("drain-key"), QStringLiteral("hmac-sha256"),
        QByteArrayLiteral("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") };
}

// The vector's request: zone svc.example, prerequisite "api.svc.example A exists", delete the A.
DnsUpdateRequest vectorRequest()
{
    return { QStringLiteral("svc.example."), s_vectorId, DnsUpdateOperation::Remove, { s_record },
        { { QStringLiteral("api.svc.example"), QStringLiteral("A") } } };
}

DnsSignedMessage signedVectorRequest(const DnsTsigKey &key = vectorKey())
{
    QString error;
    const auto wire = DnsUpdateMessage::encode(vectorRequest(), &error);
    const auto s = wire ? DnsUpdateMessage::sign(*wire, key, s_vectorTime, &error) : std::nullopt;
    return s.value_or(DnsSignedMessage {});
}

// A server's answer (QR, opcode UPDATE, the rcode, the zone section echoed as BIND does),
// built by ldns.
QByteArray answerWire(quint16 id, int rcode)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_pkt_set_id(p, id);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
    ldns_pkt_set_rcode(p, uint8_t(rcode));
    ldns_rr *zone = ldns_rr_new();
    ldns_rr_set_owner(zone, ldns_dname_new_frm_str("svc.example."));
    ldns_rr_set_type(zone, LDNS_RR_TYPE_SOA);
    ldns_rr_set_class(zone, LDNS_RR_CLASS_IN);
    ldns_rr_set_question(zone, true);
    ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, zone);
    uint8_t *out = nullptr;
    size_t size = 0;
    ldns_pkt2wire(&out, p, &size);
    QByteArray b(reinterpret_cast<const char *>(out), int(size));
    LDNS_FREE(out);
    ldns_pkt_free(p);
    return b;
}

// The answer signed by `key` at `when`, bound to the request's MAC as a server binds it.
QByteArray signedAnswer(
    int rcode, const DnsTsigKey &key, const QDateTime &when, const QByteArray &requestMac)
{
    QString error;
    const auto s
        = DnsUpdateMessage::sign(answerWire(s_vectorId, rcode), key, when, &error, requestMac);
    return s ? s->wire : QByteArray();
}

} // namespace

class tst_DnsUpdateMessage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void vectorFileIsComplete();
    void builtAtTheVectorsTimeIsTheVectorByteForByte();
    void signingUsesTheGivenTimeNotTheWallClock();
    void vectorRequestVerifies();
    void vectorRefusedWithAnotherSecretOrAFlippedByte();
    void ldnsSignedRequestVerifies();
    void sha512KeysSignAndVerify();
    void badInputIsRefused_data();
    void badInputIsRefused();
    void overSizeMessageIsRefused();
    void signedAnswerIsTrusted();
    void answerOutsideTheFudgeIsRefused_data();
    void answerOutsideTheFudgeIsRefused();
    void forgedAnswersAreRefused_data();
    void forgedAnswersAreRefused();
    void cutAnswersAreNeverTrusted();
    void hostileBytesAreNeverTrusted();
    void answerChecks_data();
    void answerChecks();
    void recordsRoundTripThroughJson();
};

void tst_DnsUpdateMessage::vectorFileIsComplete()
{
    const auto v = readVector();
    QCOMPARE(v.value(QStringLiteral("1")).size(), 87);
    QCOMPARE(v.value(QStringLiteral("2")).size(), 42);
    QCOMPARE(v.value(QStringLiteral("3")).size(), 32);
    QCOMPARE(v.value(QStringLiteral("4")).size(), 169);
}

void tst_DnsUpdateMessage::builtAtTheVectorsTimeIsTheVectorByteForByte()
{
    const auto v = readVector();
    QString error;
    const auto unsignedWire = DnsUpdateMessage::encode(vectorRequest(), &error);
    QVERIFY2(unsignedWire, qPrintable(error));
    QCOMPARE(unsignedWire->toHex(' '), v.value(QStringLiteral("1")).toHex(' '));
    const auto s = DnsUpdateMessage::sign(*unsignedWire, vectorKey(), s_vectorTime, &error);
    QVERIFY2(s, qPrintable(error));
    QCOMPARE(s->wire.toHex(' '), v.value(QStringLiteral("4")).toHex(' '));
    // The MAC handed back for the answer's check is the vector's, with its 2-octet size.
    QCOMPARE(s->mac.toHex(),
        QByteArray(QByteArray::fromHex("0020") + v.value(QStringLiteral("3"))).toHex());
}

void tst_DnsUpdateMessage::signingUsesTheGivenTimeNotTheWallClock()
{
    // A ManualClock's now, one second later: only Time Signed and the MAC change.
    ManualClock clock(s_vectorTime);
    clock.advanceMs(1000);
    QString error;
    const auto wire = DnsUpdateMessage::encode(vectorRequest(), &error);
    QVERIFY2(wire, qPrintable(error));
    const auto later = DnsUpdateMessage::sign(*wire, vectorKey(), clock.now(), &error);
    QVERIFY2(later, qPrintable(error));
    const QByteArray vector = readVector().value(QStringLiteral("4"));
    QCOMPARE(later->wire.size(), vector.size());
    // TSIG RR at 87: owner (11), type, class, TTL, RDLENGTH (10), algorithm (13), Time Signed.
    const int timeAt = 87 + 11 + 10 + 13;
    QCOMPARE(later->wire.left(timeAt).toHex(' '), vector.left(timeAt).toHex(' '));
    QCOMPARE(later->wire.mid(timeAt, 6).toHex(), QByteArray("00006553f101"));
    QCOMPARE(
        later->wire.mid(timeAt + 6, 4).toHex(), vector.mid(timeAt + 6, 4).toHex()); // fudge, size
    QVERIFY(later->wire.mid(timeAt + 10, 32) != vector.mid(timeAt + 10, 32));
    QCOMPARE(later->wire.mid(timeAt + 42).toHex(), vector.mid(timeAt + 42).toHex());
    QVERIFY(DnsUpdateMessage::verify(later->wire, vectorKey(), {}, clock.now()).ok());
}

void tst_DnsUpdateMessage::vectorRequestVerifies()
{
    const QByteArray vector = readVector().value(QStringLiteral("4"));
    const DnsTsigCheck c = DnsUpdateMessage::verify(vector, vectorKey(), {}, s_vectorTime);
    QVERIFY2(c.ok(), qPrintable(c.why));
    // And the vector is self-consistent: its MAC is HMAC-SHA256(secret, message || variables).
    const auto v = readVector();
    const QByteArray mac = QMessageAuthenticationCode::hash(
        v.value(QStringLiteral("1")) + v.value(QStringLiteral("2")),
        QByteArray::fromBase64(vectorKey().secret), QCryptographicHash::Sha256);
    QCOMPARE(mac.toHex(), v.value(QStringLiteral("3")).toHex());
}

void tst_DnsUpdateMessage::vectorRefusedWithAnotherSecretOrAFlippedByte()
{
    const QByteArray vector = readVector().value(QStringLiteral("4"));
    QCOMPARE(vector.size(), 169);
    DnsTsigKey other = vectorKey();
    other.secret = QByteArrayLiteral("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    QCOMPARE(DnsUpdateMessage::verify(vector, other, {}, s_vectorTime).outcome,
        DnsTsigCheck::Outcome::BadMac);
    QByteArray flipped = vector;
    flipped[86] = char(flipped[86] ^ 0x01); // last octet of the A RDATA: 10.0.1.13 -> 10.0.1.12
    QCOMPARE(DnsUpdateMessage::verify(flipped, vectorKey(), {}, s_vectorTime).outcome,
        DnsTsigCheck::Outcome::BadMac);
}

void tst_DnsUpdateMessage::ldnsSignedRequestVerifies()
{
    // The other direction: ldns' own signer (at the wall clock) and our check agree.
    QString error;
    const auto wire = DnsUpdateMessage::encode(vectorRequest(), &error);
    QVERIFY2(wire, qPrintable(error));
    ldns_pkt *pkt = nullptr;
    QCOMPARE(ldns_wire2pkt(
                 &pkt, reinterpret_cast<const uint8_t *>(wire->constData()), size_t(wire->size())),
        LDNS_STATUS_OK);
    const QDateTime now = Clock::system().now();
    QCOMPARE(ldns_pkt_tsig_sign(
                 pkt, "drain-key.", vectorKey().secret.constData(), 300, "hmac-sha256.", nullptr),
        LDNS_STATUS_OK);
    uint8_t *out = nullptr;
    size_t size = 0;
    QCOMPARE(ldns_pkt2wire(&out, pkt, &size), LDNS_STATUS_OK);
    const QByteArray signedByLdns(reinterpret_cast<const char *>(out), int(size));
    LDNS_FREE(out);
    ldns_pkt_free(pkt);
    const DnsTsigCheck c = DnsUpdateMessage::verify(signedByLdns, vectorKey(), {}, now);
    QVERIFY2(c.ok(), qPrintable(c.why));
}

void tst_DnsUpdateMessage::sha512KeysSignAndVerify()
{
    DnsTsigKey key = vectorKey();
    key.algorithm = QStringLiteral("hmac-sha512");
    const DnsSignedMessage s = signedVectorRequest(key);
    QCOMPARE(s.mac.size(), 2 + 64);
    QVERIFY(s.wire.contains(QByteArray("\x0bhmac-sha512\x00", 13)));
    QVERIFY(DnsUpdateMessage::verify(s.wire, key, {}, s_vectorTime).ok());
    key.algorithm = QStringLiteral("hmac-sha256");
    const DnsTsigCheck c = DnsUpdateMessage::verify(s.wire, key, {}, s_vectorTime);
    QCOMPARE(c.outcome, DnsTsigCheck::Outcome::OtherAlgorithm);
    QVERIFY2(c.why.contains(QStringLiteral("hmac-sha512")), qPrintable(c.why));
}

void tst_DnsUpdateMessage::badInputIsRefused_data()
{
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("owner");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("rdata");
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("expected");
    const QByteArray good = vectorKey().secret;
    QTest::newRow("owner-outside-zone") << "svc.example"
                                        << "api.other.example"
                                        << "A"
                                        << "10.0.0.1"
                                        << "hmac-sha256" << good << "outside zone";
    QTest::newRow("suffix-is-not-a-subdomain") << "svc.example"
                                               << "apisvc.example"
                                               << "A"
                                               << "10.0.0.1"
                                               << "hmac-sha256" << good << "outside zone";
    QTest::newRow("bad-zone") << "svc..example"
                              << "api.svc.example"
                              << "A"
                              << "10.0.0.1"
                              << "hmac-sha256" << good << "not a valid zone name";
    QTest::newRow("bad-a-rdata") << "svc.example"
                                 << "api.svc.example"
                                 << "A"
                                 << "10.0.0.300"
                                 << "hmac-sha256" << good << "cannot read record";
    QTest::newRow("unsupported-type") << "svc.example"
                                      << "api.svc.example"
                                      << "TXT"
                                      << "\"x\""
                                      << "hmac-sha256" << good << "cannot be updated";
    QTest::newRow("md5-algorithm") << "svc.example"
                                   << "api.svc.example"
                                   << "A"
                                   << "10.0.0.1"
                                   << "hmac-md5" << good << "not supported";
    QTest::newRow("secret-not-base64")
        << "svc.example"
        << "api.svc.example"
        << "A"
        << "10.0.0.1"
        << "hmac-sha256" << QByteArray("not base64 !!") << "cannot sign";
}

void tst_DnsUpdateMessage::badInputIsRefused()
{
    QFETCH(QString, zone);
    QFETCH(QString, owner);
    QFETCH(QString, type);
    QFETCH(QString, rdata);
    QFETCH(QString, algorithm);
    QFETCH(QByteArray, secret);
    QFETCH(QString, expected);
    const DnsTsigKey key { QStringLiteral("k"), algorithm, secret };
    QString error;
    const auto wire = DnsUpdateMessage::encode(
        { zone, 1, DnsUpdateOperation::Remove, { { owner, type, rdata, 10 } }, {} }, &error);
    const auto s = wire ? DnsUpdateMessage::sign(*wire, key, s_vectorTime, &error) : std::nullopt;
    QVERIFY(!s);
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY2(!error.contains(QString::fromLatin1(secret)), "the secret leaked into the error");
}

void tst_DnsUpdateMessage::overSizeMessageIsRefused()
{
    // 3000 A records (33 octets each, uncompressed) cannot fit one DNS message.
    DnsUpdateRequest big = vectorRequest();
    big.prerequisites.clear();
    for (int i = 0; i < 3000; ++i) {
        big.records.append({ QStringLiteral("t%1.svc.example").arg(i), QStringLiteral("A"),
            QStringLiteral("10.0.%1.%2").arg(i / 250).arg(i % 250 + 1), 10 });
    }
    QString error;
    QVERIFY(!DnsUpdateMessage::encode(big, &error));
    QVERIFY2(error.contains(QStringLiteral("over the 65535")), qPrintable(error));
    // The most records that still encode: the TSIG RR (82 octets here) no longer fits, and
    // signing says so too.
    const QList<DnsUpdateRecord> all = big.records;
    qsizetype fits = 1, fails = all.size(); // binary search for the most records that encode
    while (fails - fits > 1) {
        big.records = all.mid(0, (fits + fails) / 2);
        (DnsUpdateMessage::encode(big, &error) ? fits : fails) = big.records.size();
    }
    big.records = all.mid(0, fits);
    const std::optional<QByteArray> wire = DnsUpdateMessage::encode(big, &error);
    QVERIFY2(wire && wire->size() > 0xffff - 82, qPrintable(QString::number(big.records.size())));
    QVERIFY(!DnsUpdateMessage::sign(*wire, vectorKey(), s_vectorTime, &error));
    QVERIFY2(error.contains(QStringLiteral("over the 65535")), qPrintable(error));
}

void tst_DnsUpdateMessage::signedAnswerIsTrusted()
{
    const DnsSignedMessage request = signedVectorRequest();
    const QByteArray answer = signedAnswer(0, vectorKey(), s_vectorTime, request.mac);
    QVERIFY(!answer.isEmpty());
    const DnsUpdateResult r
        = DnsUpdateAnswer::read(answer, s_vectorId, vectorKey(), request.mac, s_vectorTime);
    QVERIFY2(r.ok, qPrintable(r.message));
    QCOMPARE(r.rcodeName, QStringLiteral("NOERROR"));
    QVERIFY(!r.error.isError());
}

void tst_DnsUpdateMessage::answerOutsideTheFudgeIsRefused_data()
{
    QTest::addColumn<qint64>("clockOffset"); // our clock when reading, minus Time Signed
    QTest::addColumn<bool>("trusted");
    QTest::newRow("at-the-fudge-ahead") << qint64(DnsUpdateMessage::fudgeSeconds) << true;
    QTest::newRow("at-the-fudge-behind") << -qint64(DnsUpdateMessage::fudgeSeconds) << true;
    QTest::newRow("one-second-past-ahead") << qint64(DnsUpdateMessage::fudgeSeconds + 1) << false;
    QTest::newRow("one-second-past-behind") << -qint64(DnsUpdateMessage::fudgeSeconds + 1) << false;
    QTest::newRow("an-hour-stale") << qint64(3600) << false;
}

void tst_DnsUpdateMessage::answerOutsideTheFudgeIsRefused()
{
    QFETCH(qint64, clockOffset);
    QFETCH(bool, trusted);
    const DnsSignedMessage request = signedVectorRequest();
    const QByteArray answer = signedAnswer(0, vectorKey(), s_vectorTime, request.mac);
    ManualClock clock(s_vectorTime);
    clock.advanceMs(clockOffset * 1000);
    const DnsUpdateResult r
        = DnsUpdateAnswer::read(answer, s_vectorId, vectorKey(), request.mac, clock.now());
    QCOMPARE(r.ok, trusted);
    if (!trusted) {
        QCOMPARE(r.error.kind, SourceError::Kind::Auth);
        QVERIFY2(r.message.contains(
                     QStringLiteral("outside its %1 s fudge").arg(DnsUpdateMessage::fudgeSeconds)),
            qPrintable(r.message));
        QVERIFY2(r.message.contains(QString::number(qAbs(clockOffset)) + QStringLiteral(" s")),
            qPrintable(r.message));
    }
}

void tst_DnsUpdateMessage::forgedAnswersAreRefused_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<QString>("expected");
    const DnsSignedMessage request = signedVectorRequest();
    const QByteArray good = signedAnswer(0, vectorKey(), s_vectorTime, request.mac);

    QByteArray refusedMadeNoError = signedAnswer(5, vectorKey(), s_vectorTime, request.mac);
    refusedMadeNoError[3] = char(refusedMadeNoError[3] & 0xf0); // RCODE 5 -> 0 after signing
    QTest::newRow("rcode-tampered") << refusedMadeNoError << "TSIG MAC does not match";
    QByteArray zoneTampered = good;
    zoneTampered[13] = 'S'; // svc.example -> Svc.example: a byte the MAC covers
    QTest::newRow("zone-tampered") << zoneTampered << "TSIG MAC does not match";
    QByteArray macTampered = good;
    macTampered[macTampered.size() - 7] = char(macTampered[macTampered.size() - 7] ^ 0x80);
    QTest::newRow("mac-tampered") << macTampered << "TSIG MAC does not match";

    DnsTsigKey otherName = vectorKey();
    otherName.name = QStringLiteral("other-key");
    QTest::newRow("other-key-name") << signedAnswer(0, otherName, s_vectorTime, request.mac)
                                    << "signed with key 'other-key.', not 'drain-key.'";
    DnsTsigKey otherSecret = vectorKey();
    otherSecret.secret = QByteArrayLiteral("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    QTest::newRow("other-secret") << signedAnswer(0, otherSecret, s_vectorTime, request.mac)
                                  << "TSIG MAC does not match";
    DnsTsigKey sha512 = vectorKey();
    sha512.algorithm = QStringLiteral("hmac-sha512");
    QTest::newRow("other-algorithm")
        << signedAnswer(0, sha512, s_vectorTime, request.mac) << "signed with hmac-sha512.";
    // Signed right, but not over this request's MAC: a replayed or unrelated answer.
    QTest::newRow("not-bound-to-the-request")
        << signedAnswer(0, vectorKey(), s_vectorTime, {}) << "TSIG MAC does not match";
    const DnsSignedMessage otherRequest = [] {
        QString e;
        DnsUpdateRequest add = vectorRequest();
        add.operation = DnsUpdateOperation::Add;
        return *DnsUpdateMessage::sign(
            *DnsUpdateMessage::encode(add, &e), vectorKey(), s_vectorTime, &e);
    }();
    QTest::newRow("answer-to-another-request") << signedAnswer(0, vectorKey(), s_vectorTime,
        otherRequest.mac) << "TSIG MAC does not match";
}

void tst_DnsUpdateMessage::forgedAnswersAreRefused()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, expected);
    QVERIFY(!answer.isEmpty());
    const DnsSignedMessage request = signedVectorRequest();
    const DnsUpdateResult r
        = DnsUpdateAnswer::read(answer, s_vectorId, vectorKey(), request.mac, s_vectorTime);
    QVERIFY(!r.ok);
    QCOMPARE(r.error.kind, SourceError::Kind::Auth);
    QVERIFY2(r.message.contains(QStringLiteral("failed TSIG verification")), qPrintable(r.message));
    QVERIFY2(r.message.contains(expected), qPrintable(r.message));
    QVERIFY2(!r.message.contains(QString::fromLatin1(vectorKey().secret)), "the secret leaked");
}

void tst_DnsUpdateMessage::cutAnswersAreNeverTrusted()
{
    const DnsSignedMessage request = signedVectorRequest();
    const QByteArray good = signedAnswer(0, vectorKey(), s_vectorTime, request.mac);
    QVERIFY(DnsUpdateAnswer::read(good, s_vectorId, vectorKey(), request.mac, s_vectorTime).ok);
    for (int n = 0; n < good.size(); ++n) {
        const DnsUpdateResult r = DnsUpdateAnswer::read(
            good.left(n), s_vectorId, vectorKey(), request.mac, s_vectorTime);
        QVERIFY2(!r.ok && r.error.isError() && !r.message.isEmpty(),
            qPrintable(QStringLiteral("cut at %1: %2").arg(n).arg(r.message)));
        const DnsTsigCheck c
            = DnsUpdateMessage::verify(good.left(n), vectorKey(), request.mac, s_vectorTime);
        QVERIFY2(!c.ok() && !c.why.isEmpty(), qPrintable(QString::number(n)));
    }
}

void tst_DnsUpdateMessage::hostileBytesAreNeverTrusted()
{
    // The hostile answers of the discovery parser's tests, with the vector's ID patched in.
    const QDir dir(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/dns/wire"));
    const QStringList files = dir.entryList({ QStringLiteral("hostile-*.bin") }, QDir::Files);
    QVERIFY(files.size() >= 10);
    for (const QString &name : files) {
        QFile f(dir.filePath(name));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray wire = f.read(70000);
        if (wire.size() >= 2) {
            wire[0] = char(s_vectorId >> 8);
            wire[1] = char(s_vectorId & 0xff);
        }
        const DnsUpdateResult r
            = DnsUpdateAnswer::read(wire, s_vectorId, vectorKey(), {}, s_vectorTime);
        QVERIFY2(!r.ok && r.error.isError(), qPrintable(name));
    }
}

void tst_DnsUpdateMessage::answerChecks_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<QString>("expected");
    // Unsigned answers as a server sends them when it does not sign (BADSIG/BADKEY replies
    // are unsigned, docs/PROTOCOLS.md §4.5).
    QTest::newRow("refused") << answerWire(s_vectorId, 5) << "REFUSED";
    QTest::newRow("notauth-without-tsig") << answerWire(s_vectorId, 9) << "not authoritative";
    QTest::newRow("unsigned-noerror-is-not-trusted")
        << answerWire(s_vectorId, 0) << "without a TSIG signature";
    QTest::newRow("notzone") << answerWire(s_vectorId, 10) << "NOTZONE";
    QTest::newRow("servfail") << answerWire(s_vectorId, 2) << "retry later";
    QTest::newRow("other-id") << answerWire(s_vectorId + 1, 0) << "does not belong";
    QByteArray query = answerWire(s_vectorId, 0);
    query[2] = char(query[2] & 0x7f); // QR clear: a request, not an answer
    QTest::newRow("not-an-answer") << query << "does not belong";
    QTest::newRow("garbage") << QByteArray("\x12\x34\xa8") << "cannot be parsed";
    QTest::newRow("empty") << QByteArray() << "cannot be parsed";
}

void tst_DnsUpdateMessage::answerChecks()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, expected);
    const DnsUpdateResult r
        = DnsUpdateAnswer::read(answer, s_vectorId, vectorKey(), {}, s_vectorTime);
    QVERIFY(!r.ok);
    QVERIFY(r.error.isError());
    QVERIFY2(r.message.contains(expected), qPrintable(r.message));
}

void tst_DnsUpdateMessage::recordsRoundTripThroughJson()
{
    const DnsUpdateRecord srv { QStringLiteral("_http._tcp.servicea.corp.internal."),
        QStringLiteral("SRV"), QStringLiteral("1 1 8080 task-1.servicea.corp.internal."), 10 };
    const auto back = DnsUpdateRecord::fromJson(srv.toJson());
    QVERIFY(back);
    QCOMPARE(*back, srv);
    QCOMPARE(srv.toString(),
        QStringLiteral("_http._tcp.servicea.corp.internal. 10 IN SRV 1 1 8080 "
                       "task-1.servicea.corp.internal."));
    // Owners compare as DNS names: case and the trailing dot do not matter.
    QCOMPARE(*DnsUpdateRecord::fromJson(s_record.toJson()), s_record);
    QCOMPARE(s_record.toJson().value(QStringLiteral("owner")).toString(),
        QStringLiteral("api.svc.example."));
    QVERIFY(!DnsUpdateRecord::fromJson(
        QJsonObject { { QStringLiteral("owner"), QStringLiteral("x") } }));
    QJsonObject negative = srv.toJson();
    negative.insert(QStringLiteral("ttl"), -1);
    QVERIFY(!DnsUpdateRecord::fromJson(negative));
}

QTEST_GUILESS_MAIN(tst_DnsUpdateMessage)
#include "tst_DnsUpdateMessage.moc"
