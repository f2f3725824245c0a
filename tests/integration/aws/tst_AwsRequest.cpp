// AwsRequest against the AWS API emulator (tests/peers/aws_emulator.py, fixture peers_aws), which
// verifies every request's SigV4 signature and is itself checked against the official AWS SDK
// for JavaScript (aws_oracle_sdk): JSON 1.1 and Query calls, pages followed (the emulator's
// pages hold 2 items), a wrong secret key, throttling retried with backoff and given up on, a
// skewed clock named in minutes, and an unknown target group.
#include "aws/AwsReplies.h"
#include "aws/AwsRequest.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>
#include <QXmlStreamReader>

using namespace hopscope;

namespace {

constexpr int s_waitMs = 30'000;

QJsonObject peerInfo()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR") + QStringLiteral("/aws.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s (is the peers_aws fixture up?)", qPrintable(f.fileName()));
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Every value of the XML elements named `name`, in document order.
QStringList xmlValues(const QByteArray &xml, QLatin1String name)
{
    QStringList out;
    QXmlStreamReader r(xml);
    while (!r.atEnd()) {
        if (r.readNext() == QXmlStreamReader::StartElement && r.name() == name) {
            out.append(r.readElementText());
        }
    }
    return out;
}

} // namespace

class tst_AwsRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void jsonCallFollowsPages();
    void queryCallFollowsMarkers();
    void ecsTasks();
    void wrongSecretIsASignatureErrorAndNotRetried();
    void throttlingIsRetriedWithBackoff();
    void throttlingBeyondTheAttemptsSaysSo();
    void skewedClockIsNamedInMinutes();
    void unknownTargetGroupIsNotFound();
    void deadEndpointIsANetworkError();
    void repliesReadAsTheEmulatorStateSays();

private:
    AwsResult run(const AwsCall &call, const AwsCredentials &credentials, bool pages = true,
        const Clock &clock = Clock::system(), int maxAttempts = 5);
    QJsonObject control(const QByteArray &path, const QJsonObject &body = {});

    QNetworkAccessManager m_nam;
    QJsonObject m_info;
    AwsEndpoint m_endpoint;
    AwsCredentials m_credentials;
};

void tst_AwsRequest::initTestCase()
{
    m_nam.setProxy(QNetworkProxy::NoProxy);
    m_info = peerInfo();
    m_endpoint.region = m_info[u"region"].toString().toLatin1();
    m_endpoint.url = QUrl(m_info[u"url"].toString() + u'/');
    m_credentials.accessKeyId = m_info[u"accessKeyId"].toString().toLatin1();
    m_credentials.secretAccessKey = m_info[u"secretAccessKey"].toString().toLatin1();
    QVERIFY(!m_credentials.secretAccessKey.isEmpty());
}

