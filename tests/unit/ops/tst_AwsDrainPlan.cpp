// The AWS part of DrainPlanner (issue 16 section 3) from snapshot values, no servers: a target in
// a Cloud Map service and an ELBv2 target group gets both steps in order (Cloud Map with the DNS
// step, ELBv2 with the load balancers), each naming its API call and IAM actions; the expected
// wait covers the TTL and the deregistration delay; the steps survive the audit log's JSON (the
// Cloud Map attributes undo registers back) and have their own undo words and step keys.
#include "ops/AuditReader.h"
#include "ops/DrainPlanner.h"
#include "ops/UndoDescription.h"

#include <QTest>

using namespace hopscope;

namespace {

const QString s_group = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/73e2d6bc24d8a067");

CloudMapSnapshot cloudMap(const QString &service, bool customHealth, int ttl)
{
    CloudMapSnapshot s;
    s.namespaceName = QStringLiteral("corp.internal");
    s.serviceName = service;
    s.serviceId = QStringLiteral("srv-") + service;
    s.dnsTtl = ttl;
    s.customHealth = customHealth;
    for (int i = 1; i <= 2; ++i) {
        CloudMapInstance inst;
        inst.id = QStringLiteral("%1-%2").arg(service).arg(i);
        inst.address = QStringLiteral("10.0.1.1%1").arg(i);
        inst.port = 8080;
        inst.health = QStringLiteral("HEALTHY");
        inst.attributes = { { QStringLiteral("AWS_INSTANCE_IPV4"), inst.address },
            { QStringLiteral("AWS_INSTANCE_PORT"), QStringLiteral("8080") } };
        s.instances << inst;
    }
    return s;
}

Elbv2Snapshot alb(int delay)
{
    Elbv2Snapshot s;
    s.loadBalancerId = QStringLiteral("internal-alb");
    Elbv2TargetGroupState g;
    g.spec = { s_group, QStringLiteral("orders") };
    g.deregistrationDelayS = delay;
    for (int i = 1; i <= 2; ++i) {
        Elbv2TargetHealth t;
        t.id = QStringLiteral("10.0.1.1%1").arg(i);
        t.port = 8080;
        t.state = QStringLiteral("healthy");
        g.targets << t;
    }
    s.groups << g;
    return s;
}

} // namespace

class tst_AwsDrainPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cloudMapThenElbv2WithApiCallsAndIam();
    void deregisterModeWithoutCustomHealth();
    void stepsSurviveTheAuditJson();
    void unreadSourcesAreNotedNotIgnored();
};

void tst_AwsDrainPlan::cloudMapThenElbv2WithApiCallsAndIam()
{
    DrainPlanInputs in;
    in.profile.name = QStringLiteral("aws");
    in.cloudMap << cloudMap(QStringLiteral("orders"), true, 10);
    in.elbv2 << alb(30);
    const DrainPlan plan = DrainPlanner::plan(in, QStringLiteral("10.0.1.11:8080"), DrainForce::No);
    QVERIFY2(plan.canExecute(), qPrintable(plan.refusal));
    QCOMPARE(plan.steps.size(), 2);
    QCOMPARE(plan.steps[0].kind, DrainStepKind::CloudMapDrain);
    QCOMPARE(plan.steps[0].aws.instanceId, QStringLiteral("orders-1"));
    QVERIFY(plan.steps[0].aws.customHealth);
    QCOMPARE(plan.steps[1].kind, DrainStepKind::Elbv2Deregister);
    QCOMPARE(plan.steps[1].aws.targetGroupArn, s_group);
    QCOMPARE(plan.steps[1].aws.targetText(), QStringLiteral("10.0.1.11:8080"));
    QCOMPARE(plan.expectedSecondsUntilSafe, 30); // the delay outlasts the TTL
    const QString text = plan.toText();
    for (const char *words :
        { "UpdateInstanceCustomHealthStatus orders-1 UNHEALTHY",
            "servicediscovery:UpdateInstanceCustomHealthStatus", "up to 10 s (TTL)",
            "DeregisterTargets 10.0.1.11:8080 from target group orders",
            "deregistration delay (30 s)", "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DescribeTargetHealth" }) {
        QVERIFY2(text.contains(QLatin1String(words)), qPrintable(text));
    }
    // Another port on the same address is another target.
    const DrainPlan other
        = DrainPlanner::plan(in, QStringLiteral("10.0.1.11:9090"), DrainForce::No);
    QVERIFY(other.steps.isEmpty());
    QVERIFY(!other.canExecute());
}

