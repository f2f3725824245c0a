// AuditReader: the drains a log shows as not undone (an intent without its outcome counts: "may
// have happened"), the chain continued across a torn line, a cut tail with the head record
// deleted, and files that are no log at all (/dev/zero, a FIFO, 200 MB without a newline, a
// million garbage lines) read with bounded time, memory and output.

#include "ops/AuditLog.h"
#include "ops/AuditReader.h"
#include "ops/DrainController.h"
#include "ops/DrainDismissal.h"
#include "ops/DrainLock.h"
#include "profile/ClusterProfile.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace hopscope;

namespace {

const QString s_target = QStringLiteral("127.0.0.11:8000");

DrainStep dnsStep()
{
    DrainStep s;
    s.kind = DrainStepKind::DnsRemove;
    s.description = QStringLiteral("DNS: remove serviceb.corp.internal. 10 IN A 127.0.0.11");
    s.zone = QStringLiteral("corp.internal");
    s.records.append(DnsUpdateRecord { QStringLiteral("serviceb.corp.internal."),
        QStringLiteral("A"), QStringLiteral("127.0.0.11"), 10 });
    return s;
}

DrainStep lbStep()
{
    DrainStep s;
    s.kind = DrainStepKind::LbDrain;
    s.description
        = QStringLiteral("load balancer internal-lb: set server be_user/user1 state drain");
    s.loadBalancer = QStringLiteral("internal-lb");
    s.backend = QStringLiteral("be_user");
    s.server = QStringLiteral("user1");
    return s;
}

AuditEntry record(
    const QString &event, const DrainStep *step = nullptr, const QString &target = s_target)
{
    AuditEntry e;
    e.event = event;
    e.profile = QStringLiteral("demo (loopback)");
    e.target = target;
    e.result = QStringLiteral("ok");
    if (step) {
        e.step = DrainStep::kindName(step->kind);
        e.detail.insert(QStringLiteral("drainStep"), step->toJson());
    }
    if (event == u"plan") {
        QJsonObject plan;
        plan.insert(QStringLiteral("capacity"),
            QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("serviceB") } } });
        e.after = plan;
    }
    return e;
}

void append(AuditLog &log, const AuditEntry &e)
{
    QString error;
    QVERIFY2(log.append(e, &error), qPrintable(error));
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void appendRaw(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Append));
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

long maxRssKiB()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

} // namespace

class tst_AuditReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void intentWithoutOutcomeMayHaveHappened();
    void outcomeMakesItCertain();
    void undoneClosesOnlyItsTarget();
    void rejectedIntentIsVoid();
    void controllerUndoesAnIntentOnlyDrain();
    void tornLineDoesNotBreakTheChain();
    void cutTailWithoutHeadIsNotProven();
    void notALog_data();
    void notALog();
    void hugeGarbageIsBoundedInMemoryAndOutput();
    void drainUnderTheOldNameKeyedLogIsStillFound();
    void dismissedClosesUntilANewDrain();
    void dismissRefusedWithoutDrainOrUnderLock();
};

void tst_AuditReader::intentWithoutOutcomeMayHaveHappened()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    append(log, record(QStringLiteral("plan")));
    append(log, record(QStringLiteral("confirm")));
    append(log, record(QStringLiteral("intent"), &dns));
    QString error;
    const QList<OpenDrain> open = openDrains(path, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(open.size(), 1);
    const OpenDrain &d = open.first();
    QCOMPARE(d.target, s_target);
    QCOMPARE(d.service, QStringLiteral("serviceB"));
    QCOMPARE(d.user, AuditLog::osUser());
    QVERIFY(d.since.isValid());
    QVERIFY(d.mayHaveHappened);
    QCOMPARE(d.layers, QStringList { QStringLiteral("dns-remove") });
    QCOMPARE(d.uncertainLayers, QStringList { QStringLiteral("dns-remove") });
    QCOMPARE(d.steps.size(), 1);
    QCOMPARE(d.steps.first().records, dns.records);
}

