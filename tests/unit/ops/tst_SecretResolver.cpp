// SecretResolver: env: and file: references (set/unset, missing/empty/trailing newline) and
// keychain: in a session without a secret service — a clear error within the timeout, no hang.

#include "ops/SecretResolver.h"

#include <QElapsedTimer>
#include <QFile>
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
    void secondResolveWhilePendingIsRefused();

private:
    QTemporaryDir m_tmp;
};

void tst_SecretResolver::resolves_data()
{
    QTest::addColumn<QString>("ref");       // %TMP% is the temporary directory
    QTest::addColumn<QByteArray>("envValue"); // set HOPSCOPE_TEST_SECRET to it; null: unset
    QTest::addColumn<QByteArray>("fileBytes"); // written to %TMP%/secret; null: no file
    QTest::addColumn<QByteArray>("secret");   // expected; empty: expect failure
    QTest::addColumn<QString>("error");       // substring of the failure

    const QByteArray key("c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=");
    QTest::newRow("env-set") << "env:HOPSCOPE_TEST_SECRET" << key << QByteArray() << key << "";
    QTest::newRow("env-set-with-newline") << "env:HOPSCOPE_TEST_SECRET" << QByteArray(key + '\n')
                                          << QByteArray() << key << "";
    QTest::newRow("env-unset") << "env:HOPSCOPE_TEST_SECRET" << QByteArray() << QByteArray() << QByteArray()
                               << "environment variable HOPSCOPE_TEST_SECRET is not set or empty";
    QTest::newRow("env-empty") << "env:HOPSCOPE_TEST_SECRET" << QByteArray("") << QByteArray()
                               << QByteArray() << "is not set or empty";
    QTest::newRow("file-with-trailing-newline") << "file:%TMP%/secret" << QByteArray() << QByteArray(key + '\n')
                                                << key << "";
    QTest::newRow("file-without-newline") << "file:%TMP%/secret" << QByteArray() << key << key << "";
    QTest::newRow("file-missing") << "file:%TMP%/nope" << QByteArray() << QByteArray() << QByteArray()
                                  << "cannot read secret file";
    QTest::newRow("file-empty") << "file:%TMP%/secret" << QByteArray() << QByteArray("") << QByteArray()
                                << "is empty";
    QTest::newRow("file-only-newline") << "file:%TMP%/secret" << QByteArray() << QByteArray("\n")
                                       << QByteArray() << "is empty";
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

QTEST_GUILESS_MAIN(tst_SecretResolver)
#include "tst_SecretResolver.moc"
