// The AWS keys of a profile (issue 16): "aws" {region, credentials, endpointUrl},
// services[].cloudMap / services[].ecs and "elbv2" load balancers (listenerArn, targetGroups).
// Every problem with its JSON path, credentials only ever as references (an inline key is
// refused without being repeated), a save that keeps every key, and `hopscope-cli profile check`.
#include "profile/ProfileStore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

namespace {

const QString s_listener
    = QStringLiteral("arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                     "listener/app/internal-alb/50dc6c495c0c9188/f2f7dc8efc522ab2");
const QString s_ordersTg = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/73e2d6bc24d8a067");
const QString s_paymentsTg = QStringLiteral(
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments/1f2e3d4c5b6a7980");
// Shaped like a real secret access key: must never be echoed back.
const QString s_inlineSecret = QStringLiteral("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

QJsonObject service(const QString &id, bool cloudMap, bool ecs)
{
    QJsonObject s { { QStringLiteral("id"), id }, { QStringLiteral("name"), id } };
    if (cloudMap) {
        s.insert(QStringLiteral("cloudMap"),
            QJsonObject { { QStringLiteral("namespace"), QStringLiteral("corp.internal") },
                { QStringLiteral("service"), id } });
    }
    if (ecs) {
        s.insert(QStringLiteral("ecs"),
            QJsonObject { { QStringLiteral("cluster"), QStringLiteral("prod") },
                { QStringLiteral("service"), id } });
    }
    return s;
}

QJsonObject alb()
{
    return QJsonObject { { QStringLiteral("id"), QStringLiteral("internal-alb") },
        { QStringLiteral("kind"), QStringLiteral("elbv2") },
        { QStringLiteral("listenerArn"), s_listener },
        { QStringLiteral("targetGroups"),
            QJsonArray { QJsonObject { { QStringLiteral("arn"), s_ordersTg },
                             { QStringLiteral("service"), QStringLiteral("orders") } },
                QJsonObject { { QStringLiteral("arn"), s_paymentsTg },
                    { QStringLiteral("service"), QStringLiteral("payments") } } } } };
}

QJsonObject profile()
{
    return QJsonObject { { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("aws") },
        { QStringLiteral("aws"),
            QJsonObject { { QStringLiteral("region"), QStringLiteral("eu-west-1") },
                { QStringLiteral("credentials"), QStringLiteral("profile:ops") },
                { QStringLiteral("endpointUrl"), QStringLiteral("http://127.0.0.1:4566") } } },
        { QStringLiteral("services"),
            QJsonArray { service(QStringLiteral("orders"), true, true),
                service(QStringLiteral("payments"), true, false),
                service(QStringLiteral("users"), false, true) } },
        { QStringLiteral("loadBalancers"), QJsonArray { alb() } },
        { QStringLiteral("edges"),
            QJsonArray { QJsonObject { { QStringLiteral("from"), QStringLiteral("users") },
                { QStringLiteral("to"), QStringLiteral("orders") },
                { QStringLiteral("via"), QStringLiteral("lb:internal-alb") } } } } };
}

QStringList problems(const QJsonObject &o)
{
    QStringList out;
    for (const ProfileProblem &p : ProfileStore::parse(QJsonDocument(o).toJson()).problems) {
        out << p.toString();
    }
    return out;
}

// Sets `value` at a dotted path with [i] indices ("loadBalancers[0].targetGroups[1].arn");
// an undefined value removes the key.
QJsonValue setAt(QJsonValue node, QStringList keys, const QJsonValue &value)
{
    const QString head = keys.takeFirst();
    const qsizetype bracket = head.indexOf(u'[');
    const QString name = bracket < 0 ? head : head.left(bracket);
    QJsonObject o = node.toObject();
    if (bracket < 0) {
        if (keys.isEmpty()) {
            if (value.isUndefined()) {
                o.remove(name);
            } else {
                o.insert(name, value);
            }
        } else {
            o.insert(name, setAt(o.value(name), keys, value));
        }
        return o;
    }
    const int index = head.mid(bracket + 1).chopped(1).toInt();
    QJsonArray a = o.value(name).toArray();
    if (keys.isEmpty()) {
        a.replace(index, value);
    } else {
        a.replace(index, setAt(a.at(index), keys, value));
    }
    o.insert(name, a);
    return o;
}

QJsonObject with(const QString &path, const QJsonValue &value)
{
    return setAt(profile(), path.split(u'.'), value).toObject();
}

} // namespace

class tst_ProfileAws : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validProfileReadsEveryField()
    {
        const auto result = ProfileStore::parse(QJsonDocument(profile()).toJson());
        QVERIFY2(result.ok(), qPrintable(problems(profile()).join(u'\n')));
        const ClusterProfile &p = *result.profile;
        QVERIFY(p.aws);
        QCOMPARE(p.aws->region, QStringLiteral("eu-west-1"));
        QCOMPARE(p.aws->credentials, QStringLiteral("profile:ops"));
        QVERIFY(!p.aws->usesKeyReferences());
        QCOMPARE(p.aws->endpointUrl, QUrl(QStringLiteral("http://127.0.0.1:4566")));
        QVERIFY(p.services.at(0).cloudMap && p.services.at(0).ecs);
        QCOMPARE(p.services.at(0).cloudMap->namespaceName, QStringLiteral("corp.internal"));
        QCOMPARE(p.services.at(0).cloudMap->service, QStringLiteral("orders"));
        QCOMPARE(p.services.at(0).ecs->cluster, QStringLiteral("prod"));
        QVERIFY(p.services.at(1).cloudMap && !p.services.at(1).ecs);
        QVERIFY(!p.services.at(2).cloudMap && p.services.at(2).ecs);
        const LoadBalancerSpec &lb = p.loadBalancers.at(0);
        QVERIFY(lb.isElbv2());
        QCOMPARE(lb.listenerArn, s_listener);
        QCOMPARE(lb.targetGroups.size(), 2);
        QCOMPARE(lb.targetGroups.at(1).arn, s_paymentsTg);
        QCOMPARE(lb.targetGroups.at(1).service, QStringLiteral("payments"));
        QVERIFY(!lb.runtime && lb.statsUrl.isEmpty());
    }

    void defaultsAndKeyReferences()
    {
        // No "credentials": the standard chain; no endpointUrl: the regional endpoints.
        QJsonObject o = with(QStringLiteral("aws.credentials"), QJsonValue::Undefined);
        o = setAt(
            o, { QStringLiteral("aws"), QStringLiteral("endpointUrl") }, QJsonValue::Undefined)
                .toObject();
        auto result = ProfileStore::parse(QJsonDocument(o).toJson());
        QVERIFY2(result.ok(), qPrintable(problems(o).join(u'\n')));
        QCOMPARE(result.profile->aws->credentials, QStringLiteral("default"));
        QVERIFY(result.profile->aws->endpointUrl.isEmpty());

        o = with(QStringLiteral("aws.credentials"),
            QJsonObject { { QStringLiteral("accessKeyId"), QStringLiteral("env:OPS_KEY_ID") },
                { QStringLiteral("secretAccessKey"), QStringLiteral("file:/run/secrets/aws") },
                { QStringLiteral("sessionToken"), QStringLiteral("keychain:aws-session") } });
        result = ProfileStore::parse(QJsonDocument(o).toJson());
        QVERIFY2(result.ok(), qPrintable(problems(o).join(u'\n')));
        const AwsSpec &aws = *result.profile->aws;
        QVERIFY(aws.usesKeyReferences());
        QCOMPARE(aws.accessKeyId->kind, SecretRef::Kind::Env);
        QCOMPARE(aws.accessKeyId->value, QStringLiteral("OPS_KEY_ID"));
        QCOMPARE(aws.secretAccessKey->kind, SecretRef::Kind::File);
        QCOMPARE(aws.sessionToken->kind, SecretRef::Kind::Keychain);

        // Saved and read back: the same keys, unknown ones kept.
        QJsonObject extra
            = setAt(o, { QStringLiteral("aws"), QStringLiteral("note") }, QStringLiteral("kept"))
                  .toObject();
        extra = setAt(extra,
            { QStringLiteral("loadBalancers[0]"), QStringLiteral("targetGroups[0]"),
                QStringLiteral("weight") },
            7)
                    .toObject();
        const auto first = ProfileStore::parse(QJsonDocument(extra).toJson());
        QVERIFY(first.ok());
        const QJsonObject saved = first.profile->toJson();
        const auto again = ProfileStore::parse(QJsonDocument(saved).toJson());
        QVERIFY2(again.ok(), qPrintable(problems(saved).join(u'\n')));
        QCOMPARE(saved.value(QStringLiteral("aws")).toObject().value(QStringLiteral("note")),
            QJsonValue(QStringLiteral("kept")));
        QCOMPARE(saved.value(QStringLiteral("aws"))
                     .toObject()
                     .value(QStringLiteral("credentials"))
                     .toObject()
                     .value(QStringLiteral("secretAccessKey")),
            QJsonValue(QStringLiteral("file:/run/secrets/aws")));
        const QJsonObject lbSaved
            = saved.value(QStringLiteral("loadBalancers")).toArray().at(0).toObject();
        QVERIFY(!lbSaved.contains(QStringLiteral("routes")));
        QCOMPARE(lbSaved.value(QStringLiteral("targetGroups"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("weight")),
            QJsonValue(7));
        QCOMPARE(again.profile->services.at(0).ecs->service, QStringLiteral("orders"));
        QCOMPARE(again.profile->loadBalancers.at(0).targetGroups.size(), 2);
        QCOMPARE(again.profile->loadBalancers.at(0).listenerArn, s_listener);
    }

    void problemsHavePaths_data()
    {
        QTest::addColumn<QJsonObject>("profile");
        QTest::addColumn<QString>("expected");

        QJsonObject noAws = profile();
        noAws.remove(QStringLiteral("aws"));
        QTest::newRow("aws missing")
            << noAws
            << QStringLiteral("aws: is missing; services[0].cloudMap is read through the AWS API");
        QTest::newRow("region missing") << with(QStringLiteral("aws.region"), QJsonValue::Undefined)
                                        << QStringLiteral("aws.region: is missing");
        QTest::newRow("region bad")
            << with(QStringLiteral("aws.region"), QStringLiteral("Ireland"))
            << QStringLiteral("aws.region: \"Ireland\" is not an AWS region");
        QTest::newRow("credentials unknown")
            << with(QStringLiteral("aws.credentials"), QStringLiteral("sso"))
            << QStringLiteral("aws.credentials: is not a credentials source; use \"default\"");
        QTest::newRow("credentials number") << with(QStringLiteral("aws.credentials"),
            3) << QStringLiteral("aws.credentials: expected a string or an object");
        QTest::newRow("key pair missing secret")
            << with(QStringLiteral("aws.credentials"),
                   QJsonObject { { QStringLiteral("accessKeyId"), QStringLiteral("env:K") } })
            << QStringLiteral("aws.credentials.secretAccessKey: is missing");
        QTest::newRow("key pair unknown key")
            << with(QStringLiteral("aws.credentials"),
                   QJsonObject { { QStringLiteral("accessKeyId"), QStringLiteral("env:K") },
                       { QStringLiteral("secretAccessKey"), QStringLiteral("env:S") },
                       { QStringLiteral("region"), QStringLiteral("eu-west-1") } })
            << QStringLiteral("aws.credentials.region: unknown key");
        QTest::newRow("endpointUrl with password") << with(QStringLiteral("aws.endpointUrl"),
            QStringLiteral("https://ops:pw@vpce-1.elasticloadbalancing.amazonaws.com"))
                                                   << QStringLiteral("aws.endpointUrl: ");
        QTest::newRow("endpointUrl not http")
            << with(QStringLiteral("aws.endpointUrl"), QStringLiteral("ftp://x"))
            << QStringLiteral("aws.endpointUrl: \"ftp://x\" is not an http:// or https:// URL");
        QTest::newRow("cloudMap service missing")
            << with(QStringLiteral("services[1].cloudMap.service"), QJsonValue::Undefined)
            << QStringLiteral("services[1].cloudMap.service: is missing");
        QTest::newRow("cloudMap not object")
            << with(QStringLiteral("services[1].cloudMap"), QStringLiteral("corp.internal"))
            << QStringLiteral("services[1].cloudMap: expected an object");
        QTest::newRow("cloudMap service bad")
            << with(QStringLiteral("services[1].cloudMap.service"), QStringLiteral("pay ments"))
            << QStringLiteral("services[1].cloudMap.service: \"pay ments\" is not a Cloud Map");
        QTest::newRow("ecs cluster bad")
            << with(QStringLiteral("services[2].ecs.cluster"), QStringLiteral("prod/eu"))
            << QStringLiteral("services[2].ecs.cluster: \"prod/eu\" is not an ECS cluster name");
        QTest::newRow("ecs service missing") << with(QStringLiteral("services[0].ecs.service"),
            QJsonValue::Undefined) << QStringLiteral("services[0].ecs.service: is missing");
        QTest::newRow("kind unknown")
            << with(QStringLiteral("loadBalancers[0].kind"), QStringLiteral("alb"))
            << QStringLiteral(
                   "loadBalancers[0].kind: \"alb\" is not a supported load balancer; use "
                   "\"haproxy\" or \"elbv2\"");
        QTest::newRow("haproxy key on elbv2")
            << with(QStringLiteral("loadBalancers[0].runtime"), QStringLiteral("tcp:10.0.0.1:9999"))
            << QStringLiteral("loadBalancers[0].runtime: does not apply to an \"elbv2\"");
        QTest::newRow("listener arn bad")
            << with(QStringLiteral("loadBalancers[0].listenerArn"), s_ordersTg)
            << QStringLiteral("loadBalancers[0].listenerArn: \"%1\" is not an ELBv2 listener ARN")
                   .arg(s_ordersTg);
        QTest::newRow("target groups missing")
            << with(QStringLiteral("loadBalancers[0].targetGroups"), QJsonValue::Undefined)
            << QStringLiteral("loadBalancers[0].targetGroups: is missing");
        QTest::newRow("target groups empty")
            << with(QStringLiteral("loadBalancers[0].targetGroups"), QJsonArray {})
            << QStringLiteral("loadBalancers[0].targetGroups: is empty");
        QTest::newRow("target group arn bad")
            << with(QStringLiteral("loadBalancers[0].targetGroups[1].arn"), s_listener)
            << QStringLiteral("loadBalancers[0].targetGroups[1].arn: \"%1\" is not an ELBv2 "
                              "targetgroup ARN")
                   .arg(s_listener);
        QTest::newRow("target group duplicate")
            << with(QStringLiteral("loadBalancers[0].targetGroups[1].arn"), s_ordersTg)
            << QStringLiteral("loadBalancers[0].targetGroups[1].arn: duplicate target group");
        QTest::newRow("target group service unknown")
            << with(QStringLiteral("loadBalancers[0].targetGroups[0].service"),
                   QStringLiteral("billing"))
            << QStringLiteral(
                   "loadBalancers[0].targetGroups[0].service: no service with id \"billing\"");
        QString otherRegion = s_paymentsTg;
        otherRegion.replace(QStringLiteral("eu-west-1"), QStringLiteral("us-east-1"));
        QTest::newRow("target group other region")
            << with(QStringLiteral("loadBalancers[0].targetGroups[1].arn"), otherRegion)
            << QStringLiteral("loadBalancers[0].targetGroups[1].arn: is in region us-east-1 but "
                              "aws.region is eu-west-1");
    }

    void problemsHavePaths()
    {
        QFETCH(QJsonObject, profile);
        QFETCH(QString, expected);
        const QStringList found = problems(profile);
        QVERIFY2(std::any_of(found.cbegin(), found.cend(),
                     [&](const QString &p) { return p.startsWith(expected); }),
            qPrintable(QStringLiteral("expected \"%1\" in:\n%2").arg(expected, found.join(u'\n'))));
    }

    // A key pasted where a reference belongs is refused, and the message never repeats it.
    void inlineCredentialsAreRefusedUnquoted_data()
    {
        QTest::addColumn<QJsonObject>("profile");
        QTest::addColumn<QString>("path");
        QTest::newRow("credentials string") << with(QStringLiteral("aws.credentials"),
            s_inlineSecret) << QStringLiteral("aws.credentials: looks like an inline AWS key");
        QTest::newRow("access key id string")
            << with(QStringLiteral("aws.credentials"), QStringLiteral("AKIAIOSFODNN7EXAMPLE"))
            << QStringLiteral("aws.credentials: looks like an inline AWS key");
        QTest::newRow("secret in key pair") << with(QStringLiteral("aws.credentials"),
            QJsonObject { { QStringLiteral("accessKeyId"), QStringLiteral("env:K") },
                { QStringLiteral("secretAccessKey"), s_inlineSecret } })
                                            << QStringLiteral("aws.credentials.secretAccessKey: ");
        QTest::newRow("secret under env:") << with(QStringLiteral("aws.credentials"),
            QJsonObject { { QStringLiteral("accessKeyId"), QStringLiteral("env:K") },
                { QStringLiteral("secretAccessKey"), QString(u"env:" + s_inlineSecret) } })
                                           << QStringLiteral("aws.credentials.secretAccessKey: ");
        QTest::newRow("secret key beside region")
            << with(QStringLiteral("aws.secretAccessKey"), s_inlineSecret)
            << QStringLiteral("aws.secretAccessKey: credentials never go in the profile");
    }

    void inlineCredentialsAreRefusedUnquoted()
    {
        QFETCH(QJsonObject, profile);
        QFETCH(QString, path);
        const QString all = problems(profile).join(u'\n');
        QVERIFY2(all.contains(path), qPrintable(all));
        QVERIFY2(!all.contains(s_inlineSecret) && !all.contains(u"AKIAIOSFODNN7EXAMPLE"),
            qPrintable(all));
        QVERIFY2(!all.contains(s_inlineSecret.left(12)), qPrintable(all));
    }

    void profileCheckCommand()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto run = [&](const QJsonObject &o, QString *out) {
            const QString path = dir.filePath(QStringLiteral("aws.hopscope.json"));
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
                return -1;
            }
            f.write(QJsonDocument(o).toJson());
            f.close();
            QProcess cli;
            cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
                { QStringLiteral("profile"), QStringLiteral("check"), path });
            if (!cli.waitForFinished(30'000)) {
                return -2;
            }
            *out = QString::fromUtf8(cli.readAllStandardOutput() + cli.readAllStandardError());
            return cli.exitCode();
        };
        QString out;
        QCOMPARE(run(profile(), &out), 0);
        QVERIFY2(out.contains(u"ok") && out.contains(u"1 load balancers"), qPrintable(out));

        QJsonObject bad = with(QStringLiteral("aws.credentials"),
            QJsonObject { { QStringLiteral("accessKeyId"), QStringLiteral("env:K") },
                { QStringLiteral("secretAccessKey"), s_inlineSecret } });
        bad = setAt(bad,
            { QStringLiteral("loadBalancers[0]"), QStringLiteral("targetGroups[0]"),
                QStringLiteral("service") },
            QStringLiteral("billing"))
                  .toObject();
        QCOMPARE(run(bad, &out), 1);
        QVERIFY2(out.contains(u"aws.credentials.secretAccessKey: ")
                && out.contains(u"loadBalancers[0].targetGroups[0].service: no service")
                && !out.contains(s_inlineSecret.left(12)),
            qPrintable(out));
    }
};

QTEST_GUILESS_MAIN(tst_ProfileAws)
#include "tst_ProfileAws.moc"