void tst_AuditReader::outcomeMakesItCertain()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("b.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    const DrainStep lb = lbStep();
    append(log, record(QStringLiteral("plan")));
    append(log, record(QStringLiteral("intent"), &dns));
    append(log, record(QStringLiteral("step"), &dns));
    append(log, record(QStringLiteral("intent"), &lb));
    QString error;
    const QList<OpenDrain> open = openDrains(path, &error);
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.first().layers,
        (QStringList { QStringLiteral("dns-remove"), QStringLiteral("lb-drain") }));
    QCOMPARE(open.first().uncertainLayers, QStringList { QStringLiteral("lb-drain") });
    append(log, record(QStringLiteral("step"), &lb));
    const QList<OpenDrain> after = openDrains(path, &error);
    QCOMPARE(after.size(), 1);
    QVERIFY(!after.first().mayHaveHappened);
    QCOMPARE(after.first().steps.size(), 2);
}

void tst_AuditReader::undoneClosesOnlyItsTarget()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    const QString other = QStringLiteral("127.0.0.12:8000");
    append(log, record(QStringLiteral("intent"), &dns));
    append(log, record(QStringLiteral("step"), &dns));
    append(log, record(QStringLiteral("intent"), &dns, other));
    append(log, record(QStringLiteral("undo")));
    append(log, record(QStringLiteral("undone")));
    append(log, record(QStringLiteral("plan"))); // a later dry run reopens nothing
    QString error;
    const QList<OpenDrain> open = openDrains(path, &error);
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.first().target, other);
}

void tst_AuditReader::rejectedIntentIsVoid()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("d.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    append(log, record(QStringLiteral("intent"), &dns));
    AuditEntry failed = record(QStringLiteral("failed"), &dns);
    failed.detail.insert(QStringLiteral("notApplied"), true);
    append(log, failed);
    QString error;
    QVERIFY(openDrains(path, &error).isEmpty());
    QVERIFY(error.isEmpty());
    // A failure without an answer from the server (a timeout) leaves it "may have happened".
    append(log, record(QStringLiteral("intent"), &dns));
    append(log, record(QStringLiteral("failed"), &dns));
    QCOMPARE(openDrains(path, &error).size(), 1);
}

void tst_AuditReader::controllerUndoesAnIntentOnlyDrain()
{
    // The log a CLI killed right after sending the DNS UPDATE leaves behind.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("e.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    append(log, record(QStringLiteral("plan")));
    append(log, record(QStringLiteral("confirm")));
    append(log, record(QStringLiteral("intent"), &dns));
    DrainController ctl(nullptr, &log);
    QString why;
    QVERIFY2(ctl.loadFromAudit(s_target, &why), qPrintable(why));
    QCOMPARE(ctl.doneSteps().size(), 1);
    QCOMPARE(ctl.doneSteps().first().records, dns.records);
}

void tst_AuditReader::tornLineDoesNotBreakTheChain()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("t.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    append(log, record(QStringLiteral("plan")));
    append(log, record(QStringLiteral("intent"), &dns));
    const QByteArray intact = readAll(path);
    const QByteArray lastIntact = intact.chopped(1).mid(intact.chopped(1).lastIndexOf('\n') + 1);
    // A crash (or a full disk) in the middle of the next record.
    appendRaw(path, QByteArrayLiteral("{\"after\":null,\"before\":null,\"event\":\"st"));
    AuditVerifyResult torn = AuditLog::verify(path);
    QVERIFY2(torn.ok(), qPrintable(problemsText(torn)));
    QCOMPARE(torn.noticeCount, 1);
    QVERIFY(torn.notices.first().what.contains(QStringLiteral("torn")));

    append(log, record(QStringLiteral("step"), &dns));
    const QList<QByteArray> lines = readAll(path).split('\n');
    QCOMPARE(lines.size(), 5); // plan, intent, torn, step, ""
    const QJsonObject next = QJsonDocument::fromJson(lines[3]).object();
    QCOMPARE(next.value(QStringLiteral("seq")).toInteger(), 3);
    QCOMPARE(
        next.value(QStringLiteral("prev")).toString().toLatin1(), AuditLog::hashLine(lastIntact));
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY2(r.ok(), qPrintable(problemsText(r)));
    QCOMPARE(r.noticeCount, 1);
    QCOMPARE(r.notices.first().line, 3);
    QString error;
    const QList<OpenDrain> open = openDrains(path, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(open.size(), 1);
    QVERIFY(!open.first().mayHaveHappened);
}

void tst_AuditReader::cutTailWithoutHeadIsNotProven()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("h.audit.jsonl"));
    AuditLog log(path);
    for (int i = 0; i < 4; ++i) {
        append(log, record(QStringLiteral("plan")));
    }
    QByteArray bytes = readAll(path);
    bytes.truncate(bytes.chopped(1).lastIndexOf('\n') + 1); // drop the last record
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
    f.close();
    QVERIFY(QFile::remove(AuditLog::headPath(path)));
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY(!r.ok());
    QVERIFY2(problemsText(r).contains(QStringLiteral("head record")), qPrintable(problemsText(r)));
    QVERIFY2(problemsText(r).contains(QStringLiteral("cannot be detected")),
        qPrintable(problemsText(r)));
}

