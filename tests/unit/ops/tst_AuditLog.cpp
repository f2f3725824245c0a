// AuditLog: every line chained to the previous by SHA-256; verify() must notice a changed byte,
// reordered, removed or cut-off lines; a line written right before SIGKILL must be on disk.

#include "ops/AuditLog.h"
#include "profile/ClusterProfile.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstdio>

using namespace hopscope;

namespace {

AuditEntry entry(int i)
{
    AuditEntry e;
    e.event = i == 0 ? QStringLiteral("plan") : QStringLiteral("step");
    e.profile = QStringLiteral("demo (loopback)");
    e.target = QStringLiteral("127.0.0.11:8000");
    e.step = QStringLiteral("lb-drain");
    e.before = QStringLiteral("UP");
    e.after = QStringLiteral("DRAIN");
    e.result = QStringLiteral("ok");
    e.detail.insert(QStringLiteral("i"), i);
    return e;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return f.readAll();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

QString problemsText(const AuditVerifyResult &r)
{
    QStringList out;
    for (const auto &p : r.problems) {
        out << QStringLiteral("%1: %2").arg(p.line).arg(p.what);
    }
    return out.join(u'\n');
}

} // namespace

class tst_AuditLog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void chainIsIntactAfterAppends();
    void appendAfterReopenContinuesTheChain();
    void tamperIsDetected_data();
    void tamperIsDetected();
    void capturedLogVerifies();
    void lineSurvivesSigkill();
    void unwritableDirectoryIsAnError();
    void profileNamesBecomeSafeFileNames();
    void logIsKeyedByClusterNotName();
};

void tst_AuditLog::chainIsIntactAfterAppends()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.audit.jsonl"));
    AuditLog log(path);
    for (int i = 0; i < 5; ++i) {
        QString error;
        QVERIFY2(log.append(entry(i), &error), qPrintable(error));
    }
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY2(r.ok(), qPrintable(problemsText(r)));
    QCOMPARE(r.lines, 5);
    const QList<QByteArray> lines = readAll(path).split('\n');
    const QJsonObject first = QJsonDocument::fromJson(lines[0]).object();
    const QJsonObject second = QJsonDocument::fromJson(lines[1]).object();
    QCOMPARE(first.value(QStringLiteral("prev")).toString().toLatin1(), AuditLog::genesisHash());
    QCOMPARE(second.value(QStringLiteral("prev")).toString().toLatin1(), AuditLog::hashLine(lines[0]));
    QCOMPARE(second.value(QStringLiteral("seq")).toInt(), 2);
    for (const char *key : {"time", "user", "profile", "target", "step", "before", "after", "result"}) {
        QVERIFY2(first.contains(QLatin1String(key)), key);
    }
    QCOMPARE(first.value(QStringLiteral("user")).toString(), AuditLog::osUser());
}

void tst_AuditLog::appendAfterReopenContinuesTheChain()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("b.audit.jsonl"));
    {
        AuditLog log(path);
        QVERIFY(log.append(entry(0)));
    }
    AuditLog again(path);
    QVERIFY(again.append(entry(1)));
    QVERIFY(again.append(entry(2)));
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY2(r.ok(), qPrintable(problemsText(r)));
    QCOMPARE(r.lines, 3);
}

void tst_AuditLog::tamperIsDetected_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<QString>("expectedWords");
    QTest::newRow("edit-one-byte-in-a-value") << "edit-byte" << "hash chain broken";
    QTest::newRow("edit-one-byte-in-the-last-line") << "edit-last" << "differs from the one the head";
    QTest::newRow("swap-two-lines") << "swap" << "reordered";
    QTest::newRow("cut-mid-line") << "cut-mid" << "truncated";
    QTest::newRow("drop-the-last-line") << "drop-last" << "truncated";
    QTest::newRow("drop-a-middle-line") << "drop-middle" << "removed";
    QTest::newRow("drop-the-first-line") << "drop-first" << "lines before it were removed";
    QTest::newRow("append-a-forged-line") << "forge" << "hash chain broken";
}

void tst_AuditLog::tamperIsDetected()
{
    QFETCH(QString, how);
    QFETCH(QString, expectedWords);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("t.audit.jsonl"));
    AuditLog log(path);
    for (int i = 0; i < 4; ++i) {
        QVERIFY(log.append(entry(i)));
    }
    QVERIFY(AuditLog::verify(path).ok());
    QByteArray bytes = readAll(path);
    QList<QByteArray> lines = bytes.split('\n');
    lines.removeLast(); // after the final newline
    auto join = [](const QList<QByteArray> &ls) -> QByteArray { return ls.join('\n') + '\n'; };
    if (how == u"edit-byte") {
        const qsizetype at = bytes.indexOf("DRAIN");
        bytes[at] = 'X';
    } else if (how == u"edit-last") {
        QByteArray &last = lines.last();
        last.replace("\"ok\"", "\"OK\"");
        bytes = join(lines);
    } else if (how == u"swap") {
        lines.swapItemsAt(1, 2);
        bytes = join(lines);
    } else if (how == u"cut-mid") {
        bytes.chop(20);
    } else if (how == u"drop-last") {
        lines.removeLast();
        bytes = join(lines);
    } else if (how == u"drop-middle") {
        lines.removeAt(1);
        bytes = join(lines);
    } else if (how == u"drop-first") {
        lines.removeFirst();
        bytes = join(lines);
    } else if (how == u"forge") {
        QJsonObject o = QJsonDocument::fromJson(lines.last()).object();
        o.insert(QStringLiteral("seq"), 5);
        o.insert(QStringLiteral("result"), QStringLiteral("ok"));
        lines.append(QJsonDocument(o).toJson(QJsonDocument::Compact));
        bytes = join(lines);
    }
    writeAll(path, bytes);
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY2(!r.ok(), qPrintable(how));
    QVERIFY2(problemsText(r).contains(expectedWords), qPrintable(problemsText(r)));
}

