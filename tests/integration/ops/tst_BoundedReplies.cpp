// Every admin call has a hard total deadline and a byte cap (issue 9): DnsUpdater (UDP, then
// TCP), HaproxyRuntimeClient (set server), EnvoyAdminClient (POST /healthcheck/ok) and
// EnvoyAdminSource's polls, against the demo cluster's real BIND, HAProxy and Envoy emulator
// through tests/peers/fault_proxy.py. The request always reaches the real server (the proxy's
// counters say so); only the reply is lost, late, endless or reset. Each case must end with an
// error that says which it was, within the deadline, with memory bounded. The commands are
// idempotent no-ops on the cluster (ready on an UP server, healthcheck/ok on a LIVE sidecar, a
// probe record removed at the end), so nothing needs restoring.

#include "FaultProxy.h"
#include "dns/DnsUpdater.h"
#include "envoy/EnvoyAdminClient.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeClient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>

#include <optional>

using namespace hopscope;

namespace {

constexpr int s_deadlineMs = 1500;
constexpr int s_slackMs = 1000; // event-loop and process scheduling on a busy 2-core CI machine

QJsonObject peersState()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.read(1 << 22)).object();
}

qint64 rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray &line : f.read(1 << 16).split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
        }
    }
    return -1;
}

QJsonObject opts(std::initializer_list<QPair<QString, QJsonValue>> kv)
{
    QJsonObject o;
    for (const auto &p : kv) {
        o.insert(p.first, p.second);
    }
    return o;
}

const DnsUpdateRecord s_probe { QStringLiteral("fault-probe.corp.internal"), QStringLiteral("A"),
    QStringLiteral("127.0.0.254"), 5 };

} // namespace

class tst_BoundedReplies : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();
    void passReachesEveryServer();
    void dnsUpdate_data();
    void dnsUpdate();
    void haproxyCommand_data();
    void haproxyCommand();
    void haproxyReadLosingItsReplyClaimsNoChange();
    void envoyOperation_data();
    void envoyOperation();
    void envoyPoll_data();
    void envoyPoll();

private:
    void addRows(const QString &reset, const QString &dropClose, const QString &endless);
    DnsTsigKey tsig() const;
    HostPort bind() const;

    QJsonObject m_state;
    FaultProxy m_proxy;
};

