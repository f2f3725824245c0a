#include "profile/Endpoint.h"

#include <QTest>

using namespace hopscope;

// HostPort, RuntimeEndpoint and SecretRef parsing: the small grammars profiles are made of.
class tst_Endpoint : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void hostPort_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("defaultPort");
        QTest::addColumn<QString>("host"); // empty: must fail
        QTest::addColumn<int>("port");
        QTest::newRow("ipv4") << "127.0.0.1:15353" << 0 << "127.0.0.1" << 15353;
        QTest::newRow("ipv6-bracketed") << "[::1]:53" << 0 << "::1" << 53;
        QTest::newRow("hostname") << "lb.corp.internal:9999" << 0 << "lb.corp.internal" << 9999;
        QTest::newRow("default-port") << "10.0.0.2" << 53 << "10.0.0.2" << 53;
        QTest::newRow("ipv6-default-port") << "[fd00::1]" << 53 << "fd00::1" << 53;
        QTest::newRow("missing-port") << "10.0.0.2" << 0 << "" << 0;
        QTest::newRow("port-zero") << "10.0.0.2:0" << 0 << "" << 0;
        QTest::newRow("port-too-big") << "10.0.0.2:65536" << 0 << "" << 0;
        QTest::newRow("port-signed") << "10.0.0.2:+53" << 0 << "" << 0;
        QTest::newRow("ipv6-unbracketed") << "::1:53" << 0 << "" << 0;
        QTest::newRow("unclosed-bracket") << "[::1:53" << 0 << "" << 0;
        QTest::newRow("bracketed-ipv4") << "[127.0.0.1]:53" << 0 << "" << 0;
        QTest::newRow("empty") << "" << 53 << "" << 0;
        QTest::newRow("bad-host") << "bad host:53" << 0 << "" << 0;
    }
    void hostPort()
    {
        QFETCH(QString, text);
        QFETCH(int, defaultPort);
        QFETCH(QString, host);
        QFETCH(int, port);
        QString why;
        const auto hp = HostPort::parse(text, quint16(defaultPort), &why);
        if (host.isEmpty()) {
            QVERIFY2(!hp, qPrintable(text));
            QVERIFY2(!why.isEmpty(), "a refusal must say why");
        } else {
            QVERIFY2(hp, qPrintable(why));
            QCOMPARE(hp->host, host);
            QCOMPARE(int(hp->port), port);
            QCOMPARE(HostPort::parse(hp->toString())->host, host); // toString round-trips
        }
    }

    void runtimeEndpoint()
    {
        QCOMPARE(RuntimeEndpoint::parse(u"unix:/run/haproxy/admin.sock")->path, QStringLiteral("/run/haproxy/admin.sock"));
        QCOMPARE(RuntimeEndpoint::parse(u"tcp:127.0.0.1:9999")->tcp.port, quint16(9999));
        QVERIFY(!RuntimeEndpoint::parse(u"unix:relative.sock"));
        QVERIFY(!RuntimeEndpoint::parse(u"udp:127.0.0.1:9999"));
        QVERIFY(!RuntimeEndpoint::parse(QString(QStringLiteral("unix:/") + QString(120, u'a'))));
    }

    void secretRef_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("why");
        QTest::newRow("env") << "env:HOPSCOPE_TSIG_SECRET" << true << "";
        QTest::newRow("file") << "file:/etc/hopscope/ddns.secret" << true << "";
        QTest::newRow("keychain") << "keychain:corp-ddns" << true << "";
        QTest::newRow("inline-base64") << "/w827XzNlcm1R7RTQzanRx9KdWgcRK9JB3KOTvc49EI=" << false << "looks like an inline secret";
        QTest::newRow("inline-hex") << "6b65792d6d6174657269616c" << false << "looks like an inline secret";
        QTest::newRow("unknown-scheme") << "vault:x" << false << "is not a secret reference";
        QTest::newRow("env-bad-name")
            << "env:A-B" << false << "not followed by an environment variable name";
        QTest::newRow("file-empty") << "file:" << false << "needs a path";
        // Key material after a scheme: refused like an inline secret, and never quoted.
        QTest::newRow("env-base64") << "env:/w827XzNlcm1R7RTQzanRx9KdWgcRK9JB3KOTvc49EI=" << false
                                    << "env: is followed by what looks like the secret itself";
        QTest::newRow("env-base64-unpadded") << "env:c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI"
                                             << false << "looks like the secret itself";
        QTest::newRow("env-with-space")
            << "env:my secret value" << false << "not followed by an environment variable name";
        QTest::newRow("file-base64") << "file:c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=" << false
                                     << "file: is followed by what looks like the secret itself";
        QTest::newRow("keychain-hex")
            << "keychain:6b65792d6d6174657269616c2d3132333435363738" << false
            << "keychain: is followed by what looks like the secret itself";
        QTest::newRow("keychain-base64") << "keychain:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA+=" << false
                                         << "looks like the secret itself";
        // Ordinary names, paths and ids stay accepted.
        QTest::newRow("env-lowercase") << "env:hopscope_tsig_secret2" << true << "";
        QTest::newRow("file-deep-path")
            << "file:/home/Ops1/secrets/ddns/tsig-key.b64" << true << "";
        QTest::newRow("file-relative") << "file:secrets/TsigKey2024.txt" << true << "";
        QTest::newRow("keychain-dotted") << "keychain:corp.ddns.Tsig-2024" << true << "";
    }
    void secretRef()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QString, why);
        QString reason;
        const auto ref = SecretRef::parse(text, &reason);
        QCOMPARE(ref.has_value(), valid);
        if (valid) {
            QCOMPARE(ref->toString(), text);
        } else {
            QVERIFY2(reason.contains(why), qPrintable(reason));
            // The reason never quotes what was written after the scheme: it may be the secret.
            const QString value = text.section(u':', 1);
            QVERIFY2(value.size() < 4 || !reason.contains(value), qPrintable(reason));
        }
    }

    void secretInUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("problem"); // empty: no secret in it
        const QString creds = QStringLiteral("is a URL with credentials (user:password@)");
        QTest::newRow("plain") << "http://127.0.0.1:8404/stats;csv"
                               << "";
        QTest::newRow("harmless-query") << "http://127.0.0.1:19001/stats?format=json&filter=cluster"
                                        << "";
        QTest::newRow("monkey-is-no-key") << "http://h/x?monkey=1&keyboard=us"
                                          << "";
        QTest::newRow("http-credentials") << "http://admin:pw@127.0.0.1:8404/" << creds;
        QTest::newRow("ftp-credentials") << "ftp://admin:pw@127.0.0.1/stats" << creds;
        QTest::newRow("user-only") << "https://admin@lb.internal/" << creds;
        QTest::newRow("credentials-unparsable") << "http://admin:p w@[bad/stats" << creds;
        QTest::newRow("token") << "http://h:1/?token=abc"
                               << "(parameter \"token\")";
        QTest::newRow("access-token") << "http://h:1/x?a=1&access_token=abc"
                                      << "(parameter \"access_token\")";
        QTest::newRow("password") << "http://h:1/x?user=a&password=b"
                                  << "(parameter \"password\")";
        QTest::newRow("secret") << "http://h:1/x?client_secret=b"
                                << "(parameter \"client_secret\")";
        QTest::newRow("key") << "http://h:1/x?key=b"
                             << "(parameter \"key\")";
        QTest::newRow("api-key-upper") << "http://h:1/x?API_KEY=b"
                                       << "(parameter \"API_KEY\")";
        QTest::newRow("sig") << "http://h:1/x?X-Amz-Signature=b"
                             << "(parameter \"X-Amz-Signature\")";
        QTest::newRow("odd-name-not-shown") << "http://h:1/x?my%20token=b"
                                            << "a secret in its query, an";
    }
    void secretInUrl()
    {
        QFETCH(QString, url);
        QFETCH(QString, problem);
        const QString got = hopscope::secretInUrl(url);
        if (problem.isEmpty()) {
            QVERIFY2(got.isEmpty(), qPrintable(got));
            return;
        }
        QVERIFY2(got.contains(problem), qPrintable(got));
        for (const char *value : { "pw", "abc", "=b", "p w" }) {
            QVERIFY2(!got.contains(QLatin1String(value)), qPrintable(got));
        }
    }
};

QTEST_GUILESS_MAIN(tst_Endpoint)
#include "tst_Endpoint.moc"
