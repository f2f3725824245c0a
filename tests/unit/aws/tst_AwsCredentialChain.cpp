// AwsCredentialChain: the standard chain's order and file rules (docs/PROTOCOLS-2.md §6) on a
// temporary HOME — environment keys first, AWS_PROFILE, credentials file over config file,
// "[name]" in the config file ignored — and credential_process run for real: quoted arguments,
// Version 1 output with Expiration, a non-zero exit with its stderr, wrong Version, expired
// credentials, a process that hangs (stopped at the deadline) or prints without end (stopped at
// the cap). A FIFO in place of a file is refused without blocking. No failure quotes a secret.

#include "aws/AwsCredentialChain.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace hopscope;

namespace {

const QByteArray s_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Outcome
{
    bool ok = false;
    AwsCredentials credentials;
    QString from;
    QDateTime expiration;
    QString why;
};

Outcome run(const QProcessEnvironment &env, const QString &spec, int timeoutMs = 10'000,
    qint64 cap = 64 * 1024)
{
    AwsCredentialChain chain(spec, env);
    chain.setTimeoutMs(timeoutMs);
    chain.setMaxOutputBytes(cap);
    Outcome out;
    int emitted = 0;
    QObject::connect(&chain, &AwsCredentialChain::resolved,
        [&](const AwsCredentials &c, const QString &from, const QDateTime &exp) {
            ++emitted;
            out.ok = true;
            out.credentials = c;
            out.from = from;
            out.expiration = exp;
        });
    QObject::connect(&chain, &AwsCredentialChain::failed, [&](const QString &why) {
        ++emitted;
        out.why = why;
    });
    chain.start();
    [&] { QTRY_VERIFY_WITH_TIMEOUT(emitted > 0, 20'000); }();
    QTest::qWait(0);
    [&] { QCOMPARE(emitted, 1); }();
    return out;
}

void write(const QString &path, const QByteArray &text, bool executable = false)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
    f.close();
    if (executable) {
        f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
    }
}

} // namespace

class tst_AwsCredentialChain : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;
    QProcessEnvironment env() const
    {
        QProcessEnvironment e;
        e.insert(QStringLiteral("HOME"), m_home.path());
        e.insert(QStringLiteral("PATH"), QStringLiteral("/usr/bin:/bin"));
        return e;
    }
    QString script(const QString &name, const QByteArray &body)
    {
        const QString path = m_home.filePath(name);
        write(path, "#!/bin/sh\n" + body, true);
        return path;
    }

private Q_SLOTS:
    void init() { QDir(m_home.path() + QStringLiteral("/.aws")).removeRecursively(); }

