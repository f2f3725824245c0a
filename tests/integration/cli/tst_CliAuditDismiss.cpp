// hopscope-cli audit dismiss on the demo cluster: an open drain in the cluster's audit log shows
// as a drained task in `snapshot --json`; without a terminal and without --yes dismiss refuses
// (exit 1) and writes nothing; with --yes it records "dismissed" (exit 0), the log still
// verifies, the snapshot no longer lists the task as drained, and a second dismiss finds no
// open drain (exit 1).

#include "PeersHarness.h"

#include "ops/AuditLog.h"
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

        const Run usage
            = cli({ QStringLiteral("audit"), QStringLiteral("dismiss"), profile }, auditDir.path());
        QCOMPARE(usage.code, 2);
        qunsetenv("HOPSCOPE_AUDIT_DIR");
    }
};

QTEST_GUILESS_MAIN(tst_CliAuditDismiss)
#include "tst_CliAuditDismiss.moc"
