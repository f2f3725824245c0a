#include "CliChild.h"

#include "haproxy/HaproxyJson.h"
#include "haproxy/HaproxyParsers.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using hopscope::test::CliChild;
using hopscope::test::CliResult;

// `hopscope-cli parse haproxy-*` through the binary, on what a shell hands it: stdin that arrives
// in pieces, big dumps (memory and time must stay linear), truncated dumps, FIFOs and devices
// given as FILE, and garbage.
class tst_HaproxyParseCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameBytesAsQJsonDocument_data();
    void sameBytesAsQJsonDocument();
    void bigDumpLinear_data();
    void bigDumpLinear();
    void hugeInfoRefused();
    void pipeInPieces();
    void bigPipe();
    void truncated_data();
    void truncated();
    void stdinDeadline();
    void stdinCap();
    void notARegularFile_data();
    void notARegularFile();
    void hostile_data();
    void hostile();

private:
    static QByteArray fixture(const QString &name);
    static QByteArray grow(const QString &kind, const QByteArray &seed, qsizetype bytes);
    static int rows(const QString &kind, const QByteArray &json);
    QTemporaryDir m_dir;
};

QByteArray tst_HaproxyParseCli::fixture(const QString &name)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/haproxy/" + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A real dump repeated with varied names up to `bytes`, ending as the runtime API ends it.
QByteArray tst_HaproxyParseCli::grow(const QString &kind, const QByteArray &seed, qsizetype bytes)
{
    QList<QByteArray> lines = seed.split('\n');
    while (!lines.isEmpty() && lines.last().isEmpty()) {
        lines.removeLast();
    }
    const int head = kind == u"haproxy-stat" ? 1 : kind == u"haproxy-servers-state" ? 2 : 0;
    QByteArray out;
    out.reserve(bytes + 4096);
    for (int i = 0; i < head; ++i) {
        out += lines[i] + '\n';
    }
    for (int n = 0; out.size() < bytes; ++n) {
        const QByteArray tag = n == 0 ? QByteArray() : '_' + QByteArray::number(n);
        for (qsizetype i = head; i < lines.size(); ++i) {
            QByteArray l = lines[i];
            if (kind == u"haproxy-stat") { // pxname, and svname unless FRONTEND/BACKEND
                l.insert(l.indexOf(','), tag);
                const qsizetype sv = l.indexOf(',') + 1;
                if (!l.mid(sv).startsWith("FRONTEND,") && !l.mid(sv).startsWith("BACKEND,")) {
                    l.insert(l.indexOf(',', sv), tag);
                }
            } else if (kind == u"haproxy-servers-state") { // be_name and srv_name
                QList<QByteArray> f = l.split(' ');
                f[1] += tag;
                f[3] += tag;
                l = f.join(' ');
            } else {
                l.insert(l.indexOf(':'), tag);
            }
            out += l + '\n';
        }
    }
    return out + '\n';
}

int tst_HaproxyParseCli::rows(const QString &kind, const QByteArray &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    if (kind == u"haproxy-servers-state") {
        return int(o.value(u"servers").toArray().size());
    }
    if (kind == u"haproxy-info") {
        return int(o.value(u"fields").toObject().size());
    }
    int n = 0;
    for (const auto &p : o.value(u"proxies").toArray()) {
        n += 1 + int(p.toObject().value(u"servers").toArray().size())
            + int(p.toObject().value(u"listeners").toArray().size());
    }
    return n;
}

void tst_HaproxyParseCli::sameBytesAsQJsonDocument_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    const QDir dir(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/haproxy");
    for (const QString &f : dir.entryList({ QStringLiteral("*.csv") })) {
        QTest::addRow("%s", qPrintable(f)) << "haproxy-stat" << f;
    }
    for (const QString &f : dir.entryList({ QStringLiteral("*servers_state.txt") })) {
        QTest::addRow("%s", qPrintable(f)) << "haproxy-servers-state" << f;
    }
    for (const QString &f : dir.entryList({ QStringLiteral("*.info.txt") })) {
        QTest::addRow("%s", qPrintable(f)) << "haproxy-info" << f;
    }
}

