// Issue 12 "done when": a profile whose every endpoint sits behind the SSH jump host (peers_ssh)
// AND whose HTTP endpoints are TLS: the demo cluster (peers_demo) with each sidecar's admin
// behind a real HAProxy TLS terminator (peers_tls_front: tls_peer.py front, certificates for the
// name "localhost" only, from the per-run CA of peers_tls), reached by that name through the
// sshd. Through the tunnel the URL is the local forward 127.0.0.1:port, so TLS must check the
// certificate against (and send as SNI) the profile's host, not 127.0.0.1. CLI snapshot, dns,
// drain and undrain on that profile, read back from BIND and the sidecars themselves; wrong-name
// and unknown-issuer certificates behind the tunnel refused in plain words naming the profile's
// host.
#include "DrainReadBack.h"
#include "PeersHarness.h"
#include "SshPeer.h"
#include "TlsPeer.h"
#include "core/PollingSource.h"
#include "dns/DnsDiscoverySource.h"
#include "profile/ProfileStore.h"
#include "ssh/TunnelSet.h"
#include "topology/ClusterMonitor.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;
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

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.read(1 << 22)).object()
                                       : QJsonObject();
}

QString readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// service id → sorted task keys, and every target's health, from `snapshot --json`.
QMap<QString, QStringList> tasksOf(const QJsonObject &doc, QStringList *healths)
{
    QMap<QString, QStringList> tasks;
    for (const QJsonValue &s : doc.value(QStringLiteral("services")).toArray()) {
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

} // namespace

class tst_ViaSshTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tlsThroughTheTunnelChecksTheProfilesHost();
    void certificateFailuresBehindTheTunnelInPlainWords_data();
    void certificateFailuresBehindTheTunnelInPlainWords();
    void snapshotThroughJumpHostAndTls();
    void dnsThroughJumpHost();
    void drainAndUndrainThroughJumpHostAndTls();
    void firstPollWaitsForTheTunnel();
    void dnsErrorsNameTheServerAsTheProfileSays();
    void dnsDrainErrorsNameTheJumpHostAndTheServer();

private:
    // One sidecar, "https://localhost:<port of the tls peer's frontend>" behind the jump host.
    ClusterProfile oneSidecarBehindTheJump(const char *frontend) const;
    // The source's status once it settled (Ok or Failing), its error in *error.
    PollingSource::Status poll(const ClusterProfile &profile, SourceError *error) const;
    QString sshdLog() const { return readFile(m_ssh.value("dir") + QStringLiteral("/sshd.log")); }
    QString frontUrl(const QString &sidecar) const;
    QString sidecarInfo(const QString &id) const;
    QString dig(const QString &name) const;

    PeersHarness m_demo;
    SshPeer m_ssh;
    TlsPeer m_tls;
    QJsonObject m_front;
    QTemporaryDir m_tmp;
    QString m_profile;
    QString m_audit;
};

void tst_ViaSshTls::initTestCase()
{
    QVERIFY2(m_demo.isUp(), "the peers_demo fixture is not up");
    QVERIFY2(m_ssh.isUp(), "the peers_ssh fixture is not up");
    QVERIFY2(m_tls.isUp(), "the peers_tls fixture is not up");
    m_front
        = readJson(qEnvironmentVariable("HOPSCOPE_TLS_FRONT_DIR") + QStringLiteral("/state.json"));
    QVERIFY2(m_front.contains(QStringLiteral("fronts")), "the peers_tls_front fixture is not up");
    QVERIFY(m_tmp.isValid());
    m_audit = m_tmp.filePath(QStringLiteral("audit"));
    m_profile = m_tmp.filePath(QStringLiteral("via-tls.hopscope.json"));
    QString log;
    QVERIFY2(m_demo.run(QStringLiteral("via-profile"),
                 { QStringLiteral("--ssh-dir"), m_ssh.value("dir"), QStringLiteral("--tls-front"),
                     qEnvironmentVariable("HOPSCOPE_TLS_FRONT_DIR"), QStringLiteral("--out"),
                     m_profile },
                 &log),
        qPrintable(log));
}

