// Drains that survive lost replies, crashes, unwritable logs and a second operator, on the real
// demo cluster (BIND, HAProxy, the Envoy emulator), read back with dig and HAProxy's show stat:
// - a `set server` whose reply is lost (relay in front of the runtime API) is undone anyway;
// - the CLI killed (SIGKILL) while HAProxy holds the command: the intent is in the log, undrain
//   puts it back after the command lands;
// - two DrainControllers (two windows) and two CLIs draining both targets of `user` at once:
//   exactly one wins, the other is told who holds the drain lock (or is refused by the capacity
//   check run again under the lock);
// - a read-only audit directory: the drain is refused with where and why, nothing is sent, and
//   a dry run there exits 1.

#include "DnsRelay.h"
#include "RuntimeRelay.h"
#include "haproxy/HaproxyRuntimeClient.h"
#include "ops/AuditLog.h"
#include "ops/AuditReader.h"
#include "ops/DrainController.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "DrainReadBack.h"

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

using namespace hopscope;
using hopscope::readback::tool;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

QProcess *startCli(const QStringList &args, const QString &auditDir, QObject *parent)
{
    auto *p = new QProcess(parent);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), auditDir);
    p->setProcessEnvironment(env);
    p->setStandardInputFile(QProcess::nullDevice());
    p->start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    return p;
}

Run finish(QProcess *p, int timeoutMs = 150000)
{
    Run r;
    if (p->state() != QProcess::NotRunning) {
        QSignalSpy done(p, &QProcess::finished);
        if (!done.wait(timeoutMs)) {
            p->kill();
            p->waitForFinished();
        }
    }
    r.code = p->exitStatus() == QProcess::NormalExit ? p->exitCode() : -2;
    r.out = QString::fromUtf8(p->readAllStandardOutput());
    r.err = QString::fromUtf8(p->readAllStandardError());
    return r;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class tst_DrainSafety : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void lostHaproxyReplyIsUndoneByObservation();
    void killedWhileHaproxyHoldsTheCommand();
    void twoWindowsOneLock();
    void secondDrainRecheckedUnderTheLock();
    void twoClisAtOnceOnlyOneWins();
    void readOnlyAuditDirectoryRefuses();
    void fullAuditDiskLeavesARestorableRecord_data();
    void fullAuditDiskLeavesARestorableRecord();
    void lostDnsReplyIsUndone();
    void auditVerifyOnNonLogsEndsAtOnce();
    void killedWhileBindHoldsTheUpdate();

private:
    QString key(int index) const;
    QStringList digUser() const;
    QString haproxyStatus(const QString &key) const;
    QString relayProfile(quint16 relayPort);
    QString clusterLog(const QString &profilePath) const;

    QJsonObject m_state;
    QString m_profile;
    QTemporaryDir m_tmp;
    QString m_audit;
    QList<QPair<QString, QString>> m_userRecords; // rdata, ttl
};

void tst_DrainSafety::initTestCase()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
    QVERIFY2(f.open(QIODevice::ReadOnly), "no state.json: the demo cluster is not up");
    m_state = QJsonDocument::fromJson(f.readAll()).object();
    m_profile = qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/demo.hopscope.json");
    m_audit = m_tmp.filePath(QStringLiteral("audit"));
    qputenv("HOPSCOPE_AUDIT_DIR", m_audit.toLocal8Bit());
    const QJsonArray tasks = m_state.value(QStringLiteral("services"))
                                 .toObject()
                                 .value(QStringLiteral("user"))
                                 .toObject()
                                 .value(QStringLiteral("tasks"))
                                 .toArray();
    QCOMPARE(tasks.size(), 2); // the two-target service these cases need
    QTRY_COMPARE_WITH_TIMEOUT(digUser().size(), 2, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(key(0)), QStringLiteral("UP"), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(key(1)), QStringLiteral("UP"), 20000);
}

QString tst_DrainSafety::key(int index) const
{
    const QJsonObject t = m_state.value(QStringLiteral("services"))
                              .toObject()
                              .value(QStringLiteral("user"))
                              .toObject()
                              .value(QStringLiteral("tasks"))
                              .toArray()
                              .at(index)
                              .toObject();
    return QStringLiteral("%1:%2")
        .arg(t.value(QStringLiteral("addr")).toString())
        .arg(t.value(QStringLiteral("port")).toInt());
}