void tst_AwsDrainPlan::deregisterModeWithoutCustomHealth()
{
    DrainPlanInputs in;
    in.cloudMap << cloudMap(QStringLiteral("users"), false, 60);
    const DrainPlan plan = DrainPlanner::plan(in, QStringLiteral("10.0.1.12:8080"), DrainForce::No);
    QCOMPARE(plan.steps.size(), 1);
    const DrainStep &s = plan.steps.first();
    QVERIFY(!s.aws.customHealth);
    QVERIFY2(s.description.contains(QStringLiteral("DeregisterInstance users-2")),
        qPrintable(s.description));
    QVERIFY(s.aws.iamActions.contains(QStringLiteral("servicediscovery:DeregisterInstance")));
    QVERIFY(s.aws.iamActions.contains(QStringLiteral("servicediscovery:RegisterInstance")));
    QVERIFY(s.aws.iamActions.contains(QStringLiteral("route53:ChangeResourceRecordSets")));
    QCOMPARE(plan.expectedSecondsUntilSafe, 60);
    QVERIFY2(plan.expectedText.contains(QStringLiteral("60 s")), qPrintable(plan.expectedText));
}

void tst_AwsDrainPlan::stepsSurviveTheAuditJson()
{
    DrainPlanInputs in;
    in.cloudMap << cloudMap(QStringLiteral("users"), false, 60);
    in.elbv2 << alb(5);
    DrainPlan plan = DrainPlanner::plan(in, QStringLiteral("10.0.1.12:8080"), DrainForce::No);
    QCOMPARE(plan.steps.size(), 2);
    // What prepare() adds before the intent is written: the attributes undo registers back.
    plan.steps[0].aws.attributes
        = { { QStringLiteral("AWS_INSTANCE_IPV4"), QStringLiteral("10.0.1.12") },
              { QStringLiteral("AWS_INSTANCE_PORT"), QStringLiteral("8080") },
              { QStringLiteral("team"), QStringLiteral("payments \"core\"") } };
    plan.steps[1].aws.availabilityZone = QStringLiteral("all");
    for (const DrainStep &s : plan.steps) {
        const auto back = DrainStep::fromJson(s.toJson());
        QVERIFY(back);
        QCOMPARE(back->kind, s.kind);
        QCOMPARE(back->toJson(), s.toJson());
        QCOMPARE(AuditReader::stepKey(*back), AuditReader::stepKey(s));
    }
    const DrainStep cm = *DrainStep::fromJson(plan.steps[0].toJson());
    QCOMPARE(cm.aws.attributes.value(QStringLiteral("team")), QStringLiteral("payments \"core\""));
    QCOMPARE(cm.aws.serviceId, QStringLiteral("srv-users"));
    QCOMPARE(cm.aws.dnsTtl, 60);
    QCOMPARE(undoDescription(cm),
        QStringLiteral("undo Cloud Map deregistration: corp.internal/users: RegisterInstance "
                       "users-2 with its 3 attribute(s) from the audit log"));
    const DrainStep lb = *DrainStep::fromJson(plan.steps[1].toJson());
    QCOMPARE(lb.loadBalancer, QStringLiteral("internal-alb"));
    QCOMPARE(lb.aws.availabilityZone, QStringLiteral("all"));
    QCOMPARE(lb.aws.deregistrationDelayS, 5);
    QCOMPARE(undoDescription(lb),
        QStringLiteral("undo load balancer deregistration: internal-alb: RegisterTargets "
                       "10.0.1.12:8080 into target group orders"));
    QVERIFY(AuditReader::stepKey(cm) != AuditReader::stepKey(lb));
    QCOMPARE(DrainStep::kindFromName(QStringLiteral("elbv2-deregister")),
        std::optional<DrainStepKind>(DrainStepKind::Elbv2Deregister));
    QCOMPARE(DrainStep::kindFromName(QStringLiteral("cloudmap-drain")),
        std::optional<DrainStepKind>(DrainStepKind::CloudMapDrain));
}

void tst_AwsDrainPlan::unreadSourcesAreNotedNotIgnored()
{
    DrainPlanInputs in;
    in.awsUnread << QStringLiteral("elbv2 internal-alb: elasticloadbalancing DescribeTargetHealth: "
                                   "AWS refused the signature (SignatureDoesNotMatch)");
    const DrainPlan plan = DrainPlanner::plan(in, QStringLiteral("10.0.1.11:8080"), DrainForce::No);
    QVERIFY(!plan.canExecute());
    QVERIFY2(
        plan.toText().contains(QStringLiteral("SignatureDoesNotMatch")), qPrintable(plan.toText()));
}

QTEST_GUILESS_MAIN(tst_AwsDrainPlan)
#include "tst_AwsDrainPlan.moc"
