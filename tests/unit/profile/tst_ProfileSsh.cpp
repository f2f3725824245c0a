// The profile's `sshHosts[]` and the `via` keys (issue 12): every problem with its JSON path,
// the defaults, and a save that keeps unknown keys.
#include "profile/ProfileStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace hopscope;

namespace {

const QString s_fingerprint = QStringLiteral("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s");

QJsonObject jump()
{
    return QJsonObject { { QStringLiteral("id"), QStringLiteral("jump") },
        { QStringLiteral("host"), QStringLiteral("bastion.example.net") },
        { QStringLiteral("user"), QStringLiteral("ops") },
        { QStringLiteral("identity"), QStringLiteral("file:/home/ops/.ssh/id_ed25519") },
        { QStringLiteral("hostKey"), s_fingerprint } };
}

QJsonObject profile(const QJsonArray &hosts)
{
    return QJsonObject { { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("t") }, { QStringLiteral("sshHosts"), hosts },
        { QStringLiteral("dns"),
            QJsonObject {
                { QStringLiteral("servers"), QJsonArray { QStringLiteral("10.0.0.2:53") } },
                { QStringLiteral("via"), QStringLiteral("jump") } } },
        { QStringLiteral("services"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("pay") },
                { QStringLiteral("name"), QStringLiteral("pay") },
                { QStringLiteral("dns"),
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("pay.corp.internal") },
                        { QStringLiteral("type"), QStringLiteral("A") },
                        { QStringLiteral("port"), 8080 } } } } } },
        { QStringLiteral("loadBalancers"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("lb") },
                { QStringLiteral("kind"), QStringLiteral("haproxy") },
                { QStringLiteral("runtime"), QStringLiteral("unix:/run/haproxy/admin.sock") },
                { QStringLiteral("via"), QStringLiteral("jump") } } } },
        { QStringLiteral("proxies"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("pay-1") },
                { QStringLiteral("kind"), QStringLiteral("envoy") },
                { QStringLiteral("admin"), QStringLiteral("http://10.0.3.17:9901") },
                { QStringLiteral("service"), QStringLiteral("pay") },
                { QStringLiteral("task"), QStringLiteral("10.0.3.17:8080") },
                { QStringLiteral("via"), QStringLiteral("jump") } } } } };
}

QStringList problems(const QJsonObject &o)
{
    QStringList out;
    for (const ProfileProblem &p : ProfileStore::parse(QJsonDocument(o).toJson()).problems) {
        out << p.toString();
    }
    return out;
}

} // namespace

