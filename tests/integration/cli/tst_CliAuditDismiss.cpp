// hopscope-cli audit dismiss on the demo cluster: an open drain in the cluster's audit log shows
// as a drained task in `snapshot --json`; while another drain holds the cluster's lock, on a
// terminal answered "n", and without a terminal and without --yes, dismiss refuses (exit 1) and
// writes nothing; with --yes it records "dismissed" (exit 0), the log still
// verifies, the snapshot no longer lists the task as drained, and a second dismiss finds no
// open drain (exit 1).

#include "PeersHarness.h"

#include "ops/AuditLog.h"
#include "ops/DrainLock.h"
#include "ops/DrainPlanner.h"
#include "profile/ProfileStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

namespace {

struct Run
{
    int code = -1;
    QByteArray out;
    QString err;
};

Run cli(const QStringList &args, const QString &auditDir)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), auditDir);
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice()); // no TTY
    p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// The target `key` of service `serviceId` in a `snapshot --json`, empty when not listed.
QJsonObject targetIn(const QByteArray &snapshot, const QString &serviceId, const QString &key)
{
    const QJsonObject snap = QJsonDocument::fromJson(snapshot).object();
    for (const QJsonValue &sv : snap[QStringLiteral("services")].toArray()) {
        if (sv[QStringLiteral("id")].toString() != serviceId) {
            continue;
        }
        for (const QJsonValue &t : sv[QStringLiteral("targets")].toArray()) {
            if (t[QStringLiteral("key")].toString() == key) {
                return t.toObject();
            }
        }
    }
    return {};
}

// Runs the CLI on a pseudo-terminal (python3's pty): waits for the "[y/N]" prompt, types
// `answer`, and returns the CLI's exit code (-1 when the prompt never came within 30 s).
int onTerminal(const QStringList &args, const QString &auditDir, const QString &answer)
{
    static const char *const script = R"(
import os, pty, select, sys, time
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
deadline = time.monotonic() + 30
seen = b""
sent = False
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if not sent and b"[y/N]" in seen:
        os.write(fd, answer)
        sent = True
if not sent:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stderr.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status) if sent else 255)
)";
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), auditDir);
    p.setProcessEnvironment(env);
    p.start(QStringLiteral("python3"),
        QStringList { QStringLiteral("-c"), QString::fromLatin1(script), answer,
            qEnvironmentVariable("HOPSCOPE_CLI") }
            + args);
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return -2;
    }
    const int code = p.exitCode();
    if (code == 255) {
        qWarning("no prompt: %s", p.readAllStandardError().constData());
        return -1;
    }
    return code;
}

} // namespace