QStringList tst_DrainSafety::digUser() const
{
    const QJsonObject dns = m_state.value(QStringLiteral("dns")).toObject();
    return tool(QStringLiteral("dig"),
        { QStringLiteral("+short"), QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
            QString::number(dns.value(QStringLiteral("port")).toInt()),
            QStringLiteral("user.corp.internal"), QStringLiteral("A") })
        .split(u'\n', Qt::SkipEmptyParts);
}

// HAProxy's status column for one address:port (show stat through the runtime API).
QString tst_DrainSafety::haproxyStatus(const QString &k) const
{
    return readback::haproxyStatus(m_state, k);
}

QString tst_DrainSafety::clusterLog(const QString &profilePath) const
{
    return readback::clusterLog(profilePath);
}

// The demo profile with the load balancer's runtime API behind the relay.
QString tst_DrainSafety::relayProfile(quint16 relayPort)
{
    QFile f(m_profile);
    f.open(QIODevice::ReadOnly);
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QJsonArray lbs = o.value(QStringLiteral("loadBalancers")).toArray();
    QJsonObject lb = lbs.at(0).toObject();
    lb.insert(QStringLiteral("runtime"), QStringLiteral("tcp:127.0.0.1:%1").arg(relayPort));
    lbs.replace(0, lb);
    o.insert(QStringLiteral("loadBalancers"), lbs);
    static int n = 0;
    const QString path = m_tmp.filePath(QStringLiteral("relay%1.hopscope.json").arg(++n));
    QFile out(path);
    out.open(QIODevice::WriteOnly);
    out.write(QJsonDocument(o).toJson());
    return path;
}

// Whatever a failed case left behind goes back (user records, be_user slots), so the cases
// after it (and the other suites sharing the cluster) start from the demo's baseline.
void tst_DrainSafety::cleanup()
{
    const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
    const QJsonObject dns = m_state.value(QStringLiteral("dns")).toObject();
    const QStringList served = digUser();
    for (int i = 0; i < 2; ++i) {
        const QString addr = key(i).section(u':', 0, 0);
        if (!served.contains(addr)) {
            qWarning("cleanup: re-adding user.corp.internal A %s", qPrintable(addr));
            QProcess p;
            p.start(QStringLiteral("python3"),
                { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), QStringLiteral("nsupdate"),
                    QStringLiteral("--dir"), dir, QStringLiteral("add"),
                    QStringLiteral("user.corp.internal"), QStringLiteral("A"), addr,
                    QStringLiteral("10") });
            p.waitForFinished(30000);
        }
    }
    const auto ep = RuntimeEndpoint::parse(m_state.value(QStringLiteral("haproxy"))
                                               .toObject()
                                               .value(QStringLiteral("runtime"))
                                               .toString());
    HaproxyRuntimeClient client(*ep);
    QStringList cmds;
    for (int i = 1; i <= 2; ++i) {
        cmds << QStringLiteral("set server be_user/user%1 state ready").arg(i);
    }
    bool done = false;
    client.send(cmds, [&](const HaproxyRuntimeReply &) { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(digUser().size(), 2, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(key(0)), QStringLiteral("UP"), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(key(1)), QStringLiteral("UP"), 30000);
}

// HAProxy applies `set server … state drain` and the reply never arrives: the step fails "may
// have happened", and the window's Undo puts HAProxy back (verified on show stat), not just DNS.
void tst_DrainSafety::lostHaproxyReplyIsUndoneByObservation()
{
    const auto ep = RuntimeEndpoint::parse(m_state.value(QStringLiteral("haproxy"))
                                               .toObject()
                                               .value(QStringLiteral("runtime"))
                                               .toString());
    RuntimeRelay relay(QHostAddress(ep->tcp.host), ep->tcp.port);
    relay.setMode(RuntimeRelay::Mode::DropSetServerReply);
    const QString profile = relayProfile(relay.port());
    const ProfileLoadResult loaded = ProfileStore::load(profile);
    QVERIFY(loaded.ok());
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy round(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(round.wait(20000));
    AuditLog audit(*loaded.profile);
    DrainController ctl(&monitor, &audit);
    ctl.setVerifyTimeoutMs(20000);
    const QString k = key(0);
    const DrainPlan plan = ctl.makePlan(k, DrainForce::No);
    QVERIFY2(plan.canExecute(), qPrintable(plan.toText()));
    QVERIFY(ctl.confirm(QString()));
    QSignalSpy failed(&ctl, &DrainController::failed);
    ctl.execute();
    QVERIFY2(failed.wait(90000), qPrintable(ctl.lastMessage()));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("MAY HAVE HAPPENED")),
        qPrintable(failed.first().first().toString()));
    QCOMPARE(relay.dropped().size(), 1);
    QCOMPARE(ctl.uncertainLayers(), QStringList { QStringLiteral("lb-drain") });
    // The command did land: HAProxy shows the server in DRAIN.
    QTRY_VERIFY_WITH_TIMEOUT(haproxyStatus(k).startsWith(QStringLiteral("DRAIN")), 10000);
    // The log says so too, for an undrain from another process.
    QString error;
    const auto open = AuditReader::openDrain(audit.filePath(), k, &error);
    QVERIFY2(open, qPrintable(error));
    QVERIFY(open->mayHaveHappened);

    relay.setMode(RuntimeRelay::Mode::PassThrough);
    QSignalSpy undone(&ctl, &DrainController::undoFinished);
    ctl.undo();
    QVERIFY(undone.wait(90000));
    QVERIFY2(undone.first().first().toBool(), qPrintable(undone.first().at(1).toString()));
    monitor.stop();
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(k), QStringLiteral("UP"), 20000);
    QVERIFY(digUser().contains(k.section(u':', 0, 0)));
    const AuditVerifyResult v = AuditLog::verify(audit.filePath());
    QVERIFY(v.ok());
}

