// DnsUpdater against the demo cluster's real BIND: a truncated UDP answer makes it retry over TCP
// (through a scripted loopback peer that answers TC=1 on UDP and relays TCP to BIND, so the answer
// is BIND's real signed one), an unknown key name gets BADKEY, and an updater whose injected clock
// is 1000 s behind gets BADTIME with the measured skew. Every change is read back with dig.

#include "core/Clock.h"
#include "dns/DnsUpdater.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkDatagram>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUdpSocket>

using namespace hopscope;

namespace {

QJsonObject peersState()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

// A DNS peer on one loopback port: answers every UDP query with its header and TC=1 (nothing
// fits), and relays each TCP-framed message to the real server, passing its answer back.
class TruncatingPeer : public QObject
{
public:
    TruncatingPeer(quint16 upstreamPort)
        : m_upstream(upstreamPort)
    {
        for (int attempt = 0; attempt < 20 && m_udp.state() != QAbstractSocket::BoundState;
             ++attempt) {
            if (m_tcp.isListening()) {
                m_tcp.close();
            }
            m_tcp.listen(QHostAddress::LocalHost, 0);
            m_udp.bind(QHostAddress::LocalHost, m_tcp.serverPort());
        }
        connect(&m_udp, &QUdpSocket::readyRead, this, [this] {
            while (m_udp.hasPendingDatagrams()) {
                const QNetworkDatagram d = m_udp.receiveDatagram();
                ++udpQueries;
                QByteArray answer = d.data().left(12);
                if (answer.size() < 12) {
                    continue;
                }
                answer[2] = char(quint8(answer[2]) | 0x80 | 0x02); // QR, TC
                answer.replace(4, 8, QByteArray(8, '\0')); // no sections
                m_udp.writeDatagram(d.makeReply(answer));
            }
        });
        connect(&m_tcp, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_tcp.nextPendingConnection()) {
                auto *up = new QTcpSocket(client);
                connect(client, &QTcpSocket::readyRead, up, [client, up, this] {
                    const QByteArray in = client->readAll();
                    if (!in.isEmpty()) {
                        ++tcpMessages;
                    }
                    m_pending += in;
                    if (up->state() == QAbstractSocket::ConnectedState) {
                        up->write(std::exchange(m_pending, {}));
                    }
                });
                connect(up, &QTcpSocket::connected, up,
                    [up, this] { up->write(std::exchange(m_pending, {})); });
                connect(up, &QTcpSocket::readyRead, client,
                    [client, up] { client->write(up->readAll()); });
                up->connectToHost(QHostAddress::LocalHost, m_upstream);
            }
        });
    }
    bool ok() const { return m_udp.state() == QAbstractSocket::BoundState && m_tcp.isListening(); }
    quint16 port() const { return m_tcp.serverPort(); }
    int udpQueries = 0;
    int tcpMessages = 0;

private:
    quint16 m_upstream;
    QUdpSocket m_udp;
    QTcpServer m_tcp;
    QByteArray m_pending;
};

} // namespace

class tst_DnsUpdaterLive : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void truncatedUdpAnswerRetriesOverTcp();
    void unknownKeyNameIsBadKey();
    void shiftedClockIsBadTimeWithTheSkew();
    void cleanupTestCase();

private:
    QString dig(const QString &name);
    DnsUpdateResult run(
        DnsUpdater &u, DnsUpdateOperation op, const QList<DnsUpdateRecord> &records);

    QJsonObject m_state;
    quint16 m_dnsPort = 0;
    DnsTsigKey m_key;
    const QString m_owner = QStringLiteral("tcfallback.corp.internal");
};

