// An AWS profile end to end against the signature-checking emulator (fixture peers_aws): the
// profile `hopscope_peers.py aws-profile` writes for `scripts/demo --aws` (keys only as file:
// references), watched by ClusterMonitor (ELBv2, Cloud Map and ECS sources, one AwsSession) and
// by `hopscope-cli snapshot --json`. Every expectation is read from the emulator's own state
// file, not written here: each target group's targets with their states and reason codes, each
// Cloud Map instance with its health and the service's DNS TTL, each ECS task, the listener's
// path rules. A target deregistered through ELBv2 reads "draining
// (Target.DeregistrationInProgress)", a deregistered Cloud Map instance stays for the DNS TTL; a
// wrong secret key fails every source with a signature error, shows nothing healthy and never
// repeats the key.
#include "aws/AwsRequest.h"
#include "aws/AwsSession.h"
#include "profile/ProfileStore.h"
#include "topology/AwsTopology.h"
#include "topology/ClusterMonitor.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

namespace {

constexpr int s_waitMs = 30'000;

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(path));
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

const Observation *observation(const TargetNode *t, const QString &source)
{
    if (!t) {
        return nullptr;
    }
    for (const Observation &o : t->observations) {
        if (o.source == source) {
            return &o;
        }
    }
    return nullptr;
}

QString describeTargets(const Topology &t)
{
    QStringList out;
    for (const ServiceNode &s : t.services) {
        for (const TargetNode &n : s.targets) {
            out << s.id + u' ' + n.key + u' ' + healthName(n.health) + QStringLiteral(": ")
                    + n.reason;
        }
    }
    for (const SourceError &e : t.errors) {
        out << QStringLiteral("error ") + e.source + QStringLiteral(": ") + e.message;
    }
    return out.join(u'\n');
}

} // namespace

class tst_AwsTopologyLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void monitorShowsEveryAwsSource();
    void deregisteredTargetsReadDrainingAndHeld();
    void wrongSecretKeyIsASignatureErrorAndNothingHealthy();
    void snapshotCommandShowsTheCluster();

private:
    // A monitor on `path` after its first complete round.
    std::unique_ptr<ClusterMonitor> watchProfile(const QString &path);
    AwsResult call(const AwsCall &c);

    QTemporaryDir m_dir;
    QString m_awsDir;
    QString m_profilePath;
    ClusterProfile m_profile;
    QJsonObject m_info;
    QJsonObject m_state; // the emulator's state file: the expectations
};

