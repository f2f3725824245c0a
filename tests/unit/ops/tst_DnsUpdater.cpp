// DnsUpdater, the facade, on the injected Clock: a loopback UDP peer receives the UPDATE and
// finds it signed at the ManualClock's time (byte for byte the message DnsUpdateMessage signs at
// that time with the datagram's ID), answers it signed, and the updater checks that answer
// against the same clock (an answer arriving after the clock moved past the fudge is refused).
// Bad input ends in one finished() with a Config error. Message details: tst_DnsUpdateMessage;
// real BIND: tst_DnsUpdaterLive, tst_BoundedReplies.

#include "core/Clock.h"
#include "dns/DnsUpdater.h"

#include <QNetworkDatagram>
#include <QSignalSpy>
#include <QTest>
#include <QUdpSocket>

#include <ldns/ldns.h>

using namespace hopscope;

namespace {

const QDateTime s_start = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);

const DnsUpdateRecord s_record { QStringLiteral("api.svc.example"), QStringLiteral("A"),
    QStringLiteral("10.0.1.13"), 0 };

DnsTsigKey testKey()
{
    return { QStringLiteral("drain-key"), QStringLiteral("hmac-sha256"),
        QByteArrayLiteral("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") };
}

// NOERROR to message `id` (QR, opcode UPDATE, the zone section echoed), built by ldns.
QByteArray noErrorAnswer(quint16 id)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_pkt_set_id(p, id);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
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

} // namespace

class tst_DnsUpdater : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void signsAndChecksOnTheInjectedClock_data();
    void signsAndChecksOnTheInjectedClock();
    void badInputEndsInOneConfigError();
};

void tst_DnsUpdater::signsAndChecksOnTheInjectedClock_data()
{
    QTest::addColumn<qint64>("clockMovesBeforeTheAnswer"); // seconds
    QTest::addColumn<bool>("trusted");
    QTest::newRow("answer-within-the-fudge") << qint64(DnsUpdateMessage::fudgeSeconds) << true;
    QTest::newRow("clock-past-the-fudge") << qint64(DnsUpdateMessage::fudgeSeconds + 1) << false;
}

void tst_DnsUpdater::signsAndChecksOnTheInjectedClock()
{
    QFETCH(qint64, clockMovesBeforeTheAnswer);
    QFETCH(bool, trusted);
    QUdpSocket peer;
    QVERIFY(peer.bind(QHostAddress::LocalHost, 0));
    ManualClock clock(s_start);
    DnsUpdater updater(HostPort { QStringLiteral("127.0.0.1"), peer.localPort() },
        QStringLiteral("svc.example"), testKey(), clock);
    updater.setTimeoutMs(10000);
    QSignalSpy finished(&updater, &DnsUpdater::finished);
    QSignalSpy arrived(&peer, &QUdpSocket::readyRead);
    const quint64 id = updater.removeRecords({ s_record });
    QVERIFY(arrived.wait(10000));
    const QNetworkDatagram request = peer.receiveDatagram();
    const QByteArray wire = request.data();
    QVERIFY(wire.size() > 12);

    // The message is the one DnsUpdateMessage signs at the clock's time with this ID.
    const quint16 messageId = quint16((quint8(wire[0]) << 8) | quint8(wire[1]));
    QString error;
    const auto expected = DnsUpdateMessage::sign(
        *DnsUpdateMessage::encode({ QStringLiteral("svc.example"), messageId,
                                      DnsUpdateOperation::Remove, { s_record }, {} },
            &error),
        testKey(), s_start, &error);
    QVERIFY2(expected, qPrintable(error));
    QCOMPARE(wire.toHex(' '), expected->wire.toHex(' '));
    QVERIFY(DnsUpdateMessage::verify(wire, testKey(), {}, s_start).ok());

    // The peer answers signed at the time it received the request; our clock moves meanwhile.
    const auto answer = DnsUpdateMessage::sign(
        noErrorAnswer(messageId), testKey(), s_start, &error, expected->mac);
    QVERIFY2(answer, qPrintable(error));
    clock.advanceMs(clockMovesBeforeTheAnswer * 1000);
    peer.writeDatagram(request.makeReply(answer->wire));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.size(), 1);
    const auto r = finished.first().first().value<DnsUpdateResult>();
    QCOMPARE(r.id, id);
    QCOMPARE(r.transport, QStringLiteral("udp"));
    QCOMPARE(r.records, QList<DnsUpdateRecord> { s_record });
    QCOMPARE(r.ok, trusted);
    if (!trusted) {
        QCOMPARE(r.error.kind, SourceError::Kind::Auth);
        QVERIFY2(
            r.message.contains(QStringLiteral("outside its 300 s fudge")), qPrintable(r.message));
        QCOMPARE(r.error.when, clock.now()); // stamped by the injected clock too
    }
}

void tst_DnsUpdater::badInputEndsInOneConfigError()
{
    ManualClock clock(s_start);
    DnsUpdater updater(HostPort { QStringLiteral("127.0.0.1"), 9 }, QStringLiteral("svc.example"),
        testKey(), clock);
    QSignalSpy finished(&updater, &DnsUpdater::finished);
    const quint64 id = updater.removeRecords({ { QStringLiteral("api.other.example"),
        QStringLiteral("A"), QStringLiteral("10.0.0.1"), 10 } });
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.size(), 1);
    const auto r = finished.first().first().value<DnsUpdateResult>();
    QCOMPARE(r.id, id);
    QVERIFY(!r.ok);
    QCOMPARE(r.error.kind, SourceError::Kind::Config);
    QVERIFY2(r.message.contains(QStringLiteral("outside zone")), qPrintable(r.message));
    QCOMPARE(r.error.when, s_start);
}

QTEST_GUILESS_MAIN(tst_DnsUpdater)
#include "tst_DnsUpdater.moc"
