// The AWS sources against the signature-checking emulator (fixture peers_aws): an ALB's target
// groups, their deregistration delays and the listener's path rules; a Cloud Map service's
// instances with their health, TTL and custom health config; credentials found through the
// standard chain (environment keys); an unknown namespace and wrong keys failing the poll in words.
#include "aws/AwsSession.h"
#include "aws/AwsSources.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace hopscope;

namespace {

constexpr int s_waitMs = 30'000;
const QString s_listener = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/internal-alb/"
    "50dc6c495c0c9188/f2f7dc8efc522ab2");
const QString s_ordersGroup = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/73e2d6bc24d8a067");
const QString s_paymentsGroup = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments/1f2e3d4c5b6a7980");

QJsonObject peerInfo()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR") + QStringLiteral("/aws.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s (is the peers_aws fixture up?)", qPrintable(f.fileName()));
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class tst_AwsSources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void elbv2TargetGroupsAndRules();
    void cloudMapServiceThroughTheCredentialChain();
    void unknownNamespaceFailsThePollInWords();
    void wrongKeysFailEverySourceAsAuth();

private:
    QProcessEnvironment environment(const QByteArray &secret = {}) const;

    QJsonObject m_info;
    AwsEndpoint m_endpoint;
};

void tst_AwsSources::initTestCase()
{
    m_info = peerInfo();
    m_endpoint.region = m_info[u"region"].toString().toLatin1();
    m_endpoint.url = QUrl(m_info[u"url"].toString() + u'/');
}

QProcessEnvironment tst_AwsSources::environment(const QByteArray &secret) const
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent"));
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), m_info[u"accessKeyId"].toString());
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"),
        secret.isEmpty() ? m_info[u"secretAccessKey"].toString() : QString::fromLatin1(secret));
    return env;
}

void tst_AwsSources::elbv2TargetGroupsAndRules()
{
    AwsSession session(m_endpoint, QStringLiteral("default"), environment());
    Elbv2Source source(&session, QStringLiteral("internal-alb"), s_listener,
        { { s_ordersGroup, QStringLiteral("orders") },
            { s_paymentsGroup, QStringLiteral("payments") } });
    source.setTimeoutMs(10'000);
    QSignalSpy ready(&source, &Elbv2Source::snapshotReady);
    source.start();
    QVERIFY(ready.wait(s_waitMs));
    QCOMPARE(source.status(), PollingSource::Status::Ok);
    const Elbv2Snapshot s = ready.first().first().value<Elbv2Snapshot>();
    QCOMPARE(s.groups.size(), 2);
    QCOMPARE(s.groups[0].spec.service, QStringLiteral("orders"));
    QVERIFY(!s.groups[0].targets.isEmpty());
    QVERIFY(s.groups[0].deregistrationDelayS.has_value());
    for (const Elbv2TargetHealth &t : s.groups[0].targets) {
        QVERIFY2(t.id.startsWith(QStringLiteral("10.0.")), qPrintable(t.id));
        QVERIFY(t.port > 0);
        QVERIFY(!t.state.isEmpty());
    }
    QCOMPARE(s.rules.size(), 4);
    QCOMPARE(s.rules[1].pathPatterns, QStringList { QStringLiteral("/payments/*") });
    QCOMPARE(s.rules[1].targetGroupArns, QStringList { s_paymentsGroup });
    QVERIFY(s.fetchedAt.isValid());
    QCOMPARE(session.credentialsFrom(), QStringLiteral("environment"));
    // The next poll reads target health again but not the delays nor the rules.
    QSignalSpy again(&source, &Elbv2Source::snapshotReady);
    source.pollNow();
    QVERIFY(again.wait(s_waitMs));
    QCOMPARE(again.first().first().value<Elbv2Snapshot>().rules.size(), 4); // kept
}

void tst_AwsSources::cloudMapServiceThroughTheCredentialChain()
{
    AwsSession session(m_endpoint, QStringLiteral("default"), environment());
    CloudMapSource source(&session, QStringLiteral("corp.internal"), QStringLiteral("orders"));
    source.setTimeoutMs(10'000);
    QSignalSpy ready(&source, &CloudMapSource::snapshotReady);
    source.start();
    QVERIFY(ready.wait(s_waitMs));
    const CloudMapSnapshot s = ready.first().first().value<CloudMapSnapshot>();
    QVERIFY(!s.serviceId.isEmpty());
    QCOMPARE(s.dnsTtl, std::optional<int>(10));
    QVERIFY(s.customHealth);
    QStringList health;
    for (const CloudMapInstance &i : s.instances) {
        health.append(i.id + u'=' + i.health);
        QCOMPARE(i.port, quint16(8080));
    }
    health.sort();
    // HealthStatus ALL: the UNHEALTHY instance is there, as such (tests/peers/aws/state.json).
    QVERIFY2(health.contains(QStringLiteral("orders-3=UNHEALTHY")), qPrintable(health.join(u' ')));
    QVERIFY2(health.contains(QStringLiteral("orders-1=HEALTHY")), qPrintable(health.join(u' ')));
}

void tst_AwsSources::unknownNamespaceFailsThePollInWords()
{
    AwsSession session(m_endpoint, QStringLiteral("default"), environment());
    CloudMapSource source(&session, QStringLiteral("nowhere.internal"), QStringLiteral("orders"));
    source.setTimeoutMs(10'000);
    QSignalSpy failed(&source, &PollingSource::errorOccurred);
    source.start();
    QVERIFY(failed.wait(s_waitMs));
    const SourceError e = failed.first().first().value<SourceError>();
    QCOMPARE(e.kind, SourceError::Kind::NotFound);
    QVERIFY2(e.message.contains(QStringLiteral("no namespace named nowhere.internal")),
        qPrintable(e.message));
    QCOMPARE(source.status(), PollingSource::Status::Failing);
}

void tst_AwsSources::wrongKeysFailEverySourceAsAuth()
{
    const QByteArray wrong = "wrong/secret+" + QByteArray(27, 'w');
    AwsSession session(m_endpoint, QStringLiteral("default"), environment(wrong));
    CloudMapSource cloudMap(&session, QStringLiteral("corp.internal"), QStringLiteral("orders"));
    Elbv2Source elbv2(&session, QStringLiteral("internal-alb"), s_listener,
        { { s_ordersGroup, QStringLiteral("orders") } });
    QSignalSpy cmFailed(&cloudMap, &PollingSource::errorOccurred);
    QSignalSpy lbFailed(&elbv2, &PollingSource::errorOccurred);
    cloudMap.setTimeoutMs(10'000);
    elbv2.setTimeoutMs(10'000);
    cloudMap.start();
    elbv2.start();
    QTRY_VERIFY_WITH_TIMEOUT(!cmFailed.isEmpty() && !lbFailed.isEmpty(), s_waitMs);
    for (const SourceError &e : { cmFailed.first().first().value<SourceError>(),
             lbFailed.first().first().value<SourceError>() }) {
        QVERIFY2(e.kind == SourceError::Kind::Auth, qPrintable(e.toString()));
        QVERIFY2(
            e.message.contains(QStringLiteral("AWS refused the signature")), qPrintable(e.message));
        QVERIFY(!e.message.contains(QString::fromLatin1(wrong)));
    }
}

QTEST_GUILESS_MAIN(tst_AwsSources)
#include "tst_AwsSources.moc"