void tst_DnsUpdaterLive::initTestCase()
{
    m_state = peersState();
    QVERIFY2(!m_state.isEmpty(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
    m_dnsPort = quint16(
        m_state.value(QStringLiteral("dns")).toObject().value(QStringLiteral("port")).toInt());
    const QJsonObject tsig = m_state.value(QStringLiteral("tsig")).toObject();
    m_key.name = tsig.value(QStringLiteral("name")).toString();
    m_key.algorithm = tsig.value(QStringLiteral("algorithm")).toString();
    m_key.secret = tsig.value(QStringLiteral("secret")).toString().toLatin1();
    QVERIFY(m_dnsPort != 0 && !m_key.name.isEmpty() && !m_key.secret.isEmpty());
    QCOMPARE(m_key.algorithm, QStringLiteral("hmac-sha256")); // signAt() below is sha256 only
}

QString tst_DnsUpdaterLive::dig(const QString &name)
{
    QProcess p;
    p.start(QStringLiteral("dig"),
        { QStringLiteral("+short"), QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
            QString::number(m_dnsPort), name, QStringLiteral("A") });
    p.waitForFinished(20000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

DnsUpdateResult tst_DnsUpdaterLive::run(
    DnsUpdater &u, DnsUpdateOperation op, const QList<DnsUpdateRecord> &records)
{
    QSignalSpy done(&u, &DnsUpdater::finished);
    const quint64 id
        = op == DnsUpdateOperation::Add ? u.addRecords(records) : u.removeRecords(records);
    if (!done.wait(15000)) {
        return {};
    }
    const auto r = done.first().first().value<DnsUpdateResult>();
    return r.id == id ? r : DnsUpdateResult {};
}

void tst_DnsUpdaterLive::truncatedUdpAnswerRetriesOverTcp()
{
    TruncatingPeer peer(m_dnsPort);
    QVERIFY(peer.ok());
    const DnsUpdateRecord rec { m_owner, QStringLiteral("A"), QStringLiteral("127.0.0.99"), 30 };
    QVERIFY(!dig(m_owner).contains(QStringLiteral("127.0.0.99")));

    DnsUpdater u(HostPort { QStringLiteral("127.0.0.1"), peer.port() },
        QStringLiteral("corp.internal"), m_key);
    u.setTimeoutMs(5000);
    const DnsUpdateResult r = run(u, DnsUpdateOperation::Add, { rec });
    QVERIFY2(r.ok, qPrintable(r.message + u' ' + r.error.detail));
    QCOMPARE(r.transport, QStringLiteral("tcp"));
    QCOMPARE(peer.udpQueries, 1); // asked once over UDP, got TC=1
    QCOMPARE(peer.tcpMessages, 1); // then once over TCP: BIND's signed answer verified
    QVERIFY2(
        dig(m_owner).contains(QStringLiteral("127.0.0.99")), "BIND does not list the added record");

    // And back out, straight to BIND over UDP (no truncation there).
    DnsUpdater direct(HostPort { QStringLiteral("127.0.0.1"), m_dnsPort },
        QStringLiteral("corp.internal"), m_key);
    const DnsUpdateResult rm = run(direct, DnsUpdateOperation::Remove, { rec });
    QVERIFY2(rm.ok, qPrintable(rm.message));
    QCOMPARE(rm.transport, QStringLiteral("udp"));
    QVERIFY(!dig(m_owner).contains(QStringLiteral("127.0.0.99")));
}

void tst_DnsUpdaterLive::unknownKeyNameIsBadKey()
{
    DnsTsigKey unknown = m_key;
    unknown.name = QStringLiteral("no-such-key");
    DnsUpdater u(HostPort { QStringLiteral("127.0.0.1"), m_dnsPort },
        QStringLiteral("corp.internal"), unknown);
    const DnsUpdateRecord rec { m_owner, QStringLiteral("A"), QStringLiteral("127.0.0.98"), 30 };
    const DnsUpdateResult r = run(u, DnsUpdateOperation::Add, { rec });
    QVERIFY(!r.ok);
    QCOMPARE(r.rcode, 9);
    QCOMPARE(r.tsigError, 17);
    QCOMPARE(r.rcodeName, QStringLiteral("NOTAUTH/BADKEY"));
    QCOMPARE(r.error.kind, SourceError::Kind::Auth);
    QVERIFY2(r.message.contains(QStringLiteral("does not know key 'no-such-key'")),
        qPrintable(r.message));
    QVERIFY(!r.message.contains(QString::fromLatin1(m_key.secret)));
    QVERIFY(!dig(m_owner).contains(QStringLiteral("127.0.0.98")));
}

void tst_DnsUpdaterLive::shiftedClockIsBadTimeWithTheSkew()
{
    // The updater's injected clock is 1000 s behind BIND's; the fudge is 300 s.
    const qint64 skew = 1000;
    ManualClock clock(QDateTime::currentDateTimeUtc().addSecs(-skew));
    DnsUpdater u(HostPort { QStringLiteral("127.0.0.1"), m_dnsPort },
        QStringLiteral("corp.internal"), m_key, clock);
    const DnsUpdateRecord rec { m_owner, QStringLiteral("A"), QStringLiteral("127.0.0.97"), 30 };
    const DnsUpdateResult r = run(u, DnsUpdateOperation::Add, { rec });
    QVERIFY(!r.ok);
    QCOMPARE(r.rcode, 9);
    QCOMPARE(r.tsigError, 18);
    QVERIFY2(r.message.contains(QStringLiteral("NOTAUTH/BADTIME")), qPrintable(r.message));
    QVERIFY2(r.clockSkewSeconds, qPrintable(r.message));
    QVERIFY2(
        qAbs(*r.clockSkewSeconds - skew) <= 5, qPrintable(QString::number(*r.clockSkewSeconds)));
    QVERIFY2(r.message.contains(QStringLiteral("ahead of this machine's")), qPrintable(r.message));
    QVERIFY(!dig(m_owner).contains(QStringLiteral("127.0.0.97")));

    // Control: the same updater once its clock reads the time is accepted (and BIND's signed
    // answer passes the fudge check on that clock), so BADTIME was about the time alone.
    clock.set(QDateTime::currentDateTimeUtc());
    const DnsUpdateResult ok = run(u, DnsUpdateOperation::Remove, { rec });
    QVERIFY2(ok.ok, qPrintable(ok.message));
}

void tst_DnsUpdaterLive::cleanupTestCase()
{
    // Leave the zone as found even when a test failed half-way.
    if (m_dnsPort == 0) {
        return;
    }
    DnsUpdater direct(HostPort { QStringLiteral("127.0.0.1"), m_dnsPort },
        QStringLiteral("corp.internal"), m_key);
    QList<DnsUpdateRecord> recs;
    for (const char *a : { "127.0.0.99", "127.0.0.98", "127.0.0.97" }) {
        recs.append({ m_owner, QStringLiteral("A"), QLatin1String(a), 30 });
    }
    const DnsUpdateResult r = run(direct, DnsUpdateOperation::Remove, recs);
    QVERIFY2(r.ok, qPrintable(r.message));
    QVERIFY(dig(m_owner).trimmed().isEmpty());
}

QTEST_GUILESS_MAIN(tst_DnsUpdaterLive)
#include "tst_DnsUpdaterLive.moc"