    void environmentKeysComeFirst()
    {
        write(m_home.filePath(QStringLiteral(".aws/credentials")),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n");
        QProcessEnvironment e = env();
        e.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QStringLiteral("AKIDENV"));
        e.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QString::fromLatin1(s_secret));
        e.insert(QStringLiteral("AWS_SESSION_TOKEN"), QStringLiteral("tok"));
        const Outcome o = run(e, QStringLiteral("default"));
        QVERIFY2(o.ok, qPrintable(o.why));
        QCOMPARE(o.credentials.accessKeyId, QByteArray("AKIDENV"));
        QCOMPARE(o.credentials.secretAccessKey, s_secret);
        QCOMPARE(o.credentials.sessionToken, QByteArray("tok"));
        QCOMPARE(o.from, QStringLiteral("environment"));
        // "profile:NAME" skips the environment keys.
        const Outcome p = run(e, QStringLiteral("profile:default"));
        QVERIFY2(p.ok, qPrintable(p.why));
        QCOMPARE(p.credentials.accessKeyId, QByteArray("AKIDFILE"));
    }

    void halfTheEnvironmentIsAnError()
    {
        QProcessEnvironment e = env();
        e.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QString::fromLatin1(s_secret));
        const Outcome o = run(e, QStringLiteral("default"));
        QVERIFY(!o.ok);
        QVERIFY2(o.why.contains(QStringLiteral("AWS_ACCESS_KEY_ID is not")), qPrintable(o.why));
        QVERIFY(!o.why.contains(QString::fromLatin1(s_secret)));
    }

    void profileFromFilesCredentialsFileWins()
    {
        write(m_home.filePath(QStringLiteral(".aws/credentials")),
            "# comment\n[ops]\naws_access_key_id = AKIDCRED\naws_secret_access_key = credsecret\n");
        write(m_home.filePath(QStringLiteral(".aws/config")),
            "[profile ops]\nregion = us-east-2\naws_access_key_id = "
            "AKIDCONF\naws_secret_access_key = confsecret\n"
            "[profile conly]\naws_access_key_id = AKIDCONLY\naws_secret_access_key = x\n"
            "[bare]\naws_access_key_id = AKIDBARE\naws_secret_access_key = y\n");
        QProcessEnvironment e = env();
        e.insert(QStringLiteral("AWS_PROFILE"), QStringLiteral("ops"));
        Outcome o = run(e, QStringLiteral("default"));
        QVERIFY2(o.ok, qPrintable(o.why));
        QCOMPARE(o.credentials.accessKeyId, QByteArray("AKIDCRED"));
        QCOMPARE(o.from, QStringLiteral("credentials file [ops]"));
        o = run(env(), QStringLiteral("profile:conly"));
        QVERIFY2(o.ok, qPrintable(o.why));
        QCOMPARE(o.from, QStringLiteral("config file [conly]"));
        // "[bare]" in the config file is not a profile.
        o = run(env(), QStringLiteral("profile:bare"));
        QVERIFY(!o.ok);
        QVERIFY2(o.why.contains(QStringLiteral("no profile \"bare\"")), qPrintable(o.why));
    }

    void credentialProcessRunsWithoutAShell()
    {
        const QString helper = script(QStringLiteral("get creds.sh"),
            "[ \"$1\" = \"read only\" ] || { echo \"wrong argument: $1\" >&2; exit 4; }\n"
            "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": "
            "\"procsecret\", "
            "\"SessionToken\": \"proctoken\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
        write(m_home.filePath(QStringLiteral(".aws/config")),
            "[profile proc]\ncredential_process = \"" + helper.toUtf8()
                + "\" --role-ignored \"read only\"\n");
        // The script sees "--role-ignored" as $1: the quoted "read only" must arrive as one
        // argument.
        write(helper,
            "#!/bin/sh\n[ \"$2\" = \"read only\" ] || { echo \"wrong argument: $2\" >&2; exit 4; "
            "}\n"
            "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": "
            "\"procsecret\", "
            "\"SessionToken\": \"proctoken\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
            true);
        const Outcome o = run(env(), QStringLiteral("profile:proc"));
        QVERIFY2(o.ok, qPrintable(o.why));
        QCOMPARE(o.credentials.accessKeyId, QByteArray("ASIAPROC"));
        QCOMPARE(o.credentials.sessionToken, QByteArray("proctoken"));
        QCOMPARE(o.expiration, QDateTime(QDate(2099, 1, 1), QTime(0, 0), Qt::UTC));
        QVERIFY(o.from.contains(QStringLiteral("credential_process")));
    }

    void credentialProcessFailures_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("expected");
        QTest::newRow("exit code and stderr")
            << QByteArray("echo 'token expired, run aws sso login' >&2; exit 3\n")
            << QStringLiteral("exited with code 3: token expired, run aws sso login");
        QTest::newRow("version 2") << QByteArray(
            "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + s_secret
            + "\"}'\n") << QStringLiteral("printed Version 2");
        QTest::newRow("no secret")
            << QByteArray("echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n")
            << QStringLiteral("printed no SecretAccessKey");
        QTest::newRow("expired") << QByteArray(
            "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + s_secret
            + "\", \"Expiration\": \"2001-01-01T00:00:00Z\"}'\n")
                                 << QStringLiteral("expired at 2001-01-01T00:00:00Z");
        QTest::newRow("not json") << QByteArray("echo 'AccessKeyId=A'\n")
                                  << QStringLiteral("printed no JSON object");
    }

    void credentialProcessFailures()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, expected);
        const QString helper = script(QStringLiteral("creds.sh"), body);
        write(m_home.filePath(QStringLiteral(".aws/config")),
            "[default]\ncredential_process = " + helper.toUtf8() + "\n");
        const Outcome o = run(env(), QStringLiteral("default"));
        QVERIFY(!o.ok);
        QVERIFY2(o.why.contains(expected), qPrintable(o.why));
        QVERIFY2(!o.why.contains(QString::fromLatin1(s_secret)), qPrintable(o.why));
    }

    void hangingProcessIsStoppedAtTheDeadline()
    {
        const QString helper = script(QStringLiteral("hang.sh"), "exec sleep 120\n");
        write(m_home.filePath(QStringLiteral(".aws/config")),
            "[default]\ncredential_process = " + helper.toUtf8() + "\n");
        QElapsedTimer t;
        t.start();
        const Outcome o = run(env(), QStringLiteral("default"), 500);
        QVERIFY(!o.ok);
        QVERIFY2(
            o.why.contains(QStringLiteral("gave no credentials within 0.5 s")), qPrintable(o.why));
        QVERIFY2(t.elapsed() < 10'000, qPrintable(QString::number(t.elapsed())));
    }

    void endlessOutputIsStoppedAtTheCap()
    {
        const QString helper = script(QStringLiteral("yes.sh"), "exec yes '{\"Version\": 1}'\n");
        write(m_home.filePath(QStringLiteral(".aws/config")),
            "[default]\ncredential_process = " + helper.toUtf8() + "\n");
        const Outcome o = run(env(), QStringLiteral("default"), 20'000, 4096);
        QVERIFY(!o.ok);
        QVERIFY2(o.why.contains(QStringLiteral("printed more than 4096 bytes")), qPrintable(o.why));
    }

    void fifoInsteadOfAFileIsRefused()
    {
        QDir().mkpath(m_home.filePath(QStringLiteral(".aws")));
        const QString fifo = m_home.filePath(QStringLiteral(".aws/credentials"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        const Outcome o = run(env(), QStringLiteral("default"));
        QVERIFY(!o.ok);
        QVERIFY2(o.why.contains(QStringLiteral("FIFO")), qPrintable(o.why));
    }

    void badSpec()
    {
        const Outcome o = run(env(), QStringLiteral("keychain:aws"));
        QVERIFY(!o.ok);
        QVERIFY2(o.why.contains(QStringLiteral("is not \"default\" or \"profile:NAME\"")),
            qPrintable(o.why));
    }
};

QTEST_GUILESS_MAIN(tst_AwsCredentialChain)
#include "tst_AwsCredentialChain.moc"