// kill -9 of the CLI while HAProxy has not answered: the log holds the intent; once the
// command lands, one undrain restores both layers.
void tst_DrainSafety::killedWhileHaproxyHoldsTheCommand()
{
    const auto ep = RuntimeEndpoint::parse(m_state.value(QStringLiteral("haproxy"))
                                               .toObject()
                                               .value(QStringLiteral("runtime"))
                                               .toString());
    RuntimeRelay relay(QHostAddress(ep->tcp.host), ep->tcp.port);
    relay.setMode(RuntimeRelay::Mode::HoldSetServer);
    const QString profile = relayProfile(relay.port());
    const QString log = clusterLog(profile);
    const QString k = key(1);
    QProcess *cli = startCli(
        { QStringLiteral("drain"), profile, k, QStringLiteral("--yes"), QStringLiteral("--wait") },
        m_audit, this);
    QTRY_VERIFY_WITH_TIMEOUT(!relay.held().isEmpty(), 90000);
    // The command has left the CLI: its intent must already be on disk.
    const QByteArray before = readFile(log);
    QVERIFY2(before.contains("\"event\":\"intent\"") && before.contains("\"step\":\"lb-drain\""),
        before.constData());
    ::kill(pid_t(cli->processId()), SIGKILL);
    QCOMPARE(finish(cli).code, -2);
    // The held command lands after all (HAProxy was slow, not deaf).
    const QByteArray cmd = relay.held().first();
    HaproxyRuntimeClient direct(*ep);
    bool sent = false;
    direct.send({ QString::fromLatin1(cmd) }, [&](const HaproxyRuntimeReply &) { sent = true; });
    QTRY_VERIFY_WITH_TIMEOUT(sent, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(haproxyStatus(k).startsWith(QStringLiteral("DRAIN")), 10000);
    QVERIFY(!digUser().contains(k.section(u':', 0, 0)));

    relay.setMode(RuntimeRelay::Mode::PassThrough);
    const Run u = finish(startCli(
        { QStringLiteral("undrain"), profile, k, QStringLiteral("--yes") }, m_audit, this));
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(u.out.contains(QStringLiteral("may have happened")), qPrintable(u.out));
    QVERIFY(digUser().contains(k.section(u':', 0, 0)));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(k), QStringLiteral("UP"), 20000);
    const Run v = finish(
        startCli({ QStringLiteral("audit"), QStringLiteral("verify"), log }, m_audit, this));
    QVERIFY2(v.code == 0, qPrintable(v.out + v.err));
}

