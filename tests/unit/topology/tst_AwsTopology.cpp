// The AWS sources folded into the topology (issue 16, AwsTopology): ELBv2 target states,
// Cloud Map instances (health, deregistered within the DNS TTL) and ECS tasks land on the same
// address:port targets as each other, with reasons that name the API; the listener's rules
// become route labels on the load balancer and on edges through it.
#include "profile/ProfileStore.h"
#include "topology/AwsTopology.h"
#include "topology/TopologyBuilder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace hopscope;

namespace {

const QString s_ordersTg = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/73e2d6bc24d8a067");
const QString s_paymentsTg = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments/1f2e3d4c5b6a7980");
const QString s_listener
    = QStringLiteral("arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                     "listener/app/internal-alb/50dc6c495c0c9188/f2f7dc8efc522ab2");

ClusterProfile awsProfile()
{
    const QJsonObject o { { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("aws") },
        { QStringLiteral("aws"),
            QJsonObject { { QStringLiteral("region"), QStringLiteral("eu-west-1") } } },
        { QStringLiteral("services"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("web") },
                             { QStringLiteral("name"), QStringLiteral("web") } },
                QJsonObject { { QStringLiteral("id"), QStringLiteral("orders") },
                    { QStringLiteral("name"), QStringLiteral("orders") },
                    { QStringLiteral("cloudMap"),
                        QJsonObject {
                            { QStringLiteral("namespace"), QStringLiteral("corp.internal") },
                            { QStringLiteral("service"), QStringLiteral("orders") } } },
                    { QStringLiteral("ecs"),
                        QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                            { QStringLiteral("service"), QStringLiteral("orders") } } } },
                QJsonObject { { QStringLiteral("id"), QStringLiteral("payments") },
                    { QStringLiteral("name"), QStringLiteral("payments") } },
                QJsonObject { { QStringLiteral("id"), QStringLiteral("users") },
                    { QStringLiteral("name"), QStringLiteral("users") },
                    { QStringLiteral("ecs"),
                        QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                            { QStringLiteral("service"), QStringLiteral("users") } } } } } },
        { QStringLiteral("loadBalancers"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("internal-alb") },
                { QStringLiteral("kind"), QStringLiteral("elbv2") },
                { QStringLiteral("listenerArn"), s_listener },
                { QStringLiteral("targetGroups"),
                    QJsonArray { QJsonObject { { QStringLiteral("arn"), s_ordersTg },
                                     { QStringLiteral("service"), QStringLiteral("orders") } },
                        QJsonObject { { QStringLiteral("arn"), s_paymentsTg },
                            { QStringLiteral("service"), QStringLiteral("payments") } } } } } } },
        { QStringLiteral("edges"),
            QJsonArray { QJsonObject { { QStringLiteral("from"), QStringLiteral("web") },
                             { QStringLiteral("to"), QStringLiteral("payments") },
                             { QStringLiteral("via"), QStringLiteral("lb:internal-alb") } },
                QJsonObject { { QStringLiteral("from"), QStringLiteral("web") },
                    { QStringLiteral("to"), QStringLiteral("orders") },
                    { QStringLiteral("via"), QStringLiteral("dns") } } } } };
    const auto result = ProfileStore::parse(QJsonDocument(o).toJson());
    if (!result.ok()) {
        qFatal("test profile: %s", qPrintable(result.problems.value(0).toString()));
    }
    return *result.profile;
}

