// The ELBv2 and Cloud Map drain layers (issue 16 section 3) end to end through DrainController
// against the signature-checking AWS emulator (fixture peers_aws), with the layers built from
// explicit configuration (the AWS sources and one AwsSession, as a monitor of an AWS profile
// holds them). Every drain and undo is READ BACK through the official AWS SDK for JavaScript
// (tests/peers/aws-oracle/readback.mjs), never through hopscope; the audit log is checked record
// by record (write-ahead intent with the Cloud Map attributes before the call) and verified.
#include "aws/AwsSession.h"
#include "aws/AwsSources.h"
#include "core/Clock.h"
#include "ops/AuditLog.h"
#include "ops/CloudMapDrainLayer.h"
#include "ops/DrainController.h"
#include "ops/DrainLayerFactory.h"
#include "ops/Elbv2DrainLayer.h"

#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "tst_AwsDrainSupport.h"

#include <memory>

using namespace hopscope;
using namespace hopscope::awsdrain;

namespace {

constexpr int s_waitMs = 30'000;
const QString s_ordersGroup = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/73e2d6bc24d8a067");
const QString s_paymentsGroup = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments/1f2e3d4c5b6a7980");
const QString s_orders = QStringLiteral("corp.internal/orders");
const QString s_users = QStringLiteral("corp.internal/users");

// A DrainLayerFactory over explicit AWS configuration: the ALB's two target groups and three
// Cloud Map services as sources (planned on through DrainPlanner like a monitor's), the real
// ELBv2 and Cloud Map layers over `layerSession` (which may hold a wrong key while the sources
// read with the right one).
class ExplicitAwsLayers : public DrainLayerFactory
{
public:
    ExplicitAwsLayers(AwsSession *sources, AwsSession *layers, const Clock &clock)
        : m_layers(layers)
        , m_clock(clock)
    {
        auto *lb = new Elbv2Source(sources, QStringLiteral("internal-alb"), {},
            { { s_ordersGroup, QStringLiteral("orders") },
                { s_paymentsGroup, QStringLiteral("payments") } },
            this);
        m_sources << lb;
        for (const char *svc : { "orders", "payments", "users" }) {
            m_sources << new CloudMapSource(
                sources, QStringLiteral("corp.internal"), QString::fromLatin1(svc), this);
        }
        for (PollingSource *s : std::as_const(m_sources)) {
            s->setTimeoutMs(10'000);
            s->setIntervalMs(600'000); // polled when asked (observeAfresh), not on their own
        }
    }

    // Starts every source and waits for each one's first complete poll.
    bool start()
    {
        int pending = int(m_sources.size());
        QEventLoop loop;
        for (PollingSource *s : std::as_const(m_sources)) {
            connect(s, &PollingSource::pollFinished, &loop, [&] {
                if (--pending == 0) {
                    loop.quit();
                }
            });
            s->start();
        }
        QTimer::singleShot(s_waitMs, &loop, &QEventLoop::quit);
        loop.exec();
        for (PollingSource *s : std::as_const(m_sources)) {
            if (s->status() != PollingSource::Status::Ok) {
                return false;
            }
        }
        return pending <= 0;
    }

    QString profileName() const override { return QStringLiteral("aws explicit"); }

    DrainPlan plan(const QString &target, DrainForce force) const override
    {
        DrainPlanInputs in;
        in.profile.name = profileName();
        for (PollingSource *s : m_sources) {
            if (auto *lb = qobject_cast<Elbv2Source *>(s)) {
                in.elbv2 << lb->snapshot();
            } else if (auto *cm = qobject_cast<CloudMapSource *>(s)) {
                in.cloudMap << cm->snapshot();
            }
        }
        return DrainPlanner::plan(in, target, force);
    }

    void observeAfresh() override
    {
        // A poll in flight may have started before the ask: wait for the one after it too.
        auto pending = std::make_shared<int>(0);
        for (PollingSource *s : std::as_const(m_sources)) {
            auto need = std::make_shared<int>(s->isPolling() ? 2 : 1);
            ++*pending;
            auto conn = std::make_shared<QMetaObject::Connection>();
            *conn = connect(s, &PollingSource::pollFinished, this, [this, need, pending, conn] {
                if (--*need > 0) {
                    return;
                }
                disconnect(*conn);
                if (--*pending == 0) {
                    Q_EMIT observedAfresh();
                }
            });
            s->pollNow();
        }
    }

    std::unique_ptr<DrainLayer> create(const DrainStep &step, const QString &) override
    {
        std::unique_ptr<DrainLayer> layer;
        if (step.kind == DrainStepKind::Elbv2Deregister) {
            auto elbv2 = std::make_unique<Elbv2DrainLayer>(step, m_layers, m_clock);
            elbv2->setRefreshMs(250);
            layer = std::move(elbv2);
        } else {
            layer = std::make_unique<CloudMapDrainLayer>(step, m_layers, m_clock);
        }
        if (m_onCreate) {
            m_onCreate(layer.get());
        }
        return layer;
    }

    std::function<void(DrainLayer *)> m_onCreate;

private:
    QList<PollingSource *> m_sources;
    AwsSession *m_layers;
    const Clock &m_clock;
};

} // namespace

class tst_AwsDrain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void elbv2AndCustomHealthDrainThenUndo();
    void cloudMapDeregisterKeepsAttributesForUndrain();
    void wrongSecretKeyChangesNothing();
    void throttledDeregisterBacksOffThenSucceeds();
    void lostDeregisterReplyIsUndoneFromTheAuditLog();
    void unknownTargetGroupIsRefusedInWords();

private:
    AwsSession *session(const QByteArray &secret = {});
    std::unique_ptr<DrainController> controller(AwsSession *layers, const Clock &clock);
    bool runDrain(DrainController &ctl, const QString &target, QString *why);
    bool runUndo(DrainController &ctl, QString *why);
    QJsonObject readBack();