ClusterProfile tst_ViaSshTls::oneSidecarBehindTheJump(const char *frontend) const
{
    const QJsonObject profile {
        { QStringLiteral("schema"), 1 },
        { QStringLiteral("name"), QStringLiteral("one sidecar via ssh + tls") },
        { QStringLiteral("poll"),
            QJsonObject {
                { QStringLiteral("intervalMs"), 500 }, { QStringLiteral("timeoutMs"), 5000 } } },
        { QStringLiteral("sshHosts"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("jump") },
                { QStringLiteral("host"), QStringLiteral("127.0.0.1") },
                { QStringLiteral("port"), m_ssh.port() },
                { QStringLiteral("user"), m_ssh.value("user") },
                { QStringLiteral("identity"), QString(u"file:" + m_ssh.value("user_key")) },
                { QStringLiteral("hostKey"), m_ssh.value("host_key_fingerprint") } } } },
        { QStringLiteral("tls"),
            QJsonObject { { QStringLiteral("ca"), QString(u"file:" + m_tls.value("ca")) } } },
        { QStringLiteral("services"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("svc") },
                { QStringLiteral("name"), QStringLiteral("svc") } } } },
        { QStringLiteral("proxies"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("edge") },
                { QStringLiteral("kind"), QStringLiteral("envoy") },
                { QStringLiteral("admin"),
                    QStringLiteral("https://localhost:%1").arg(m_tls.url(frontend).port()) },
                { QStringLiteral("via"), QStringLiteral("jump") },
                { QStringLiteral("service"), QStringLiteral("svc") },
                { QStringLiteral("task"), QStringLiteral("127.0.0.1:1") } } } },
    };
    const QString path = m_tmp.filePath(QString::fromLatin1(frontend) + QStringLiteral(".json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(profile).toJson()) <= 0) {
        return {};
    }
    f.close();
    const ProfileLoadResult loaded = ProfileStore::load(path);
    if (!loaded.ok()) {
        qWarning("%s does not load", qPrintable(path));
        return {};
    }
    return *loaded.profile;
}

PollingSource::Status tst_ViaSshTls::poll(const ClusterProfile &profile, SourceError *error) const
{
    ClusterMonitor monitor(profile);
    monitor.start();
    PollingSource *source = monitor.sources().value(0);
    if (!source) {
        return PollingSource::Status::Idle;
    }
    const bool settled = QTest::qWaitFor(
        [&] {
            return source->status() == PollingSource::Status::Ok
                || source->status() == PollingSource::Status::Failing;
        },
        30000);
    *error = source->lastError();
    if (!settled) {
        qWarning("%s neither answered nor failed within 30 s", qPrintable(source->name()));
    }
    return source->status();
}

QString tst_ViaSshTls::frontUrl(const QString &sidecar) const
{
    return m_front[QStringLiteral("fronts")][sidecar][QStringLiteral("url")].toString();
}

QString tst_ViaSshTls::sidecarInfo(const QString &id) const
{
    // The sidecar itself (its admin port, not the TLS front, not the tunnel).
    const QString admin
        = m_demo.state()[QStringLiteral("envoy")][id][QStringLiteral("admin_url")].toString();
    return tool(
        QStringLiteral("curl"), { QStringLiteral("-s"), admin + QStringLiteral("/server_info") });
}

QString tst_ViaSshTls::dig(const QString &name) const
{
    const QJsonObject dns = m_demo.state().value(QStringLiteral("dns")).toObject();
    return tool(QStringLiteral("dig"),
        { QStringLiteral("+short"), QStringLiteral("@") + dns[QStringLiteral("addr")].toString(),
            QStringLiteral("-p"), QString::number(dns.value(QStringLiteral("port")).toInt()), name,
            QStringLiteral("A") });
}

// The frontend serves its "localhost" certificate only to a client that names localhost by SNI
// (else one for wrong.example.net); the forward is 127.0.0.1: verified against, and SNI sent for,
// the profile's host, the sidecar answers.
void tst_ViaSshTls::tlsThroughTheTunnelChecksTheProfilesHost()
{
    const ClusterProfile profile = oneSidecarBehindTheJump("named");
    QVERIFY(!profile.proxies.isEmpty());
    SourceError error;
    QCOMPARE(poll(profile, &error), PollingSource::Status::Ok);
    QVERIFY2(!error.isError(), qPrintable(error.toString()));
}