void tst_AuditReader::notALog_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("words");
    QTest::newRow("dev-zero") << QStringLiteral("/dev/zero") << QStringLiteral("character device");
    QTest::newRow("fifo") << QStringLiteral("fifo") << QStringLiteral("named pipe");
    QTest::newRow("directory") << QStringLiteral("/tmp") << QStringLiteral("directory");
}

void tst_AuditReader::notALog()
{
    QFETCH(QString, path);
    QFETCH(QString, words);
    QTemporaryDir dir;
    if (path == u"fifo") {
        path = dir.filePath(QStringLiteral("fifo"));
        QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
    }
    QElapsedTimer t;
    t.start();
    const AuditVerifyResult r = AuditLog::verify(path);
    QVERIFY(!r.ok());
    QVERIFY2(problemsText(r).contains(words), qPrintable(problemsText(r)));
    QString error;
    QVERIFY(openDrains(path, &error).isEmpty());
    QVERIFY2(error.contains(words), qPrintable(error));
    QVERIFY(t.elapsed() < 5000);
}

void tst_AuditReader::hugeGarbageIsBoundedInMemoryAndOutput()
{
    QTemporaryDir dir;
    // 200 MB without a single newline (sparse: no disk used).
    const QString big = dir.filePath(QStringLiteral("big.audit.jsonl"));
    {
        QFile f(big);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(200LL * 1024 * 1024));
    }
    const long before = maxRssKiB();
    AuditVerifyResult r = AuditLog::verify(big);
    QVERIFY(!r.ok());
    QCOMPARE(r.lines, 1);
    const long grownMiB = (maxRssKiB() - before) / 1024;
    QVERIFY2(grownMiB < 32, qPrintable(QStringLiteral("RSS grew by %1 MiB").arg(grownMiB)));

    // A million garbage lines: every one is a problem, the list stays short, the count exact.
    const QString many = dir.filePath(QStringLiteral("many.audit.jsonl"));
    {
        QFile f(many);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray block = QByteArray("not a record\n").repeated(1000);
        for (int i = 0; i < 1000; ++i) {
            f.write(block);
        }
    }
    // A record after them, chained to nothing, makes them tampering rather than torn writes.
    appendRaw(many, QByteArrayLiteral("{\"seq\":7,\"prev\":\"x\"}\n"));
    r = AuditLog::verify(many);
    QVERIFY(!r.ok());
    QVERIFY(r.problems.size() <= AuditVerifyResult::maxListed);
    QVERIFY2(r.problemCount >= 1000000, qPrintable(QString::number(r.problemCount)));
}

// Logs used to be keyed by the profile's display name: a drain written there before the switch
// to cluster identity is still found (and undone) from the cluster's log object.
void tst_AuditReader::drainUnderTheOldNameKeyedLogIsStillFound()
{
    QTemporaryDir dir;
    qputenv("HOPSCOPE_AUDIT_DIR", QFile::encodeName(dir.path()));
    ClusterProfile profile;
    profile.name = QStringLiteral("demo (loopback)");
    profile.dnsServers.append(*HostPort::parse(QStringLiteral("127.0.0.1:5301"), 53));
    AuditLog legacy(AuditLog::legacyPathForProfile(profile.name));
    const DrainStep dns = dnsStep();
    append(legacy, record(QStringLiteral("plan")));
    append(legacy, record(QStringLiteral("intent"), &dns));
    append(legacy, record(QStringLiteral("step"), &dns));
    AuditLog cluster(profile);
    QVERIFY(cluster.filePath() != legacy.filePath());
    QCOMPARE(cluster.legacyFilePath(), legacy.filePath());
    DrainController ctl(nullptr, &cluster);
    QString why;
    QVERIFY2(ctl.loadFromAudit(s_target, &why), qPrintable(why));
    QCOMPARE(ctl.doneSteps().size(), 1);
    qunsetenv("HOPSCOPE_AUDIT_DIR");
}