// Two windows in one process: while one drains, the other is refused at once and told who
// holds the cluster's drain lock.
void tst_DrainSafety::twoWindowsOneLock()
{
    const ProfileLoadResult loaded = ProfileStore::load(m_profile);
    QVERIFY(loaded.ok());
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy round(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(round.wait(20000));
    AuditLog audit(*loaded.profile);
    DrainController a(&monitor, &audit);
    DrainController b(&monitor, &audit);
    a.setVerifyTimeoutMs(30000);
    b.setVerifyTimeoutMs(30000);
    QVERIFY(a.makePlan(key(0), DrainForce::No).canExecute());
    QVERIFY(b.makePlan(key(1), DrainForce::No).canExecute()); // both plans: 1 of 2 remain
    QVERIFY(a.confirm(QString()));
    QVERIFY(b.confirm(QString()));
    QSignalSpy bFailed(&b, &DrainController::failed);
    a.execute();
    QCOMPARE(a.state(), DrainController::State::Running);
    b.execute();
    QCOMPARE(bFailed.size(), 1);
    const QString why = bFailed.first().first().toString();
    QVERIFY2(why.contains(QStringLiteral("drain lock"))
            && why.contains(QStringLiteral("PID %1").arg(QCoreApplication::applicationPid()))
            && why.contains(key(0)) && why.contains(QStringLiteral("since")),
        qPrintable(why));
    QCOMPARE(b.state(), DrainController::State::Failed);
    QVERIFY(b.doneSteps().isEmpty());

    QTRY_VERIFY_WITH_TIMEOUT(a.state() != DrainController::State::Running, 90000);
    QVERIFY2(
        a.state() == DrainController::State::Watching || a.state() == DrainController::State::Safe,
        qPrintable(a.lastMessage()));
    QVERIFY(digUser().contains(key(1).section(u':', 0, 0)));
    QSignalSpy undone(&a, &DrainController::undoFinished);
    a.undo();
    QVERIFY(undone.wait(90000));
    QVERIFY2(undone.first().first().toBool(), qPrintable(undone.first().at(1).toString()));
    monitor.stop();
}

// Plans made at the same time both say "1 of 2 remain"; the second to run gets the lock after
// the first finished its steps, and the capacity check run again on fresh polls refuses it.
void tst_DrainSafety::secondDrainRecheckedUnderTheLock()
{
    const ProfileLoadResult loaded = ProfileStore::load(m_profile);
    QVERIFY(loaded.ok());
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy round(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(round.wait(20000));
    AuditLog audit(*loaded.profile);
    DrainController a(&monitor, &audit);
    DrainController b(&monitor, &audit);
    a.setVerifyTimeoutMs(30000);
    b.setVerifyTimeoutMs(30000);
    QVERIFY(a.makePlan(key(0), DrainForce::No).canExecute());
    const DrainPlan planB = b.makePlan(key(1), DrainForce::No);
    QVERIFY(planB.canExecute());
    QVERIFY(!planB.lastHealthy);
    QVERIFY(a.confirm(QString()));
    QVERIFY(b.confirm(QString()));
    a.execute();
    QTRY_VERIFY_WITH_TIMEOUT(a.state() != DrainController::State::Running, 90000);
    QVERIFY2(
        a.state() == DrainController::State::Watching || a.state() == DrainController::State::Safe,
        qPrintable(a.lastMessage()));
    QSignalSpy bFailed(&b, &DrainController::failed);
    b.execute();
    QVERIFY(bFailed.wait(60000));
    const QString why = bFailed.first().first().toString();
    QVERIFY2(why.contains(QStringLiteral("under the drain lock"))
            && why.contains(QStringLiteral("nothing was sent")),
        qPrintable(why));
    QVERIFY(b.doneSteps().isEmpty());
    QVERIFY(digUser().contains(key(1).section(u':', 0, 0)));
    QCOMPARE(haproxyStatus(key(1)), QStringLiteral("UP"));
    QSignalSpy undone(&a, &DrainController::undoFinished);
    a.undo();
    QVERIFY(undone.wait(90000));
    QVERIFY2(undone.first().first().toBool(), qPrintable(undone.first().at(1).toString()));
    monitor.stop();
}

// Two terminals: `drain P user-1 --yes` and `drain P user-2 --yes` at once. Exactly one drains;
// the other is refused naming the lock's holder (or by the re-check under the lock); `user`
// keeps a record in BIND and an UP server in HAProxy.
void tst_DrainSafety::twoClisAtOnceOnlyOneWins()
{
    QProcess *p0 = startCli(
        { QStringLiteral("drain"), m_profile, key(0), QStringLiteral("--yes") }, m_audit, this);
    QProcess *p1 = startCli(
        { QStringLiteral("drain"), m_profile, key(1), QStringLiteral("--yes") }, m_audit, this);
    const Run r0 = finish(p0);
    const Run r1 = finish(p1);
    auto won = [](const Run &r) { return r.code == 0 || r.code == 3; };
    QVERIFY2(won(r0) != won(r1),
        qPrintable(QStringLiteral("exit codes %1 and %2:\n%3\n%4\n%5\n%6")
                       .arg(r0.code)
                       .arg(r1.code)
                       .arg(r0.out, r0.err, r1.out, r1.err)));
    const Run &loser = won(r0) ? r1 : r0;
    const QString winnerKey = won(r0) ? key(0) : key(1);
    const QString loserKey = won(r0) ? key(1) : key(0);
    QCOMPARE(loser.code, 1);
    const QString said = loser.out + loser.err;
    QVERIFY2((said.contains(QStringLiteral("drain lock")) && said.contains(winnerKey)
                 && said.contains(QStringLiteral("PID")))
            || said.contains(QStringLiteral("refused under the drain lock")),
        qPrintable(said));
    QVERIFY(digUser().contains(loserKey.section(u':', 0, 0)));
    QCOMPARE(haproxyStatus(loserKey), QStringLiteral("UP"));
    const Run u = finish(
        startCli({ QStringLiteral("undrain"), m_profile, winnerKey, QStringLiteral("--yes") },
            m_audit, this));
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QTRY_COMPARE_WITH_TIMEOUT(digUser().size(), 2, 20000);
}

// The audit directory on a read-only filesystem (a private mount namespace, no root needed):
// the drain says the log could not be written, where and why, and changes nothing; a dry run
// there exits 1 because its plan was not recorded.
void tst_DrainSafety::readOnlyAuditDirectoryRefuses()
{
    const QString ro = m_tmp.filePath(QStringLiteral("ro"));
    QVERIFY(QDir().mkpath(ro));
    const QString cli = qEnvironmentVariable("HOPSCOPE_CLI");
    auto inReadOnly = [&](const QStringList &args) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), ro);
        p.setProcessEnvironment(env);
        p.setStandardInputFile(QProcess::nullDevice());
        // unshare -rm: a user + mount namespace where we may mount a read-only tmpfs over `ro`.
        QStringList quoted;
        for (const QString &a : args) {
            quoted << QLatin1Char('\'') + a + QLatin1Char('\'');
        }
        p.start(QStringLiteral("unshare"),
            { QStringLiteral("-rm"), QStringLiteral("sh"), QStringLiteral("-c"),
                QStringLiteral("mount -t tmpfs -o ro,size=16k tmpfs '%1' && exec '%2' %3")
                    .arg(ro, cli, quoted.join(u' ')) });
        Run r;
        if (!p.waitForFinished(150000)) {
            p.kill();
            p.waitForFinished();
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    };
    const Run d
        = inReadOnly({ QStringLiteral("drain"), m_profile, key(0), QStringLiteral("--yes") });
    QCOMPARE(d.code, 1);
    const QString said = d.out + d.err;
    QVERIFY2(said.contains(QStringLiteral("the audit log could not be written: %1/").arg(ro))
            && said.contains(QStringLiteral("Read-only file system")),
        qPrintable(said));
    QVERIFY2(!said.contains(QStringLiteral("confirmation does not match")), qPrintable(said));
    QVERIFY(digUser().contains(key(0).section(u':', 0, 0)));
    QCOMPARE(haproxyStatus(key(0)), QStringLiteral("UP"));
    const Run dry
        = inReadOnly({ QStringLiteral("drain"), m_profile, key(0), QStringLiteral("--dry-run") });
    QVERIFY2(dry.code == 1, qPrintable(dry.out + dry.err));
    QVERIFY2(QString(dry.out + dry.err).contains(QStringLiteral("Read-only file system")),
        qPrintable(dry.out + dry.err));
}

