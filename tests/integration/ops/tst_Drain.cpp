// Drain and undrain on the real demo cluster, checked by reading the servers back (dig against
// BIND, HAProxy's runtime API, the sidecar's /server_info), never by hopscope's own report.

#include "core/Clock.h"
#include "haproxy/HaproxyRuntimeClient.h"
#include "ops/AuditLog.h"
#include "ops/DrainController.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "DrainReadBack.h"

using namespace hopscope;
using hopscope::readback::clusterLog;
using hopscope::readback::haproxyStatus;
using hopscope::readback::tool;

namespace {

QJsonObject peersState()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

Run run(const QStringList &args, const QString &auditDir, int timeoutMs = 150000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), auditDir);
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice()); // no TTY: scripts' view
    p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

int peers(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("python3"), QStringList{qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT")} + args);
    p.waitForFinished(60000);
    return p.exitCode();
}

} // namespace

class tst_Drain : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void countdownFollowsTheInjectedClockToSafe();
    void watchTimeoutSaysWhatStillHolds();
    void serviceBDrainAndUndoOnAllLayers();
    void undrainAfterADryRunStillUndoesTheDrain();
    void meshTargetDrainsThroughItsSidecar();
    void wrongTsigSecretChangesNothing();
    void refusals_data();
    void refusals();
    void forcedLastHealthyNeedsTypedConfirmation();
    void haproxyKilledMidDrainThenUndone();
    void auditVerifyCatchesTampering();

private:
    QString dig(const QString &name);
    QString taskKey(const QString &service, int index) const;
    QString writeProfile(const std::function<void(QJsonObject &)> &edit);
    QStringList digRecords(const QString &name, const QString &type);

    // What BIND served when the run started: {name, type, rdata, ttl} per record, for cleanup().
    struct Baseline
    {
        QString name;
        QString type;
        QString rdata;
        QString ttl;
    };
    QList<Baseline> m_baseline;
    QJsonObject m_state;
    QString m_profile;
    QTemporaryDir m_tmp;
    QString m_audit;
};

