// PrometheusFallback's switching: the standby PrometheusSource runs exactly while the direct
// source fails; the picture shows the direct source until the standby has answered since it took
// over; note() says why; stopping the direct source stops the standby. The direct source is a
// scripted PollingSource; the standby points at a port nobody listens on (it never answers, which
// is what "not answered yet" needs), except where a test says it answered.

#include "prometheus/PrometheusFallback.h"
#include "prometheus/PrometheusSource.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace hopscope;

namespace {

// Answers or fails each poll as told.
class ScriptedSource : public PollingSource
{
public:
    using PollingSource::PollingSource;
    bool succeed = true;

protected:
    void startPoll() override
    {
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (succeed) {
                    finishPoll();
                } else {
                    failPoll(makeError(SourceError::Kind::Network,
                        QStringLiteral(
                            "connect /run/haproxy/admin.sock: No such file or directory")));
                }
            },
            Qt::QueuedConnection);
    }
};

// A loopback port with nothing listening (bound, then closed).
QUrl closedPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost);
    const quint16 port = s.serverPort();
    s.close();
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

} // namespace

class tst_PrometheusFallback : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void standbyRunsOnlyWhileDirectFails();
    void stoppingTheDirectSourceStopsTheStandby();
};

void tst_PrometheusFallback::standbyRunsOnlyWhileDirectFails()
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    ScriptedSource direct(QStringLiteral("lb:internal-lb"));
    direct.setIntervalMs(50);
    direct.setBackoff(Backoff(50, 100));
    PrometheusSource standby(QStringLiteral("lb:internal-lb"), closedPort(), {}, &nam);
    standby.setIntervalMs(50);
    PrometheusFallback fallback(
        QStringLiteral("internal-lb"), QStringLiteral("runtime"), &direct, &standby);
    QSignalSpy switched(&fallback, &PrometheusFallback::switched);

    direct.start();
    QTRY_COMPARE(direct.status(), PollingSource::Status::Ok);
    QVERIFY(!fallback.isActive());
    QCOMPARE(standby.status(), PollingSource::Status::Idle); // never started while direct answers
    QCOMPARE(fallback.note(), QString());
    QVERIFY(fallback.shown() == &direct);

    direct.succeed = false;
    QTRY_VERIFY(fallback.isActive());
    QVERIFY(standby.status() != PollingSource::Status::Idle);
    QCOMPARE(
        fallback.note(), QStringLiteral("internal-lb runtime unreachable; reading Prometheus"));
    QCOMPARE(switched.size(), 1);
    QCOMPARE(switched.first().at(0).toBool(), true);
    QCOMPARE(switched.first().at(1).toString(),
        QStringLiteral("internal-lb runtime unreachable (connect /run/haproxy/admin.sock: No such "
                       "file or directory); reading Prometheus"));
    // The standby has not answered (nobody listens): the failing direct source is what shows.
    QTRY_COMPARE(standby.status(), PollingSource::Status::Failing);
    QVERIFY(!fallback.standbyAnswered());
    QVERIFY(fallback.shown() == &direct);

    direct.succeed = true;
    QTRY_VERIFY(!fallback.isActive());
    QCOMPARE(standby.status(), PollingSource::Status::Idle);
    QCOMPARE(fallback.note(), QString());
    QCOMPARE(switched.size(), 2);
    QCOMPARE(switched.last().at(0).toBool(), false);
    QCOMPARE(switched.last().at(1).toString(),
        QStringLiteral("internal-lb runtime answering again; Prometheus no longer read"));
}

void tst_PrometheusFallback::stoppingTheDirectSourceStopsTheStandby()
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    ScriptedSource direct(QStringLiteral("mesh:pay-1"));
    direct.succeed = false;
    direct.setIntervalMs(50);
    PrometheusSource standby(
        QStringLiteral("mesh:pay-1"), PrometheusSource::Target::Envoy, closedPort(), {}, &nam);
    PrometheusFallback fallback(
        QStringLiteral("pay-1"), QStringLiteral("admin API"), &direct, &standby);
    QSignalSpy switched(&fallback, &PrometheusFallback::switched);
    direct.start();
    QTRY_VERIFY(fallback.isActive());
    QCOMPARE(fallback.note(), QStringLiteral("pay-1 admin API unreachable; reading Prometheus"));
    direct.stop();
    QVERIFY(!fallback.isActive());
    QCOMPARE(standby.status(), PollingSource::Status::Idle);
    QCOMPARE(switched.size(), 1); // stopping is no "answering again"
}

QTEST_GUILESS_MAIN(tst_PrometheusFallback)
#include "tst_PrometheusFallback.moc"