void tst_BoundedReplies::initTestCase()
{
    m_state = peersState();
    QVERIFY2(!m_state.isEmpty(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
    const QJsonObject dns = m_state[QStringLiteral("dns")].toObject();
    const QJsonObject cli = m_state[QStringLiteral("haproxy")][QStringLiteral("cli")].toObject();
    const QUrl admin(m_state[QStringLiteral("envoy")][QStringLiteral("payments-1-envoy")]
                            [QStringLiteral("admin_url")]
                                .toString());
    QVERIFY(admin.isValid() && admin.port() > 0);
    QString error;
    QVERIFY2(
        m_proxy.start({ QStringLiteral("dns=dns:%1:%2")
                              .arg(dns[QStringLiteral("addr")].toString())
                              .arg(dns[QStringLiteral("port")].toInt()),
                          QStringLiteral("haproxy=tcp:%1:%2")
                              .arg(cli[QStringLiteral("addr")].toString())
                              .arg(cli[QStringLiteral("port")].toInt()),
                          QStringLiteral("envoy=http:%1:%2").arg(admin.host()).arg(admin.port()) },
            &error),
        qPrintable(error));
}

void tst_BoundedReplies::init()
{
    for (const char *route : { "dns", "haproxy", "envoy" }) {
        QVERIFY(m_proxy.set(QLatin1String(route), QStringLiteral("pass")));
    }
}

void tst_BoundedReplies::cleanupTestCase()
{
    // The probe record, straight to BIND (not through the proxy).
    DnsUpdater direct(bind(), QStringLiteral("corp.internal"), tsig());
    QSignalSpy done(&direct, &DnsUpdater::finished);
    direct.removeRecords({ s_probe });
    QVERIFY(done.wait(10000));
    QVERIFY2(done.first().first().value<DnsUpdateResult>().ok,
        qPrintable(done.first().first().value<DnsUpdateResult>().message));
}

DnsTsigKey tst_BoundedReplies::tsig() const
{
    const QJsonObject t = m_state[QStringLiteral("tsig")].toObject();
    return DnsTsigKey { t[QStringLiteral("name")].toString(),
        t[QStringLiteral("algorithm")].toString(),
        t[QStringLiteral("secret")].toString().toLatin1() };
}

HostPort tst_BoundedReplies::bind() const
{
    const QJsonObject dns = m_state[QStringLiteral("dns")].toObject();
    return HostPort { dns[QStringLiteral("addr")].toString(),
        quint16(dns[QStringLiteral("port")].toInt()) };
}

// Through the proxy in pass mode every client works: the faults below are the proxy's doing.
void tst_BoundedReplies::passReachesEveryServer()
{
    DnsUpdater dns(HostPort { m_proxy.host(), m_proxy.port(QStringLiteral("dns")) },
        QStringLiteral("corp.internal"), tsig());
    QSignalSpy dnsDone(&dns, &DnsUpdater::finished);
    dns.addRecords({ s_probe });
    QVERIFY(dnsDone.wait(10000));
    QVERIFY2(dnsDone.first().first().value<DnsUpdateResult>().ok,
        qPrintable(dnsDone.first().first().value<DnsUpdateResult>().message));

    HaproxyRuntimeClient lb(
        *RuntimeEndpoint::parse(QString(u"tcp:" + m_proxy.hostPort(QStringLiteral("haproxy")))));
    QSignalSpy lbDone(&lb, &HaproxyRuntimeClient::commandFinished);
    lb.setServerState(
        QStringLiteral("be_user"), QStringLiteral("user1"), HaproxyAdminAction::Ready);
    QVERIFY(lbDone.wait(10000));
    QVERIFY2(lbDone.first().first().value<HaproxyCommandResult>().ok,
        qPrintable(lbDone.first().first().value<HaproxyCommandResult>().error.message));

    EnvoyAdminClient envoy(QStringLiteral("payments-1-envoy"),
        QUrl(u"http://" + m_proxy.hostPort(QStringLiteral("envoy"))));
    QSignalSpy envoyDone(&envoy, &EnvoyAdminClient::operationFinished);
    envoy.healthcheckOk();
    QVERIFY(envoyDone.wait(10000));
    QVERIFY2(envoyDone.first().first().value<EnvoyOperationResult>().ok,
        qPrintable(envoyDone.first().first().value<EnvoyOperationResult>().error.message));
}

void tst_BoundedReplies::addRows(
    const QString &reset, const QString &dropClose, const QString &endless)
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QJsonObject>("options");
    QTest::addColumn<QString>("expected"); // a regular expression on the error message
    const QString timeout = QStringLiteral("no complete reply within %1 ms").arg(s_deadlineMs);
    QTest::newRow("drop-keep-open") << "drop" << QJsonObject {} << timeout;
    QTest::newRow("drop-close") << "drop" << opts({ { QStringLiteral("close"), true } })
                                << dropClose;
    QTest::newRow("delay-4s") << "delay" << opts({ { QStringLiteral("ms"), 4000 } }) << timeout;
    QTest::newRow("endless-fast") << "endless" << QJsonObject {} << endless;
    QTest::newRow("endless-trickle")
        << "endless" << opts({ { QStringLiteral("rate"), 200 } }) << timeout;
    QTest::newRow("reset-after-request") << "reset" << QJsonObject {} << reset;
}

void tst_BoundedReplies::dnsUpdate_data()
{
    // UDP has no connection to reset or close: the proxy drops the datagram's answer, the TCP
    // retry is then reset or closed. Endless: stray datagrams on UDP, then a 65535-octet length
    // prefix and fast zeros on TCP: one framed message of garbage, read and refused.
    addRows(QStringLiteral("DNS update over TCP to .* failed: .*may or may not have been applied"),
        QStringLiteral("DNS update over TCP to .* failed: .*may or may not have been applied"),
        QStringLiteral("cannot be parsed|does not belong to this UPDATE"));
}

void tst_BoundedReplies::dnsUpdate()
{
    QFETCH(QString, mode);
    QFETCH(QJsonObject, options);
    QFETCH(QString, expected);
    QVERIFY(m_proxy.set(QStringLiteral("dns"), mode, options));
    const int forwarded = m_proxy.counter(QStringLiteral("dns"), QStringLiteral("forwarded"));
    DnsUpdater dns(HostPort { m_proxy.host(), m_proxy.port(QStringLiteral("dns")) },
        QStringLiteral("corp.internal"), tsig());
    dns.setTimeoutMs(s_deadlineMs);
    QSignalSpy done(&dns, &DnsUpdater::finished);
    const qint64 rss = rssKiB();
    QElapsedTimer t;
    t.start();
    dns.addRecords({ s_probe });
    QVERIFY2(done.wait(s_deadlineMs + s_slackMs), "no result within the deadline");
    const qint64 elapsed = t.elapsed();
    const DnsUpdateResult r = done.first().first().value<DnsUpdateResult>();
    QVERIFY2(!r.ok && r.error.isError(), qPrintable(r.message));
    QVERIFY2(QRegularExpression(expected).match(r.message).hasMatch(), qPrintable(r.message));
    QVERIFY2(elapsed <= s_deadlineMs + s_slackMs, qPrintable(QString::number(elapsed)));
    QVERIFY2(rssKiB() - rss < 16 * 1024,
        qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(rssKiB() - rss)));
    // The UPDATE did reach BIND: only the reply was lost.
    QVERIFY(m_proxy.counter(QStringLiteral("dns"), QStringLiteral("forwarded")) > forwarded);
}