AwsResult tst_AwsRequest::run(const AwsCall &call, const AwsCredentials &credentials, bool pages,
    const Clock &clock, int maxAttempts)
{
    AwsRequest request(&m_nam, m_endpoint, credentials, call, nullptr, clock);
    request.setDeadlineMs(20'000);
    request.setFollowPages(pages);
    request.setMaxAttempts(maxAttempts);
    request.setBackoff(20, 200);
    QSignalSpy done(&request, &AwsRequest::finished);
    request.start();
    if (!done.wait(s_waitMs)) {
        AwsResult r;
        r.error.kind = AwsError::Kind::Timeout;
        r.error.words = QStringLiteral("test: no finished()");
        return r;
    }
    return done.first().first().value<AwsResult>();
}

QJsonObject tst_AwsRequest::control(const QByteArray &path, const QJsonObject &body)
{
    QNetworkRequest request(QUrl(m_info[u"url"].toString() + QString::fromLatin1(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = body.isEmpty()
        ? m_nam.get(request)
        : m_nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!done.wait(s_waitMs)) {
        qWarning("emulator control %s: no answer", path.constData());
    }
    const QJsonObject out = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return out;
}

void tst_AwsRequest::jsonCallFollowsPages()
{
    const QJsonArray namespaces = QJsonDocument::fromJson(
        run(AwsCall::cloudMap("ListNamespaces"), m_credentials).pages.value(0))
                                      .object()[u"Namespaces"]
                                      .toArray();
    QString nsId;
    for (const QJsonValue &n : namespaces) {
        if (n[u"Name"].toString() == u"corp.internal") {
            nsId = n[u"Id"].toString();
        }
    }
    QVERIFY(!nsId.isEmpty());
    const AwsCall list = AwsCall::cloudMap("ListServices",
        QJsonObject { { QStringLiteral("Filters"),
            QJsonArray { QJsonObject { { QStringLiteral("Name"), QStringLiteral("NAMESPACE_ID") },
                { QStringLiteral("Values"), QJsonArray { nsId } },
                { QStringLiteral("Condition"), QStringLiteral("EQ") } } } } });
    const AwsResult one = run(list, m_credentials, false);
    QVERIFY2(one.ok(), qPrintable(one.errorText()));
    QCOMPARE(one.pages.size(), 1);
    QVERIFY(!list.nextPageToken(one.pages.first()).isEmpty()); // there is more
    const AwsResult all = run(list, m_credentials, true);
    QVERIFY2(all.ok(), qPrintable(all.errorText()));
    QStringList names;
    for (const QByteArray &page : all.pages) {
        for (const QJsonValue &s : QJsonDocument::fromJson(page).object()[u"Services"].toArray()) {
            names.append(s[u"Name"].toString());
        }
    }
    names.sort();
    QCOMPARE(names,
        (QStringList {
            QStringLiteral("orders"), QStringLiteral("payments"), QStringLiteral("users") }));
    QCOMPARE(all.pages.size(), 2);
    QCOMPARE(all.attempts, 2);
    QCOMPARE(all.what, QStringLiteral("servicediscovery ListServices"));
}

void tst_AwsRequest::queryCallFollowsMarkers()
{
    const AwsResult r = run(AwsCall::elbv2("DescribeTargetGroups"), m_credentials);
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QStringList names;
    for (const QByteArray &page : r.pages) {
        names += xmlValues(page, QLatin1String("TargetGroupName"));
    }
    // The demo state's target groups, each once, across the emulator's 2-item pages.
    const QJsonObject groups = control("/_emulator/state")[u"elbv2"][u"targetGroups"].toObject();
    QVERIFY(groups.size() >= 2);
    QCOMPARE(names.size(), groups.size());
    QCOMPARE(r.pages.size(), int((groups.size() + 1) / 2));
    QVERIFY(names.contains(QStringLiteral("orders")));
}

void tst_AwsRequest::ecsTasks()
{
    const AwsResult r = run(AwsCall::ecs("ListTasks",
                                QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                                    { QStringLiteral("serviceName"), QStringLiteral("orders") } }),
        m_credentials);
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    int arns = 0;
    for (const QByteArray &page : r.pages) {
        arns += QJsonDocument::fromJson(page).object()[u"taskArns"].toArray().size();
    }
    QVERIFY2(arns >= 3, qPrintable(QString::number(arns)));
}

void tst_AwsRequest::wrongSecretIsASignatureErrorAndNotRetried()
{
    AwsCredentials wrong = m_credentials;
    wrong.secretAccessKey = "not-the-secret-" + QByteArray(25, 'x');
    for (const AwsCall &call :
        { AwsCall::cloudMap("ListNamespaces"), AwsCall::elbv2("DescribeLoadBalancers") }) {
        const AwsResult r = run(call, wrong);
        QCOMPARE(r.error.kind, AwsError::Kind::Signature);
        QCOMPARE(r.attempts, 1);
        QVERIFY2(r.errorText().contains(QStringLiteral("AWS refused the signature")),
            qPrintable(r.errorText()));
        QVERIFY(!r.errorText().contains(QString::fromLatin1(wrong.secretAccessKey)));
        QVERIFY(r.pages.isEmpty());
    }
    AwsCredentials unknown = m_credentials;
    unknown.accessKeyId = "AKIANOBODYKNOWSTHIS1";
    const AwsResult r = run(AwsCall::cloudMap("ListNamespaces"), unknown);
    QCOMPARE(r.error.kind, AwsError::Kind::Credentials);
}

void tst_AwsRequest::throttlingIsRetriedWithBackoff()
{
    struct Case
    {
        QString service;
        int status;
        AwsCall call;
    };
    const QList<Case> cases { { QStringLiteral("servicediscovery"), 400,
                                  AwsCall::cloudMap("ListNamespaces") },
        { QStringLiteral("elasticloadbalancing"), 400, AwsCall::elbv2("DescribeLoadBalancers") },
        { QStringLiteral("ecs"), 429,
            AwsCall::ecs("ListTasks",
                QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") } }) },
        { QStringLiteral("elasticloadbalancing"), 503, AwsCall::elbv2("DescribeLoadBalancers") } };
    for (const Case &c : cases) {
        const int before = control("/_emulator/stats")[u"throttled"].toInt();
        control("/_emulator/fault",
            QJsonObject { { QStringLiteral("throttle"), 2 }, { QStringLiteral("status"), c.status },
                { QStringLiteral("service"), c.service } });
        const AwsResult r = run(c.call, m_credentials, false);
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.attempts, 3);
        QCOMPARE(r.throttled, 2);
        QCOMPARE(control("/_emulator/stats")[u"throttled"].toInt(), before + 2);
    }
}

void tst_AwsRequest::throttlingBeyondTheAttemptsSaysSo()
{
    control("/_emulator/fault",
        QJsonObject { { QStringLiteral("throttle"), 3 },
            { QStringLiteral("service"), QStringLiteral("servicediscovery") } });
    const AwsResult r = run(AwsCall::cloudMap("ListNamespaces"), m_credentials, false,
        Clock::system(), /*maxAttempts*/ 3);
    QCOMPARE(r.error.kind, AwsError::Kind::Throttled);
    QCOMPARE(r.attempts, 3);
    QVERIFY2(r.errorText().contains(QStringLiteral("throttling"))
            && r.errorText().contains(QStringLiteral("after 3 attempts")),
        qPrintable(r.errorText()));
}

void tst_AwsRequest::skewedClockIsNamedInMinutes()
{
    // Our clock 20 minutes behind: the signature's time is outside AWS's 15-minute window.
    ManualClock behind(QDateTime::currentDateTimeUtc().addSecs(-20 * 60));
    for (const AwsCall &call :
        { AwsCall::cloudMap("ListNamespaces"), AwsCall::elbv2("DescribeLoadBalancers") }) {
        const AwsResult r = run(call, m_credentials, false, behind);
        QCOMPARE(r.error.kind, AwsError::Kind::ClockSkew);
        QVERIFY2(r.errorText().contains(QStringLiteral("clock is 20 min behind AWS's")),
            qPrintable(r.errorText()));
        QVERIFY(r.serverDate.isValid());
    }
    // Within the window the call goes through, the skew still measured.
    ManualClock slightly(QDateTime::currentDateTimeUtc().addSecs(-120));
    const AwsResult ok = run(AwsCall::cloudMap("ListNamespaces"), m_credentials, false, slightly);
    QVERIFY2(ok.ok(), qPrintable(ok.errorText()));
    QVERIFY2(ok.skewSeconds >= 100 && ok.skewSeconds <= 140,
        qPrintable(QString::number(ok.skewSeconds)));
}

void tst_AwsRequest::unknownTargetGroupIsNotFound()
{
    const AwsResult r = run(AwsCall::elbv2("DescribeTargetHealth",
                                { { "TargetGroupArn",
                                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                                    "targetgroup/nope/0000000000000000" } }),
        m_credentials);
    QCOMPARE(r.error.kind, AwsError::Kind::NotFound);
    QCOMPARE(r.error.code, QStringLiteral("TargetGroupNotFound"));
    QCOMPARE(r.attempts, 1);
}

void tst_AwsRequest::deadEndpointIsANetworkError()
{
    AwsEndpoint dead = m_endpoint;
    dead.url = QUrl(QStringLiteral("http://127.0.0.1:1/"));
    AwsRequest request(&m_nam, dead, m_credentials, AwsCall::cloudMap("ListNamespaces"));
    request.setDeadlineMs(3000);
    QSignalSpy done(&request, &AwsRequest::finished);
    request.start();
    QVERIFY(done.wait(s_waitMs));
    const auto r = done.first().first().value<AwsResult>();
    QCOMPARE(r.error.kind, AwsError::Kind::Network);
    QVERIFY2(r.errorText().startsWith(QStringLiteral("servicediscovery ListNamespaces: ")),
        qPrintable(r.errorText()));
}

// The typed readings of live replies (the ones the official SDK parses in aws_oracle_sdk) agree
// with the emulator's state.
void tst_AwsRequest::repliesReadAsTheEmulatorStateSays()
{
    const QJsonObject state = control("/_emulator/state");
    // Cloud Map: orders' instances with addresses, ports and health; its TTL and custom health.
    const AwsResult di = run(
        AwsCall::cloudMap("DiscoverInstances",
            QJsonObject { { QStringLiteral("NamespaceName"), QStringLiteral("corp.internal") },
                { QStringLiteral("ServiceName"), QStringLiteral("orders") },
                { QStringLiteral("HealthStatus"), QStringLiteral("ALL") } }),
        m_credentials, false);
    QVERIFY2(di.ok(), qPrintable(di.errorText()));
    const auto instances = AwsReplies::discoverInstances(di.pages.first());
    QVERIFY2(instances.ok(), qPrintable(instances.errorText()));
    // state: cloudMap.services.<id> = {name, revision, instances.<id> = {health, attributes}}
    QString ordersId;
    QJsonObject expected;
    const QJsonObject services = state[u"cloudMap"][u"services"].toObject();
    for (auto it = services.begin(); it != services.end(); ++it) {
        if (it.value()[u"name"].toString() == u"orders") {
            ordersId = it.key();
            expected = it.value()[u"instances"].toObject();
        }
    }
    QVERIFY(!ordersId.isEmpty());
    QCOMPARE(instances->size(), expected.size());
    for (const CloudMapInstance &i : *instances) {
        QVERIFY2(expected.contains(i.id), qPrintable(i.id));
        const QJsonValue e = expected.value(i.id);
        QCOMPARE(i.address, e[u"attributes"][u"AWS_INSTANCE_IPV4"].toString());
        QCOMPARE(QString::number(i.port), e[u"attributes"][u"AWS_INSTANCE_PORT"].toString());
        QCOMPARE(i.health, e[u"health"].toString());
        QCOMPARE(i.attributes.size(), e[u"attributes"].toObject().size());
    }
    const AwsResult gs
        = run(AwsCall::cloudMap("GetService", QJsonObject { { QStringLiteral("Id"), ordersId } }),
            m_credentials, false);
    const auto service = AwsReplies::getService(gs.pages.value(0));
    QVERIFY2(service.ok(), qPrintable(service.errorText() + gs.errorText()));
    QCOMPARE(service->dnsTtl, std::optional<int>(10)); // tests/peers/aws/state.json
    QVERIFY(service->customHealth);

    // ELBv2: every target group's targets and states; rules with their paths.
    const QJsonObject groups = state[u"elbv2"][u"targetGroups"].toObject();
    for (auto it = groups.begin(); it != groups.end(); ++it) {
        const AwsResult th = run(
            AwsCall::elbv2("DescribeTargetHealth", { { "TargetGroupArn", it.key().toUtf8() } }),
            m_credentials);
        QVERIFY2(th.ok(), qPrintable(th.errorText()));
        const auto targets = AwsReplies::describeTargetHealth(th.pages.first());
        QVERIFY2(targets.ok(), qPrintable(targets.errorText()));
        const QJsonArray want = it.value().toArray();
        QCOMPARE(targets->size(), want.size());
        for (qsizetype k = 0; k < want.size(); ++k) {
            QCOMPARE(targets->at(k).id, want[k][u"id"].toString());
            QCOMPARE(int(targets->at(k).port), want[k][u"port"].toInt());
            QCOMPARE(targets->at(k).state, want[k][u"state"].toString());
        }
        const AwsResult attrs = run(AwsCall::elbv2("DescribeTargetGroupAttributes",
                                        { { "TargetGroupArn", it.key().toUtf8() } }),
            m_credentials);
        const auto delay = AwsReplies::deregistrationDelaySeconds(attrs.pages.value(0));
        QVERIFY2(delay.ok() && *delay >= 0, qPrintable(delay.errorText() + attrs.errorText()));
    }
    const QString listener = QStringLiteral(
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/internal-alb/"
        "50dc6c495c0c9188/f2f7dc8efc522ab2");
    const AwsResult rules = run(
        AwsCall::elbv2("DescribeRules", { { "ListenerArn", listener.toUtf8() } }), m_credentials);
    QVERIFY2(rules.ok(), qPrintable(rules.errorText()));
    QList<Elbv2Rule> all;
    for (const QByteArray &page : rules.pages) {
        const auto r = AwsReplies::describeRules(page);
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        all += *r;
    }
    QCOMPARE(all.size(), 4); // three path rules and the default
    QCOMPARE(all.first().pathPatterns,
        (QStringList { QStringLiteral("/orders"), QStringLiteral("/orders/*") }));
    QVERIFY(all.first().targetGroupArns.first().contains(QStringLiteral(":targetgroup/orders/")));
    QVERIFY(all.last().isDefault);

    // ECS: the orders tasks with their ENI addresses, a stopped one with its reason.
    const AwsResult lt
        = run(AwsCall::ecs("ListTasks",
                  QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                      { QStringLiteral("serviceName"), QStringLiteral("orders") },
                      { QStringLiteral("desiredStatus"), QStringLiteral("STOPPED") } }),
            m_credentials);
    QVERIFY2(lt.ok(), qPrintable(lt.errorText()));
    const AwsResult lr
        = run(AwsCall::ecs("ListTasks",
                  QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                      { QStringLiteral("serviceName"), QStringLiteral("orders") } }),
            m_credentials);
    QStringList arns;
    for (const QByteArray &page : lr.pages + lt.pages) {
        const auto a = AwsReplies::listTasks(page);
        QVERIFY2(a.ok(), qPrintable(a.errorText()));
        arns += *a;
    }
    QJsonArray tasksIn;
    for (const QString &a : arns) {
        tasksIn.append(a);
    }
    const AwsResult dt
        = run(AwsCall::ecs("DescribeTasks",
                  QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                      { QStringLiteral("tasks"), tasksIn } }),
            m_credentials, false);
    QVERIFY2(dt.ok(), qPrintable(dt.errorText()));
    const auto tasks = AwsReplies::describeTasks(dt.pages.first());
    QVERIFY2(tasks.ok(), qPrintable(tasks.errorText()));
    QCOMPARE(tasks->size(), arns.size());
    bool stopped = false;
    for (const EcsTask &t : *tasks) {
        QVERIFY2(t.address.startsWith(QStringLiteral("10.0.")), qPrintable(t.address));
        QCOMPARE(t.ports, QList<quint16> { 8080 });
        if (t.lastStatus == u"STOPPED") {
            stopped = true;
            QCOMPARE(t.stoppedReason, QStringLiteral("Essential container in task exited"));
        }
    }
    QVERIFY(stopped);
}

QTEST_GUILESS_MAIN(tst_AwsRequest)
#include "tst_AwsRequest.moc"
