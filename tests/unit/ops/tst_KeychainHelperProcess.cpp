// The keychain helper's plumbing (KeychainHelperProcess), as SecretResolver (`read`) and
// KeychainWriter (`write`) use it, against stand-ins with hopscope-keychain's command line (small
// sh scripts behind HOPSCOPE_KEYCHAIN_HELPER): the arguments and the helper's own later deadline,
// the secret on stdin, the output cap (the helper killed, "larger than"), a crash, an exit
// status, an "error" answer, a helper that never answers (killed at the timeout, said in words),
// and one that cannot be started. Pins the behaviour the two callers had before they shared it.

#include "ops/KeychainWriter.h"
#include "ops/SecretResolver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

class tst_KeychainHelperProcess : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void readAnswers_data();
    void readAnswers();
    void readNeverAnsweringIsKilledAtTheTimeout();
    void writeHandsTheSecretOnStdin();
    void writeAnswers_data();
    void writeAnswers();
    void helperThatCannotStart();

private:
    // A stand-in helper running `body` (sh); HOPSCOPE_KEYCHAIN_HELPER points at it.
    void useHelper(const QByteArray &body);

    QTemporaryDir m_tmp;
    int m_helpers = 0;
};

void tst_KeychainHelperProcess::initTestCase()
{
    QVERIFY(m_tmp.isValid());
}

void tst_KeychainHelperProcess::cleanup()
{
    qunsetenv("HOPSCOPE_KEYCHAIN_HELPER");
}

void tst_KeychainHelperProcess::useHelper(const QByteArray &body)
{
    const QString path = m_tmp.filePath(QStringLiteral("helper-%1.sh").arg(++m_helpers));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("#!/bin/sh\n" + body + "\n");
    f.close();
    QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    qputenv("HOPSCOPE_KEYCHAIN_HELPER", QFile::encodeName(path));
}

void tst_KeychainHelperProcess::readAnswers_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("error");
    // The arguments: verb, id, and the helper's own deadline 5 s after the caller's (3000 ms).
    QTest::newRow("ok, arguments") << QByteArray(R"(printf 'ok\n%s:%s:%s\n' "$1" "$2" "$3")")
                                   << QByteArray("read:hopscope-test-entry:8000") << QString();
    QTest::newRow("ok at the cap")
        << QByteArray("printf 'ok\\n'; head -c 65536 /dev/zero | tr '\\0' k")
        << QByteArray(65536, 'k') << QString();
    QTest::newRow("over the cap") << QByteArray(
        "printf 'ok\\n'; head -c 70000 /dev/zero | tr '\\0' k")
                                  << QByteArray()
                                  << QStringLiteral(
                                         "keychain entry 'hopscope-test-entry' (service "
                                         "hopscope): larger than 65536 bytes; refusing it");
    QTest::newRow("endless output is cut at the cap")
        << QByteArray("printf 'ok\\n'; exec tr '\\0' k < /dev/zero") << QByteArray()
        << QStringLiteral("larger than 65536 bytes; refusing it");
    QTest::newRow("error answer") << QByteArray(R"(printf 'error\nThe entry does not exist')")
                                  << QByteArray()
                                  << QStringLiteral("keychain entry 'hopscope-test-entry' (service "
                                                    "hopscope): The entry does not exist");
    QTest::newRow("exit status") << QByteArray("exit 3") << QByteArray()
                                 << QStringLiteral("the keychain helper failed (exit status 3)");
    QTest::newRow("crash") << QByteArray("kill -SEGV $$") << QByteArray()
                           << QStringLiteral("the keychain helper crashed");
    QTest::newRow("no answer") << QByteArray("exit 0") << QByteArray()
                               << QStringLiteral("the keychain helper gave no answer");
    QTest::newRow("empty entry") << QByteArray(R"(printf 'ok\n')") << QByteArray()
                                 << QStringLiteral("keychain entry 'hopscope-test-entry' is empty");
}

void tst_KeychainHelperProcess::readAnswers()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, secret);
    QFETCH(QString, error);
    useHelper(body);
    SecretResolver r;
    r.setKeychainTimeoutMs(3000);
    QSignalSpy ok(&r, &SecretResolver::resolved);
    QSignalSpy bad(&r, &SecretResolver::failed);
    r.resolve(*SecretRef::parse(QStringLiteral("keychain:hopscope-test-entry")));
    QTRY_COMPARE_WITH_TIMEOUT(ok.size() + bad.size(), 1, 5000);
    if (error.isEmpty()) {
        QVERIFY2(bad.isEmpty(), qPrintable(bad.value(0).value(0).toString()));
        QCOMPARE(ok.first().first().toByteArray(), secret);
    } else {
        QCOMPARE(ok.size(), 0);
        const QString why = bad.first().first().toString();
        QVERIFY2(why.contains(error), qPrintable(why));
    }
    QVERIFY(!r.isPending());
}

void tst_KeychainHelperProcess::readNeverAnsweringIsKilledAtTheTimeout()
{
    // The stand-in records its pid and waits far longer than the timeout: it must be killed.
    const QString pidFile = m_tmp.filePath(QStringLiteral("mute.pid"));
    useHelper("echo $$ > '" + QFile::encodeName(pidFile) + "'; exec sleep 60");
    SecretResolver r;
    r.setKeychainTimeoutMs(700);
    QSignalSpy bad(&r, &SecretResolver::failed);
    QElapsedTimer t;
    t.start();
    r.resolve(*SecretRef::parse(QStringLiteral("keychain:hopscope-test-entry")));
    QTRY_COMPARE_WITH_TIMEOUT(bad.size(), 1, 5000);
    QVERIFY2(t.elapsed() >= 600 && t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
    const QString why = bad.first().first().toString();
    QVERIFY2(why.contains(QStringLiteral("the keychain did not answer for 'hopscope-test-entry' "
                                         "within 0.7 s")),
        qPrintable(why));
    QVERIFY2(why.contains(QStringLiteral("the keychain helper was stopped")), qPrintable(why));
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray proc = "/proc/" + f.readAll().trimmed();
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(QString::fromLatin1(proc)), 5000);
}