const QDateTime s_now = QDateTime::fromSecsSinceEpoch(1'790'000'000, Qt::UTC);

SourceState fresh()
{
    SourceState st;
    st.hasData = true;
    st.stale = false;
    st.lastSuccess = s_now;
    return st;
}

Elbv2TargetHealth target(
    const QString &ip, quint16 port, const QString &state, const QString &reason = {})
{
    Elbv2TargetHealth t;
    t.id = ip;
    t.port = port;
    t.state = state;
    t.reason = reason;
    return t;
}

Elbv2Snapshot alb()
{
    Elbv2Snapshot s;
    s.loadBalancerId = QStringLiteral("internal-alb");
    s.fetchedAt = s_now;
    Elbv2TargetGroupState orders;
    orders.spec = { s_ordersTg, QStringLiteral("orders") };
    orders.targets = { target(QStringLiteral("10.0.1.11"), 8080, QStringLiteral("healthy")),
        target(QStringLiteral("10.0.1.12"), 8080, QStringLiteral("draining"),
            QStringLiteral("Target.DeregistrationInProgress")) };
    Elbv2TargetGroupState payments;
    payments.spec = { s_paymentsTg, QStringLiteral("payments") };
    payments.targets = { target(QStringLiteral("10.0.2.21"), 9090, QStringLiteral("healthy")),
        target(QStringLiteral("10.0.2.25"), 9090, QStringLiteral("unhealthy"),
            QStringLiteral("Target.Timeout")),
        target(QStringLiteral("10.0.2.22"), 9090, QStringLiteral("initial"),
            QStringLiteral("Elb.InitialHealthChecking")) };
    s.groups = { orders, payments };
    Elbv2Rule r1;
    r1.priority = QStringLiteral("10");
    r1.pathPatterns = { QStringLiteral("/orders"), QStringLiteral("/orders/*") };
    r1.targetGroupArns = { s_ordersTg };
    Elbv2Rule r2;
    r2.priority = QStringLiteral("20");
    r2.pathPatterns = { QStringLiteral("/payments/*") };
    r2.targetGroupArns = { s_paymentsTg };
    Elbv2Rule def;
    def.priority = QStringLiteral("default");
    def.isDefault = true;
    def.targetGroupArns = { s_ordersTg };
    s.rules = { r1, r2, def };
    return s;
}

CloudMapInstance instance(const QString &id, const QString &ip, const QString &health)
{
    CloudMapInstance i;
    i.id = id;
    i.address = ip;
    i.port = 8080;
    i.health = health;
    return i;
}

CloudMapSnapshot cloudMap()
{
    CloudMapSnapshot s;
    s.namespaceName = QStringLiteral("corp.internal");
    s.serviceName = QStringLiteral("orders");
    s.dnsTtl = 10;
    s.customHealth = true;
    s.fetchedAt = s_now;
    s.instances = { instance(QStringLiteral("orders-1"), QStringLiteral("10.0.1.11"),
                        QStringLiteral("HEALTHY")),
        instance(
            QStringLiteral("orders-2"), QStringLiteral("10.0.1.12"), QStringLiteral("HEALTHY")),
        instance(
            QStringLiteral("orders-3"), QStringLiteral("10.0.1.13"), QStringLiteral("UNHEALTHY")) };
    // Deregistered 4 s ago (TTL 10 s: still held), and 30 s ago (no longer).
    s.removed = { { instance(QStringLiteral("orders-4"), QStringLiteral("10.0.1.14"),
                        QStringLiteral("HEALTHY")),
                      s_now.addSecs(-4), s_now.addSecs(6) },
        { instance(
              QStringLiteral("orders-5"), QStringLiteral("10.0.1.15"), QStringLiteral("HEALTHY")),
            s_now.addSecs(-30), s_now.addSecs(-20) } };
    return s;
}

EcsTask task(const QString &id, const QString &ip, QList<quint16> ports, const QString &last,
    const QString &health, const QString &desired = QStringLiteral("RUNNING"))
{
    EcsTask t;
    t.arn = QStringLiteral("arn:aws:ecs:eu-west-1:123456789012:task/prod/") + id;
    t.address = ip;
    t.ports = std::move(ports);
    t.lastStatus = last;
    t.healthStatus = health;
    t.desiredStatus = desired;
    return t;
}

TopologyInputs inputs()
{
    TopologyInputs in;
    in.now = s_now;
    in.elbv2.insert(QStringLiteral("internal-alb"), alb());
    in.lbState.insert(QStringLiteral("internal-alb"), fresh());
    in.cloudMap.insert(QStringLiteral("orders"), cloudMap());
    in.cloudMapState.insert(QStringLiteral("orders"), fresh());
    EcsSnapshot orders;
    orders.fetchedAt = s_now;
    EcsTask stopping
        = task(QStringLiteral("1b2c3d4e5f60718293a4b5c6d7e8f102"), QStringLiteral("10.0.1.12"), {},
            QStringLiteral("DEACTIVATING"), QStringLiteral("HEALTHY"), QStringLiteral("STOPPED"));
    stopping.stoppedReason = QStringLiteral("Scaling activity initiated by (deployment ecs-svc/1)");
    stopping.stopCode = QStringLiteral("ServiceSchedulerInitiated");
    EcsTask gone = task(QStringLiteral("3d4e5f60718293a4b5c6d7e8f1021324"),
        QStringLiteral("10.0.1.19"), { 8080 }, QStringLiteral("STOPPED"), QStringLiteral("UNKNOWN"),
        QStringLiteral("STOPPED"));
    gone.stoppedReason = QStringLiteral("Essential container in task exited");
    orders.tasks
        = { task(QStringLiteral("0a1b2c3d4e5f60718293a4b5c6d7e8f1"), QStringLiteral("10.0.1.11"),
                {}, QStringLiteral("RUNNING"), QStringLiteral("HEALTHY")),
              stopping, gone };
    in.ecs.insert(QStringLiteral("orders"), orders);
    in.ecsState.insert(QStringLiteral("orders"), fresh());
    EcsSnapshot users;
    users.fetchedAt = s_now;
    users.tasks = { task(QStringLiteral("aa"), QStringLiteral("10.0.3.31"), { 7070 },
                        QStringLiteral("RUNNING"), QStringLiteral("UNKNOWN")),
        task(QStringLiteral("bb"), QStringLiteral("10.0.3.32"), { 7070 }, QStringLiteral("RUNNING"),
            QStringLiteral("UNHEALTHY")) };
    in.ecs.insert(QStringLiteral("users"), users);
    in.ecsState.insert(QStringLiteral("users"), fresh());
    return in;
}

QString observationText(const TargetNode &t, const QString &sourcePrefix)
{
    for (const Observation &o : t.observations) {
        if (o.source.startsWith(sourcePrefix)) {
            return o.text;
        }
    }
    return {};
}

} // namespace

