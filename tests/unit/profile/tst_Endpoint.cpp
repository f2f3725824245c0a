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
        QTest::newRow("env-bad-name") << "env:A-B" << false << "not an environment variable name";
        QTest::newRow("file-empty") << "file:" << false << "needs a path";
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
        }
    }
};

QTEST_GUILESS_MAIN(tst_Endpoint)
#include "tst_Endpoint.moc"