void tst_ViaSshTls::certificateFailuresBehindTheTunnelInPlainWords_data()
{
    QTest::addColumn<QString>("frontend");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("wrong name") << QStringLiteral("wrongname")
                                << QStringList { QStringLiteral("wrong host name"),
                                       QStringLiteral("wrong.example.net"),
                                       QStringLiteral("not localhost") };
    QTest::newRow("unknown issuer")
        << QStringLiteral("otherca") << QStringList { QStringLiteral("unknown issuer") };
    QTest::newRow("expired") << QStringLiteral("expired")
                             << QStringList { QStringLiteral("expired on") };
}

// Behind the tunnel as directly: refused, the reason in plain words naming the profile's host
// (never the local forward's 127.0.0.1).
void tst_ViaSshTls::certificateFailuresBehindTheTunnelInPlainWords()
{
    QFETCH(QString, frontend);
    QFETCH(QStringList, words);
    const ClusterProfile profile = oneSidecarBehindTheJump(qPrintable(frontend));
    QVERIFY(!profile.proxies.isEmpty());
    SourceError error;
    QCOMPARE(poll(profile, &error), PollingSource::Status::Failing);
    QCOMPARE(error.kind, SourceError::Kind::Auth);
    for (const QString &w : words) {
        QVERIFY2(error.message.contains(w), qPrintable(w + u" not in: " + error.toString()));
    }
    // The name checked is the profile's, never the tunnel's local end.
    QVERIFY2(
        !error.message.contains(QStringLiteral("not 127.0.0.1")), qPrintable(error.toString()));
}

void tst_ViaSshTls::snapshotThroughJumpHostAndTls()
{
    const qsizetype logBefore = sshdLog().size();
    const Run direct = cli(
        { QStringLiteral("snapshot"), m_demo.profilePath(), QStringLiteral("--json") }, m_audit);
    const Run via
        = cli({ QStringLiteral("snapshot"), m_profile, QStringLiteral("--json") }, m_audit);
    QVERIFY2(direct.code == 0, qPrintable(direct.err));
    QVERIFY2(via.code == 0, qPrintable(via.out.right(3000) + via.err));
    const QJsonObject doc = QJsonDocument::fromJson(via.out.toUtf8()).object();
    QVERIFY2(
        doc.value(QStringLiteral("errors")).toArray().isEmpty(), qPrintable(via.out.right(3000)));
    QStringList healths;
    const auto tasks = tasksOf(doc, &healths);
    QCOMPARE(tasks, tasksOf(QJsonDocument::fromJson(direct.out.toUtf8()).object(), nullptr));
    QVERIFY(tasks.size() >= 6);
    QVERIFY2(!healths.contains(QStringLiteral("unknown")), qPrintable(healths.join(u' ')));
    qInfo("snapshot: direct %lld ms, through the SSH tunnel and TLS %lld ms", direct.ms, via.ms);

    // Each sidecar was asked through its TLS front by name, through the jump host.
    const QString log = sshdLog().mid(logBefore);
    const QJsonObject fronts = m_front[QStringLiteral("fronts")].toObject();
    QVERIFY(!fronts.isEmpty());
    for (auto it = fronts.begin(); it != fronts.end(); ++it) {
        const QString to = QStringLiteral("to localhost port %1")
                               .arg(it.value()[QStringLiteral("port")].toInt());
        QVERIFY2(log.contains(to), qPrintable(to + u" not in the sshd log"));
    }
}

void tst_ViaSshTls::dnsThroughJumpHost()
{
    const Run direct
        = cli({ QStringLiteral("dns"), m_demo.profilePath(), QStringLiteral("--json") }, m_audit);
    const Run via = cli({ QStringLiteral("dns"), m_profile, QStringLiteral("--json") }, m_audit);
    QVERIFY2(direct.code == 0, qPrintable(direct.err));
    QVERIFY2(via.code == 0, qPrintable(via.out + via.err));
    const auto addresses = [](const QString &json) {
        QStringList found;
        for (const QJsonValue &s : QJsonDocument::fromJson(json.toUtf8())
                                       .object()
                                       .value(QStringLiteral("services"))
                                       .toArray()) {
            const QString text = QString::fromUtf8(
                QJsonDocument(s.toObject().value(QStringLiteral("records")).toArray())
                    .toJson(QJsonDocument::Compact));
            for (const QString &part : text.split(u'"')) {
                if (part.startsWith(QStringLiteral("127."))) {
                    found << part; // the addresses (TTLs may differ between the two asks)
                }
            }
        }
        found.sort();
        return found;
    };
    QVERIFY(!addresses(via.out).isEmpty());
    QCOMPARE(addresses(via.out), addresses(direct.out));
}