void tst_AuditReader::dismissedClosesUntilANewDrain()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    const DrainStep lb = lbStep();
    append(log, record(QStringLiteral("intent"), &dns));
    append(log, record(QStringLiteral("step"), &dns));
    append(log, record(QStringLiteral("intent"), &lb)); // may have happened: dismiss still allowed
    QString error;
    const auto found = DrainDismissal::find(log, s_target, &error);
    QVERIFY2(found, qPrintable(error));
    QVERIFY(found->mayHaveHappened);
    QVERIFY(DrainDismissal::confirmationText(*found).contains(QStringLiteral("undrain")));
    QString message;
    QVERIFY2(DrainDismissal::dismiss(log, QStringLiteral("demo (loopback)"), s_target,
                 QStringLiteral("VM terminated"), &message),
        qPrintable(message));
    QVERIFY(openDrains(path, &error).isEmpty());
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const AuditVerifyResult verified = AuditLog::verify(path);
    QVERIFY2(verified.ok(), qPrintable(problemsText(verified)));
    QCOMPARE(verified.lines, 4);
    // The record says who dismissed it and why.
    const QList<QByteArray> lines = readAll(path).trimmed().split('\n');
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    QCOMPARE(last.value(QStringLiteral("event")).toString(), QStringLiteral("dismissed"));
    QCOMPARE(last.value(QStringLiteral("user")).toString(), AuditLog::osUser());
    QCOMPARE(
        last.value(QStringLiteral("detail")).toObject().value(QStringLiteral("reason")).toString(),
        QStringLiteral("VM terminated"));
    // A new drain of the same target is open again.
    append(log, record(QStringLiteral("intent"), &lb));
    append(log, record(QStringLiteral("step"), &lb));
    const QList<OpenDrain> again = openDrains(path, &error);
    QCOMPARE(again.size(), 1);
    QCOMPARE(again.first().target, s_target);
    QCOMPARE(again.first().layers, QStringList { DrainStep::kindName(DrainStepKind::LbDrain) });
    QVERIFY(AuditLog::verify(path).ok());
}

void tst_AuditReader::dismissRefusedWithoutDrainOrUnderLock()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.audit.jsonl"));
    AuditLog log(path);
    const DrainStep dns = dnsStep();
    append(log, record(QStringLiteral("intent"), &dns, QStringLiteral("127.0.0.12:8000")));
    QString message;
    // No open drain of this target: nothing written.
    QVERIFY(!DrainDismissal::dismiss(log, {}, s_target, {}, &message));
    QVERIFY2(message.contains(s_target), qPrintable(message));
    QCOMPARE(AuditLog::verify(path).lines, 1);
    // Another drain of the cluster holds the lock: refused, nothing written.
    DrainLock held(DrainLock::pathForLog(path));
    QString why;
    QVERIFY2(held.tryAcquire(QStringLiteral("127.0.0.13:8000"), 60, &why), qPrintable(why));
    QVERIFY(!DrainDismissal::dismiss(log, {}, QStringLiteral("127.0.0.12:8000"), {}, &message));
    QVERIFY2(message.contains(QStringLiteral("nothing was dismissed")), qPrintable(message));
    QCOMPARE(AuditLog::verify(path).lines, 1);
    held.release();
    QVERIFY2(DrainDismissal::dismiss(log, {}, QStringLiteral("127.0.0.12:8000"), {}, &message),
        qPrintable(message));
    QString error;
    QVERIFY(openDrains(path, &error).isEmpty());
}

QTEST_GUILESS_MAIN(tst_AuditReader)
#include "tst_AuditReader.moc"
