// SecretResolver: env: and file: references (set/unset, missing/empty/trailing newline; FIFOs,
// devices, directories and oversized files refused without blocking) and keychain: in a session
// without a secret service or with a session bus that never answers — a clear error within the
// timeout, no hang, and the caller's event loop never stalls (the keychain runs in a helper).

#include "ops/SecretResolver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <chrono>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

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
    void keychainNeverStallsTheEventLoop();
    void fileThatIsNotARegularFileIsRefusedAtOnce_data();
    void fileThatIsNotARegularFileIsRefusedAtOnce();
    void secondResolveWhilePendingIsRefused();

private:
    // Runs this binary as a child that resolves keychain:hopscope-test-no-such-entry with a
    // 1500 ms timeout, with no session bus or a mute one; returns its stdout.
    struct Child
    {
        bool finished = false;
        int exitCode = -1;
        qint64 elapsedMs = 0;
        bool busTried = false;
        QString out;
    };
    Child runKeychainChild(bool muteBus);

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

tst_SecretResolver::Child tst_SecretResolver::runKeychainChild(bool muteBus)
{
    Child result;
    QLocalServer mute;
    QList<QLocalSocket *> held;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    env.insert(QStringLiteral("HOPSCOPE_KEYCHAIN_CHILD"), QStringLiteral("1500"));
    if (muteBus) {
        const QString path = m_tmp.filePath(QStringLiteral("mute-bus"));
        QLocalServer::removeServer(path);
        if (!mute.listen(path)) {
            result.out = QStringLiteral("cannot listen on ") + path;
            return result;
        }
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
    result.finished = finished.wait(10000);
    result.elapsedMs = t.elapsed();
    result.exitCode = child.exitCode();
    result.out = QString::fromUtf8(child.readAllStandardOutput());
    result.busTried = !held.isEmpty();
    if (!result.finished) {
        child.kill();
        child.waitForFinished(2000);
    }
    return result;
}

void tst_SecretResolver::keychainInAFreshProcess()
{
    QFETCH(bool, muteBus);
    const Child child = runKeychainChild(muteBus);
    QVERIFY2(child.finished, qPrintable(child.out));
    QCOMPARE(child.exitCode, 0);
    QVERIFY2(child.elapsedMs < 5000, qPrintable(QString::number(child.elapsedMs)));
    const QString &out = child.out;
    QVERIFY2(out.startsWith(QStringLiteral("failed: ")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("hopscope-test-no-such-entry")), qPrintable(out));
    if (muteBus) {
        QVERIFY2(child.busTried, "the child never tried the bus");
        QVERIFY2(out.contains(QStringLiteral("did not answer")), qPrintable(out));
    }
}

// The child ticks a 5 ms timer while it waits for the keychain behind a mute session bus and
// reports the longest gap between two ticks: the caller's (GUI) thread must keep turning.
void tst_SecretResolver::keychainNeverStallsTheEventLoop()
{
    const Child child = runKeychainChild(true);
    QVERIFY2(child.finished, qPrintable(child.out));
    QVERIFY2(child.busTried, "the child never tried the bus");
    const QStringList lines = child.out.split(QLatin1Char('\n'));
    QVERIFY2(lines.first().contains(QStringLiteral("did not answer")), qPrintable(child.out));
    const QString gapLine = lines.filter(QStringLiteral("max-gap-ms: ")).value(0);
    const QString tickLine = lines.filter(QStringLiteral("ticks: ")).value(0);
    QVERIFY2(!gapLine.isEmpty() && !tickLine.isEmpty(), qPrintable(child.out));
    bool ok = false;
    const int maxGap = gapLine.mid(gapLine.indexOf(QLatin1Char(' ')) + 1).toInt(&ok);
    QVERIFY(ok);
    const int ticks = tickLine.mid(tickLine.indexOf(QLatin1Char(' ')) + 1).toInt(&ok);
    QVERIFY(ok);
    qInfo("keychain behind a mute bus: %d ticks of 5 ms, longest gap %d ms", ticks, maxGap);
    QVERIFY2(maxGap <= 50, qPrintable(child.out));
    QVERIFY2(
        ticks >= 100, qPrintable(child.out)); // 1.5 s of 5 ms ticks, with room for a busy machine
}

void tst_SecretResolver::fileThatIsNotARegularFileIsRefusedAtOnce_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("error");
    QTest::newRow("fifo") << "fifo"
                          << "is a named pipe (FIFO), not a regular file";
    QTest::newRow("dev-zero") << "/dev/zero"
                              << "is a character device, not a regular file";
    QTest::newRow("directory") << "dir"
                               << "is a directory, not a regular file";
    QTest::newRow("too-large") << "large"
                               << "is larger than 65536 bytes";
}