// BIND applies the UPDATE and its answer is lost (UDP and TCP): the drain reports that the
// removal may have happened — not "nothing was changed" — and one undrain re-adds the record.
void tst_DrainSafety::lostDnsReplyIsUndone()
{
    const QJsonObject dns = m_state.value(QStringLiteral("dns")).toObject();
    DnsRelay relay(QHostAddress(dns.value(QStringLiteral("addr")).toString()),
        quint16(dns.value(QStringLiteral("port")).toInt()));
    QVERIFY(relay.port() != 0);
    relay.setMode(DnsRelay::Mode::DropReplies);
    QFile f(m_profile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QJsonObject du = o.value(QStringLiteral("dnsUpdate")).toObject();
    du.insert(QStringLiteral("server"), QStringLiteral("127.0.0.1:%1").arg(relay.port()));
    o.insert(QStringLiteral("dnsUpdate"), du);
    const QString profile = m_tmp.filePath(QStringLiteral("dnsrelay.hopscope.json"));
    QFile out(profile);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(o).toJson());
    out.close();

    const QString k = key(0);
    const Run d = finish(
        startCli({ QStringLiteral("drain"), profile, k, QStringLiteral("--yes") }, m_audit, this));
    QCOMPARE(d.code, 1);
    const QString said = d.out + d.err;
    QVERIFY2(said.contains(QStringLiteral("MAY HAVE HAPPENED"))
            && !said.contains(QStringLiteral("nothing was changed")),
        qPrintable(said));
    QVERIFY(relay.forwarded() >= 1);
    QVERIFY(relay.dropped() >= 1);
    QVERIFY2(!digUser().contains(k.section(u':', 0, 0)),
        "BIND applied the UPDATE: the record should be gone");

    relay.setMode(DnsRelay::Mode::PassThrough);
    const Run u = finish(startCli(
        { QStringLiteral("undrain"), profile, k, QStringLiteral("--yes") }, m_audit, this));
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(u.out.contains(QStringLiteral("may have happened")), qPrintable(u.out));
    QVERIFY(digUser().contains(k.section(u':', 0, 0)));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(k), QStringLiteral("UP"), 20000);
    QVERIFY(AuditLog::verify(clusterLog(profile)).ok());
}

