// SecretResolver: env: and file: references (set/unset, missing/empty/trailing newline) and
// keychain: in a session without a secret service — a clear error within the timeout, no hang.

#include "ops/SecretResolver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

class tst_SecretResolver : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void resolves_data();
    void resolves();
    void keychainWithoutSecretServiceFailsWithinTimeout();
    void keychainInAFreshProcess_data();
    void keychainInAFreshProcess();
    void secondResolveWhilePendingIsRefused();

private:
    QTemporaryDir m_tmp;
};

void tst_SecretResolver::resolves_data()
{
    QTest::addColumn<QString>("ref"); // %TMP% is the temporary directory
    QTest::addColumn<QByteArray>("envValue"); // set HOPSCOPE_TEST_SECRET to it; null: unset
    QTest::addColumn<QByteArray>("fileBytes"); // written to %TMP%/secret; null: no file
    QTest::addColumn<QByteArray>("secret"); // expected; empty: expect failure
    QTest::addColumn<QString>("error"); // substring of the failure

    const QByteArray key("c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=");
    QTest::newRow("env-set") << "env:HOPSCOPE_TEST_SECRET" << key << QByteArray() << key << "";
    QTest::newRow("env-set-with-newline")
        << "env:HOPSCOPE_TEST_SECRET" << QByteArray(key + '\n') << QByteArray() << key << "";
    QTest::newRow("env-unset") << "env:HOPSCOPE_TEST_SECRET" << QByteArray() << QByteArray()
                               << QByteArray()
                               << "environment variable HOPSCOPE_TEST_SECRET is not set or empty";
    QTest::newRow("env-empty") << "env:HOPSCOPE_TEST_SECRET" << QByteArray("") << QByteArray()
                               << QByteArray() << "is not set or empty";
    QTest::newRow("file-with-trailing-newline")
        << "file:%TMP%/secret" << QByteArray() << QByteArray(key + '\n') << key << "";
    QTest::newRow("file-without-newline")
        << "file:%TMP%/secret" << QByteArray() << key << key << "";
    QTest::newRow("file-missing") << "file:%TMP%/nope" << QByteArray() << QByteArray()
                                  << QByteArray() << "cannot read secret file";
    QTest::newRow("file-empty") << "file:%TMP%/secret" << QByteArray() << QByteArray("")
                                << QByteArray() << "is empty";
    QTest::newRow("file-only-newline")
        << "file:%TMP%/secret" << QByteArray() << QByteArray("\n") << QByteArray() << "is empty";
}

void tst_SecretResolver::resolves()
{
    QFETCH(QString, ref);
    QFETCH(QByteArray, envValue);
    QFETCH(QByteArray, fileBytes);
    QFETCH(QByteArray, secret);
    QFETCH(QString, error);

    QVERIFY(m_tmp.isValid());
    if (envValue.isNull()) {
        qunsetenv("HOPSCOPE_TEST_SECRET");
    } else {
        qputenv("HOPSCOPE_TEST_SECRET", envValue);
    }
    const QString path = m_tmp.filePath(QStringLiteral("secret"));
    QFile::remove(path);
    if (!fileBytes.isNull()) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(fileBytes);
    }
    ref.replace(QStringLiteral("%TMP%"), m_tmp.path());
    const auto parsed = SecretRef::parse(ref);
    QVERIFY2(parsed, qPrintable(ref));

    SecretResolver r;
    QSignalSpy ok(&r, &SecretResolver::resolved);
    QSignalSpy bad(&r, &SecretResolver::failed);
    r.resolve(*parsed);
    QVERIFY(r.isPending());
    QTRY_COMPARE_WITH_TIMEOUT(ok.size() + bad.size(), 1, 2000);
    if (secret.isEmpty()) {
        QCOMPARE(ok.size(), 0);
        const QString why = bad.first().first().toString();
        QVERIFY2(why.contains(error), qPrintable(why));
    } else {
        QCOMPARE(bad.size(), 0);
        QCOMPARE(ok.first().first().toByteArray(), secret);
    }
    QVERIFY(!r.isPending());
    qunsetenv("HOPSCOPE_TEST_SECRET");
}