void tst_SecretResolver::fileThatIsNotARegularFileIsRefusedAtOnce()
{
    QFETCH(QString, kind);
    QFETCH(QString, error);
    QVERIFY(m_tmp.isValid());
    QString path = kind;
    if (kind == u"fifo") {
        path = m_tmp.filePath(QStringLiteral("secret.fifo"));
        QFile::remove(path);
        QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
    } else if (kind == u"dir") {
        path = m_tmp.filePath(QStringLiteral("secret.d"));
        QVERIFY(QDir().mkpath(path));
    } else if (kind == u"large") {
        path = m_tmp.filePath(QStringLiteral("secret.large"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(SecretResolver::maxSecretBytes + 1, 'k'));
    }
    // A reader that opens the FIFO blocks until a writer comes: this writer comes after 3 s, so a
    // blocking reader ends (with an empty secret) and the test fails instead of hanging forever.
    std::thread writer;
    if (kind == u"fifo") {
        const QByteArray fifo = QFile::encodeName(path);
        writer = std::thread([fifo] {
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
            std::this_thread::sleep_until(until);
            const int fd = ::open(fifo.constData(), O_WRONLY | O_NONBLOCK);
            if (fd >= 0) {
                ::close(fd);
            }
        });
    }
    SecretResolver r;
    QSignalSpy ok(&r, &SecretResolver::resolved);
    QSignalSpy bad(&r, &SecretResolver::failed);
    QElapsedTimer t;
    t.start();
    r.resolve(*SecretRef::parse(QString(QStringLiteral("file:") + path)));
    const qint64 returnedAfter = t.elapsed();
    QTRY_COMPARE_WITH_TIMEOUT(ok.size() + bad.size(), 1, 5000);
    if (writer.joinable()) {
        writer.join();
    }
    QVERIFY2(returnedAfter < 1000, qPrintable(QString::number(returnedAfter)));
    QCOMPARE(ok.size(), 0);
    const QString why = bad.first().first().toString();
    QVERIFY2(why.contains(path) && why.contains(error), qPrintable(why));
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
// It also ticks a 5 ms timer meanwhile and prints the longest gap between ticks and their count.
static int keychainChild(int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    qint64 lastTick = 0;
    qint64 maxGap = 0;
    int ticks = 0;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, qApp, [&] {
        const qint64 now = clock.elapsed();
        maxGap = qMax(maxGap, now - lastTick);
        lastTick = now;
        ++ticks;
    });
    ticker.start(5);
    auto report = [&] {
        maxGap = qMax(maxGap, clock.elapsed() - lastTick);
        fprintf(stdout, "max-gap-ms: %lld\nticks: %d\n", static_cast<long long>(maxGap), ticks);
        qApp->exit(0);
    };
    SecretResolver r;
    r.setKeychainTimeoutMs(timeoutMs);
    QObject::connect(&r, &SecretResolver::resolved, qApp, [&](const QByteArray &) {
        fputs("resolved\n", stdout);
        report();
    });
    QObject::connect(&r, &SecretResolver::failed, qApp, [&](const QString &why) {
        fprintf(stdout, "failed: %s\n", qPrintable(why));
        report();
    });
    r.resolve(*SecretRef::parse(QStringLiteral("keychain:hopscope-test-no-such-entry")));
    return QCoreApplication::exec();
}

int main(int argc, char **argv)
{
    // ctest sets HOPSCOPE_KEYCHAIN_HELPER; by hand, use the helper built with this test.
    if (qEnvironmentVariableIsEmpty("HOPSCOPE_KEYCHAIN_HELPER")) {
        qputenv("HOPSCOPE_KEYCHAIN_HELPER", HOPSCOPE_KEYCHAIN_HELPER_BUILT);
    }
    QCoreApplication app(argc, argv);
    if (const int ms = qEnvironmentVariableIntValue("HOPSCOPE_KEYCHAIN_CHILD"); ms > 0) {
        return keychainChild(ms);
    }
    tst_SecretResolver t;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&t, argc, argv);
}
#include "tst_SecretResolver.moc"