void tst_Drain::initTestCase()
{
    m_state = peersState();
    QVERIFY2(!m_state.isEmpty(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
    m_profile = qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/demo.hopscope.json");
    m_audit = m_tmp.filePath(QStringLiteral("audit"));
    qputenv("HOPSCOPE_AUDIT_DIR", m_audit.toLocal8Bit());
    const QJsonObject services = m_state.value(QStringLiteral("services")).toObject();
    for (auto it = services.begin(); it != services.end(); ++it) {
        const QJsonObject dns = it.value().toObject().value(QStringLiteral("dns")).toObject();
        const QString name = dns.value(QStringLiteral("name")).toString();
        const QString type = dns.value(QStringLiteral("type")).toString();
        QString ttl = QStringLiteral("10");
        QStringList served;
        for (const QString &line : digRecords(name, type)) {
            // "serviceb.corp.internal. 10 IN A 127.38.200.11"
            const QStringList f = line.simplified().split(u' ');
            if (f.size() >= 5) {
                m_baseline.append({name, type, f.mid(4).join(u' '), f.at(1)});
                served << f.at(4);
                ttl = f.at(1);
            }
        }
        // A task whose A record an earlier run left removed still belongs to the baseline.
        if (type == u"A") {
            for (const QJsonValue &t : it.value().toObject().value(QStringLiteral("tasks")).toArray()) {
                const QString addr = t.toObject().value(QStringLiteral("addr")).toString();
                if (!served.contains(addr)) {
                    qWarning("BIND does not serve %s A %s at the start: cleanup() will restore it",
                        qPrintable(name), qPrintable(addr));
                    m_baseline.append({name, type, addr, ttl});
                }
            }
        }
    }
    QVERIFY2(m_baseline.size() >= 10, "BIND does not serve the demo records");
}

QStringList tst_Drain::digRecords(const QString &name, const QString &type)
{
    const QJsonObject dns = m_state.value(QStringLiteral("dns")).toObject();
    const QString out = tool(QStringLiteral("dig"),
        {QStringLiteral("+noall"), QStringLiteral("+answer"), QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
            QString::number(dns.value(QStringLiteral("port")).toInt()), name, type});
    QStringList lines;
    for (const QString &l : out.split(u'\n', Qt::SkipEmptyParts)) {
        if (l.simplified().split(u' ').value(3) == type) {
            lines << l.simplified();
        }
    }
    return lines;
}

// A test that fails half-way through a drain must not poison the ones after it (they share one
// demo cluster): put back whatever is not as it was at the start. Idempotent; with nothing to
// restore it changes nothing. Whatever it restores is reported; if it cannot, the test fails.
void tst_Drain::cleanup()
{
    const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
    QStringList restored;
    // HAProxy may have been killed: `start` is a no-op when it runs.
    QCOMPARE(peers({QStringLiteral("start"), QStringLiteral("--dir"), dir, QStringLiteral("haproxy")}), 0);
    // DNS: every record of the baseline that BIND no longer serves goes back with its TTL.
    QHash<QString, QStringList> now;
    for (const Baseline &b : std::as_const(m_baseline)) {
        const QString k = b.name + u'/' + b.type;
        if (!now.contains(k)) {
            now.insert(k, digRecords(b.name, b.type));
        }
        const bool present = std::any_of(now.value(k).cbegin(), now.value(k).cend(),
            [&](const QString &l) { return l.endsWith(u' ' + b.rdata); });
        if (!present) {
            QCOMPARE(peers({QStringLiteral("nsupdate"), QStringLiteral("--dir"), dir, QStringLiteral("add"), b.name,
                         b.type, b.rdata, b.ttl}),
                0);
            restored << QStringLiteral("DNS %1 %2 %3").arg(b.name, b.type, b.rdata);
        }
    }
    // HAProxy: a server an operator put in DRAIN or MAINT goes back to ready (MAINT (resolution)
    // is HAProxy's own doing for DNS-fed slots and clears when the record is back).
    const auto ep = RuntimeEndpoint::parse(
        m_state.value(QStringLiteral("haproxy")).toObject().value(QStringLiteral("runtime")).toString());
    QVERIFY(ep);
    HaproxyRuntimeClient client(*ep);
    QStringList commands;
    bool done = false;
    client.send({QStringLiteral("show stat")}, [&](const HaproxyRuntimeReply &r) {
        for (const QByteArray &line : r.outputs.value(0).split('\n')) {
            const QList<QByteArray> cols = line.split(',');
            if (cols.size() > 17 && cols[1] != "FRONTEND" && cols[1] != "BACKEND"
                && (cols[17].startsWith("DRAIN") || cols[17] == "MAINT")) {
                commands << QStringLiteral("set server %1/%2 state ready")
                                .arg(QString::fromLatin1(cols[0]), QString::fromLatin1(cols[1]));
            }
        }
        done = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    if (!commands.isEmpty()) {
        bool sent = false;
        client.send(commands, [&](const HaproxyRuntimeReply &) { sent = true; });
        QTRY_VERIFY_WITH_TIMEOUT(sent, 10000);
        restored << commands;
    }
    // Sidecars: any DRAINING one gets /healthcheck/ok.
    const QJsonObject envoy = m_state.value(QStringLiteral("envoy")).toObject();
    for (auto it = envoy.begin(); it != envoy.end(); ++it) {
        const QString admin = it.value().toObject().value(QStringLiteral("admin_url")).toString();
        if (tool(QStringLiteral("curl"), {QStringLiteral("-s"), admin + QStringLiteral("/server_info")})
                .contains(QStringLiteral("DRAINING"))) {
            tool(QStringLiteral("curl"), {QStringLiteral("-s"), QStringLiteral("-X"), QStringLiteral("POST"),
                                             admin + QStringLiteral("/healthcheck/ok")});
            restored << QStringLiteral("sidecar %1 /healthcheck/ok").arg(it.key());
            QTRY_VERIFY_WITH_TIMEOUT(tool(QStringLiteral("curl"), {QStringLiteral("-s"), admin + QStringLiteral("/server_info")})
                                         .contains(QStringLiteral("LIVE")),
                10000);
        }
    }
    if (!restored.isEmpty()) {
        qWarning("cleanup restored the demo cluster: %s", qPrintable(restored.join(QStringLiteral("; "))));
        for (const Baseline &b : std::as_const(m_baseline)) {
            auto served = [&] {
                const QStringList lines = digRecords(b.name, b.type);
                return std::any_of(lines.cbegin(), lines.cend(),
                    [&](const QString &l) { return l.endsWith(u' ' + b.rdata); });
            };
            QTRY_VERIFY2_WITH_TIMEOUT(served(), qPrintable(b.name + u' ' + b.rdata), 10000);
        }
    }
}

QString tst_Drain::dig(const QString &name)
{
    const QJsonObject dns = m_state.value(QStringLiteral("dns")).toObject();
    return tool(QStringLiteral("dig"), {QStringLiteral("+short"), QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
                                           QString::number(dns.value(QStringLiteral("port")).toInt()), name,
                                           QStringLiteral("A")});
}

QString tst_Drain::taskKey(const QString &service, int index) const
{
    const QJsonObject t = m_state.value(QStringLiteral("services")).toObject().value(service).toObject()
                              .value(QStringLiteral("tasks")).toArray().at(index).toObject();
    return QStringLiteral("%1:%2").arg(t.value(QStringLiteral("addr")).toString()).arg(t.value(QStringLiteral("port")).toInt());
}

QString tst_Drain::writeProfile(const std::function<void(QJsonObject &)> &edit)
{
    QFile f(m_profile);
    f.open(QIODevice::ReadOnly);
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    edit(o);
    static int n = 0;
    const QString path = m_tmp.filePath(QStringLiteral("p%1.hopscope.json").arg(++n));
    QFile out(path);
    out.open(QIODevice::WriteOnly);
    out.write(QJsonDocument(o).toJson());
    return path;
}

// The countdown's DNS stale window runs on the injected clock, not the wall clock: frozen, it
// shows the whole TTL; advanced past removal + TTL (and with no LB sessions left) it is safe.
void tst_Drain::countdownFollowsTheInjectedClockToSafe()
{
    const QString key = taskKey(QStringLiteral("serviceb"), 0);
    const ProfileLoadResult loaded = ProfileStore::load(m_profile);
    QVERIFY(loaded.ok());
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy round(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(round.wait(20000));
    ManualClock clock(QDateTime::currentDateTimeUtc());
    AuditLog audit(m_tmp.filePath(QStringLiteral("clock.audit.jsonl")));
    DrainController ctl(&monitor, &audit, nullptr, clock);
    ctl.setVerifyTimeoutMs(20000);
    ctl.setWatchTimeoutMs(60000);
    const DrainPlan plan = ctl.makePlan(key, DrainForce::No);
    QVERIFY2(plan.canExecute(), qPrintable(plan.toText()));
    QCOMPARE(plan.steps.first().kind, DrainStepKind::DnsRemove);
    const int ttl = plan.expectedSecondsUntilSafe;
    QVERIFY2(ttl >= 3, qPrintable(plan.toText()));
    QVERIFY(ctl.confirm(QString()));
    QSignalSpy safe(&ctl, &DrainController::safeToStop);
    QSignalSpy failed(&ctl, &DrainController::failed);
    ctl.execute();
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == DrainController::State::Watching || !failed.isEmpty(), 60000);
    QVERIFY2(failed.isEmpty(), qPrintable(ctl.lastMessage()));

    // Frozen clock: the whole TTL is left, whatever the wall clock did meanwhile.
    QCOMPARE(ctl.countdown().dnsStaleSecondsLeft, qint64(ttl));
    QVERIFY(!ctl.countdown().safe());
    QVERIFY2(ctl.countdown().holding.join(u'\n').contains(QStringLiteral("may still hold the record for %1 s").arg(ttl)),
        qPrintable(ctl.countdown().holding.join(u'\n')));
    clock.advanceMs(qint64(ttl - 1) * 1000);
    QTRY_COMPARE_WITH_TIMEOUT(ctl.countdown().dnsStaleSecondsLeft, qint64(1), 5000);
    QCOMPARE(ctl.state(), DrainController::State::Watching);
    QVERIFY(safe.isEmpty());
    clock.advanceMs(1000);
    QTRY_COMPARE_WITH_TIMEOUT(ctl.countdown().dnsStaleSecondsLeft, qint64(0), 5000);
    // Safe once HAProxy also reports no session on it (the traffic generator's are short).
    QVERIFY2(safe.wait(30000) || ctl.state() == DrainController::State::Safe,
        qPrintable(ctl.countdown().holding.join(u'\n')));
    QCOMPARE(ctl.state(), DrainController::State::Safe);
    QVERIFY(ctl.countdown().holding.isEmpty());

    QSignalSpy undone(&ctl, &DrainController::undoFinished);
    ctl.undo();
    QVERIFY(undone.wait(60000));
    QVERIFY2(undone.first().first().toBool(), qPrintable(undone.first().at(1).toString()));
    QVERIFY(dig(QStringLiteral("serviceb.corp.internal")).contains(key.section(u':', 0, 0)));
    monitor.stop();
    QVERIFY(AuditLog::verify(audit.filePath()).ok());
}

// With the clock frozen the DNS window never passes: the watch times out and says what holds,
// in the signal, the state and the audit log; undo still puts everything back.
void tst_Drain::watchTimeoutSaysWhatStillHolds()
{
    const QString key = taskKey(QStringLiteral("serviceb"), 2);
    const ProfileLoadResult loaded = ProfileStore::load(m_profile);
    QVERIFY(loaded.ok());
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy round(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(round.wait(20000));
    ManualClock clock(QDateTime::currentDateTimeUtc());
    AuditLog audit(m_tmp.filePath(QStringLiteral("timeout.audit.jsonl")));
    DrainController ctl(&monitor, &audit, nullptr, clock);
    ctl.setVerifyTimeoutMs(20000);
    ctl.setWatchTimeoutMs(2000);
    const DrainPlan plan = ctl.makePlan(key, DrainForce::No);
    QVERIFY2(plan.canExecute(), qPrintable(plan.toText()));
    QVERIFY(ctl.confirm(QString()));
    QSignalSpy timedOut(&ctl, &DrainController::timedOut);
    QSignalSpy safe(&ctl, &DrainController::safeToStop);
    ctl.execute();
    QVERIFY2(timedOut.wait(60000), qPrintable(ctl.lastMessage()));
    QVERIFY(safe.isEmpty());
    QCOMPARE(ctl.state(), DrainController::State::TimedOut);
    const QStringList holding = timedOut.first().first().toStringList();
    QVERIFY2(holding.join(u'\n').contains(
                 QStringLiteral("may still hold the record for %1 s").arg(plan.expectedSecondsUntilSafe)),
        qPrintable(holding.join(u'\n')));
    QVERIFY2(ctl.lastMessage().contains(QStringLiteral("not safe after 2 s")), qPrintable(ctl.lastMessage()));

    QSignalSpy undone(&ctl, &DrainController::undoFinished);
    ctl.undo();
    QVERIFY(undone.wait(60000));
    QVERIFY2(undone.first().first().toBool(), qPrintable(undone.first().at(1).toString()));
    QVERIFY(dig(QStringLiteral("serviceb.corp.internal")).contains(key.section(u':', 0, 0)));
    monitor.stop();
    QFile f(audit.filePath());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray all = f.readAll();
    QVERIFY2(all.contains("\"event\":\"timeout\"") && all.contains("may still hold the record"), all.constData());
    QVERIFY(AuditLog::verify(audit.filePath()).ok());
}

void tst_Drain::serviceBDrainAndUndoOnAllLayers()
{
    const QString key = taskKey(QStringLiteral("serviceb"), 1);
    const QString addr = key.section(u':', 0, 0);
    QVERIFY2(dig(QStringLiteral("serviceb.corp.internal")).contains(addr), "precondition: BIND lists it");
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_state, key), QStringLiteral("UP"), 20000);

    const Run d = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes"), QStringLiteral("--wait"),
                          QStringLiteral("--timeout"), QStringLiteral("60"), QStringLiteral("--json")},
        m_audit);
    QVERIFY2(d.code == 0, qPrintable(d.out + d.err));
    const QJsonObject result = QJsonDocument::fromJson(d.out.toUtf8()).object();
    QCOMPARE(result.value(QStringLiteral("outcome")).toString(), QStringLiteral("safe"));
    QCOMPARE(result.value(QStringLiteral("countdown")).toObject().value(QStringLiteral("dnsStaleSecondsLeft")).toInt(), 0);
    // Read the servers back: BIND no longer answers it; HAProxy does not route to it.
    QVERIFY2(!dig(QStringLiteral("serviceb.corp.internal")).contains(addr), "BIND still lists the record");
    const QString lb = haproxyStatus(m_state, key);
    QVERIFY2(lb == u"absent" || lb.startsWith(u"DRAIN") || lb.startsWith(u"MAINT"), qPrintable(lb));

    const Run u = run({QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes")}, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(dig(QStringLiteral("serviceb.corp.internal")).contains(addr), "BIND does not list the record again");
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_state, key), QStringLiteral("UP"), 20000);

    const QString log = clusterLog(m_profile);
    QVERIFY2(AuditLog::verify(log).ok(), qPrintable(log));
    const Run show = run({QStringLiteral("audit"), QStringLiteral("show"), m_profile}, m_audit);
    QCOMPARE(show.code, 0);
    for (const char *event : {"plan", "confirm", "step [dns-remove]", "verified [dns-remove]", "step [lb-drain]",
             "safe", "undo-step [dns-remove]", "undone"}) {
        QVERIFY2(show.out.contains(QLatin1String(event)), event);
    }
}

// A dry run (or any later plan) of a drained target writes a "plan" line to the audit log; the
// drain before it is still in force, so undrain must still find and undo it.
void tst_Drain::undrainAfterADryRunStillUndoesTheDrain()
{
    const QString key = taskKey(QStringLiteral("user"), 1);
    const QString addr = key.section(u':', 0, 0);
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_state, key), QStringLiteral("UP"), 20000);
    const Run d = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes")}, m_audit);
    QVERIFY2(d.code == 0 || d.code == 3, qPrintable(d.out + d.err)); // 3: drained, not waited for safe
    QVERIFY(!dig(QStringLiteral("user.corp.internal")).contains(addr));
    const Run dry = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--dry-run")}, m_audit);
    QVERIFY2(dry.code == 0, qPrintable(dry.out + dry.err));
    QVERIFY(haproxyStatus(m_state, key).startsWith(QStringLiteral("DRAIN")));
    const Run u = run({QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes")}, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(dig(QStringLiteral("user.corp.internal")).contains(addr), "the DNS record was not re-added");
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_state, key), QStringLiteral("UP"), 20000);
}