// The CLI streams its JSON element by element; the bytes are those of the whole document
// rendered by QJsonDocument::Indented (what it printed before, and what HaproxyJson defines).
void tst_HaproxyParseCli::sameBytesAsQJsonDocument()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    const QByteArray dump = fixture(file);
    QJsonObject whole;
    if (kind == u"haproxy-stat") {
        const auto snap = hopscope::HaproxyStatParser::parse(dump);
        QVERIFY2(snap, qPrintable(snap.errorText()));
        whole = hopscope::HaproxyJson::stat(*snap);
    } else if (kind == u"haproxy-servers-state") {
        const auto snap = hopscope::HaproxyServersStateParser::parse(dump);
        QVERIFY2(snap, qPrintable(snap.errorText()));
        whole = hopscope::HaproxyJson::serversState(*snap);
    } else {
        const auto info = hopscope::HaproxyInfoParser::parse(dump);
        QVERIFY2(info, qPrintable(info.errorText()));
        whole = hopscope::HaproxyJson::info(*info);
    }
    const CliResult r = CliChild::run({ QStringLiteral("parse"), kind, QStringLiteral("-") }, dump);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out, QJsonDocument(whole).toJson(QJsonDocument::Indented));
}

void tst_HaproxyParseCli::bigDumpLinear_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::newRow("stat") << "haproxy-stat"
                          << "demo_all_up.stat.csv";
    QTest::newRow("servers-state") << "haproxy-servers-state"
                                   << "demo_all_up.servers_state.txt";
}

// 16 MB of dump: peak memory above the process's own baseline stays under 8x the input (it was
// 25x for show stat, 60x for show servers state) and CPU time under 0.5 s per MB.
void tst_HaproxyParseCli::bigDumpLinear()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    const QString small = qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/haproxy/" + file;
    const CliResult base = CliChild::run({ QStringLiteral("parse"), kind, small }, {}, 60000, true);
    QVERIFY2(base.exitCode == 0, base.err.constData());

    const QByteArray big = grow(kind, fixture(file), 16 << 20);
    const QString path = m_dir.filePath(kind);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(big) == big.size());
    f.close();
    const CliResult r = CliChild::run({ QStringLiteral("parse"), kind, path }, {}, 120000, true);
    QVERIFY2(r.finished && r.exitCode == 0, r.err.constData());
    const double mb = double(big.size()) / (1 << 20);
    const double extraBytes = double(r.maxRssKb - base.maxRssKb) * 1024;
    qInfo("%s: %.1f MB in %.2f s CPU, peak RSS %lld KB (baseline %lld KB): %.1fx the input",
        qPrintable(kind), mb, r.cpuSeconds, r.maxRssKb, base.maxRssKb,
        extraBytes / double(big.size()));
    QVERIFY2(extraBytes < 8.0 * double(big.size()), "peak memory above 8x the input");
    QVERIFY2(r.cpuSeconds < 0.5 * mb, "more than 0.5 s of CPU per MB");
    // Everything came out: as many rows as the dump's data lines (info: distinct names).
    const int dataLines = int(big.count('\n')) - 1
        - (kind == u"haproxy-stat"                 ? 1
                : kind == u"haproxy-servers-state" ? 2
                                                   : 0);
    QCOMPARE(rows(kind, r.out), dataLines);
}

// 16 MB of `show info` (a million fields; the real one has about 70) is refused quickly with a
// reason. It used to take minutes: every field was inserted into one sorted QJsonObject.
void tst_HaproxyParseCli::hugeInfoRefused()
{
    const QByteArray big
        = grow(QStringLiteral("haproxy-info"), fixture(QStringLiteral("demo.info.txt")), 16 << 20);
    const CliResult r = CliChild::run(
        { QStringLiteral("parse"), QStringLiteral("haproxy-info"), QStringLiteral("-") }, big,
        60000, true);
    QVERIFY2(r.finished, "still running after 60 s");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("fields: not show info output"), r.err.constData());
    QVERIFY2(r.cpuSeconds < 8, qPrintable(QString::number(r.cpuSeconds)));
}

