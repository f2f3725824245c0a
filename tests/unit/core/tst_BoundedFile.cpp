// readRegularFile: regular files within and over the cap, and every kind of path that is not a
// regular file (FIFO with no writer, /dev/zero, /dev/urandom, a directory, a unix socket, a
// symlink to a device) refused at once with the kind named — never a hang or a huge allocation.

#include "core/BoundedFile.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLocalServer>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace hopscope;

class tst_BoundedFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void regularFiles_data();
    void regularFiles();
    void notRegular_data();
    void notRegular();

private:
    QTemporaryDir m_tmp;
};

void tst_BoundedFile::regularFiles_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("cap");
    QTest::addColumn<bool>("ok");
    QTest::newRow("empty") << 0 << 10 << true;
    QTest::newRow("under-cap") << 9 << 10 << true;
    QTest::newRow("at-cap") << 10 << 10 << true;
    QTest::newRow("one-over-cap") << 11 << 10 << false;
    QTest::newRow("large-within-cap") << 3 * 1024 * 1024 + 17 << 4 * 1024 * 1024 << true;
    QTest::newRow("large-over-cap") << 5 * 1024 * 1024 << 4 * 1024 * 1024 << false;
}

void tst_BoundedFile::regularFiles()
{
    QFETCH(int, size);
    QFETCH(int, cap);
    QFETCH(bool, ok);
    QVERIFY(m_tmp.isValid());
    const QString path = m_tmp.filePath(QStringLiteral("f"));
    QByteArray bytes(size, '\0');
    for (int i = 0; i < size; ++i) {
        bytes[i] = char('a' + i % 26);
    }
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(bytes), qint64(size));
    }
    const BoundedRead r = readRegularFile(path, cap);
    QCOMPARE(r.ok(), ok);
    if (ok) {
        QCOMPARE(r.data, bytes);
    } else {
        QVERIFY2(
            r.error.contains(QStringLiteral("larger than %1 bytes").arg(cap)), qPrintable(r.error));
        QVERIFY(r.data.isEmpty());
    }
}

void tst_BoundedFile::notRegular_data()
{
    QTest::addColumn<QString>("path"); // %TMP% is the temporary directory
    QTest::addColumn<QString>("kind");
    QTest::newRow("fifo-without-writer") << "%TMP%/fifo"
                                         << "a named pipe (FIFO)";
    QTest::newRow("dev-zero") << "/dev/zero"
                              << "a character device";
    QTest::newRow("dev-urandom") << "/dev/urandom"
                                 << "a character device";
    QTest::newRow("symlink-to-dev-zero") << "%TMP%/zero-link"
                                         << "a character device";
    QTest::newRow("directory") << "%TMP%"
                               << "a directory";
    QTest::newRow("unix-socket") << "%TMP%/sock"
                                 << "a socket";
    QTest::newRow("missing") << "%TMP%/missing"
                             << "cannot open: No such file or directory";
}

void tst_BoundedFile::notRegular()
{
    QFETCH(QString, path);
    QFETCH(QString, kind);
    QVERIFY(m_tmp.isValid());
    path.replace(QStringLiteral("%TMP%"), m_tmp.path());

    const QString fifo = m_tmp.filePath(QStringLiteral("fifo"));
    if (!QFile::exists(fifo)) {
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    }
    const QString link = m_tmp.filePath(QStringLiteral("zero-link"));
    if (!QFile::exists(link)) {
        QVERIFY(QFile::link(QStringLiteral("/dev/zero"), link));
    }
    QLocalServer server;
    server.setSocketOptions(QLocalServer::UserAccessOption);
    QVERIFY(server.listen(m_tmp.filePath(QStringLiteral("sock"))));

    QElapsedTimer t;
    t.start();
    const BoundedRead r = readRegularFile(path, 1024 * 1024);
    QVERIFY2(t.elapsed() < 2000, "refusing a non-regular file must not wait");
    QVERIFY(!r.ok());
    QVERIFY(r.data.isEmpty());
    QVERIFY2(r.error.startsWith(path + QLatin1Char(':')), qPrintable(r.error));
    QVERIFY2(r.error.contains(kind), qPrintable(r.error));
    if (kind != QLatin1String("cannot open: No such file or directory")) {
        QVERIFY2(r.error.contains(QLatin1String("not a regular file")), qPrintable(r.error));
        QCOMPARE(describeNonRegularFile(path), kind);
    }
}

QTEST_GUILESS_MAIN(tst_BoundedFile)
#include "tst_BoundedFile.moc"