void tst_BoundedReplies::haproxyCommand_data()
{
    const QString closed
        = QStringLiteral("connection closed before any reply: 'set server be_user/user1 state "
                         "ready' may or may not have been applied");
    addRows(closed, closed, QStringLiteral("reply larger than 65536 bytes"));
}

void tst_BoundedReplies::haproxyCommand()
{
    QFETCH(QString, mode);
    QFETCH(QJsonObject, options);
    QFETCH(QString, expected);
    QVERIFY(m_proxy.set(QStringLiteral("haproxy"), mode, options));
    const int answered = m_proxy.counter(QStringLiteral("haproxy"), QStringLiteral("answered"));
    HaproxyRuntimeClient lb(
        *RuntimeEndpoint::parse(QString(u"tcp:" + m_proxy.hostPort(QStringLiteral("haproxy")))));
    lb.setTimeoutMs(s_deadlineMs);
    QSignalSpy done(&lb, &HaproxyRuntimeClient::commandFinished);
    const qint64 rss = rssKiB();
    QElapsedTimer t;
    t.start();
    lb.setServerState(
        QStringLiteral("be_user"), QStringLiteral("user1"), HaproxyAdminAction::Ready);
    QVERIFY2(done.wait(s_deadlineMs + s_slackMs), "no result within the deadline");
    const qint64 elapsed = t.elapsed();
    const HaproxyCommandResult r = done.first().first().value<HaproxyCommandResult>();
    QVERIFY2(!r.ok, qPrintable(r.reply));
    QVERIFY2(QRegularExpression(expected).match(r.error.message).hasMatch(),
        qPrintable(r.error.message));
    QVERIFY2(elapsed <= s_deadlineMs + s_slackMs, qPrintable(QString::number(elapsed)));
    QVERIFY2(rssKiB() - rss < 16 * 1024,
        qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(rssKiB() - rss)));
    // HAProxy executed the command and answered; the proxy kept the answer from us.
    QTRY_VERIFY(m_proxy.counter(QStringLiteral("haproxy"), QStringLiteral("answered")) > answered);
}

// A read ('show stat') whose reply is lost says so, without the "may or may not have been
// applied" of a change: an operator must not read a poll's failure as a possible change.
void tst_BoundedReplies::haproxyReadLosingItsReplyClaimsNoChange()
{
    QVERIFY(m_proxy.set(QStringLiteral("haproxy"), QStringLiteral("drop"),
        opts({ { QStringLiteral("close"), true } })));
    HaproxyRuntimeClient lb(
        *RuntimeEndpoint::parse(QString(u"tcp:" + m_proxy.hostPort(QStringLiteral("haproxy")))));
    lb.setTimeoutMs(s_deadlineMs);
    std::optional<HaproxyRuntimeReply> reply;
    lb.send({ QStringLiteral("show stat") }, [&reply](const HaproxyRuntimeReply &r) { reply = r; });
    QTRY_VERIFY_WITH_TIMEOUT(reply.has_value(), s_deadlineMs + s_slackMs);
    QVERIFY(reply->error.isError());
    QCOMPARE(reply->error.message,
        QStringLiteral("the connection closed before any reply to 'show stat'"));
}