// (head -n 8 stat.csv; pause; tail -n +9 stat.csv) | parse: the second piece is written only
// after the child has read the first, and must not be lost.
void tst_HaproxyParseCli::pipeInPieces()
{
    const QByteArray dump = fixture(QStringLiteral("demo_all_up.stat.csv"));
    qsizetype cut = 0;
    for (int i = 0; i < 8; ++i) {
        cut = dump.indexOf('\n', cut) + 1;
    }
    CliChild c;
    QVERIFY(
        c.start({ QStringLiteral("parse"), QStringLiteral("haproxy-stat"), QStringLiteral("-") }));
    QVERIFY(c.write(dump.first(cut)));
    QVERIFY2(c.waitDrained(10000), "the child did not read the first piece");
    QVERIFY(c.write(dump.sliced(cut, 100))); // a piece ending inside a line
    QVERIFY2(c.waitDrained(10000), "the child stopped reading after the first piece");
    QVERIFY(c.write(dump.sliced(cut + 100)));
    c.closeStdin();
    const CliResult r = c.finish(30000);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(rows(QStringLiteral("haproxy-stat"), r.out), int(dump.count('\n')) - 2);
}

// 2 MB through a pipe in 64 KB writes, each once the child has drained the previous one (as `cat`
// delivers a file): it used to stop at the first moment the pipe was empty.
void tst_HaproxyParseCli::bigPipe()
{
    const QByteArray big = grow(
        QStringLiteral("haproxy-stat"), fixture(QStringLiteral("demo_all_up.stat.csv")), 2 << 20);
    CliChild c;
    QVERIFY(
        c.start({ QStringLiteral("parse"), QStringLiteral("haproxy-stat"), QStringLiteral("-") }));
    for (qsizetype at = 0; at < big.size(); at += 65536) {
        QVERIFY(c.write(big.sliced(at, std::min<qsizetype>(65536, big.size() - at))));
        QVERIFY2(c.waitDrained(10000),
            qPrintable(QStringLiteral("the child stopped reading at %1 bytes").arg(at)));
    }
    c.closeStdin();
    const CliResult r = c.finish(60000);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(rows(QStringLiteral("haproxy-stat"), r.out), int(big.count('\n')) - 2);
}

void tst_HaproxyParseCli::truncated_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("keepLines"); // cut after that many lines; -1 inside the last one
    QTest::addColumn<bool>("noTerminator");
    QTest::addColumn<QString>("why");
    const QString boundary = QStringLiteral("without the empty line");
    const QString inLine = QStringLiteral("has no end of line");
    QTest::newRow("stat-at-line") << "haproxy-stat"
                                  << "demo_all_up.stat.csv" << 8 << false << boundary;
    QTest::newRow("stat-all-but-terminator") << "haproxy-stat"
                                             << "demo_all_up.stat.csv" << 23 << false << boundary;
    QTest::newRow("stat-in-line") << "haproxy-stat"
                                  << "demo_all_up.stat.csv" << -1 << false << inLine;
    QTest::newRow("stat-in-line-http") << "haproxy-stat"
                                       << "demo_all_up.stat.csv" << -1 << true << inLine;
    QTest::newRow("servers-state-at-line")
        << "haproxy-servers-state"
        << "demo_all_up.servers_state.txt" << 4 << false << boundary;
    QTest::newRow("info-at-line") << "haproxy-info"
                                  << "demo.info.txt" << 10 << false << boundary;
    QTest::newRow("info-in-line") << "haproxy-info"
                                  << "demo.info.txt" << -1 << false << inLine;
}

void tst_HaproxyParseCli::truncated()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(int, keepLines);
    QFETCH(bool, noTerminator);
    QFETCH(QString, why);
    const QByteArray dump = fixture(file);
    QVERIFY(dump.endsWith("\n\n")); // as captured from the runtime API
    QByteArray cut;
    if (keepLines < 0) {
        cut = dump.first(dump.size() - 3); // "\n\n" and the last line's last character
    } else {
        qsizetype at = 0;
        for (int i = 0; i < keepLines; ++i) {
            at = dump.indexOf('\n', at) + 1;
        }
        cut = dump.first(at);
    }
    QStringList args { QStringLiteral("parse"), kind, QStringLiteral("-") };
    if (noTerminator) {
        args << QStringLiteral("--no-terminator");
    }
    const CliResult r = CliChild::run(args, cut);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("truncated") && r.err.contains(why.toUtf8()), r.err.constData());
    QVERIFY(r.out.isEmpty());
    // The whole dump is fine; without its terminator only with --no-terminator (HTTP ;csv).
    QCOMPARE(
        CliChild::run({ QStringLiteral("parse"), kind, QStringLiteral("-") }, dump).exitCode, 0);
    if (keepLines >= 0) {
        QCOMPARE(CliChild::run({ QStringLiteral("parse"), kind, QStringLiteral("-"),
                                   QStringLiteral("--no-terminator") },
                     cut)
                     .exitCode,
            0);
    }
}