    QJsonObject m_info;
    AwsEndpoint m_endpoint;
    QJsonObject m_baseline; // the emulator as the SDK read it before any test
    QTemporaryDir m_tmp;
    QString m_auditPath;
    std::unique_ptr<AuditLog> m_audit;
    QList<AwsSession *> m_sessions;
    ExplicitAwsLayers *m_factory = nullptr; // owned by the last controller
};

void tst_AwsDrain::initTestCase()
{
    m_info = peerInfo();
    m_endpoint.region = m_info[u"region"].toString().toLatin1();
    m_endpoint.url = QUrl(m_info[u"url"].toString() + u'/');
    QVERIFY(!qEnvironmentVariableIsEmpty("HOPSCOPE_AWS_READBACK_SCRIPT"));
    m_baseline = readBack();
    QVERIFY(!m_baseline.isEmpty());
    // The demo state these tests drain (tests/peers/aws/state.json).
    QCOMPARE(elbv2Target(m_baseline, s_ordersGroup, QStringLiteral("10.0.1.11"), 8080)[u"state"]
                 .toString(),
        QStringLiteral("healthy"));
    QCOMPARE(
        cloudMapInstance(m_baseline, s_orders, QStringLiteral("orders-1"))[u"health"].toString(),
        QStringLiteral("HEALTHY"));
    QVERIFY(!cloudMapInstance(m_baseline, s_users, QStringLiteral("users-1")).isEmpty());
    m_auditPath = m_tmp.filePath(QStringLiteral("aws.audit.jsonl"));
    m_audit = std::make_unique<AuditLog>(m_auditPath);
}

void tst_AwsDrain::cleanup()
{
    emulatorControl(QStringLiteral("fault"), { { QStringLiteral("throttle"), 0 } });
    emulatorControl(QStringLiteral("drop"), { { QStringLiteral("count"), 0 } });
    // Every test puts back what it changed; a re-registered target is `initial` for a second.
    QTRY_VERIFY_WITH_TIMEOUT(readBack() == m_baseline, 20'000);
    const AuditVerifyResult v = AuditLog::verify(m_auditPath);
    QVERIFY2(v.ok() || v.lines == 0,
        qPrintable(v.problems.isEmpty() ? QString() : v.problems.first().what));
}

QJsonObject tst_AwsDrain::readBack()
{
    QString why;
    const QJsonObject o = sdkReadBack(&why);
    if (o.isEmpty()) {
        qWarning("SDK read-back failed: %s", qPrintable(why));
    }
    return o;
}

AwsSession *tst_AwsDrain::session(const QByteArray &secret)
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent"));
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), m_info[u"accessKeyId"].toString());
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"),
        secret.isEmpty() ? m_info[u"secretAccessKey"].toString() : QString::fromLatin1(secret));
    auto *s = new AwsSession(m_endpoint, QStringLiteral("default"), env, this);
    m_sessions << s;
    return s;
}

