// `hopscope-cli profile discover --aws-cloudmap NS --aws-elbv2 LB --aws-ecs CLUSTER` against the
// signature-checking emulator (fixture peers_aws; credentials from the standard chain's
// environment keys): the written profile has the AWS keys of issue 16, checked against the
// emulator's own state file (services of the namespace, the ECS services joined to them by name,
// the ALB's first listener and its target groups mapped to those services), reads back through
// `profile check`, and never holds a key. A wrong secret key answers nothing and writes nothing.
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

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(path));
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class tst_AwsDiscover : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_info
            = readJson(qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR") + QStringLiteral("/aws.json"));
        m_state = readJson(m_info[u"state"].toString());
    }

    void discoversTheAwsKeys_data()
    {
        QTest::addColumn<bool>("byArn");
        QTest::newRow("load balancer by name") << false;
        QTest::newRow("load balancer by ARN") << true;
    }

    void discoversTheAwsKeys()
    {
        QFETCH(bool, byArn);
        const QJsonObject lb = m_state[u"elbv2"][u"loadBalancers"][0].toObject();
        QJsonObject ns;
        for (const QJsonValue &n : m_state[u"cloudMap"][u"namespaces"].toArray()) {
            if (n[u"type"].toString().startsWith(u"DNS")) {
                ns = n.toObject();
            }
        }
        const QString cluster = m_state[u"ecs"][u"clusters"][0][u"name"].toString();
        const QString out
            = m_dir.filePath(QStringLiteral("discovered-%1.hopscope.json").arg(byArn));
        QString report;
        const int code
            = discover({ QStringLiteral("--aws-cloudmap"), ns[u"name"].toString(),
                           QStringLiteral("--aws-elbv2"), lb[byArn ? u"arn" : u"name"].toString(),
                           QStringLiteral("--aws-ecs"), cluster, QStringLiteral("-o"), out },
                m_info[u"secretAccessKey"].toString(), &report);
        QVERIFY2(code == 0, qPrintable(report));

        const auto loaded = ProfileStore::load(out);
        QVERIFY2(loaded.ok(), qPrintable(loaded.problems.value(0).toString()));
        const ClusterProfile &p = *loaded.profile;
        QVERIFY(p.aws);
        QCOMPARE(p.aws->region, m_info[u"region"].toString());
        QCOMPARE(p.aws->credentials, QStringLiteral("default"));
        QCOMPARE(p.aws->endpointUrl.host(), QStringLiteral("127.0.0.1"));
        // Every Cloud Map service, with the ECS service of the same name joined to it.
        QStringList ecsNames;
        for (const QJsonValue &s : m_state[u"ecs"][u"clusters"][0][u"services"].toArray()) {
            ecsNames << s[u"name"].toString();
        }
        for (const QJsonValue &s : ns[u"services"].toArray()) {
            const QString name = s[u"name"].toString();
            const ServiceSpec *spec = p.service(name);
            QVERIFY2(spec && spec->cloudMap, qPrintable(name + u'\n' + report));
            QCOMPARE(spec->cloudMap->namespaceName, ns[u"name"].toString());
            QCOMPARE(spec->cloudMap->service, name);
            if (ecsNames.contains(name)) {
                QVERIFY2(spec->ecs, qPrintable(name + u'\n' + report));
                QCOMPARE(spec->ecs->cluster, cluster);
            }
        }
        // The ALB: its first listener, and each target group on the service of its name.
        QCOMPARE(p.loadBalancers.size(), 1);
        const LoadBalancerSpec &alb = p.loadBalancers.at(0);
        QVERIFY(alb.isElbv2());
        QCOMPARE(alb.id, lb[u"name"].toString());
        QCOMPARE(alb.listenerArn, lb[u"listeners"][0][u"arn"].toString());
        const QJsonArray groups = m_state[u"elbv2"][u"targetGroups"].toArray();
        QCOMPARE(alb.targetGroups.size(), groups.size());
        for (const QJsonValue &g : groups) {
            const auto it = std::find_if(alb.targetGroups.cbegin(), alb.targetGroups.cend(),
                [&](const TargetGroupSpec &t) { return t.arn == g[u"arn"].toString(); });
            QVERIFY(it != alb.targetGroups.cend());
            QCOMPARE(it->service, g[u"name"].toString());
        }
        QVERIFY2(report.contains(u"not inferred"), qPrintable(report));
        // No key in the file.
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY(!bytes.contains(m_info[u"secretAccessKey"].toString().toUtf8()));
        QVERIFY(!bytes.contains(m_info[u"accessKeyId"].toString().toUtf8()));
        // And `profile check` reads it back.
        QProcess check;
        check.start(qEnvironmentVariable("HOPSCOPE_CLI"),
            { QStringLiteral("profile"), QStringLiteral("check"), out });
        QVERIFY(check.waitForFinished(30'000));
        QVERIFY2(check.exitCode() == 0, check.readAllStandardOutput().constData());
    }

    void wrongSecretWritesNothing()
    {
        const QString out = m_dir.filePath(QStringLiteral("wrong.hopscope.json"));
        QString report;
        const QString wrong = QStringLiteral("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        const int code = discover(
            { QStringLiteral("--aws-cloudmap"), QStringLiteral("corp.internal"),
                QStringLiteral("--aws-ecs"), QStringLiteral("prod"), QStringLiteral("-o"), out },
            wrong, &report);
        QCOMPARE(code, 1);
        QVERIFY2(report.contains(u"did not answer")
                && report.contains(u"signature", Qt::CaseInsensitive)
                && report.contains(u"no endpoint answered"),
            qPrintable(report));
        QVERIFY(!report.contains(wrong));
        QVERIFY(!QFile::exists(out));
    }

    void usageErrors()
    {
        QString report;
        QCOMPARE(discover({ QStringLiteral("--aws-ecs"), QStringLiteral("prod"),
                              QStringLiteral("--aws-credentials"),
                              QStringLiteral("AKIAIOSFODNN7EXAMPLE"), QStringLiteral("-o"),
                              m_dir.filePath(QStringLiteral("x.json")) },
                     QString(), &report),
            2);
        QVERIFY2(report.contains(u"--aws-credentials takes default or profile:NAME")
                && !report.contains(u"AKIAIOSFODNN7EXAMPLE"),
            qPrintable(report));
    }

private:
    // Runs discover against the emulator with the standard chain's environment keys.
    int discover(QStringList args, const QString &secret, QString *report)
    {
        args.prepend(QStringLiteral("discover"));
        args.prepend(QStringLiteral("profile"));
        if (!args.contains(u"--aws-credentials")) {
            args << QStringLiteral("--aws-endpoint-url") << m_info[u"url"].toString()
                 << QStringLiteral("--aws-region") << m_info[u"region"].toString();
        }
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), m_dir.path()); // no ~/.aws of the machine's
        env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), m_info[u"accessKeyId"].toString());
        env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), secret);
        env.remove(QStringLiteral("AWS_SESSION_TOKEN"));
        env.remove(QStringLiteral("AWS_PROFILE"));
        cli.setProcessEnvironment(env);
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
        if (!cli.waitForFinished(60'000)) {
            return -1;
        }
        *report = QString::fromUtf8(cli.readAllStandardOutput() + cli.readAllStandardError());
        return cli.exitCode();
    }

    QTemporaryDir m_dir;
    QJsonObject m_info;
    QJsonObject m_state;
};

QTEST_GUILESS_MAIN(tst_AwsDiscover)
#include "tst_AwsDiscover.moc"