void tst_BoundedReplies::envoyOperation_data()
{
    addRows(QStringLiteral("POST /healthcheck/ok failed: "),
        QStringLiteral("POST /healthcheck/ok failed: "),
        QStringLiteral("POST /healthcheck/ok: reply larger than 65536 bytes"));
}

void tst_BoundedReplies::envoyOperation()
{
    QFETCH(QString, mode);
    QFETCH(QJsonObject, options);
    QFETCH(QString, expected);
    options.insert(QStringLiteral("match"), QStringLiteral("/healthcheck/"));
    QVERIFY(m_proxy.set(QStringLiteral("envoy"), mode, options));
    const int answered = m_proxy.counter(QStringLiteral("envoy"), QStringLiteral("answered"));
    EnvoyAdminClient envoy(QStringLiteral("payments-1-envoy"),
        QUrl(u"http://" + m_proxy.hostPort(QStringLiteral("envoy"))));
    envoy.setTimeoutMs(s_deadlineMs);
    QSignalSpy done(&envoy, &EnvoyAdminClient::operationFinished);
    const qint64 rss = rssKiB();
    QElapsedTimer t;
    t.start();
    envoy.healthcheckOk();
    QVERIFY2(done.wait(s_deadlineMs + s_slackMs), "no result within the deadline");
    const qint64 elapsed = t.elapsed();
    const EnvoyOperationResult r = done.first().first().value<EnvoyOperationResult>();
    QVERIFY2(!r.ok, qPrintable(r.body));
    QVERIFY2(QRegularExpression(expected).match(r.error.message).hasMatch(),
        qPrintable(r.error.message));
    QVERIFY2(elapsed <= s_deadlineMs + s_slackMs, qPrintable(QString::number(elapsed)));
    QVERIFY2(rssKiB() - rss < 16 * 1024,
        qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(rssKiB() - rss)));
    QTRY_VERIFY(m_proxy.counter(QStringLiteral("envoy"), QStringLiteral("answered")) > answered);
}

void tst_BoundedReplies::envoyPoll_data()
{
    QTest::addColumn<QJsonObject>("options");
    QTest::addColumn<QString>("expected");
    QTest::newRow("endless-fast")
        << QJsonObject {}
        << QStringLiteral("GET /clusters\\?format=json refused: reply larger than 1048576 bytes");
    QTest::newRow("endless-trickle")
        << opts({ { QStringLiteral("rate"), 200 } })
        << QStringLiteral("no complete reply within %1 ms").arg(s_deadlineMs);
}

// A poll's deadline is the whole poll, and each body has a cap: an endless /clusters body ends
// the poll at the cap (fast) or at the deadline (trickling), never later.
void tst_BoundedReplies::envoyPoll()
{
    QFETCH(QJsonObject, options);
    QFETCH(QString, expected);
    options.insert(QStringLiteral("match"), QStringLiteral("GET /clusters"));
    QVERIFY(m_proxy.set(QStringLiteral("envoy"), QStringLiteral("endless"), options));
    EnvoyAdminSource source(QStringLiteral("payments-1-envoy"),
        QUrl(u"http://" + m_proxy.hostPort(QStringLiteral("envoy"))));
    source.setTimeoutMs(s_deadlineMs);
    source.setIntervalMs(60000);
    source.setMaxReplyBytes(1 << 20);
    QSignalSpy failed(&source, &PollingSource::errorOccurred);
    const qint64 rss = rssKiB();
    QElapsedTimer t;
    t.start();
    source.start();
    QVERIFY2(failed.wait(s_deadlineMs + s_slackMs), "no error within the deadline");
    const qint64 elapsed = t.elapsed();
    source.stop();
    const SourceError e = failed.first().first().value<SourceError>();
    QVERIFY2(QRegularExpression(expected).match(e.message).hasMatch(), qPrintable(e.message));
    QVERIFY2(elapsed <= s_deadlineMs + s_slackMs, qPrintable(QString::number(elapsed)));
    QVERIFY2(rssKiB() - rss < 16 * 1024,
        qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(rssKiB() - rss)));
    QVERIFY(!source.hasSnapshot());
}

QTEST_GUILESS_MAIN(tst_BoundedReplies)
#include "tst_BoundedReplies.moc"