void tst_KeychainHelperProcess::writeHandsTheSecretOnStdin()
{
    const QString got = m_tmp.filePath(QStringLiteral("stored"));
    const QString args = m_tmp.filePath(QStringLiteral("args"));
    useHelper("cat > '" + QFile::encodeName(got) + "'; echo \"$1 $2 $3\" > '"
        + QFile::encodeName(args) + "'; printf 'ok\\n'");
    KeychainWriter w;
    w.setTimeoutMs(4000);
    QSignalSpy stored(&w, &KeychainWriter::stored);
    QSignalSpy failed(&w, &KeychainWriter::failed);
    const QByteArray secret("s3cr3t-\x01-value", 15);
    w.store(QStringLiteral("hopscope/demo/dns.tsig"), secret);
    QTRY_COMPARE_WITH_TIMEOUT(stored.size() + failed.size(), 1, 6000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    QCOMPARE(stored.first().first().toString(), QStringLiteral("hopscope/demo/dns.tsig"));
    QFile g(got);
    QVERIFY(g.open(QIODevice::ReadOnly));
    QCOMPARE(g.readAll(), secret);
    QFile a(args);
    QVERIFY(a.open(QIODevice::ReadOnly));
    QCOMPARE(a.readAll().trimmed(), QByteArray("write hopscope/demo/dns.tsig 9000"));
}

void tst_KeychainHelperProcess::writeAnswers_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<QString>("error");
    QTest::newRow("error answer") << QByteArray(
        R"(cat > /dev/null; printf 'error\nNo secret service')")
                                  << 3000
                                  << QStringLiteral("keychain entry 'hopscope/x' (service "
                                                    "hopscope): No secret service");
    QTest::newRow("exit status") << QByteArray("cat > /dev/null; exit 4") << 3000
                                 << QStringLiteral("the keychain helper failed (exit status 4)");
    QTest::newRow("crash") << QByteArray("kill -SEGV $$") << 3000
                           << QStringLiteral("the keychain helper crashed");
    QTest::newRow("endless output is cut at the cap") << QByteArray(
        "exec tr '\\0' k < /dev/zero") << 3000 << QStringLiteral("the keychain helper crashed");
    QTest::newRow("no answer") << QByteArray("cat > /dev/null") << 3000
                               << QStringLiteral("the keychain helper gave no answer");
    QTest::newRow("never answers") << QByteArray("exec sleep 60") << 600
                                   << QStringLiteral("the keychain did not answer for "
                                                     "'hopscope/x' within 0.6 s");
}

void tst_KeychainHelperProcess::writeAnswers()
{
    QFETCH(QByteArray, body);
    QFETCH(int, timeoutMs);
    QFETCH(QString, error);
    useHelper(body);
    KeychainWriter w;
    w.setTimeoutMs(timeoutMs);
    QSignalSpy stored(&w, &KeychainWriter::stored);
    QSignalSpy failed(&w, &KeychainWriter::failed);
    QElapsedTimer t;
    t.start();
    w.store(QStringLiteral("hopscope/x"), QByteArray("the-secret"));
    QTRY_COMPARE_WITH_TIMEOUT(stored.size() + failed.size(), 1, 6000);
    QVERIFY(t.elapsed() < timeoutMs + 2000);
    QCOMPARE(stored.size(), 0);
    const QString why = failed.first().first().toString();
    QVERIFY2(why.contains(error), qPrintable(why));
    QVERIFY2(!why.contains(QStringLiteral("the-secret")), qPrintable(why));
    QVERIFY(!w.isPending());
}

void tst_KeychainHelperProcess::helperThatCannotStart()
{
    // Executable to QFileInfo (a directory's search bit), but nothing execve() can run.
    const QString path = m_tmp.filePath(QStringLiteral("not-a-program"));
    QVERIFY(QDir().mkpath(path));
    qputenv("HOPSCOPE_KEYCHAIN_HELPER", QFile::encodeName(path));
    SecretResolver r;
    QSignalSpy bad(&r, &SecretResolver::failed);
    r.resolve(*SecretRef::parse(QStringLiteral("keychain:hopscope-test-entry")));
    QTRY_COMPARE_WITH_TIMEOUT(bad.size(), 1, 5000);
    QVERIFY2(bad.first().first().toString().startsWith(
                 QStringLiteral("cannot read keychain entry 'hopscope-test-entry': cannot start ")
                 + path),
        qPrintable(bad.first().first().toString()));
    KeychainWriter w;
    QSignalSpy failed(&w, &KeychainWriter::failed);
    w.store(QStringLiteral("hopscope/x"), QByteArray("s"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
    QVERIFY2(failed.first().first().toString().startsWith(
                 QStringLiteral("cannot store keychain entry 'hopscope/x': cannot start ") + path),
        qPrintable(failed.first().first().toString()));
}

QTEST_GUILESS_MAIN(tst_KeychainHelperProcess)
#include "tst_KeychainHelperProcess.moc"
