// Issue 12 §1 and §3 end to end: the demo cluster (peers_demo) reached only through the
// throwaway sshd (peers_ssh) by a profile whose every endpoint has "via": HAProxy's runtime API
// as its unix socket on the jump host, the Envoy emulators' admin ports and BIND (queries and
// RFC 2136 updates over TCP). Checked against the servers themselves: the sshd log shows the
// channels, the snapshot lists the same tasks as the direct profile, and a drain and undrain
// through the tunnel are read back from BIND, HAProxy and the sidecar directly. A wrong host key
// is a blocking error naming both fingerprints with every source stale; a killed sshd makes every
// source stale with the tunnel's reason until it is started again.
#include "DrainReadBack.h"
#include "PeersHarness.h"
#include "SshPeer.h"
#include "core/EventLog.h"
#include "profile/ProfileStore.h"
#include "ssh/TunnelSet.h"
#include "topology/ClusterMonitor.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;
using hopscope::readback::haproxyStatus;
using hopscope::readback::tool;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
    qint64 ms = 0;
};

Run cli(const QStringList &args, const QString &auditDir)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), auditDir);
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    QElapsedTimer clock;
    clock.start();
    p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    if (!p.waitForFinished(150000)) {
        p.kill();
        p.waitForFinished();
    }
    Run r;
    r.ms = clock.elapsed();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// service id → sorted task keys, and every target's health, from `snapshot --json`.
QMap<QString, QStringList> tasksOf(const QString &json, QStringList *healths = nullptr)
{
    QMap<QString, QStringList> tasks;
    const QJsonArray services = QJsonDocument::fromJson(json.toUtf8())
                                    .object()
                                    .value(QStringLiteral("services"))
                                    .toArray();
    for (const QJsonValue &s : services) {
        QStringList keys;
        for (const QJsonValue &t : s.toObject().value(QStringLiteral("targets")).toArray()) {
            keys << t.toObject().value(QStringLiteral("key")).toString();
            if (healths) {
                *healths << t.toObject().value(QStringLiteral("health")).toString();
            }
        }
        keys.sort();
        tasks.insert(s.toObject().value(QStringLiteral("id")).toString(), keys);
    }
    return tasks;
}

QString readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

class tst_ViaSsh : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void profileCheckReportsTheJumpHost();
    void snapshotThroughTheTunnelShowsTheSameTasks();
    void dnsCommandThroughTheTunnel();
    void drainAndUndrainThroughTheTunnel();
    void haproxyDrainThroughTheUnixSocketForward();
    void wrongHostKeyBlocksAndEverySourceIsStale();
    void sshdKilledThenStartedAgain();

private:
    QString writeViaProfile(const QString &name, const QString &hostKey = QString());
    QString sshdLog() const { return readFile(m_peer.value("dir") + QStringLiteral("/sshd.log")); }
    QString taskKey(const QString &service, int index) const;
    QString dig(const QString &name) const;
    QString sidecarInfo(const QString &id) const;

    PeersHarness m_demo;
    SshPeer m_peer;
    QTemporaryDir m_tmp;
    QString m_via;
    QString m_audit;
};

void tst_ViaSsh::initTestCase()
{
    QVERIFY2(m_demo.isUp(), "the peers_demo fixture is not up");
    QVERIFY2(m_peer.isUp(), "the peers_ssh fixture is not up");
    QVERIFY(m_tmp.isValid());
    m_audit = m_tmp.filePath(QStringLiteral("audit"));
    qputenv("HOPSCOPE_AUDIT_DIR", m_audit.toLocal8Bit());
    m_via = writeViaProfile(QStringLiteral("via.hopscope.json"));
    QVERIFY(!m_via.isEmpty());
}

QString tst_ViaSsh::writeViaProfile(const QString &name, const QString &hostKey)
{
    const QString out = m_tmp.filePath(name);
    QStringList args { QStringLiteral("via-profile"), QStringLiteral("--ssh-dir"),
        m_peer.value("dir"), QStringLiteral("--out"), out };
    if (!hostKey.isEmpty()) {
        args << QStringLiteral("--host-key") << hostKey;
    }
    QString log;
    if (!m_demo.run(args.takeFirst(), args, &log)) {
        qWarning("via-profile failed: %s", qPrintable(log));
        return {};
    }
    return out;
}

QString tst_ViaSsh::taskKey(const QString &service, int index) const
{
    const QStringList tasks = m_demo.tasks(service);
    return tasks.value(index);
}