void tst_SecretResolver::keychainWithoutSecretServiceFailsWithinTimeout()
{
    // No secret service in this session (CI, containers): the job either errors at once or never
    // answers; either way the operator gets a clear error, and never a hang.
    const auto ref = SecretRef::parse(QStringLiteral("keychain:hopscope-test-no-such-entry"));
    QVERIFY(ref);
    SecretResolver r;
    r.setKeychainTimeoutMs(1500);
    QSignalSpy ok(&r, &SecretResolver::resolved);
    QSignalSpy bad(&r, &SecretResolver::failed);
    QElapsedTimer t;
    t.start();
    r.resolve(*ref);
    QTRY_COMPARE_WITH_TIMEOUT(bad.size(), 1, 5000);
    QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(ok.size(), 0);
    const QString why = bad.first().first().toString();
    QVERIFY2(why.contains(QStringLiteral("hopscope-test-no-such-entry")), qPrintable(why));
    QVERIFY(!r.isPending());
}

// The session bus is chosen once per process, so each case runs in a child (this binary with
// HOPSCOPE_KEYCHAIN_CHILD set, see main()): no bus at all, and a bus socket that accepts the
// connection and then never says a word (a wedged session). Both must end in a clear error
// within the timeout, with the child's event loop still turning.
void tst_SecretResolver::keychainInAFreshProcess_data()
{
    QTest::addColumn<bool>("muteBus");
    QTest::newRow("no-session-bus") << false;
    QTest::newRow("session-bus-that-never-answers") << true;
}

void tst_SecretResolver::keychainInAFreshProcess()
{
    QFETCH(bool, muteBus);
    QLocalServer mute;
    QList<QLocalSocket *> held;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    env.insert(QStringLiteral("HOPSCOPE_KEYCHAIN_CHILD"), QStringLiteral("1500"));
    if (muteBus) {
        const QString path = m_tmp.filePath(QStringLiteral("mute-bus"));
        QLocalServer::removeServer(path);
        QVERIFY(mute.listen(path));
        connect(&mute, &QLocalServer::newConnection, &mute, [&] {
            while (QLocalSocket *c = mute.nextPendingConnection()) {
                held << c; // keep it open, never answer
            }
        });
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=") + path);
    }
    QProcess child;
    child.setProcessEnvironment(env);
    QSignalSpy finished(&child, &QProcess::finished);
    QElapsedTimer t;
    t.start();
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(finished.wait(10000));
    const QString out = QString::fromUtf8(child.readAllStandardOutput());
    QCOMPARE(child.exitCode(), 0);
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    QVERIFY2(out.startsWith(QStringLiteral("failed: ")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("hopscope-test-no-such-entry")), qPrintable(out));
    if (muteBus) {
        QVERIFY2(!held.isEmpty(), "the child never tried the bus");
        QVERIFY2(out.contains(QStringLiteral("did not answer")), qPrintable(out));
    }
}

void tst_SecretResolver::secondResolveWhilePendingIsRefused()
{
    qputenv("HOPSCOPE_TEST_SECRET", "abc");
    SecretResolver r;
    QSignalSpy ok(&r, &SecretResolver::resolved);
    QSignalSpy bad(&r, &SecretResolver::failed);
    r.resolve(*SecretRef::parse(QStringLiteral("env:HOPSCOPE_TEST_SECRET")));
    r.resolve(*SecretRef::parse(QStringLiteral("env:HOPSCOPE_TEST_SECRET")));
    QTRY_COMPARE_WITH_TIMEOUT(ok.size(), 1, 2000);
    QCOMPARE(bad.size(), 1);
    QVERIFY(bad.first().first().toString().contains(QStringLiteral("already being resolved")));
    qunsetenv("HOPSCOPE_TEST_SECRET");
}

// Child mode for keychainInAFreshProcess(): resolve one keychain entry, print the outcome, exit 0.
static int keychainChild(int timeoutMs)
{
    SecretResolver r;
    r.setKeychainTimeoutMs(timeoutMs);
    QObject::connect(&r, &SecretResolver::resolved, qApp, [](const QByteArray &) {
        fputs("resolved\n", stdout);
        qApp->exit(0);
    });
    QObject::connect(&r, &SecretResolver::failed, qApp, [](const QString &why) {
        fprintf(stdout, "failed: %s\n", qPrintable(why));
        qApp->exit(0);
    });
    r.resolve(*SecretRef::parse(QStringLiteral("keychain:hopscope-test-no-such-entry")));
    return QCoreApplication::exec();
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (const int ms = qEnvironmentVariableIntValue("HOPSCOPE_KEYCHAIN_CHILD"); ms > 0) {
        return keychainChild(ms);
    }
    tst_SecretResolver t;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&t, argc, argv);
}
#include "tst_SecretResolver.moc"