void tst_AuditLog::capturedLogVerifies()
{
    // A log written by a real drain + undrain on the demo cluster (hopscope-cli), kept as data.
    const QString path = qEnvironmentVariable("HOPSCOPE_TEST_DATA")
        + QStringLiteral("/ops/audit/demo-drain-undrain.audit.jsonl");
    QVERIFY2(QFile::exists(path), qPrintable(path));
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY2(r.ok(), qPrintable(problemsText(r)));
    QVERIFY(r.lines >= 6);
}

void tst_AuditLog::lineSurvivesSigkill()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("k.audit.jsonl"));
    AuditLog log(path);
    QVERIFY(log.append(entry(0)));

    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TST_AUDITLOG_CHILD"), path);
    child.setProcessEnvironment(env);
    QSignalSpy finished(&child, &QProcess::finished);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(finished.wait(20000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QVERIFY2(child.readAllStandardOutput().contains("written"), "the child did not get to write");

    const QList<QByteArray> lines = readAll(path).split('\n');
    QCOMPARE(lines.size(), 3); // two lines + after the final newline
    QVERIFY(lines[1].contains("\"killed-right-after\""));
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY2(r.ok(), qPrintable(problemsText(r)));
}

void tst_AuditLog::unwritableDirectoryIsAnError()
{
    AuditLog log(QStringLiteral("/proc/hopscope-no-such-dir/x.audit.jsonl"));
    QString error;
    QVERIFY(!log.append(entry(0), &error));
    QVERIFY2(error.contains(QStringLiteral("/proc/hopscope-no-such-dir")), qPrintable(error));
}

void tst_AuditLog::profileNamesBecomeSafeFileNames()
{
    qputenv("HOPSCOPE_AUDIT_DIR", "/tmp/hs-audit");
    QCOMPARE(AuditLog::legacyPathForProfile(QStringLiteral("demo (loopback)")),
        QStringLiteral("/tmp/hs-audit/demo_loopback_.audit.jsonl"));
    QCOMPARE(AuditLog::legacyPathForProfile(QStringLiteral("../../etc/passwd")),
        QStringLiteral("/tmp/hs-audit/profile.._.._etc_passwd.audit.jsonl"));
    qunsetenv("HOPSCOPE_AUDIT_DIR");
}

void tst_AuditLog::logIsKeyedByClusterNotName()
{
    qputenv("HOPSCOPE_AUDIT_DIR", "/tmp/hs-audit");
    auto cluster = [](const QString &name, const QString &dns, const QString &runtime) {
        ClusterProfile p;
        p.name = name;
        p.dnsServers.append(*HostPort::parse(dns, 53));
        LoadBalancerSpec lb;
        lb.id = QStringLiteral("internal-lb");
        lb.kind = QStringLiteral("haproxy");
        lb.runtime = RuntimeEndpoint::parse(runtime);
        p.loadBalancers.append(lb);
        return p;
    };
    // Three names that sanitise to one file name, three clusters: three logs.
    const ClusterProfile a = cluster(QStringLiteral("demo (loopback)"), QStringLiteral("127.0.0.1:5301"),
        QStringLiteral("tcp:127.0.0.1:9001"));
    const ClusterProfile b = cluster(QStringLiteral("demo [loopback]"), QStringLiteral("127.0.0.1:5302"),
        QStringLiteral("tcp:127.0.0.1:9002"));
    const ClusterProfile c = cluster(QStringLiteral("demo loopback!"), QStringLiteral("127.0.0.1:5301"),
        QStringLiteral("tcp:127.0.0.1:9002"));
    QCOMPARE(AuditLog::legacyPathForProfile(a.name), AuditLog::legacyPathForProfile(b.name));
    QVERIFY(AuditLog::pathForProfile(a) != AuditLog::pathForProfile(b));
    QVERIFY(AuditLog::pathForProfile(a) != AuditLog::pathForProfile(c));
    QVERIFY(AuditLog::pathForProfile(b) != AuditLog::pathForProfile(c));
    // Renaming a profile keeps its log; so does listing its endpoints in another order.
    ClusterProfile renamed = a;
    renamed.name = QStringLiteral("production-ish");
    QCOMPARE(AuditLog::pathForProfile(renamed), AuditLog::pathForProfile(a));
    ClusterProfile two = a;
    two.dnsServers.append(*HostPort::parse(QStringLiteral("127.0.0.2:53"), 53));
    ClusterProfile swapped = two;
    std::reverse(swapped.dnsServers.begin(), swapped.dnsServers.end());
    QCOMPARE(AuditLog::pathForProfile(swapped), AuditLog::pathForProfile(two));
    // The old name-keyed log stays reachable for drains written before.
    QCOMPARE(AuditLog(a).legacyFilePath(), AuditLog::legacyPathForProfile(a.name));
    qunsetenv("HOPSCOPE_AUDIT_DIR");
}

int main(int argc, char *argv[])
{
    const QByteArray childPath = qgetenv("TST_AUDITLOG_CHILD");
    if (!childPath.isEmpty()) {
        // The child: append one line, say so, and die by SIGKILL the moment append() returns.
        AuditLog log(QString::fromLocal8Bit(childPath));
        AuditEntry e = entry(1);
        e.event = QStringLiteral("killed-right-after");
        if (!log.append(e)) {
            return 3;
        }
        std::fputs("written\n", stdout);
        std::fflush(stdout);
        std::raise(SIGKILL);
        return 4;
    }
    QCoreApplication app(argc, argv);
    tst_AuditLog t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_AuditLog.moc"