void tst_AwsTopologyLive::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_awsDir = qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR");
    m_info = readJson(m_awsDir + QStringLiteral("/aws.json"));
    m_state = readJson(m_info[u"state"].toString());
    m_profilePath = m_dir.filePath(QStringLiteral("aws.hopscope.json"));
    QProcess writer;
    writer.start(QStringLiteral("python3"),
        { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), QStringLiteral("aws-profile"),
            QStringLiteral("--aws-dir"), m_awsDir, QStringLiteral("--out"), m_profilePath });
    QVERIFY(writer.waitForFinished(30'000));
    QVERIFY2(writer.exitCode() == 0, writer.readAllStandardError().constData());
    const auto loaded = ProfileStore::load(m_profilePath);
    QVERIFY2(loaded.ok(), qPrintable(loaded.problems.value(0).toString()));
    m_profile = *loaded.profile;
    QVERIFY(m_profile.aws && m_profile.aws->usesKeyReferences());
    // The key pair is referenced, never written into the profile.
    QFile raw(m_profilePath);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    QVERIFY(!raw.readAll().contains(m_info[u"secretAccessKey"].toString().toUtf8()));
}

std::unique_ptr<ClusterMonitor> tst_AwsTopologyLive::watchProfile(const QString &path)
{
    const auto loaded = ProfileStore::load(path);
    if (!loaded.ok()) {
        qWarning("%s", qPrintable(loaded.problems.value(0).toString()));
        return {};
    }
    auto monitor = std::make_unique<ClusterMonitor>(*loaded.profile);
    QSignalSpy rounds(monitor.get(), &ClusterMonitor::roundCompleted);
    monitor->start();
    if (!rounds.wait(s_waitMs)) {
        qWarning("no complete round within %d ms", s_waitMs);
        return {};
    }
    return monitor;
}

AwsResult tst_AwsTopologyLive::call(const AwsCall &c)
{
    AwsSession *session = AwsSession::fromProfile(*m_profile.aws, this);
    std::optional<AwsResult> result;
    QObject owner;
    session->call(&owner, c, 10'000, [&result](const AwsResult &r) { result = r; });
    const bool answered = QTest::qWaitFor([&result] { return result.has_value(); }, s_waitMs);
    session->deleteLater();
    if (!answered || !result) {
        AwsResult none;
        none.what = c.describe();
        none.error.kind = AwsError::Kind::Timeout;
        none.error.words = QStringLiteral("no result within the test's wait");
        return none;
    }
    return *result;
}

void tst_AwsTopologyLive::monitorShowsEveryAwsSource()
{
    const auto monitor = watchProfile(m_profilePath);
    QVERIFY(monitor);
    const Topology t = monitor->topology();
    const QString all = describeTargets(t);
    QVERIFY2(t.errors.isEmpty(), qPrintable(all));

    // ELBv2: every target of every target group the profile names, with its state and reason.
    const QJsonObject elbv2 = m_state[u"elbv2"].toObject();
    const QString lbId = elbv2[u"loadBalancers"][0][u"name"].toString();
    int elbTargets = 0;
    for (const QJsonValue &tg : elbv2[u"targetGroups"].toArray()) {
        const QString service = tg[u"name"].toString();
        QVERIFY(m_profile.service(service));
        for (const QJsonValue &target : tg[u"targets"].toArray()) {
            const QString key = target[u"id"].toString() + u':'
                + QString::number(target[u"port"].toInt(tg[u"port"].toInt()));
            const QString state = target[u"state"].toString(QStringLiteral("healthy"));
            const QString reason = target[u"reason"].toString();
            const Observation *o = observation(t.target(service, key), u"lb:" + lbId);
            QVERIFY2(o, qPrintable(service + u' ' + key + u'\n' + all));
            QCOMPARE(o->health, AwsTopology::elbv2Health(state, reason));
            const QString words = QStringLiteral("elbv2 %1: %2").arg(lbId, state)
                + (reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(reason));
            QVERIFY2(t.target(service, key)->reason.contains(words),
                qPrintable(words + u'\n' + t.target(service, key)->reason));
            ++elbTargets;
        }
    }
    QVERIFY(elbTargets > 0);

    // Cloud Map: every instance of every service of the DNS namespace, with the DNS TTL.
    int instances = 0;
    for (const QJsonValue &ns : m_state[u"cloudMap"][u"namespaces"].toArray()) {
        if (!ns[u"type"].toString().startsWith(u"DNS")) {
            continue;
        }
        for (const QJsonValue &svc : ns[u"services"].toArray()) {
            const QString service = svc[u"name"].toString();
            for (const QJsonValue &i : svc[u"instances"].toArray()) {
                const QString key = i[u"attributes"][u"AWS_INSTANCE_IPV4"].toString() + u':'
                    + i[u"attributes"][u"AWS_INSTANCE_PORT"].toString();
                const TargetNode *target = t.target(service, key);
                const Observation *o = observation(target, u"cloudmap:" + service);
                QVERIFY2(o, qPrintable(service + u' ' + key + u'\n' + all));
                const bool unhealthy = i[u"health"].toString() == u"UNHEALTHY";
                QCOMPARE(o->health, unhealthy ? Health::Down : Health::Healthy);
                QCOMPARE(target->dnsTtl, std::optional<quint32>(quint32(svc[u"dnsTtl"].toInt())));
                QVERIFY2(
                    target->reason.contains(
                        QStringLiteral("cloudmap %1/%2: ").arg(ns[u"name"].toString(), service)),
                    qPrintable(target->reason));
                ++instances;
            }
        }
    }
    QVERIFY(instances > 0);

    // ECS: every task that runs is on its address:port; one that stopped where nobody else
    // points any more is not a target.
    int tasks = 0;
    for (const QJsonValue &cluster : m_state[u"ecs"][u"clusters"].toArray()) {
        for (const QJsonValue &svc : cluster[u"services"].toArray()) {
            const QString service = svc[u"name"].toString();
            if (!m_profile.service(service) || !m_profile.service(service)->ecs) {
                continue;
            }
            for (const QJsonValue &task : svc[u"tasks"].toArray()) {
                const QString key
                    = task[u"ip"].toString() + u':' + QString::number(task[u"port"].toInt(8080));
                const TargetNode *target = t.target(service, key);
                if (task[u"lastStatus"].toString(QStringLiteral("RUNNING")) == u"STOPPED") {
                    const Observation *o = observation(target, u"ecs:" + service);
                    QVERIFY2(!target || (o && o->health == Health::Down), qPrintable(all));
                    continue;
                }
                const Observation *o = observation(target, u"ecs:" + service);
                QVERIFY2(o, qPrintable(service + u' ' + key + u'\n' + all));
                QVERIFY2(target->reason.contains(
                             QStringLiteral("ecs %1/%2: %3")
                                 .arg(cluster[u"name"].toString(), service,
                                     task[u"lastStatus"].toString(QStringLiteral("RUNNING")))),
                    qPrintable(target->reason));
                ++tasks;
            }
        }
    }
    QVERIFY(tasks > 0);

    // The listener's rules: each path pattern labels the route to its target group's service.
    const LoadBalancerNode *node = nullptr;
    for (const LoadBalancerNode &lb : t.loadBalancers) {
        node = lb.id == lbId ? &lb : node;
    }
    QVERIFY(node);
    QCOMPARE(node->health, Health::Healthy);
    QStringList expected;
    for (const QJsonValue &rule : elbv2[u"loadBalancers"][0][u"listeners"][0][u"rules"].toArray()) {
        const QString group = rule[u"targetGroup"].toString().section(u'/', -2, -2);
        for (const QJsonValue &path : rule[u"paths"].toArray()) {
            expected << path.toString() + QStringLiteral(" → ") + group;
        }
    }
    for (const QString &label : std::as_const(expected)) {
        QVERIFY2(node->routes.contains(label), qPrintable(node->routes.join(u'\n')));
    }
}

// Through the API, as the drain layers will: the ALB's target drains for its deregistration
// delay; the Cloud Map instance is gone from the list but held for the DNS TTL.
void tst_AwsTopologyLive::deregisteredTargetsReadDrainingAndHeld()
{
    const QJsonObject tg = m_state[u"elbv2"][u"targetGroups"][0].toObject();
    const QJsonObject first = tg[u"targets"][0].toObject();
    const QByteArray arn = tg[u"arn"].toString().toUtf8();
    const QByteArray ip = first[u"id"].toString().toUtf8();
    const QByteArray port = QByteArray::number(tg[u"port"].toInt());
    const QString service = tg[u"name"].toString();
    const QString key = QString::fromLatin1(ip + ':' + port);

    QJsonObject ns, svc, instance;
    for (const QJsonValue &n : m_state[u"cloudMap"][u"namespaces"].toArray()) {
        for (const QJsonValue &s : n[u"services"].toArray()) {
            if (s[u"name"].toString() == service) {
                ns = n.toObject();
                svc = s.toObject();
                instance = s[u"instances"][0].toObject();
            }
        }
    }
    QVERIFY(!instance.isEmpty() && svc[u"dnsTtl"].toInt() > 0);
    const QString instanceKey = instance[u"attributes"][u"AWS_INSTANCE_IPV4"].toString() + u':'
        + instance[u"attributes"][u"AWS_INSTANCE_PORT"].toString();

    const auto monitor = watchProfile(m_profilePath);
    QVERIFY(monitor);
    const auto words = [&](const QString &k) {
        const TargetNode *t = monitor->topology().target(service, k);
        return t ? t->reason : QString();
    };

    AwsResult r = call(AwsCall::elbv2("DeregisterTargets",
        { { "TargetGroupArn", arn }, { "Targets.member.1.Id", ip },
            { "Targets.member.1.Port", port } }));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QTRY_VERIFY2_WITH_TIMEOUT(
        words(key).contains(QStringLiteral("elbv2 %1: draining (Target.DeregistrationInProgress)")
                                .arg(m_profile.loadBalancers.at(0).id)),
        qPrintable(words(key)), s_waitMs);
    QCOMPARE(monitor->topology().target(service, key)->health, Health::Draining);

    r = call(AwsCall::cloudMap("DeregisterInstance",
        QJsonObject { { QStringLiteral("ServiceId"), svc[u"id"].toString() },
            { QStringLiteral("InstanceId"), instance[u"id"].toString() } }));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QTRY_VERIFY2_WITH_TIMEOUT(words(instanceKey).contains(u"DNS clients may hold it until"),
        qPrintable(words(instanceKey)), s_waitMs);
    const TargetNode *held = monitor->topology().target(service, instanceKey);
    QVERIFY(held->dnsHoldUntil.isValid() && held->dnsRemovedAt.isValid());
    QCOMPARE(held->dnsRemovedAt.secsTo(held->dnsHoldUntil), qint64(svc[u"dnsTtl"].toInt()));

    // Put both back, and wait until the emulator and the graph agree they are back.
    r = call(AwsCall::elbv2("RegisterTargets",
        { { "TargetGroupArn", arn }, { "Targets.member.1.Id", ip },
            { "Targets.member.1.Port", port } }));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QJsonObject attributes = instance[u"attributes"].toObject();
    r = call(AwsCall::cloudMap("RegisterInstance",
        QJsonObject { { QStringLiteral("ServiceId"), svc[u"id"].toString() },
            { QStringLiteral("InstanceId"), instance[u"id"].toString() },
            { QStringLiteral("Attributes"), attributes } }));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QTRY_VERIFY2_WITH_TIMEOUT(words(key).contains(u"elbv2 " + m_profile.loadBalancers.at(0).id
                                  + QStringLiteral(": healthy"))
            && !words(instanceKey).contains(u"DNS clients may hold it"),
        qPrintable(words(key) + u'\n' + words(instanceKey)), s_waitMs);
}

void tst_AwsTopologyLive::wrongSecretKeyIsASignatureErrorAndNothingHealthy()
{
    // The same profile, its secret reference pointing at a file with another key.
    const QString wrongKey = QStringLiteral("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    const QString keyPath = m_dir.filePath(QStringLiteral("wrong-secret"));
    QFile key(keyPath);
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write(wrongKey.toUtf8());
    key.close();
    QJsonObject o = readJson(m_profilePath);
    QJsonObject aws = o[u"aws"].toObject();
    QJsonObject credentials = aws[u"credentials"].toObject();
    credentials[QStringLiteral("secretAccessKey")] = QString(QStringLiteral("file:") + keyPath);
    aws[QStringLiteral("credentials")] = credentials;
    o[QStringLiteral("aws")] = aws;
    const QString path = m_dir.filePath(QStringLiteral("wrong.hopscope.json"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(o).toJson());
    out.close();

    const auto monitor = watchProfile(path);
    QVERIFY(monitor);
    const Topology t = monitor->topology();
    const QString all = describeTargets(t);
    // One error per source: the load balancer, each Cloud Map and each ECS service.
    int sources = int(m_profile.loadBalancers.size());
    for (const ServiceSpec &s : m_profile.services) {
        sources += (s.cloudMap ? 1 : 0) + (s.ecs ? 1 : 0);
    }
    QCOMPARE(t.errors.size(), sources);
    for (const SourceError &e : t.errors) {
        QVERIFY2(e.kind == SourceError::Kind::Auth, qPrintable(e.source + u' ' + e.message));
        QVERIFY2(e.message.contains(u"signature", Qt::CaseInsensitive), qPrintable(e.message));
        QVERIFY(!e.message.contains(wrongKey) && !e.detail.contains(wrongKey));
    }
    for (const ServiceNode &s : t.services) {
        QVERIFY2(s.health != Health::Healthy && s.healthyCount == 0, qPrintable(all));
    }
    QCOMPARE(t.loadBalancers.at(0).health, Health::Down);
}

void tst_AwsTopologyLive::snapshotCommandShowsTheCluster()
{
    QProcess cli;
    cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("snapshot"), m_profilePath, QStringLiteral("--json") });
    QVERIFY(cli.waitForFinished(60'000));
    const QByteArray err = cli.readAllStandardError();
    QVERIFY2(cli.exitCode() == 0, err.constData());
    const QJsonObject snap = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QVERIFY2(snap[u"errors"].toArray().isEmpty(), err.constData());
    // Every service of the profile, each with targets seen by its AWS sources.
    const QJsonArray services = snap[u"services"].toArray();
    QCOMPARE(services.size(), m_profile.services.size());
    for (const QJsonValue &s : services) {
        const ServiceSpec *spec = m_profile.service(s[u"id"].toString());
        QVERIFY(spec);
        QVERIFY2(!s[u"targets"].toArray().isEmpty(), qPrintable(s[u"id"].toString()));
        for (const QJsonValue &target : s[u"targets"].toArray()) {
            const QJsonObject sources = target[u"sources"].toObject();
            QVERIFY2(sources.contains(QStringLiteral("cloudmap"))
                    || sources.contains(QStringLiteral("ecs"))
                    || sources.contains(QStringLiteral("lb")),
                qPrintable(target[u"key"].toString()));
        }
    }
    const QJsonObject lb = snap[u"loadBalancers"][0].toObject();
    QCOMPARE(lb[u"id"].toString(), m_profile.loadBalancers.at(0).id);
    QVERIFY2(!lb[u"routes"].toArray().isEmpty(), QJsonDocument(lb).toJson().constData());
}

QTEST_GUILESS_MAIN(tst_AwsTopologyLive)
#include "tst_AwsTopologyLive.moc"