void tst_ViaSshTls::drainAndUndrainThroughJumpHostAndTls()
{
    // payments-2: its A record (RFC 2136 through the tunnel) and its sidecar (POST through the
    // tunnel and the TLS front).
    const QString key = m_demo.tasks(QStringLiteral("payments")).value(1);
    const QString addr = key.section(u':', 0, 0);
    const QString sidecar = QStringLiteral("payments-2-envoy");
    QVERIFY(!key.isEmpty());
    QVERIFY(dig(QStringLiteral("payments.corp.internal")).contains(addr));
    QVERIFY(sidecarInfo(sidecar).contains(QStringLiteral("LIVE")));
    const qsizetype logBefore = sshdLog().size();

    const Run d = cli({ QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes"),
                          QStringLiteral("--json") },
        m_audit);
    QVERIFY2(d.code == 0 || d.code == 3, qPrintable(d.out + d.err)); // 3: safe not waited for
    QStringList kinds;
    for (const QJsonValue &s :
        QJsonDocument::fromJson(d.out.toUtf8()).object().value(QStringLiteral("steps")).toArray()) {
        kinds << s.toObject().value(QStringLiteral("kind")).toString();
    }
    QVERIFY2(kinds.contains(QStringLiteral("dns-remove"))
            && kinds.contains(QStringLiteral("sidecar-fail")),
        qPrintable(kinds.join(u' ')));
    QVERIFY2(!dig(QStringLiteral("payments.corp.internal")).contains(addr),
        "BIND still serves the record");
    QVERIFY(sidecarInfo(sidecar).contains(QStringLiteral("DRAINING")));

    const Run u
        = cli({ QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes") }, m_audit);
    QVERIFY2(u.code == 0, qPrintable(u.out + u.err));
    QVERIFY2(dig(QStringLiteral("payments.corp.internal")).contains(addr),
        "the record was not re-added");
    QVERIFY(sidecarInfo(sidecar).contains(QStringLiteral("LIVE")));
    // The POSTs went to the sidecar's TLS front by name, through the jump host.
    const int port = QUrl(frontUrl(sidecar)).port();
    QVERIFY2(sshdLog().mid(logBefore).contains(QStringLiteral("to localhost port %1").arg(port)),
        qPrintable(sshdLog().mid(logBefore).right(2000)));
}

// A fresh tunnel: the SSH handshake takes longer than a poll may (here: sshd answers only after
// 3 s, the poll timeout is 1 s). The sources wait for the tunnel instead of counting a timeout:
// no error at all, then every source answers.
void tst_ViaSshTls::firstPollWaitsForTheTunnel()
{
    const ProfileLoadResult loaded = ProfileStore::load(m_profile);
    QVERIFY(loaded.ok());
    ClusterProfile profile = *loaded.profile;
    profile.poll.intervalMs = 1000;
    profile.poll.timeoutMs = 1000;
    QString log;
    QVERIFY2(m_ssh.run(QStringLiteral("freeze"), &log), qPrintable(log));
    auto thaw = qScopeGuard([&] { m_ssh.run(QStringLiteral("thaw")); });
    ClusterMonitor monitor(profile);
    QList<SourceError> errors;
    for (PollingSource *s : monitor.sources()) {
        connect(s, &PollingSource::errorOccurred, this,
            [&errors](const SourceError &e) { errors.append(e); });
    }
    monitor.start();
    // Three poll timeouts with the jump host silent: nothing may time out meanwhile.
    QVERIFY(!QTest::qWaitFor([&] { return !errors.isEmpty(); }, 3 * profile.poll.timeoutMs));
    QCOMPARE(
        monitor.tunnels()->session(QStringLiteral("jump"))->state(), SshSession::State::Connecting);
    thaw.dismiss();
    QVERIFY2(m_ssh.run(QStringLiteral("thaw"), &log), qPrintable(log));
    const auto allOk = [&] {
        const QList<PollingSource *> sources = monitor.sources();
        return std::all_of(sources.cbegin(), sources.cend(),
            [](const PollingSource *s) { return s->status() == PollingSource::Status::Ok; });
    };
    QVERIFY2(QTest::qWaitFor(allOk, 30000),
        qPrintable(errors.isEmpty() ? QStringLiteral("not every source answered")
                                    : errors.first().toString()));
    QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).toString()));
}