// The audit directory on a tiny filesystem: the log fills up part-way through the drain. No
// layer may be changed without a record undrain can act on, the failure says "No space left on
// device" (from errno), and once there is room one undrain restores everything and the log
// verifies (a torn line, if any, is a note, not a broken chain).
void tst_DrainSafety::fullAuditDiskLeavesARestorableRecord_data()
{
    // Different sizes run out of room at different points of the drain (the lock, the plan, a
    // step's intent, its outcome...).
    QTest::addColumn<QString>("size");
    QTest::newRow("8k") << QStringLiteral("8k");
    QTest::newRow("12k") << QStringLiteral("12k");
    QTest::newRow("16k") << QStringLiteral("16k");
}

void tst_DrainSafety::fullAuditDiskLeavesARestorableRecord()
{
    QFETCH(QString, size);
    const QString small = m_tmp.filePath(QStringLiteral("small-") + size);
    QVERIFY(QDir().mkpath(small));
    const QString cli = qEnvironmentVariable("HOPSCOPE_CLI");
    const QString log = clusterLog(m_profile).replace(m_audit, small);
    const QString script = QStringLiteral("mount -t tmpfs -o size=%6 tmpfs '%1' || exit 90\n"
                                          "'%2' drain '%3' '%4' --yes; echo \"@drain=$?\"\n"
                                          "mount -o remount,size=4m '%1' || exit 91\n"
                                          "'%2' undrain '%3' '%4' --yes; echo \"@undrain=$?\"\n"
                                          "'%2' audit verify '%5'; echo \"@verify=$?\"\n")
                               .arg(small, cli, m_profile, key(0), log, size);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), small);
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("unshare"),
        { QStringLiteral("-rm"), QStringLiteral("sh"), QStringLiteral("-c"), script });
    QSignalSpy done(&p, &QProcess::finished);
    QVERIFY(done.wait(400000));
    const QString out = QString::fromUtf8(p.readAll());
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(!out.contains(QStringLiteral("Unknown error")), qPrintable(out));
    // Out of room: the failure names the file and errno's reason.
    if (!out.contains(QStringLiteral("@drain=0")) && !out.contains(QStringLiteral("@drain=3"))) {
        QVERIFY2(out.contains(QStringLiteral("@drain=1"))
                && out.contains(QStringLiteral("No space left on device"))
                && out.contains(QStringLiteral("could not be written"))
                && out.contains(small + u'/'),
            qPrintable(out.right(1500)));
    }
    // undrain finds the drain (or says there is nothing to undo when nothing was sent).
    QVERIFY2(out.contains(QStringLiteral("@undrain=0"))
            || out.contains(QStringLiteral("shows no drain")),
        qPrintable(out.mid(out.indexOf(QStringLiteral("@drain=")))));
    QVERIFY2(out.contains(QStringLiteral("@verify=0")),
        qPrintable(out.mid(out.indexOf(QStringLiteral("@drain=")))));
    QVERIFY(digUser().contains(key(0).section(u':', 0, 0)));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(key(0)), QStringLiteral("UP"), 20000);
}