// A writer that never closes: the read gives up at the deadline and says which option sets it.
void tst_HaproxyParseCli::stdinDeadline()
{
    CliChild c;
    QVERIFY(c.start({ QStringLiteral("parse"), QStringLiteral("haproxy-stat"), QStringLiteral("-"),
        QStringLiteral("--stdin-timeout"), QStringLiteral("1") }));
    QVERIFY(c.write(fixture(QStringLiteral("demo_all_up.stat.csv")).first(100)));
    const CliResult r = c.finish(20000); // stdin still open
    QVERIFY2(r.finished, "the child did not give up on a silent pipe");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("within 1 s") && r.err.contains("--stdin-timeout"), r.err.constData());
}

void tst_HaproxyParseCli::stdinCap()
{
    const QByteArray big = grow(
        QStringLiteral("haproxy-stat"), fixture(QStringLiteral("demo_all_up.stat.csv")), 2 << 20);
    const CliResult r = CliChild::run(
        { QStringLiteral("parse"), QStringLiteral("haproxy-stat"), QStringLiteral("-"),
            QStringLiteral("--max-input-mib"), QStringLiteral("1") },
        big);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("larger than 1 MiB"), r.err.constData());
}

void tst_HaproxyParseCli::notARegularFile_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("what");
    const QString fifo = m_dir.filePath(QStringLiteral("fifo"));
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0 || QFile::exists(fifo));
    QTest::newRow("fifo") << fifo << "named pipe";
    QTest::newRow("dev-zero") << "/dev/zero"
                              << "character device";
    QTest::newRow("directory") << m_dir.path() << "directory";
}

// A FIFO with no writer used to hang; /dev/zero to read until the cap.
void tst_HaproxyParseCli::notARegularFile()
{
    QFETCH(QString, path);
    QFETCH(QString, what);
    const CliResult r = CliChild::run(
        { QStringLiteral("parse"), QStringLiteral("haproxy-stat"), path }, {}, 20000);
    QVERIFY2(r.finished, "hung on a non-regular file");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(what.toUtf8()) && r.err.contains(QFile::encodeName(path)),
        r.err.constData());
}

void tst_HaproxyParseCli::hostile_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("input");
    QByteArray random(256 * 1024, '\0');
    QRandomGenerator gen(10);
    for (char &c : random) {
        c = char(gen.bounded(256));
    }
    QByteArray longLine = "# pxname,svname,status,\n" + QByteArray(3 << 20, 'a') + ",b,UP,\n\n";
    QByteArray nul = fixture(QStringLiteral("demo_all_up.stat.csv"));
    nul[nul.size() / 2] = '\0';
    for (const char *kind : { "haproxy-stat", "haproxy-servers-state", "haproxy-info" }) {
        QTest::addRow("%s-random", kind) << kind << random;
        QTest::addRow("%s-random-terminated", kind) << kind << QByteArray(random + "\n\n");
    }
    QTest::newRow("stat-long-line") << "haproxy-stat" << longLine;
    QTest::newRow("stat-nul") << "haproxy-stat" << nul;
}

void tst_HaproxyParseCli::hostile()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, input);
    const CliResult r
        = CliChild::run({ QStringLiteral("parse"), kind, QStringLiteral("-") }, input, 30000);
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.startsWith(QByteArray("hopscope-cli parse " + kind.toUtf8() + ": ")),
        r.err.constData());
    QVERIFY(r.out.isEmpty());
}

QTEST_GUILESS_MAIN(tst_HaproxyParseCli)
#include "tst_HaproxyParseCli.moc"
