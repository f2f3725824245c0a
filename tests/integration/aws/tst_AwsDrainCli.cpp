// `hopscope-cli drain` / `undrain` on an AWS profile (issue 16 section 3) against the emulator
// (fixture peers_aws): the monitor's ELBv2 and Cloud Map sources plan it, the drain layers run
// through MonitorDrainLayers on the monitor's AwsSession, and every result is READ BACK through
// the official AWS SDK (tests/peers/aws-oracle/readback.mjs). A wrong secret key: the plan says
// AWS refused the signature and nothing changes. `hopscope-cli audit verify` checks the log.
#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tst_AwsDrainSupport.h"

using namespace hopscope::awsdrain;

namespace {

const QString s_listener
    = QStringLiteral("arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                     "listener/app/internal-alb/50dc6c495c0c9188/f2f7dc8efc522ab2");
const QString s_ordersGroup = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/73e2d6bc24d8a067");
const QString s_paymentsGroup = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments/1f2e3d4c5b6a7980");

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

} // namespace

class tst_AwsDrainCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void drainAndUndrainThroughElbv2AndCloudMap();
    void wrongSecretKeySaysSignatureAndChangesNothing();
    void auditLogVerifies();

private:
    Run cli(const QStringList &args, const QString &secret = {});
    QJsonObject readBack();

    QJsonObject m_info;
    QJsonObject m_baseline;
    QTemporaryDir m_tmp;
    QString m_profile;
    QString m_auditDir;
};

void tst_AwsDrainCli::initTestCase()
{
    m_info = peerInfo();
    m_baseline = readBack();
    QVERIFY(!m_baseline.isEmpty());
    m_auditDir = m_tmp.filePath(QStringLiteral("audit"));
    QVERIFY(QDir().mkpath(m_auditDir));
    auto service = [](const QString &id) {
        QJsonObject cm;
        cm.insert(QStringLiteral("namespace"), QStringLiteral("corp.internal"));
        cm.insert(QStringLiteral("service"), id);
        QJsonObject o;
        o.insert(QStringLiteral("id"), id);
        o.insert(QStringLiteral("name"), id);
        o.insert(QStringLiteral("cloudMap"), cm);
        return o;
    };
    QJsonObject aws;
    aws.insert(QStringLiteral("region"), m_info[u"region"].toString());
    aws.insert(QStringLiteral("credentials"), QStringLiteral("default"));
    aws.insert(QStringLiteral("endpointUrl"), QString(m_info[u"url"].toString() + u'/'));
    QJsonObject orders;
    orders.insert(QStringLiteral("arn"), s_ordersGroup);
    orders.insert(QStringLiteral("service"), QStringLiteral("orders"));
    QJsonObject payments;
    payments.insert(QStringLiteral("arn"), s_paymentsGroup);
    payments.insert(QStringLiteral("service"), QStringLiteral("payments"));
    QJsonObject alb;
    alb.insert(QStringLiteral("id"), QStringLiteral("internal-alb"));
    alb.insert(QStringLiteral("kind"), QStringLiteral("elbv2"));
    alb.insert(QStringLiteral("listenerArn"), s_listener);
    alb.insert(QStringLiteral("targetGroups"), QJsonArray { orders, payments });
    QJsonObject poll;
    poll.insert(QStringLiteral("intervalMs"), 1000);
    poll.insert(QStringLiteral("timeoutMs"), 8000);
    QJsonObject profile;
    profile.insert(QStringLiteral("schema"), 1);
    profile.insert(QStringLiteral("name"), QStringLiteral("aws emulator"));
    profile.insert(QStringLiteral("poll"), poll);
    profile.insert(QStringLiteral("aws"), aws);
    profile.insert(QStringLiteral("services"),
        QJsonArray { service(QStringLiteral("orders")), service(QStringLiteral("payments")),
            service(QStringLiteral("users")) });
    profile.insert(QStringLiteral("loadBalancers"), QJsonArray { alb });
    m_profile = m_tmp.filePath(QStringLiteral("aws.hopscope.json"));
    QFile f(m_profile);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(profile).toJson());
}