// BIND is slow to take the UPDATE and the CLI is killed (SIGKILL) meanwhile: the log holds the
// DNS intent; the UPDATE lands after the kill (the record is gone) and one undrain re-adds it.
void tst_DrainSafety::killedWhileBindHoldsTheUpdate()
{
    const QJsonObject dns = m_state.value(QStringLiteral("dns")).toObject();
    DnsRelay relay(QHostAddress(dns.value(QStringLiteral("addr")).toString()),
        quint16(dns.value(QStringLiteral("port")).toInt()));
    QVERIFY(relay.port() != 0);
    relay.setMode(DnsRelay::Mode::Hold);
    QFile f(m_profile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QJsonObject du = o.value(QStringLiteral("dnsUpdate")).toObject();
    du.insert(QStringLiteral("server"), QStringLiteral("127.0.0.1:%1").arg(relay.port()));
    o.insert(QStringLiteral("dnsUpdate"), du);
    const QString profile = m_tmp.filePath(QStringLiteral("dnshold.hopscope.json"));
    QFile out(profile);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(o).toJson());
    out.close();
    const QString log = clusterLog(profile);
    const QString k = key(1);

    QProcess *cli = startCli(
        { QStringLiteral("drain"), profile, k, QStringLiteral("--yes"), QStringLiteral("--wait") },
        m_audit, this);
    QTRY_VERIFY_WITH_TIMEOUT(relay.held() > 0, 90000);
    const QByteArray before = readFile(log);
    QVERIFY2(before.contains("\"event\":\"intent\"") && before.contains("\"step\":\"dns-remove\""),
        before.constData());
    ::kill(pid_t(cli->processId()), SIGKILL);
    QCOMPARE(finish(cli).code, -2);
    relay.releaseHeld();
    QTRY_VERIFY_WITH_TIMEOUT(!digUser().contains(k.section(u':', 0, 0)), 10000);

    relay.setMode(DnsRelay::Mode::PassThrough);
    const Run u = finish(startCli(
        { QStringLiteral("undrain"), profile, k, QStringLiteral("--yes") }, m_audit, this));
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(u.out.contains(QStringLiteral("may have happened")), qPrintable(u.out));
    QVERIFY(digUser().contains(k.section(u':', 0, 0)));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(k), QStringLiteral("UP"), 20000);
    QVERIFY(AuditLog::verify(log).ok());
}

// `audit verify` on things that are no log: no hang, no abort, a plain refusal.
void tst_DrainSafety::auditVerifyOnNonLogsEndsAtOnce()
{
    const QString fifo = m_tmp.filePath(QStringLiteral("fifo.audit.jsonl"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    for (const QString &path : { QStringLiteral("/dev/zero"), fifo }) {
        QElapsedTimer t;
        t.start();
        const Run r = finish(
            startCli({ QStringLiteral("audit"), QStringLiteral("verify"), path }, m_audit, this),
            20000);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains(QStringLiteral("not a regular file")), qPrintable(r.out + r.err));
        QVERIFY(t.elapsed() < 10000);
    }
}

QTEST_GUILESS_MAIN(tst_DrainSafety)
#include "tst_DrainSafety.moc"