class tst_CliAuditDismiss : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void dismissForgetsTheOpenDrain()
    {
        const PeersHarness peers;
        QVERIFY2(peers.isUp(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
        const QString profile = peers.profilePath();
        const QString target = peers.tasks(QStringLiteral("serviceb")).value(0);
        QVERIFY(!target.isEmpty());
        QTemporaryDir auditDir;
        qputenv("HOPSCOPE_AUDIT_DIR", auditDir.path().toUtf8());
        const ProfileLoadResult loaded = ProfileStore::load(profile);
        QVERIFY(loaded.ok());
        AuditLog log(*loaded.profile);
        // A drain whose DNS removal was recorded (the task was then terminated).
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = QStringLiteral("corp.internal");
        dns.records = { { QStringLiteral("serviceb.corp.internal."), QStringLiteral("A"),
            target.section(u':', 0, 0), 10 } };
        AuditEntry step;
        step.event = QStringLiteral("step");
        step.profile = loaded.profile->name;
        step.target = target;
        step.step = QStringLiteral("dns-remove");
        step.result = QStringLiteral("ok");
        step.detail = QJsonObject { { QStringLiteral("drainStep"), dns.toJson() } };
        QString error;
        QVERIFY2(log.append(step, &error), qPrintable(error));
        const QStringList snapshot { QStringLiteral("snapshot"), profile,
            QStringLiteral("--json") };

        const Run before = cli(snapshot, auditDir.path());
        QCOMPARE(targetIn(before.out, QStringLiteral("serviceb"), target)[QStringLiteral("health")]
                     .toString(),
            QStringLiteral("drained"));

        // Another operator's drain of the cluster holds the lock: refused, nothing written.
        {
            DrainLock held(DrainLock::pathForLog(log.filePath()));
            QString why;
            QVERIFY2(held.tryAcquire(peers.tasks(QStringLiteral("serviceb")).value(1), 60, &why),
                qPrintable(why));
            const Run locked = cli({ QStringLiteral("audit"), QStringLiteral("dismiss"), profile,
                                       target, QStringLiteral("--yes") },
                auditDir.path());
            QCOMPARE(locked.code, 1);
            QVERIFY2(locked.err.contains(QStringLiteral("nothing was dismissed")),
                qPrintable(locked.err));
            QCOMPARE(AuditLog::verify(log.filePath()).lines, 1);
        }

        // On a terminal it asks: "n" keeps the drain.
        const QStringList dismissArgs { QStringLiteral("audit"), QStringLiteral("dismiss"), profile,
            target };
        QCOMPARE(onTerminal(dismissArgs, auditDir.path(), QStringLiteral("n")), 1);
        QCOMPARE(AuditLog::verify(log.filePath()).lines, 1);

        // No terminal and no --yes: refused, nothing written.
        const QStringList dismiss { QStringLiteral("audit"), QStringLiteral("dismiss"), profile,
            target };
        const Run refused = cli(dismiss, auditDir.path());
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("--yes")), qPrintable(refused.err));
        QCOMPARE(AuditLog::verify(log.filePath()).lines, 1);

        const Run done = cli(dismiss
                + QStringList { QStringLiteral("--yes"), QStringLiteral("--reason"),
                    QStringLiteral("instance terminated") },
            auditDir.path());
        QVERIFY2(done.code == 0, qPrintable(done.err + QString::fromUtf8(done.out)));
        QVERIFY2(done.err.contains(QStringLiteral("undrain")), qPrintable(done.err));
        const Run verify = cli(
            { QStringLiteral("audit"), QStringLiteral("verify"), log.filePath() }, auditDir.path());
        QVERIFY2(verify.code == 0, qPrintable(QString::fromUtf8(verify.out)));
        const Run show
            = cli({ QStringLiteral("audit"), QStringLiteral("show"), profile }, auditDir.path());
        QVERIFY2(show.out.contains("dismissed"), show.out.constData());

        const Run after = cli(snapshot, auditDir.path());
        const QJsonObject t = targetIn(after.out, QStringLiteral("serviceb"), target);
        QVERIFY2(!t.isEmpty(), qPrintable(target + QStringLiteral(" no longer listed")));
        QVERIFY(!t.contains(QStringLiteral("drain")));
        QVERIFY2(t[QStringLiteral("health")].toString() != u"drained",
            qPrintable(t[QStringLiteral("health")].toString()));

        const Run again = cli(dismiss + QStringList { QStringLiteral("--yes") }, auditDir.path());
        QCOMPARE(again.code, 1);
        QVERIFY2(again.err.contains(QStringLiteral("no open drain")), qPrintable(again.err));

        // A new drain of the same target is open again; on a terminal "y" dismisses it.
        QVERIFY2(log.append(step, &error), qPrintable(error));
        QCOMPARE(targetIn(cli(snapshot, auditDir.path()).out, QStringLiteral("serviceb"),
                     target)[QStringLiteral("health")]
                     .toString(),
            QStringLiteral("drained"));
        QCOMPARE(onTerminal(dismissArgs, auditDir.path(), QStringLiteral("y")), 0);
        QVERIFY(!targetIn(cli(snapshot, auditDir.path()).out, QStringLiteral("serviceb"), target)
                     .contains(QStringLiteral("drain")));
        QVERIFY(AuditLog::verify(log.filePath()).ok());

        const Run usage
            = cli({ QStringLiteral("audit"), QStringLiteral("dismiss"), profile }, auditDir.path());
        QCOMPARE(usage.code, 2);
        qunsetenv("HOPSCOPE_AUDIT_DIR");
    }
};

QTEST_GUILESS_MAIN(tst_CliAuditDismiss)
#include "tst_CliAuditDismiss.moc"