void tst_AwsDrainCli::cleanup()
{
    QTRY_VERIFY_WITH_TIMEOUT(readBack() == m_baseline, 20'000);
}

QJsonObject tst_AwsDrainCli::readBack()
{
    QString why;
    const QJsonObject o = sdkReadBack(&why);
    if (o.isEmpty()) {
        qWarning("SDK read-back failed: %s", qPrintable(why));
    }
    return o;
}

// The CLI with the emulator's key pair in the environment (the standard chain), or `secret`.
Run tst_AwsDrainCli::cli(const QStringList &args, const QString &secret)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), m_auditDir);
    env.insert(QStringLiteral("HOME"), m_tmp.path()); // no ~/.aws of the machine
    env.remove(QStringLiteral("AWS_PROFILE"));
    env.remove(QStringLiteral("AWS_SESSION_TOKEN"));
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), m_info[u"accessKeyId"].toString());
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"),
        secret.isEmpty() ? m_info[u"secretAccessKey"].toString() : secret);
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    Run r;
    if (!p.waitForFinished(150'000)) {
        p.kill();
        p.waitForFinished();
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// 10.0.1.11:8080: Cloud Map orders (custom health) and the ALB's orders target group. Drained
// with --wait until safe (the TTL and the deregistration delay), read back through the SDK,
// undrained from the audit log by a second process, read back again.
void tst_AwsDrainCli::drainAndUndrainThroughElbv2AndCloudMap()
{
    const QString target = QStringLiteral("10.0.1.11:8080");
    const Run dry
        = cli({ QStringLiteral("drain"), m_profile, target, QStringLiteral("--dry-run") });
    QVERIFY2(dry.code == 0, qPrintable(dry.out + dry.err));
    for (const char *words : { "UpdateInstanceCustomHealthStatus orders-1 UNHEALTHY",
             "DeregisterTargets 10.0.1.11:8080 from target group orders",
             "elasticloadbalancing:DeregisterTargets",
             "servicediscovery:UpdateInstanceCustomHealthStatus" }) {
        QVERIFY2(dry.out.contains(QLatin1String(words)), qPrintable(dry.out));
    }
    QCOMPARE(readBack(), m_baseline); // a dry run changes nothing

    const Run drain = cli({ QStringLiteral("drain"), m_profile, target, QStringLiteral("--yes"),
        QStringLiteral("--wait"), QStringLiteral("--timeout"), QStringLiteral("90") });
    QVERIFY2(drain.code == 0, qPrintable(drain.out + drain.err));
    QVERIFY2(drain.err.contains(QStringLiteral("TTL")), qPrintable(drain.err));
    QVERIFY2(drain.err.contains(QStringLiteral("deregistration delay")), qPrintable(drain.err));
    const QJsonObject drained = readBack();
    QVERIFY(elbv2Target(drained, s_ordersGroup, QStringLiteral("10.0.1.11"), 8080).isEmpty());
    QCOMPARE(cloudMapInstance(drained, QStringLiteral("corp.internal/orders"),
                 QStringLiteral("orders-1"))[u"health"]
                 .toString(),
        QStringLiteral("UNHEALTHY"));

    const Run undrain
        = cli({ QStringLiteral("undrain"), m_profile, target, QStringLiteral("--yes") });
    QVERIFY2(undrain.code == 0, qPrintable(undrain.out + undrain.err));
    QVERIFY2(undrain.out.contains(QStringLiteral("RegisterTargets 10.0.1.11:8080")),
        qPrintable(undrain.out));
    const QJsonObject back = readBack();
    QVERIFY(!elbv2Target(back, s_ordersGroup, QStringLiteral("10.0.1.11"), 8080).isEmpty());
    QCOMPARE(cloudMapInstance(back, QStringLiteral("corp.internal/orders"),
                 QStringLiteral("orders-1"))[u"health"]
                 .toString(),
        QStringLiteral("HEALTHY"));
}

void tst_AwsDrainCli::wrongSecretKeySaysSignatureAndChangesNothing()
{
    const QString wrong = QStringLiteral("not/the+secret0000000000000000000000000000");
    const Run r = cli({ QStringLiteral("drain"), m_profile, QStringLiteral("10.0.1.12:8080"),
                          QStringLiteral("--yes") },
        wrong);
    QCOMPARE(r.code, 1);
    const QString all = r.out + r.err;
    QVERIFY2(all.contains(QStringLiteral("AWS refused the signature")), qPrintable(all));
    QVERIFY2(!all.contains(wrong), "the secret leaked into the output");
    QCOMPARE(readBack(), m_baseline);
}

void tst_AwsDrainCli::auditLogVerifies()
{
    const QStringList logs
        = QDir(m_auditDir).entryList({ QStringLiteral("cluster-*.audit.jsonl") });
    QCOMPARE(logs.size(), 1); // one AWS cluster identity, whatever the keys
    const Run r = cli(
        { QStringLiteral("audit"), QStringLiteral("verify"), m_auditDir + u'/' + logs.first() });
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(QStringLiteral("intact")), qPrintable(r.out));
}

QTEST_GUILESS_MAIN(tst_AwsDrainCli)
#include "tst_AwsDrainCli.moc"