std::unique_ptr<DrainController> tst_AwsDrain::controller(AwsSession *layers, const Clock &clock)
{
    auto factory = std::make_unique<ExplicitAwsLayers>(session(), layers, clock);
    m_factory = factory.get();
    if (!factory->start()) {
        return nullptr;
    }
    auto ctl = std::make_unique<DrainController>(std::move(factory), m_audit.get(), nullptr, clock);
    ctl->setTickMs(200);
    ctl->setRepollMs(200);
    ctl->setVerifyTimeoutMs(15'000);
    ctl->setWatchTimeoutMs(60'000);
    return ctl;
}

// Plan, confirm, execute; true once it is safe to stop (or, for a failure, false and why).
bool tst_AwsDrain::runDrain(DrainController &ctl, const QString &target, QString *why)
{
    const DrainPlan plan = ctl.makePlan(target, DrainForce::No);
    if (!plan.canExecute()) {
        *why = QStringLiteral("refused: ") + plan.refusal;
        return false;
    }
    if (!ctl.confirm(QString())) {
        *why = QStringLiteral("not confirmed: ") + ctl.lastMessage();
        return false;
    }
    QSignalSpy safe(&ctl, &DrainController::safeToStop);
    QSignalSpy failed(&ctl, &DrainController::failed);
    QSignalSpy timedOut(&ctl, &DrainController::timedOut);
    ctl.execute();
    if (!QTest::qWaitFor(
            [&] { return safe.size() + failed.size() + timedOut.size() > 0; }, 90'000)) {
        *why = QStringLiteral("no outcome within 90 s: ") + ctl.lastMessage();
        return false;
    }
    *why = ctl.lastMessage();
    return safe.size() == 1;
}

bool tst_AwsDrain::runUndo(DrainController &ctl, QString *why)
{
    QSignalSpy done(&ctl, &DrainController::undoFinished);
    ctl.undo();
    if (done.isEmpty() && !done.wait(60'000)) {
        *why = QStringLiteral("undo did not finish within 60 s: ") + ctl.lastMessage();
        return false;
    }
    *why = done.first().at(1).toString();
    return done.first().first().toBool();
}

// 10.0.1.11:8080 is in the ALB's orders target group and Cloud Map's orders service (custom
// health check): the plan has both steps, Cloud Map first; the countdown holds for the DNS TTL
// and the deregistration delay; both are read back through the SDK, then undone and read back.
void tst_AwsDrain::elbv2AndCustomHealthDrainThenUndo()
{
    auto ctl = controller(session(), Clock::system());
    QVERIFY(ctl);
    const QString target = QStringLiteral("10.0.1.11:8080");
    const DrainPlan plan = ctl->makePlan(target, DrainForce::No);
    QCOMPARE(plan.steps.size(), 2);
    QCOMPARE(plan.steps[0].kind, DrainStepKind::CloudMapDrain);
    QCOMPARE(plan.steps[1].kind, DrainStepKind::Elbv2Deregister);
    const QString text = plan.toText();
    for (const char *words :
        { "UpdateInstanceCustomHealthStatus orders-1 UNHEALTHY", "DeregisterTargets 10.0.1.11:8080",
            "servicediscovery:UpdateInstanceCustomHealthStatus",
            "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets" }) {
        QVERIFY2(text.contains(QLatin1String(words)), qPrintable(text));
    }

    QSignalSpy countdowns(ctl.get(), &DrainController::countdownChanged);
    QString why;
    QVERIFY2(runDrain(*ctl, target, &why), qPrintable(why));
    // The first countdown held for the Cloud Map TTL and the ELBv2 delay, in words.
    QVERIFY(!countdowns.isEmpty());
    const DrainCountdown first = countdowns.first().first().value<DrainCountdown>();
    const QString holding = first.holding.join(u'\n');
    QVERIFY2(holding.contains(QStringLiteral("TTL")), qPrintable(holding));
    QVERIFY2(holding.contains(QStringLiteral("deregistration delay")), qPrintable(holding));
    QVERIFY(first.dnsStaleSecondsLeft > 0);

    const QJsonObject drained = readBack();
    QVERIFY2(elbv2Target(drained, s_ordersGroup, QStringLiteral("10.0.1.11"), 8080).isEmpty(),
        "the SDK still lists 10.0.1.11:8080 in the orders target group after safe");
    QCOMPARE(cloudMapInstance(drained, s_orders, QStringLiteral("orders-1"))[u"health"].toString(),
        QStringLiteral("UNHEALTHY"));
    // The siblings are untouched.
    QCOMPARE(
        elbv2Target(drained, s_ordersGroup, QStringLiteral("10.0.1.12"), 8080)[u"state"].toString(),
        QStringLiteral("healthy"));

    QVERIFY2(runUndo(*ctl, &why), qPrintable(why));
    const QJsonObject undone = readBack();
    const QString state
        = elbv2Target(undone, s_ordersGroup, QStringLiteral("10.0.1.11"), 8080)[u"state"]
              .toString();
    QVERIFY2(state == u"initial" || state == u"healthy", qPrintable(state));
    QCOMPARE(cloudMapInstance(undone, s_orders, QStringLiteral("orders-1"))[u"health"].toString(),
        QStringLiteral("HEALTHY"));

    // Write-ahead: each step's intent is on disk before its outcome.
    QStringList events;
    for (const QJsonObject &r : auditRecords(m_auditPath)) {
        if (r[u"target"].toString() == target && !r[u"step"].toString().isEmpty()) {
            events << r[u"event"].toString() + u' ' + r[u"step"].toString();
        }
    }
    for (const QString &kind :
        { QStringLiteral("cloudmap-drain"), QStringLiteral("elbv2-deregister") }) {
        const qsizetype intent = events.indexOf(QStringLiteral("intent ") + kind);
        QVERIFY2(intent >= 0, qPrintable(events.join(u'\n')));
        QVERIFY2(events.indexOf(QStringLiteral("step ") + kind) > intent,
            qPrintable(events.join(u'\n')));
        QVERIFY2(events.indexOf(QStringLiteral("verified ") + kind) > intent,
            qPrintable(events.join(u'\n')));
        QVERIFY2(events.indexOf(QStringLiteral("undo-verified ") + kind) > intent,
            qPrintable(events.join(u'\n')));
    }
}

// users has no custom health check: DeregisterInstance, with users-1's attributes read before the
// call and written with the intent; a NEW controller (as `undrain` in a new process) rebuilds the
// step from the audit log and registers them back. The countdown follows an injected clock
// through the service's 60 s TTL.
void tst_AwsDrain::cloudMapDeregisterKeepsAttributesForUndrain()
{
    ManualClock clock(QDateTime::currentDateTimeUtc());
    const QString target = QStringLiteral("10.0.3.31:7070");
    const QJsonObject attributes
        = cloudMapInstance(m_baseline, s_users, QStringLiteral("users-1"))[u"attributes"]
              .toObject();
    QVERIFY(!attributes.isEmpty());
    {
        auto ctl = controller(session(), clock);
        QVERIFY(ctl);
        QVERIFY(ctl->makePlan(target, DrainForce::No).canExecute());
        QVERIFY(ctl->confirm(QString()));
        QSignalSpy countdowns(ctl.get(), &DrainController::countdownChanged);
        ctl->execute();
        QTRY_COMPARE_WITH_TIMEOUT(ctl->state(), DrainController::State::Watching, s_waitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!countdowns.isEmpty(), 5000);
        const DrainCountdown c = countdowns.last().first().value<DrainCountdown>();
        QCOMPARE(c.dnsStaleSecondsLeft, 60); // the users service's TTL, nothing elapsed yet
        QVERIFY2(c.holding.join(u' ').contains(QStringLiteral("TTL 60 s")),
            qPrintable(c.holding.join(u' ')));
        QVERIFY(cloudMapInstance(readBack(), s_users, QStringLiteral("users-1")).isEmpty());
        clock.advanceMs(61'000);
        QTRY_COMPARE_WITH_TIMEOUT(ctl->state(), DrainController::State::Safe, 5000);
    }
    // The intent, on disk before DeregisterInstance, holds the attributes.
    QJsonObject intent;
    qint64 intentSeq = -1;
    qint64 stepSeq = -1;
    for (const QJsonObject &r : auditRecords(m_auditPath)) {
        if (r[u"target"].toString() != target || r[u"step"].toString() != u"cloudmap-drain") {
            continue;
        }
        if (r[u"event"].toString() == u"intent") {
            intent = r;
            intentSeq = r[u"seq"].toInteger();
        } else if (r[u"event"].toString() == u"step") {
            stepSeq = r[u"seq"].toInteger();
        }
    }
    QVERIFY(intentSeq > 0);
    QVERIFY(stepSeq > intentSeq);
    const QJsonObject recorded = intent[u"detail"][u"drainStep"][u"cloudMap"].toObject();
    QCOMPARE(recorded[u"mode"].toString(), QStringLiteral("deregister"));
    QCOMPARE(recorded[u"attributes"].toObject(), attributes);

    // Undrain from the audit log alone, in a controller that never saw the drain.
    auto again = controller(session(), Clock::system());
    QVERIFY(again);
    QString why;
    QVERIFY2(again->loadFromAudit(target, &why), qPrintable(why));
    QCOMPARE(again->doneSteps().size(), 1);
    QVERIFY2(runUndo(*again, &why), qPrintable(why));
    const QJsonObject back = cloudMapInstance(readBack(), s_users, QStringLiteral("users-1"));
    QCOMPARE(back[u"attributes"].toObject(), attributes);
}

// A wrong secret key for the layers: AWS's signature error in the words, nothing changed (the
// SDK reads the same state as before), the emulator rejected the signatures.
void tst_AwsDrain::wrongSecretKeyChangesNothing()
{
    const QJsonObject rejectedBefore
        = emulatorControl(QStringLiteral("stats"))[u"rejected"].toObject();
    auto ctl = controller(session("wrong/secret+key0000000000000000000000000"), Clock::system());
    QVERIFY(ctl);
    QString why;
    QVERIFY(!runDrain(*ctl, QStringLiteral("10.0.1.11:8080"), &why));
    QCOMPARE(ctl->state(), DrainController::State::Failed);
    QVERIFY2(why.contains(QStringLiteral("SignatureDoesNotMatch"))
            || why.contains(QStringLiteral("InvalidSignatureException")),
        qPrintable(why));
    QVERIFY2(why.contains(QStringLiteral("AWS refused the signature")), qPrintable(why));
    QVERIFY2(why.contains(QStringLiteral("nothing was changed")), qPrintable(why));
    QVERIFY2(!why.contains(QStringLiteral("wrong/secret")), "the secret leaked into the message");
    QVERIFY(ctl->doneSteps().isEmpty());
    QCOMPARE(readBack(), m_baseline);
    const QJsonObject rejected = emulatorControl(QStringLiteral("stats"))[u"rejected"].toObject();
    QVERIFY(rejected[u"signature"].toInt() > rejectedBefore[u"signature"].toInt());
}

// ELBv2 throttles the DeregisterTargets call twice: the layer backs off and retries, the drain
// succeeds and says so in the audit; read back, undone, read back.
void tst_AwsDrain::throttledDeregisterBacksOffThenSucceeds()
{
    auto ctl = controller(session(), Clock::system());
    QVERIFY(ctl);
    const int throttledBefore = emulatorControl(QStringLiteral("stats"))[u"throttled"].toInt();
    // Right after the ELBv2 layer has read the target (prepare), the next two ELBv2 calls (the
    // DeregisterTargets attempts) are throttled.
    m_factory->m_onCreate = [](DrainLayer *layer) {
        if (layer->step().kind != DrainStepKind::Elbv2Deregister) {
            return;
        }
        QObject::connect(layer, &DrainLayer::prepared, layer, [](const LayerCommand &c) {
            if (c.kind == LayerCommand::Kind::Send) {
                emulatorControl(QStringLiteral("fault"),
                    { { QStringLiteral("throttle"), 2 }, { QStringLiteral("status"), 400 },
                        { QStringLiteral("service"), QStringLiteral("elasticloadbalancing") } });
            }
        });
    };
    const QString target = QStringLiteral("10.0.1.12:8080");
    QString why;
    QVERIFY2(runDrain(*ctl, target, &why), qPrintable(why));
    QCOMPARE(emulatorControl(QStringLiteral("stats"))[u"throttled"].toInt(), throttledBefore + 2);
    QVERIFY(elbv2Target(readBack(), s_ordersGroup, QStringLiteral("10.0.1.12"), 8080).isEmpty());
    QString outcome;
    for (const QJsonObject &r : auditRecords(m_auditPath)) {
        if (r[u"target"].toString() == target && r[u"event"].toString() == u"step"
            && r[u"step"].toString() == u"elbv2-deregister") {
            outcome = r[u"result"].toString();
        }
    }
    QVERIFY2(outcome.contains(QStringLiteral("after 2 throttled attempt(s)")), qPrintable(outcome));
    QVERIFY2(runUndo(*ctl, &why), qPrintable(why));
    QVERIFY(!elbv2Target(readBack(), s_ordersGroup, QStringLiteral("10.0.1.12"), 8080).isEmpty());
}

// DeregisterInstance is carried out but its reply is lost (the emulator closes the connection):
// the drain fails saying it MAY HAVE HAPPENED; the SDK shows the instance gone; an undrain in a
// new controller, from the audit log alone, registers it back with the attributes the intent
// recorded before the call.
void tst_AwsDrain::lostDeregisterReplyIsUndoneFromTheAuditLog()
{
    const QString target = QStringLiteral("10.0.3.32:7070");
    const QJsonObject attributes
        = cloudMapInstance(m_baseline, s_users, QStringLiteral("users-2"))[u"attributes"]
              .toObject();
    QVERIFY(!attributes.isEmpty());
    // HTTP clients may resend once on a closed connection: every attempt loses its reply.
    QCOMPARE(emulatorControl(QStringLiteral("drop"),
                 { { QStringLiteral("count"), 5 },
                     { QStringLiteral("service"), QStringLiteral("servicediscovery") },
                     { QStringLiteral("op"), QStringLiteral("DeregisterInstance") } })[u"count"]
                 .toInt(),
        5);
    {
        auto ctl = controller(session(), Clock::system());
        QVERIFY(ctl);
        QString why;
        QVERIFY(!runDrain(*ctl, target, &why));
        QCOMPARE(ctl->state(), DrainController::State::Failed);
        QVERIFY2(why.contains(QStringLiteral("MAY HAVE HAPPENED")), qPrintable(why));
        QCOMPARE(ctl->uncertainLayers(), QStringList { QStringLiteral("cloudmap-drain") });
    }
    QVERIFY(emulatorControl(QStringLiteral("stats"))[u"dropped"].toInt() >= 1);
    QVERIFY2(cloudMapInstance(readBack(), s_users, QStringLiteral("users-2")).isEmpty(),
        "the SDK still finds users-2: the lost call was not carried out");
    emulatorControl(QStringLiteral("drop"), { { QStringLiteral("count"), 0 } });

    auto again = controller(session(), Clock::system());
    QVERIFY(again);
    QString why;
    QVERIFY2(again->loadFromAudit(target, &why), qPrintable(why));
    QCOMPARE(again->uncertainLayers(), QStringList { QStringLiteral("cloudmap-drain") });
    QVERIFY2(runUndo(*again, &why), qPrintable(why));
    QVERIFY2(why.contains(QStringLiteral("may have happened")), qPrintable(why));
    QCOMPARE(
        cloudMapInstance(readBack(), s_users, QStringLiteral("users-2"))[u"attributes"].toObject(),
        attributes);
}

// A step naming a target group ELBv2 does not have: refused before any call, in AWS's words.
void tst_AwsDrain::unknownTargetGroupIsRefusedInWords()
{
    DrainStep step;
    step.kind = DrainStepKind::Elbv2Deregister;
    step.loadBalancer = QStringLiteral("internal-alb");
    step.aws.targetGroupArn = s_ordersGroup + QStringLiteral("0");
    step.aws.targetId = QStringLiteral("10.0.1.11");
    step.aws.targetPort = 8080;
    Elbv2DrainLayer layer(step, session(), Clock::system());
    QSignalSpy prepared(&layer, &DrainLayer::prepared);
    layer.prepare(Direction::Apply);
    QVERIFY(prepared.wait(s_waitMs));
    const LayerCommand c = prepared.first().first().value<LayerCommand>();
    QCOMPARE(c.kind, LayerCommand::Kind::Error);
    QVERIFY2(c.message.contains(QStringLiteral("TargetGroupNotFound")), qPrintable(c.message));
    QVERIFY2(
        c.message.contains(QStringLiteral("load balancer internal-alb")), qPrintable(c.message));
}

QTEST_GUILESS_MAIN(tst_AwsDrain)
#include "tst_AwsDrain.moc"