class tst_AwsTopology : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void elbv2StatesAndReasons_data()
    {
        QTest::addColumn<QString>("service");
        QTest::addColumn<QString>("key");
        QTest::addColumn<Health>("health");
        QTest::addColumn<QString>("reason");
        QTest::newRow("draining")
            << "orders"
            << "10.0.1.12:8080" << Health::Draining
            << "elbv2 internal-alb: draining (Target.DeregistrationInProgress)";
        QTest::newRow("unhealthy")
            << "payments"
            << "10.0.2.25:9090" << Health::Down << "elbv2 internal-alb: unhealthy (Target.Timeout)";
        QTest::newRow("initial") << "payments"
                                 << "10.0.2.22:9090" << Health::Unknown
                                 << "elbv2 internal-alb: initial (Elb.InitialHealthChecking)";
        QTest::newRow("healthy") << "payments"
                                 << "10.0.2.21:9090" << Health::Healthy
                                 << "elbv2 internal-alb: healthy";
    }

    void elbv2StatesAndReasons()
    {
        QFETCH(QString, service);
        QFETCH(QString, key);
        QFETCH(Health, health);
        QFETCH(QString, reason);
        const Topology t = TopologyBuilder::build(awsProfile(), inputs());
        const TargetNode *target = t.target(service, key);
        QVERIFY2(target, qPrintable(key));
        QCOMPARE(target->health, health);
        QVERIFY2(target->reason.contains(reason), qPrintable(target->reason));
    }

    void elbv2StateMapping()
    {
        QCOMPARE(
            AwsTopology::elbv2Health(QStringLiteral("unhealthy.draining"), {}), Health::Draining);
        QCOMPARE(
            AwsTopology::elbv2Health(QStringLiteral("unused"), QStringLiteral("Target.NotInUse")),
            Health::Maintenance);
        QCOMPARE(AwsTopology::elbv2Health(
                     QStringLiteral("unused"), QStringLiteral("Target.InvalidState")),
            Health::Down);
        QCOMPARE(AwsTopology::elbv2Health(
                     QStringLiteral("unavailable"), QStringLiteral("Target.HealthCheckDisabled")),
            Health::Unknown);
    }

    // One target per address:port, whichever sources see it.
    void sourcesMeetOnOneTarget()
    {
        const Topology t = TopologyBuilder::build(awsProfile(), inputs());
        const TargetNode *target
            = t.target(QStringLiteral("orders"), QStringLiteral("10.0.1.11:8080"));
        QVERIFY(target);
        QStringList sources;
        for (const Observation &o : target->observations) {
            sources << o.source;
        }
        sources.sort();
        QCOMPARE(sources,
            QStringList({ QStringLiteral("cloudmap:orders"), QStringLiteral("ecs:orders"),
                QStringLiteral("lb:internal-alb") }));
        QCOMPARE(target->health, Health::Healthy);
        QCOMPARE(target->dnsTtl, std::optional<quint32>(10));
        QCOMPARE(target->fqdn, QStringLiteral("orders.corp.internal"));
        // The port-less awsvpc task joined the target the others found at its address.
        QVERIFY2(observationText(*target, QStringLiteral("ecs:")).startsWith(u"RUNNING, HEALTHY"),
            qPrintable(target->reason));
    }

    void cloudMapHealthAndTtlWindow()
    {
        const Topology t = TopologyBuilder::build(awsProfile(), inputs());
        const TargetNode *unhealthy
            = t.target(QStringLiteral("orders"), QStringLiteral("10.0.1.13:8080"));
        QVERIFY(unhealthy);
        QCOMPARE(unhealthy->health, Health::Down);
        QVERIFY2(unhealthy->reason.contains(u"cloudmap corp.internal/orders: UNHEALTHY"),
            qPrintable(unhealthy->reason));
        // Deregistered 4 s ago with a 10 s TTL: DNS clients may still hold it.
        const TargetNode *held
            = t.target(QStringLiteral("orders"), QStringLiteral("10.0.1.14:8080"));
        QVERIFY(held);
        QCOMPARE(held->health, Health::Draining);
        QCOMPARE(held->dnsHoldUntil, s_now.addSecs(6));
        QVERIFY2(held->reason.contains(u"DNS clients may hold it until"), qPrintable(held->reason));
        // 30 s ago: past the TTL, gone.
        QVERIFY(!t.target(QStringLiteral("orders"), QStringLiteral("10.0.1.15:8080")));
    }

    void ecsTasks()
    {
        const Topology t = TopologyBuilder::build(awsProfile(), inputs());
        // Stopping, in the ALB's draining target: the stop reason is in the words.
        const TargetNode *stopping
            = t.target(QStringLiteral("orders"), QStringLiteral("10.0.1.12:8080"));
        QVERIFY(stopping);
        QCOMPARE(stopping->health, Health::Draining);
        QVERIFY2(stopping->reason.contains(u"ecs prod/orders: DEACTIVATING, stopping: Scaling "
                                           u"activity initiated by (deployment ecs-svc/1) "
                                           u"(ServiceSchedulerInitiated)"),
            qPrintable(stopping->reason));
        // Stopped and nobody else points at it: not a target any more.
        QVERIFY(!t.target(QStringLiteral("orders"), QStringLiteral("10.0.1.19:8080")));
        // An ECS-only service: running without a health check reads healthy, UNHEALTHY down.
        const ServiceNode *users = t.service(QStringLiteral("users"));
        QVERIFY(users);
        QCOMPARE(users->targets.size(), 2);
        QCOMPARE(t.target(QStringLiteral("users"), QStringLiteral("10.0.3.31:7070"))->health,
            Health::Healthy);
        QCOMPARE(t.target(QStringLiteral("users"), QStringLiteral("10.0.3.32:7070"))->health,
            Health::Down);
        QCOMPARE(users->health, Health::Degraded);
    }

    void rulesAreRouteLabels()
    {
        const Topology t = TopologyBuilder::build(awsProfile(), inputs());
        QCOMPARE(t.loadBalancers.size(), 1);
        const LoadBalancerNode &lb = t.loadBalancers.at(0);
        QCOMPARE(lb.health, Health::Healthy);
        QCOMPARE(lb.routes,
            QStringList({ QStringLiteral("/orders → orders"), QStringLiteral("/orders/* → orders"),
                QStringLiteral("/payments/* → payments"), QStringLiteral("default → orders") }));
        for (const EdgeNode &e : t.edges) {
            if (e.via == u"lb:internal-alb") {
                QCOMPARE(e.routes, QStringList { QStringLiteral("/payments/*") });
                QCOMPARE(e.health, Health::Healthy);
            }
        }
    }

    // Not answered yet: the ALB's services are not known to be healthy; failing: named.
    void elbv2WithoutDataOrFailing()
    {
        TopologyInputs in = inputs();
        in.elbv2.clear();
        in.lbState.insert(QStringLiteral("internal-alb"), SourceState {});
        Topology t = TopologyBuilder::build(awsProfile(), in);
        QCOMPARE(t.loadBalancers.at(0).health, Health::Unknown);
        QVERIFY(t.service(QStringLiteral("payments"))->health != Health::Healthy);

        SourceState failing;
        failing.error.source = QStringLiteral("elbv2 internal-alb");
        failing.error.kind = SourceError::Kind::Auth;
        failing.error.message
            = QStringLiteral("elasticloadbalancing DescribeTargetHealth: signature does not match");
        in.lbState.insert(QStringLiteral("internal-alb"), failing);
        in.ecsState[QStringLiteral("users")].error = failing.error;
        t = TopologyBuilder::build(awsProfile(), in);
        QCOMPARE(t.loadBalancers.at(0).health, Health::Down);
        QVERIFY2(t.loadBalancers.at(0).reason.contains(u"signature does not match"),
            qPrintable(t.loadBalancers.at(0).reason));
        QCOMPARE(t.errors.size(), 2);
    }
};

QTEST_GUILESS_MAIN(tst_AwsTopology)
#include "tst_AwsTopology.moc"