void tst_Drain::meshTargetDrainsThroughItsSidecar()
{
    const QString key = taskKey(QStringLiteral("payments"), 0);
    const QString admin = m_state.value(QStringLiteral("envoy")).toObject().value(QStringLiteral("payments-1-envoy"))
                              .toObject().value(QStringLiteral("admin_url")).toString();
    QVERIFY(tool(QStringLiteral("curl"), {QStringLiteral("-s"), admin + QStringLiteral("/server_info")}).contains(QStringLiteral("LIVE")));
    const Run d = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes"), QStringLiteral("--json"),
                       QStringLiteral("--wait"), QStringLiteral("--timeout"), QStringLiteral("60")}, m_audit);
    // 0: every step verified and safe reached (the sidecar's downstream connections went to 0,
    // and the DNS stale window passed).
    QVERIFY2(d.code == 0, qPrintable(d.out + d.err));
    QVERIFY(tool(QStringLiteral("curl"), {QStringLiteral("-s"), admin + QStringLiteral("/server_info")}).contains(QStringLiteral("DRAINING")));
    const QJsonArray steps = QJsonDocument::fromJson(d.out.toUtf8()).object().value(QStringLiteral("steps")).toArray();
    QCOMPARE(steps.last().toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("sidecar-fail"));
    const Run u = run({QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes")}, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY(tool(QStringLiteral("curl"), {QStringLiteral("-s"), admin + QStringLiteral("/server_info")}).contains(QStringLiteral("LIVE")));
    QVERIFY(dig(QStringLiteral("payments.corp.internal")).contains(key.section(u':', 0, 0)));
}

void tst_Drain::wrongTsigSecretChangesNothing()
{
    const QString secretFile = m_tmp.filePath(QStringLiteral("wrong.secret"));
    QFile s(secretFile);
    QVERIFY(s.open(QIODevice::WriteOnly));
    s.write("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    s.close();
    const QString profile = writeProfile([&](QJsonObject &o) {
        QJsonObject du = o.value(QStringLiteral("dnsUpdate")).toObject();
        QJsonObject key = du.value(QStringLiteral("tsigKey")).toObject();
        key.insert(QStringLiteral("secret"), QString(QStringLiteral("file:") + secretFile));
        du.insert(QStringLiteral("tsigKey"), key);
        o.insert(QStringLiteral("dnsUpdate"), du);
        o.insert(QStringLiteral("name"), QStringLiteral("wrong-secret"));
    });
    const QString key = taskKey(QStringLiteral("serviceb"), 2);
    const Run d = run({QStringLiteral("drain"), profile, key, QStringLiteral("--yes")}, m_audit);
    QCOMPARE(d.code, 1);
    QVERIFY2(d.out.contains(QStringLiteral("the key's secret is wrong")) || d.err.contains(QStringLiteral("the key's secret is wrong")),
        qPrintable(d.out + d.err));
    QVERIFY2(d.out.contains(QStringLiteral("nothing was changed")), qPrintable(d.out));
    QVERIFY(!QString(d.out + d.err).contains(QStringLiteral("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")));
    QVERIFY(dig(QStringLiteral("serviceb.corp.internal")).contains(key.section(u':', 0, 0)));
    QCOMPARE(haproxyStatus(m_state, key), QStringLiteral("UP"));
    QFile log(clusterLog(profile));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray lines = log.readAll();
    QVERIFY2(lines.contains("\"event\":\"failed\"") && lines.contains("BADSIG"), lines.constData());
}

void tst_Drain::refusals_data()
{
    QTest::addColumn<QString>("service");
    QTest::addColumn<bool>("observeOnly");
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("expected");
    QTest::newRow("last-healthy-target") << "order" << false << QStringList{QStringLiteral("--yes")} << "last healthy target";
    QTest::newRow("observe-only-profile") << "serviceb" << true << QStringList{QStringLiteral("--yes")} << "observe-only";
    QTest::newRow("no-tty-without-yes") << "serviceb" << false << QStringList{} << "stdin is not a terminal";
    QTest::newRow("unknown-target") << "" << false << QStringList{QStringLiteral("--yes")} << "not a target of any service";
}

void tst_Drain::refusals()
{
    QFETCH(QString, service);
    QFETCH(bool, observeOnly);
    QFETCH(QStringList, extra);
    QFETCH(QString, expected);
    const QString profile = observeOnly ? writeProfile([](QJsonObject &o) { o.insert(QStringLiteral("observeOnly"), true); })
                                        : m_profile;
    const QString key = service.isEmpty() ? QStringLiteral("127.0.0.1:9") : taskKey(service, 0);
    const Run d = run(QStringList{QStringLiteral("drain"), profile, key} + extra, m_audit);
    QCOMPARE(d.code, 1);
    QVERIFY2(QString(d.out + d.err).contains(expected), qPrintable(d.out + d.err));
    if (!service.isEmpty()) {
        QVERIFY(dig(service + QStringLiteral(".corp.internal")).contains(key.section(u':', 0, 0)));
    }
}

void tst_Drain::forcedLastHealthyNeedsTypedConfirmation()
{
    const QString key = taskKey(QStringLiteral("order"), 0);
    const Run noConfirm = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--force"), QStringLiteral("--yes")}, m_audit);
    QCOMPARE(noConfirm.code, 1);
    QVERIFY2(noConfirm.err.contains(QStringLiteral("--confirm ") + key), qPrintable(noConfirm.err));
    const Run wrong = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--force"), QStringLiteral("--confirm"),
                              QStringLiteral("127.0.0.1:1")},
        m_audit);
    QCOMPARE(wrong.code, 1);
    QVERIFY(dig(QStringLiteral("order.corp.internal")).contains(key.section(u':', 0, 0)));
    const Run ok = run({QStringLiteral("drain"), m_profile, key, QStringLiteral("--force"), QStringLiteral("--confirm"), key}, m_audit);
    QVERIFY2(ok.code == 3 || ok.code == 0, qPrintable(ok.out + ok.err));
    QVERIFY(!dig(QStringLiteral("order.corp.internal")).contains(key.section(u':', 0, 0)));
    const Run u = run({QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes")}, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY(dig(QStringLiteral("order.corp.internal")).contains(key.section(u':', 0, 0)));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_state, key), QStringLiteral("UP"), 20000);
}

void tst_Drain::haproxyKilledMidDrainThenUndone()
{
    const QString key = taskKey(QStringLiteral("user"), 0);
    const ProfileLoadResult loaded = ProfileStore::load(m_profile);
    QVERIFY(loaded.ok());
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy round(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(round.wait(20000));
    AuditLog audit(m_tmp.filePath(QStringLiteral("killed.audit.jsonl")));
    DrainController ctl(&monitor, &audit);
    ctl.setVerifyTimeoutMs(20000);
    const DrainPlan plan = ctl.makePlan(key, DrainForce::No);
    QVERIFY2(plan.canExecute(), qPrintable(plan.toText()));
    QCOMPARE(plan.steps.size(), 2); // DNS record, then be_user
    QVERIFY(ctl.confirm(QString()));
    const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
    QCOMPARE(peers({QStringLiteral("kill"), QStringLiteral("--dir"), dir, QStringLiteral("haproxy")}), 0);
    QSignalSpy failed(&ctl, &DrainController::failed);
    ctl.execute();
    QVERIFY(failed.wait(60000));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("lb-drain failed")), qPrintable(failed.first().first().toString()));
    QCOMPARE(ctl.state(), DrainController::State::Failed);
    // The DNS removal, and the HAProxy command whose intent was written: a connection that
    // fails gives no answer, so it may have been applied; undo treats it as done.
    QCOMPARE(ctl.doneSteps().size(), 2);
    QCOMPARE(ctl.uncertainLayers(), QStringList{QStringLiteral("lb-drain")});
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("MAY HAVE HAPPENED")),
        qPrintable(failed.first().first().toString()));
    QVERIFY(!dig(QStringLiteral("user.corp.internal")).contains(key.section(u':', 0, 0)));

    QCOMPARE(peers({QStringLiteral("start"), QStringLiteral("--dir"), dir, QStringLiteral("haproxy")}), 0);
    QSignalSpy undone(&ctl, &DrainController::undoFinished);
    ctl.undo();
    QVERIFY(undone.wait(60000));
    QVERIFY2(undone.first().first().toBool(), qPrintable(undone.first().at(1).toString()));
    QVERIFY(dig(QStringLiteral("user.corp.internal")).contains(key.section(u':', 0, 0)));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_state, key), QStringLiteral("UP"), 20000);
    monitor.stop();

    const AuditVerifyResult v = AuditLog::verify(audit.filePath());
    QVERIFY(v.ok());
    QFile f(audit.filePath());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray all = f.readAll();
    for (const char *e : {"\"event\":\"failed\"", "\"event\":\"undo\"", "\"event\":\"undone\""}) {
        QVERIFY2(all.contains(e), e);
    }
}

void tst_Drain::auditVerifyCatchesTampering()
{
    const QString log = clusterLog(m_profile);
    const Run ok = run({QStringLiteral("audit"), QStringLiteral("verify"), log}, m_audit);
    QVERIFY2(ok.code == 0, qPrintable(ok.out + ok.err));
    QFile f(log);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray bytes = f.readAll();
    f.close();
    const QString copy = m_tmp.filePath(QStringLiteral("tampered.audit.jsonl"));
    bytes[bytes.indexOf("\"confirm\"") + 2] = 'X';
    QFile c(copy);
    QVERIFY(c.open(QIODevice::WriteOnly));
    c.write(bytes);
    c.close();
    const Run bad = run({QStringLiteral("audit"), QStringLiteral("verify"), copy}, m_audit);
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.out.contains(QStringLiteral("NOT intact")), qPrintable(bad.out));
}

QTEST_GUILESS_MAIN(tst_Drain)
#include "tst_Drain.moc"