QString tst_ViaSsh::dig(const QString &name) const
{
    const QJsonObject dns = m_demo.state().value(QStringLiteral("dns")).toObject();
    return tool(QStringLiteral("dig"),
        { QStringLiteral("+short"), QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
            QString::number(dns.value(QStringLiteral("port")).toInt()), name,
            QStringLiteral("A") });
}

QString tst_ViaSsh::sidecarInfo(const QString &id) const
{
    const QString admin = m_demo.state()
                              .value(QStringLiteral("envoy"))
                              .toObject()
                              .value(id)
                              .toObject()
                              .value(QStringLiteral("admin_url"))
                              .toString();
    return tool(
        QStringLiteral("curl"), { QStringLiteral("-s"), admin + QStringLiteral("/server_info") });
}

void tst_ViaSsh::profileCheckReportsTheJumpHost()
{
    const Run ok = cli({ QStringLiteral("profile"), QStringLiteral("check"), m_via }, m_audit);
    QVERIFY2(ok.code == 0, qPrintable(ok.out + ok.err));
    QVERIFY2(ok.out.contains(QStringLiteral("1 ssh host")), qPrintable(ok.out));

    // Every via problem with its JSON path: unknown id, both and neither host key forms.
    QJsonObject o = QJsonDocument::fromJson(readFile(m_via).toUtf8()).object();
    QJsonArray hosts = o.value(QStringLiteral("sshHosts")).toArray();
    QJsonObject jump = hosts.at(0).toObject();
    jump.insert(QStringLiteral("knownHosts"),
        QString(QStringLiteral("file:") + m_peer.value("known_hosts")));
    QJsonObject bare = jump;
    bare.remove(QStringLiteral("hostKey"));
    bare.remove(QStringLiteral("knownHosts"));
    bare.insert(QStringLiteral("id"), QStringLiteral("bare"));
    bare.insert(QStringLiteral("hostKey2"), QStringLiteral("kept"));
    hosts = QJsonArray { jump, bare };
    o.insert(QStringLiteral("sshHosts"), hosts);
    QJsonArray proxies = o.value(QStringLiteral("proxies")).toArray();
    QJsonObject px = proxies.at(0).toObject();
    px.insert(QStringLiteral("via"), QStringLiteral("nowhere"));
    proxies.replace(0, px);
    o.insert(QStringLiteral("proxies"), proxies);
    const QString bad = m_tmp.filePath(QStringLiteral("bad.hopscope.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(o).toJson());
    f.close();
    const Run check = cli({ QStringLiteral("profile"), QStringLiteral("check"), bad }, m_audit);
    QCOMPARE(check.code, 1);
    QVERIFY2(
        check.out.contains(QStringLiteral("sshHosts[0]: has both \"hostKey\" and \"knownHosts\"")),
        qPrintable(check.out));
    QVERIFY2(check.out.contains(QStringLiteral("sshHosts[1]: has neither \"hostKey\"")),
        qPrintable(check.out));
    QVERIFY2(
        check.out.contains(QStringLiteral("proxies[0].via: no sshHosts entry with id \"nowhere\"")),
        qPrintable(check.out));

    // Unknown keys of an sshHosts entry survive a load and save.
    const ProfileLoadResult loaded = ProfileStore::load(m_via);
    QVERIFY(loaded.ok());
    ClusterProfile p = *loaded.profile;
    p.sshHosts[0].raw.insert(QStringLiteral("comment"), QStringLiteral("bastion in eu-west-1"));
    const QJsonObject saved = p.toJson();
    const QJsonObject h = saved.value(QStringLiteral("sshHosts")).toArray().at(0).toObject();
    QCOMPARE(h.value(QStringLiteral("comment")).toString(), QStringLiteral("bastion in eu-west-1"));
    QCOMPARE(h.value(QStringLiteral("hostKey")).toString(), m_peer.value("host_key_fingerprint"));
    QCOMPARE(saved.value(QStringLiteral("dns")).toObject().value(QStringLiteral("via")).toString(),
        QStringLiteral("jump"));
}

void tst_ViaSsh::snapshotThroughTheTunnelShowsTheSameTasks()
{
    const qsizetype logBefore = sshdLog().size();
    const Run direct = cli(
        { QStringLiteral("snapshot"), m_demo.profilePath(), QStringLiteral("--json") }, m_audit);
    const Run via = cli({ QStringLiteral("snapshot"), m_via, QStringLiteral("--json") }, m_audit);
    QVERIFY2(direct.code == 0, qPrintable(direct.err));
    QVERIFY2(via.code == 0, qPrintable(via.out.right(3000) + via.err));
    QStringList viaHealth;
    const auto viaTasks = tasksOf(via.out, &viaHealth);
    QCOMPARE(viaTasks, tasksOf(direct.out));
    QVERIFY(viaTasks.size() >= 6);
    QVERIFY2(!viaHealth.contains(QStringLiteral("unknown")), qPrintable(viaHealth.join(u' ')));
    qInfo("snapshot: direct %lld ms, through the SSH tunnel %lld ms", direct.ms, via.ms);

    // The answers came through the jump host: sshd opened a streamlocal channel to HAProxy's
    // socket and direct-tcpip channels to BIND and every sidecar's admin port.
    const QString log = sshdLog().mid(logBefore);
    const QJsonObject st = m_demo.state();
    QVERIFY2(log.contains(QStringLiteral("server_request_direct_streamlocal")),
        qPrintable(log.right(2000)));
    QVERIFY2(log.contains(st.value(QStringLiteral("haproxy"))
                              .toObject()
                              .value(QStringLiteral("socket"))
                              .toString()),
        qPrintable(log.right(2000)));
    const int dnsPort
        = st.value(QStringLiteral("dns")).toObject().value(QStringLiteral("port")).toInt();
    QVERIFY2(log.contains(QStringLiteral("to 127.0.0.1 port %1").arg(dnsPort)),
        qPrintable(log.right(2000)));
    const QJsonObject envoy = st.value(QStringLiteral("envoy")).toObject();
    for (auto it = envoy.begin(); it != envoy.end(); ++it) {
        const QJsonObject admin = it.value().toObject().value(QStringLiteral("admin")).toObject();
        const QString to = QStringLiteral("to %1 port %2")
                               .arg(admin.value(QStringLiteral("addr")).toString())
                               .arg(admin.value(QStringLiteral("port")).toInt());
        QVERIFY2(log.contains(to), qPrintable(to));
    }
}

void tst_ViaSsh::dnsCommandThroughTheTunnel()
{
    const qsizetype logBefore = sshdLog().size();
    const Run direct
        = cli({ QStringLiteral("dns"), m_demo.profilePath(), QStringLiteral("--json") }, m_audit);
    const Run via = cli({ QStringLiteral("dns"), m_via, QStringLiteral("--json") }, m_audit);
    QVERIFY2(direct.code == 0, qPrintable(direct.err));
    QVERIFY2(via.code == 0, qPrintable(via.out + via.err));
    // Same names, same addresses (the order of records may differ).
    auto addresses = [](const QString &json) {
        QStringList found;
        const QJsonArray services = QJsonDocument::fromJson(json.toUtf8())
                                        .object()
                                        .value(QStringLiteral("services"))
                                        .toArray();
        for (const QJsonValue &s : services) {
            const QString text = QString::fromUtf8(
                QJsonDocument(s.toObject().value(QStringLiteral("records")).toArray())
                    .toJson(QJsonDocument::Compact));
            for (const QString &part : text.split(u'"')) {
                if (part.startsWith(QStringLiteral("127."))) {
                    found << part;
                }
            }
        }
        found.sort();
        return found;
    };
    QVERIFY(!addresses(via.out).isEmpty());
    QCOMPARE(addresses(via.out), addresses(direct.out));
    const int dnsPort = m_demo.state()
                            .value(QStringLiteral("dns"))
                            .toObject()
                            .value(QStringLiteral("port"))
                            .toInt();
    QVERIFY(sshdLog().mid(logBefore).contains(QStringLiteral("to 127.0.0.1 port %1").arg(dnsPort)));
}

void tst_ViaSsh::drainAndUndrainThroughTheTunnel()
{
    // payments-2 has all three layers: its A record, HAProxy's server and its Envoy sidecar.
    const QString key = taskKey(QStringLiteral("payments"), 1);
    const QString addr = key.section(u':', 0, 0);
    QVERIFY(dig(QStringLiteral("payments.corp.internal")).contains(addr));
    QVERIFY(sidecarInfo(QStringLiteral("payments-2-envoy")).contains(QStringLiteral("LIVE")));
    const qsizetype logBefore = sshdLog().size();

    const Run d = cli(
        { QStringLiteral("drain"), m_via, key, QStringLiteral("--yes"), QStringLiteral("--json") },
        m_audit);
    QVERIFY2(
        d.code == 0 || d.code == 3, qPrintable(d.out + d.err)); // 3: drained, safe not waited for
    const QJsonArray steps
        = QJsonDocument::fromJson(d.out.toUtf8()).object().value(QStringLiteral("steps")).toArray();
    QStringList kinds;
    for (const QJsonValue &s : steps) {
        kinds << s.toObject().value(QStringLiteral("kind")).toString();
    }
    QVERIFY2(kinds.contains(QStringLiteral("dns-remove"))
            && kinds.contains(QStringLiteral("sidecar-fail")),
        qPrintable(kinds.join(u' ')));
    // Read back from the servers themselves, not through hopscope.
    QVERIFY2(!dig(QStringLiteral("payments.corp.internal")).contains(addr),
        "BIND still serves the record");
    QVERIFY(sidecarInfo(QStringLiteral("payments-2-envoy")).contains(QStringLiteral("DRAINING")));
    if (kinds.contains(QStringLiteral("lb-drain"))) {
        const QString lb = haproxyStatus(m_demo.state(), key);
        QVERIFY2(
            lb == u"absent" || lb.startsWith(u"DRAIN") || lb.startsWith(u"MAINT"), qPrintable(lb));
    }

    const Run u = cli({ QStringLiteral("undrain"), m_via, key, QStringLiteral("--yes") }, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(dig(QStringLiteral("payments.corp.internal")).contains(addr),
        "the record was not re-added");
    QVERIFY(sidecarInfo(QStringLiteral("payments-2-envoy")).contains(QStringLiteral("LIVE")));
    if (kinds.contains(QStringLiteral("lb-drain"))) {
        QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_demo.state(), key), QStringLiteral("UP"), 20000);
    }
    // The UPDATE and the POSTs went through the jump host (TCP to BIND, to the sidecar's admin).
    const QString log = sshdLog().mid(logBefore);
    const QJsonObject admin = m_demo.state()
                                  .value(QStringLiteral("envoy"))
                                  .toObject()
                                  .value(QStringLiteral("payments-2-envoy"))
                                  .toObject()
                                  .value(QStringLiteral("admin"))
                                  .toObject();
    QVERIFY(log.contains(QStringLiteral("to %1 port %2")
                             .arg(admin.value(QStringLiteral("addr")).toString())
                             .arg(admin.value(QStringLiteral("port")).toInt())));
}

// servicec's first task: its SRV record (RFC 2136 over TCP through the tunnel) and its HAProxy
// slot (`set server … state drain` on the runtime socket through direct-streamlocal).
void tst_ViaSsh::haproxyDrainThroughTheUnixSocketForward()
{
    const QString key = taskKey(QStringLiteral("servicec"), 0);
    const int dnsPort = m_demo.state()
                            .value(QStringLiteral("dns"))
                            .toObject()
                            .value(QStringLiteral("port"))
                            .toInt();
    const auto srv = [&] {
        return tool(QStringLiteral("dig"),
            { QStringLiteral("+short"), QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
                QString::number(dnsPort), QStringLiteral("servicec.corp.internal"),
                QStringLiteral("SRV") });
    };
    const QString port = QLatin1Char(' ') + key.section(u':', 1) + QLatin1Char(' ');
    QVERIFY(srv().contains(port));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_demo.state(), key), QStringLiteral("UP"), 20000);
    const qsizetype logBefore = sshdLog().size();

    const Run d = cli(
        { QStringLiteral("drain"), m_via, key, QStringLiteral("--yes"), QStringLiteral("--json") },
        m_audit);
    QVERIFY2(d.code == 0 || d.code == 3, qPrintable(d.out + d.err));
    QStringList kinds;
    for (const QJsonValue &s :
        QJsonDocument::fromJson(d.out.toUtf8()).object().value(QStringLiteral("steps")).toArray()) {
        kinds << s.toObject().value(QStringLiteral("kind")).toString();
    }
    QCOMPARE(kinds, QStringList({ QStringLiteral("dns-remove"), QStringLiteral("lb-drain") }));
    QVERIFY2(!srv().contains(port), qPrintable(srv()));
    const QString lb = haproxyStatus(m_demo.state(), key);
    QVERIFY2(lb == u"absent" || lb.startsWith(u"DRAIN") || lb.startsWith(u"MAINT"), qPrintable(lb));

    const Run u = cli({ QStringLiteral("undrain"), m_via, key, QStringLiteral("--yes") }, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY(srv().contains(port));
    QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(m_demo.state(), key), QStringLiteral("UP"), 20000);
    QVERIFY(sshdLog().mid(logBefore).contains(QStringLiteral("server_request_direct_streamlocal")));
}