class tst_ProfileSsh : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validProfileReadsEveryField()
    {
        QJsonObject agent = jump();
        agent.insert(QStringLiteral("id"), QStringLiteral("b2"));
        agent.insert(QStringLiteral("identity"), QStringLiteral("agent"));
        agent.insert(QStringLiteral("port"), 2222);
        agent.remove(QStringLiteral("hostKey"));
        agent.insert(
            QStringLiteral("knownHosts"), QStringLiteral("file:/home/ops/.ssh/known_hosts"));
        agent.insert(QStringLiteral("note"), QStringLiteral("kept"));
        QJsonObject o = profile({ jump(), agent });
        o.insert(QStringLiteral("dnsUpdate"),
            QJsonObject { { QStringLiteral("server"), QStringLiteral("10.0.0.2:53") },
                { QStringLiteral("zone"), QStringLiteral("corp.internal") },
                { QStringLiteral("via"), QStringLiteral("b2") },
                { QStringLiteral("tsigKey"),
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("k") },
                        { QStringLiteral("algorithm"), QStringLiteral("hmac-sha256") },
                        { QStringLiteral("secret"), QStringLiteral("env:TSIG") } } } });
        const ProfileLoadResult r = ProfileStore::parse(QJsonDocument(o).toJson());
        QVERIFY2(r.ok(), qPrintable(problems(o).join(u'\n')));
        const ClusterProfile &p = *r.profile;
        QCOMPARE(p.sshHosts.size(), 2);
        QCOMPARE(p.sshHosts[0].port, quint16(22));
        QCOMPARE(
            p.sshHosts[0].identity.toString(), QStringLiteral("file:/home/ops/.ssh/id_ed25519"));
        QCOMPARE(p.sshHosts[0].hostKey, s_fingerprint);
        QVERIFY(p.sshHosts[1].agent);
        QCOMPARE(p.sshHosts[1].port, quint16(2222));
        QCOMPARE(p.sshHosts[1].knownHosts, QStringLiteral("/home/ops/.ssh/known_hosts"));
        QCOMPARE(p.dnsVia, QStringLiteral("jump"));
        QCOMPARE(p.loadBalancers[0].via, QStringLiteral("jump"));
        QCOMPARE(p.proxies[0].via, QStringLiteral("jump"));
        QCOMPARE(p.dnsUpdateVia(), QStringLiteral("b2"));

        // Saved and read again: the same, unknown keys kept.
        const QJsonObject saved = p.toJson();
        QCOMPARE(saved.value(QStringLiteral("sshHosts"))
                     .toArray()
                     .at(1)
                     .toObject()
                     .value(QStringLiteral("note"))
                     .toString(),
            QStringLiteral("kept"));
        const ProfileLoadResult again = ProfileStore::parse(QJsonDocument(saved).toJson());
        QVERIFY(again.ok());
        QCOMPARE(again.profile->toJson(), saved);
    }

    void dnsUpdateInheritsTheDnsVia()
    {
        QJsonObject o = profile({ jump() });
        o.insert(QStringLiteral("dnsUpdate"),
            QJsonObject { { QStringLiteral("server"), QStringLiteral("10.0.0.2:53") },
                { QStringLiteral("zone"), QStringLiteral("corp.internal") },
                { QStringLiteral("tsigKey"),
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("k") },
                        { QStringLiteral("algorithm"), QStringLiteral("hmac-sha256") },
                        { QStringLiteral("secret"), QStringLiteral("env:TSIG") } } } });
        const ProfileLoadResult r = ProfileStore::parse(QJsonDocument(o).toJson());
        QVERIFY(r.ok());
        QCOMPARE(r.profile->dnsUpdate->via, QString());
        QCOMPARE(r.profile->dnsUpdateVia(), QStringLiteral("jump"));
    }

    void problemsWithTheirPaths_data()
    {
        QTest::addColumn<QJsonObject>("host");
        QTest::addColumn<QString>("expected");
        QJsonObject h = jump();
        h.insert(QStringLiteral("hostKey"), QStringLiteral("SHA256:short"));
        QTest::newRow("bad fingerprint")
            << h
            << QStringLiteral(
                   "sshHosts[0].hostKey: \"SHA256:short\" is not an SSH SHA256 fingerprint");
        h = jump();
        h.insert(QStringLiteral("knownHosts"), QStringLiteral("file:/k"));
        QTest::newRow("both") << h
                              << QStringLiteral(
                                     "sshHosts[0]: has both \"hostKey\" and \"knownHosts\"");
        h = jump();
        h.remove(QStringLiteral("hostKey"));
        QTest::newRow("neither") << h << QStringLiteral("sshHosts[0]: has neither \"hostKey\"");
        h = jump();
        h.remove(QStringLiteral("hostKey"));
        h.insert(QStringLiteral("knownHosts"), QStringLiteral("/etc/ssh/known_hosts"));
        QTest::newRow("knownHosts not file:")
            << h
            << QStringLiteral(
                   "sshHosts[0].knownHosts: \"/etc/ssh/known_hosts\" is not \"file:PATH\"");
        h = jump();
        h.insert(QStringLiteral("identity"), QStringLiteral("env:KEY"));
        QTest::newRow("env identity")
            << h << QStringLiteral("sshHosts[0].identity: env: cannot hold a private key");
        h = jump();
        h.remove(QStringLiteral("identity"));
        QTest::newRow("no identity") << h << QStringLiteral("sshHosts[0].identity: is missing");
        h = jump();
        h.insert(QStringLiteral("port"), 70000);
        QTest::newRow("port") << h << QStringLiteral("sshHosts[0].port: 70000 is out of range");
        h = jump();
        h.insert(QStringLiteral("host"), QStringLiteral("ops@bastion"));
        QTest::newRow("user in host")
            << h << QStringLiteral("sshHosts[0].host: \"ops@bastion\" is not a host name");
        h = jump();
        h.remove(QStringLiteral("user"));
        QTest::newRow("no user") << h << QStringLiteral("sshHosts[0].user: is missing");
    }

    void problemsWithTheirPaths()
    {
        QFETCH(QJsonObject, host);
        QFETCH(QString, expected);
        const QStringList found = problems(profile({ host }));
        QVERIFY2(std::any_of(found.cbegin(), found.cend(),
                     [&](const QString &p) { return p.startsWith(expected); }),
            qPrintable(found.join(u'\n')));
    }

    void unknownViaIsReportedAtEachPath()
    {
        QJsonObject other = jump();
        other.insert(QStringLiteral("id"), QStringLiteral("elsewhere"));
        const QStringList found = problems(profile({ other }));
        for (const char *path : { "dns.via", "loadBalancers[0].via", "proxies[0].via" }) {
            const QString expected
                = QLatin1String(path) + QStringLiteral(": no sshHosts entry with id \"jump\"");
            QVERIFY2(found.contains(expected), qPrintable(found.join(u'\n')));
        }
        QJsonObject two = profile({ jump(), jump() });
        QVERIFY(problems(two).join(u'\n').contains(
            QStringLiteral("sshHosts[1].id: duplicate id \"jump\" (first at sshHosts[0].id)")));
    }
};

QTEST_GUILESS_MAIN(tst_ProfileSsh)
#include "tst_ProfileSsh.moc"
