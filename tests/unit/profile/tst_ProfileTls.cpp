#include "core/TlsContext.h"
#include "profile/ProfileStore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

// The profile's "tls" blocks: read with JSON paths (ProfileSections), and the files they name
// checked by `hopscope-cli profile check` (TlsContext::check), never showing key material.
class tst_ProfileTls : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_cert, m_key;

    static QJsonObject profile(const QJsonObject &proxyTls,
        const QString &admin = QStringLiteral("https://127.0.0.1:9901"))
    {
        QJsonObject proxy { { QStringLiteral("id"), QStringLiteral("p1") },
            { QStringLiteral("kind"), QStringLiteral("envoy") }, { QStringLiteral("admin"), admin },
            { QStringLiteral("service"), QStringLiteral("svc") },
            { QStringLiteral("task"), QStringLiteral("127.0.0.1:8000") } };
        if (!proxyTls.isEmpty()) {
            proxy.insert(QStringLiteral("tls"), proxyTls);
        }
        return { { QStringLiteral("schema"), 1 }, { QStringLiteral("name"), QStringLiteral("t") },
            { QStringLiteral("services"),
                QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("svc") },
                    { QStringLiteral("name"), QStringLiteral("svc") } } } },
            { QStringLiteral("proxies"), QJsonArray { proxy } } };
    }
    static ProfileLoadResult parse(const QJsonObject &o)
    {
        return ProfileStore::parse(QJsonDocument(o).toJson());
    }
    static QStringList problems(const ProfileLoadResult &r)
    {
        QStringList list;
        for (const ProfileProblem &p : r.problems) {
            list.append(p.toString());
        }
        return list;
    }
    QString write(const char *name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(QLatin1String(name));
        QFile f(path);
        f.open(QIODevice::WriteOnly);
        f.write(bytes);
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_cert = m_dir.filePath(QStringLiteral("client.pem"));
        m_key = m_dir.filePath(QStringLiteral("client.key"));
        QProcess p;
        p.start(QStringLiteral("openssl"),
            { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                QStringLiteral("-keyout"), m_key, QStringLiteral("-out"), m_cert,
                QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                QStringLiteral("/CN=client") });
        QVERIFY(p.waitForFinished(60'000) && p.exitCode() == 0);
    }

    void readsAFullBlock()
    {
        const QString pin = QString::fromLatin1(QByteArray(32, 'x').toBase64());
        const auto r
            = parse(profile({ { QStringLiteral("ca"), QString(QStringLiteral("file:") + m_cert) },
                { QStringLiteral("cert"), QString(QStringLiteral("file:") + m_cert) },
                { QStringLiteral("key"), QStringLiteral("env:CLIENT_KEY") },
                { QStringLiteral("pinSha256"), pin }, { QStringLiteral("verify"), false } }));
        QVERIFY2(r.ok(), qPrintable(problems(r).join(u'\n')));
        const ProxySpec &px = r.profile->proxies.first();
        QVERIFY(px.tls);
        QCOMPARE(px.tls->ca->value, m_cert);
        QCOMPARE(px.tls->key->kind, SecretRef::Kind::Env);
        QCOMPARE(px.tls->pinsSha256, QStringList { pin });
        QCOMPARE(px.tls->verify, false);
        QCOMPARE(px.tls->path, QStringLiteral("proxies[0].tls"));
        // verify defaults to true; the top-level block is the default for https:// URLs only.
        QJsonObject top = profile({});
        top.insert(QStringLiteral("tls"),
            QJsonObject { { QStringLiteral("ca"), QStringLiteral("file:/etc/ssl/x.pem") } });
        const auto d = parse(top);
        QVERIFY2(d.ok(), qPrintable(problems(d).join(u'\n')));
        const auto eff
            = d.profile->tlsFor(d.profile->proxies.first().admin, d.profile->proxies.first().tls);
        QVERIFY(eff && eff->verify && eff->path == u"tls");
        QVERIFY(!d.profile->tlsFor(QUrl(QStringLiteral("http://127.0.0.1:1")), std::nullopt));
    }

    void problemsHaveJsonPaths_data()
    {
        QTest::addColumn<QJsonObject>("tls");
        QTest::addColumn<QString>("admin");
        QTest::addColumn<QString>("expected");
        const QString https = QStringLiteral("https://127.0.0.1:9901");
        QTest::newRow("cert without key")
            << QJsonObject { { QStringLiteral("cert"), QStringLiteral("file:/c.pem") } } << https
            << QStringLiteral("proxies[0].tls.key: is missing; \"cert\" needs its private key");
        QTest::newRow("key without cert")
            << QJsonObject { { QStringLiteral("key"), QStringLiteral("file:/k.pem") } } << https
            << QStringLiteral("proxies[0].tls.cert: is missing");
        QTest::newRow("malformed pin")
            << QJsonObject { { QStringLiteral("pinSha256"), QStringLiteral("abc=") } } << https
            << QStringLiteral("proxies[0].tls.pinSha256: \"abc=\" is not a SHA-256 pin");
        QTest::newRow("pin of the wrong length")
            << QJsonObject { { QStringLiteral("pinSha256"),
                   QJsonArray { QString::fromLatin1(QByteArray(20, 'x').toBase64()) } } }
            << https << QStringLiteral("proxies[0].tls.pinSha256[0]: ");
        QTest::newRow("ca not a file")
            << QJsonObject { { QStringLiteral("ca"), QStringLiteral("env:CA") } } << https
            << QStringLiteral("proxies[0].tls.ca: expected \"file:PATH\"");
        QTest::newRow("verify not a bool")
            << QJsonObject { { QStringLiteral("verify"), QStringLiteral("no") } } << https
            << QStringLiteral("proxies[0].tls.verify: expected true or false");
        QTest::newRow("misspelt key")
            << QJsonObject { { QStringLiteral("pinsha256"), QStringLiteral("x") } } << https
            << QStringLiteral("proxies[0].tls.pinsha256: unknown key");
        QTest::newRow("on an http URL")
            << QJsonObject { { QStringLiteral("verify"), true } }
            << QStringLiteral("http://127.0.0.1:9901")
            << QStringLiteral(
                   "proxies[0].tls: is set but http://127.0.0.1:9901 is not an https:// URL");
    }

    void problemsHaveJsonPaths()
    {
        QFETCH(QJsonObject, tls);
        QFETCH(QString, admin);
        QFETCH(QString, expected);
        const auto r = parse(profile(tls, admin));
        QVERIFY(!r.ok());
        const QStringList list = problems(r);
        QVERIFY2(
            list.size() == 1 && list.first().startsWith(expected), qPrintable(list.join(u'\n')));
    }

    void checkReportsFilesAndNeverTheKey()
    {
        TlsSpec spec;
        spec.path = QStringLiteral("proxies[0].tls");
        spec.ca = SecretRef { SecretRef::Kind::File, m_dir.filePath(QStringLiteral("nope.pem")) };
        spec.cert = SecretRef { SecretRef::Kind::File, write("notpem.pem", "hello") };
        const QByteArray secret = "-----BEGIN PRIVATE "
                                  "KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbC1zaG91bGQtbmV2ZXItbGVhaw=="
                                  "\n-----END PRIVATE KEY-----\n";
        spec.key = SecretRef { SecretRef::Kind::File, write("bad.key", secret) };
        const QList<ProfileProblem> problems = TlsContext::check(spec);
        QCOMPARE(problems.size(), 3);
        QCOMPARE(problems[0].path, QStringLiteral("proxies[0].tls.ca"));
        QVERIFY2(problems[0].message.contains(u"cannot read the CA file"),
            qPrintable(problems[0].message));
        QCOMPARE(problems[1].path, QStringLiteral("proxies[0].tls.cert"));
        QVERIFY(problems[1].message.contains(u"holds no PEM certificate"));
        QCOMPARE(problems[2].path, QStringLiteral("proxies[0].tls.key"));
        QVERIFY(problems[2].message.contains(u"is not an unencrypted PEM or DER private key"));
        for (const ProfileProblem &p : problems) {
            QVERIFY(!p.message.contains(u"c2VjcmV0"));
        }
        // The good pair passes.
        spec.ca = spec.cert = SecretRef { SecretRef::Kind::File, m_cert };
        spec.key = SecretRef { SecretRef::Kind::File, m_key };
        QVERIFY(TlsContext::check(spec).isEmpty());
    }

    void profileCheckCommand()
    {
        QJsonObject tls { { QStringLiteral("ca"),
            QString(QStringLiteral("file:") + m_dir.filePath(QStringLiteral("missing-ca.pem"))) } };
        const QString path = write("p.hopscope.json", QJsonDocument(profile(tls)).toJson());
        QProcess cli;
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
            { QStringLiteral("profile"), QStringLiteral("check"), path });
        QVERIFY(cli.waitForFinished(30'000));
        QCOMPARE(cli.exitCode(), 1);
        const QString out = QString::fromUtf8(cli.readAllStandardOutput());
        QVERIFY2(out.startsWith(u"proxies[0].tls.ca: cannot read the CA file")
                && out.contains(u"missing-ca.pem"),
            qPrintable(out));
    }
};

QTEST_GUILESS_MAIN(tst_ProfileTls)
#include "tst_ProfileTls.moc"