void tst_ViaSsh::wrongHostKeyBlocksAndEverySourceIsStale()
{
    const QString wrong = m_peer.value("other_host_key_fingerprint");
    const QString right = m_peer.value("host_key_fingerprint");
    const QString path = writeViaProfile(QStringLiteral("wrongkey.hopscope.json"), wrong);
    QVERIFY(!path.isEmpty());

    // CLI: the snapshot fails, every source's error is the mismatch naming both fingerprints.
    const Run r = cli({ QStringLiteral("snapshot"), path, QStringLiteral("--json") }, m_audit);
    QCOMPARE(r.code, 1);
    const QJsonObject doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QSet<QString> failed;
    for (const QJsonValue &e : doc.value(QStringLiteral("errors")).toArray()) {
        const QString message = e.toObject().value(QStringLiteral("message")).toString();
        if (message.contains(right) && message.contains(wrong)
            && message.contains(QStringLiteral("does not match"))) {
            failed.insert(e.toObject().value(QStringLiteral("source")).toString());
        }
    }
    const ProfileLoadResult loaded = ProfileStore::load(path);
    QVERIFY(loaded.ok());
    QCOMPARE(
        failed.size(), 1 + loaded.profile->loadBalancers.size() + loaded.profile->proxies.size());
    QStringList healths;
    tasksOf(r.out, &healths);
    QVERIFY(!healths.contains(QStringLiteral("healthy")));

    // In process: blocking (no reconnect), in the event log, and the monitor's sources stale.
    ClusterMonitor monitor(*loaded.profile);
    QSignalSpy rounds(&monitor, &ClusterMonitor::roundCompleted);
    monitor.start();
    QVERIFY(rounds.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(monitor.tunnels()->isBlocked(QStringLiteral("jump")), 10000);
    QVERIFY(!monitor.tunnels()->session(QStringLiteral("jump"))->isReconnectScheduled());
    bool logged = false;
    for (const EventLog::Entry &e : monitor.eventLog()->entries()) {
        logged = logged
            || (e.severity == EventLog::Severity::Error && e.source == u"ssh:jump"
                && e.message.contains(right) && e.message.contains(wrong));
    }
    QVERIFY(logged);
    for (const SourceError &e : monitor.topology().errors) {
        QVERIFY2(e.message.contains(wrong), qPrintable(e.toString()));
    }
    QCOMPARE(monitor.topology().errors.size(), failed.size());
}

void tst_ViaSsh::sshdKilledThenStartedAgain()
{
    const ProfileLoadResult loaded = ProfileStore::load(m_via);
    QVERIFY(loaded.ok());
    ClusterProfile profile = *loaded.profile;
    profile.poll.intervalMs = 1000;
    ClusterMonitor monitor(profile);
    monitor.start();
    const int sources = monitor.sources().size();
    QTRY_VERIFY_WITH_TIMEOUT(
        monitor.completedRounds() >= 2 && monitor.topology().errors.isEmpty(), 30000);
    QCOMPARE(monitor.tunnels()->session(QStringLiteral("jump"))->state(),
        SshSession::State::Authenticated);

    QString log;
    QVERIFY2(m_peer.run(QStringLiteral("kill"), &log), qPrintable(log));
    auto tunnelErrors = [&] {
        int n = 0;
        for (const SourceError &e : monitor.topology().errors) {
            n += e.message.contains(QStringLiteral("through SSH jump host \"jump\"")) ? 1 : 0;
        }
        return n;
    };
    // Every source stale, each with the tunnel's reason.
    QTRY_COMPARE_WITH_TIMEOUT(tunnelErrors(), sources, 20000);
    for (const SourceError &e : monitor.topology().errors) {
        QVERIFY2(e.message.contains(QStringLiteral("SSH")), qPrintable(e.toString()));
    }

    const bool started = m_peer.run(QStringLiteral("start"), &log);
    QVERIFY2(started, qPrintable(log));
    QElapsedTimer recovery;
    recovery.start();
    QTRY_VERIFY_WITH_TIMEOUT(monitor.topology().errors.isEmpty(), 45000);
    qInfo("sources answered again %lld ms after sshd started", recovery.elapsed());
    QCOMPARE(monitor.tunnels()->session(QStringLiteral("jump"))->state(),
        SshSession::State::Authenticated);
}

QTEST_GUILESS_MAIN(tst_ViaSsh)
#include "tst_ViaSsh.moc"