// A DNS server behind the jump host that does not answer (a closed port there): the error names
// it as the profile does, "via jump", not the local forward the queries went to.
void tst_ViaSshTls::dnsErrorsNameTheServerAsTheProfileSays()
{
    const ClusterProfile profile = oneSidecarBehindTheJump("named");
    QVERIFY(!profile.sshHosts.isEmpty());
    quint16 closed = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        closed = probe.serverPort();
    }
    DnsDiscoveryConfig config;
    config.servers = { HostPort { QStringLiteral("127.0.0.1"), closed } };
    config.names = { { QStringLiteral("svc"), QStringLiteral("payments.corp.internal"),
        DnsRecordType::A, 80 } };
    config.resolver.timeoutMs = 1000;
    config.resolver.tries = 1;
    TunnelSet tunnels(profile.sshHosts);
    const QList<quint16> local = tunnels.reachDns(QStringLiteral("jump"), config);
    QCOMPARE(local.size(), 1);
    QVERIFY(local.first() != closed);
    DnsDiscoverySource source(config);
    // The tunnel up first: this is about the words, not the first poll's wait.
    SshSession *session = tunnels.session(QStringLiteral("jump"));
    session->open();
    QVERIFY(QTest::qWaitFor(
        [&] { return session->state() == SshSession::State::Authenticated; }, 30000));
    source.start();
    QVERIFY(
        QTest::qWaitFor([&] { return source.status() == PollingSource::Status::Failing; }, 30000));
    const SourceError e = source.lastError();
    const QString server = QStringLiteral("127.0.0.1:%1 via jump").arg(closed);
    QVERIFY2(e.source == u"dns " + server, qPrintable(e.toString()));
    QVERIFY2(e.message.contains(server), qPrintable(e.toString()));
    QVERIFY2(
        !e.toString().contains(QStringLiteral(":%1").arg(local.first())), qPrintable(e.toString()));
}

// The RFC 2136 server of a drain behind the jump host does not answer (a closed port there): the
// drain's error names the server as the profile does ("…:port via jump") and says why the tunnel
// failed in the jump host's words (it refused the channel; the jump host's address), never the
// local forward the UPDATE went to. Nothing changes: the DNS step is the first and fails.
void tst_ViaSshTls::dnsDrainErrorsNameTheJumpHostAndTheServer()
{
    quint16 closed = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        closed = probe.serverPort();
    }
    QJsonObject p = readJson(m_profile);
    QJsonObject update = p[QStringLiteral("dnsUpdate")].toObject();
    QVERIFY(!update.isEmpty());
    update.insert(QStringLiteral("server"), QStringLiteral("127.0.0.1:%1").arg(closed));
    p.insert(QStringLiteral("dnsUpdate"), update);
    const QString profile = m_tmp.filePath(QStringLiteral("closed-update.json"));
    {
        QFile f(profile);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write(QJsonDocument(p).toJson()) > 0);
    }
    const QString key = m_demo.tasks(QStringLiteral("serviceb")).value(0);
    QVERIFY(!key.isEmpty());
    const Run d = cli({ QStringLiteral("drain"), profile, key, QStringLiteral("--yes"),
                          QStringLiteral("--json") },
        m_tmp.filePath(QStringLiteral("audit-closed")));
    QCOMPARE(d.code, 1);
    const QString message = QJsonDocument::fromJson(d.out.toUtf8())
                                .object()
                                .value(QStringLiteral("message"))
                                .toString();
    const QString server = QStringLiteral("127.0.0.1:%1 via jump").arg(closed);
    QVERIFY2(message.contains(u"DNS update over TCP to " + server), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("the jump host refused the channel"))
            && message.contains(QStringLiteral("127.0.0.1:%1").arg(m_ssh.port())),
        qPrintable(message));
    // Every address:port in it is the profile's server or the jump host, none a local forward.
    static const QRegularExpression address(QStringLiteral("127\\.0\\.0\\.1:(\\d+)"));
    for (auto it = address.globalMatch(message); it.hasNext();) {
        const quint16 port = it.next().captured(1).toUShort();
        QVERIFY2(port == closed || port == m_ssh.port(), qPrintable(message));
    }
}

QTEST_GUILESS_MAIN(tst_ViaSshTls)
#include "tst_ViaSshTls.moc"
