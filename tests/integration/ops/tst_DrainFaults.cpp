// Drains that survive lost replies and a killed CLI (issue 9), end to end on the demo cluster:
// `hopscope-cli drain` runs against a profile whose DNS UPDATE server, HAProxy runtime endpoint
// and the payments-1 sidecar's admin port are tests/peers/fault_proxy.py in front of the real
// BIND, HAProxy and Envoy emulator. For each layer the proxy lets the command reach the server and
// then drops the reply, delays it past the deadline, streams an endless one or resets the
// connection; or the CLI is killed with SIGKILL at a point the test synchronises on through the
// proxy's counters (request held before the server saw it; server answered, reply held back;
// reply delivered). After every case ONE `hopscope-cli undrain` (through the proxy, now passing)
// must put the cluster back, read back with dig, HAProxy `show stat` and the sidecar's
// /server_info, and `hopscope-cli audit verify` must pass on the log. Last, the audit directory:
// on a 16 KiB tmpfs full before the drain (ENOSPC) or outgrown by a drain and its undrain, and
// made read-only by a bind mount during a step (EROFS). Needs root for mount, as CI has: fails,
// never skips, when it cannot mount.
// Over 500 lines on purpose: every case shares one fixture (the proxy, the proxied profile, the
// read-back helpers), and splitting it would start a second proxy and duplicate the helpers.

#include "FaultProxy.h"
#include "haproxy/HaproxyRuntimeClient.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include "DrainReadBack.h"
#include <QUrl>

#include <csignal>

using namespace hopscope;
using hopscope::readback::tool;

namespace {

QJsonObject peersState()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.read(1 << 22)).object();
}

struct Run
{
    int code = -1;
    QString out;
    QString err;
    QString all() const { return out + err; }
};

QProcessEnvironment cliEnv(const QString &auditDir)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOPSCOPE_AUDIT_DIR"), auditDir);
    return env;
}

Run cli(const QStringList &args, const QString &auditDir, int timeoutMs = 120000)
{
    QProcess p;
    p.setProcessEnvironment(cliEnv(auditDir));
    p.setStandardInputFile(QProcess::nullDevice());
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

} // namespace

class tst_DrainFaults : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void lostReply_data();
    void lostReply();
    void killedCli_data();
    void killedCli();
    void auditDirectoryFullBeforeTheDrain();
    void auditDirectoryTurnsReadOnlyDuringAStep();
    void auditLogOutgrowsATinyFilesystem();
    void cleanupTestCase();

private:
    struct Layer
    {
        QString route; // the proxy route of the layer's command
        QString match; // the bytes of that command (polls through the same route pass)
        QString service; // the drained target's service
    };
    static Layer layer(const QString &name);
    QString target(const QString &service, int index = 0) const;
    QString dnsName(const QString &service) const;
    bool dnsServes(const QString &service, const QString &addr) const;
    QString haproxyStatus(const QString &key) const;
    QString sidecarState() const;
    void expectRestored(const QString &key, const QString &service);
    void expectChanged(const QString &layerName, const QString &key, const QString &service);
    void expectAuditIntact(const QString &auditDir);
    QString mountTmpfs(const QString &size);

    QJsonObject m_state;
    FaultProxy m_proxy;
    QTemporaryDir m_tmp;
    QString m_profile;
    QString m_audit;
    QString m_sidecarAdmin; // direct, not through the proxy
    QStringList m_mounted;
    int m_mounts = 0;
};

tst_DrainFaults::Layer tst_DrainFaults::layer(const QString &name)
{
    if (name == u"dns") {
        return { QStringLiteral("dns"), QString(), QStringLiteral("user") };
    }
    if (name == u"haproxy") {
        return { QStringLiteral("haproxy"), QStringLiteral("state drain"), QStringLiteral("user") };
    }
    return { QStringLiteral("envoy"), QStringLiteral("/healthcheck/fail"),
        QStringLiteral("payments") };
}

void tst_DrainFaults::initTestCase()
{
    m_state = peersState();
    QVERIFY2(!m_state.isEmpty(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
    const QJsonObject dns = m_state[QStringLiteral("dns")].toObject();
    const QJsonObject cliAddr
        = m_state[QStringLiteral("haproxy")][QStringLiteral("cli")].toObject();
    m_sidecarAdmin = m_state[QStringLiteral("envoy")][QStringLiteral("payments-1-envoy")]
                            [QStringLiteral("admin_url")]
                                .toString();
    const QUrl admin(m_sidecarAdmin);
    QString error;
    QVERIFY2(
        m_proxy.start({ QStringLiteral("dns=dns:%1:%2")
                              .arg(dns[QStringLiteral("addr")].toString())
                              .arg(dns[QStringLiteral("port")].toInt()),
                          QStringLiteral("haproxy=tcp:%1:%2")
                              .arg(cliAddr[QStringLiteral("addr")].toString())
                              .arg(cliAddr[QStringLiteral("port")].toInt()),
                          QStringLiteral("envoy=http:%1:%2").arg(admin.host()).arg(admin.port()) },
            &error),
        qPrintable(error));

    // The test profile: the demo cluster, observed directly, changed through the proxy.
    QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/demo.hopscope.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject p = QJsonDocument::fromJson(f.read(1 << 22)).object();
    p.insert(QStringLiteral("name"), QStringLiteral("demo through the fault proxy"));
    QJsonObject du = p[QStringLiteral("dnsUpdate")].toObject();
    du.insert(QStringLiteral("server"), m_proxy.hostPort(QStringLiteral("dns")));
    p.insert(QStringLiteral("dnsUpdate"), du);
    QJsonArray lbs = p[QStringLiteral("loadBalancers")].toArray();
    QJsonObject lb = lbs.at(0).toObject();
    lb.insert(
        QStringLiteral("runtime"), QString(u"tcp:" + m_proxy.hostPort(QStringLiteral("haproxy"))));
    lbs.replace(0, lb);
    p.insert(QStringLiteral("loadBalancers"), lbs);
    QJsonArray proxies = p[QStringLiteral("proxies")].toArray();
    for (int i = 0; i < proxies.size(); ++i) {
        QJsonObject px = proxies.at(i).toObject();
        if (px[QStringLiteral("id")].toString() == u"payments-1-envoy") {
            px.insert(QStringLiteral("admin"),
                QString(u"http://" + m_proxy.hostPort(QStringLiteral("envoy"))));
            proxies.replace(i, px);
        }
    }
    p.insert(QStringLiteral("proxies"), proxies);
    m_profile = m_tmp.filePath(QStringLiteral("faults.hopscope.json"));
    QFile out(m_profile);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(p).toJson());
    out.close();
    m_audit = m_tmp.filePath(QStringLiteral("audit"));
}

void tst_DrainFaults::init()
{
    for (const char *route : { "dns", "haproxy", "envoy" }) {
        QVERIFY(m_proxy.set(QLatin1String(route), QStringLiteral("pass")));
    }
    // Every case starts from a healthy cluster: both user tasks and payments-1 in rotation.
    for (const QString &service : { QStringLiteral("user"), QStringLiteral("payments") }) {
        const QString key = target(service);
        QVERIFY2(dnsServes(service, key.section(u':', 0, 0)),
            qPrintable(u"precondition: BIND serves " + key));
    }
    QTRY_COMPARE_WITH_TIMEOUT(
        haproxyStatus(target(QStringLiteral("user"))), QStringLiteral("UP"), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(
        haproxyStatus(target(QStringLiteral("user"), 1)), QStringLiteral("UP"), 30000);
    QCOMPARE(sidecarState(), QStringLiteral("LIVE"));
}

// A failed case must not poison the next: put back directly (not through the proxy, not with
// hopscope) whatever is still changed, and say so.
void tst_DrainFaults::cleanup()
{
    m_proxy.release(QStringLiteral("dns"), false);
    m_proxy.release(QStringLiteral("haproxy"), false);
    m_proxy.release(QStringLiteral("envoy"), false);
    for (const char *route : { "dns", "haproxy", "envoy" }) {
        m_proxy.set(QLatin1String(route), QStringLiteral("pass"));
    }
    if (!QTest::currentTestFailed()) {
        return;
    }
    const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
    for (const QString &service : { QStringLiteral("user"), QStringLiteral("payments") }) {
        const QString addr = target(service).section(u':', 0, 0);
        if (!dnsServes(service, addr)) {
            qWarning("cleanup: re-adding %s A %s", qPrintable(dnsName(service)), qPrintable(addr));
            QProcess::execute(QStringLiteral("python3"),
                { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), QStringLiteral("nsupdate"),
                    QStringLiteral("--dir"), dir, QStringLiteral("add"), dnsName(service),
                    QStringLiteral("A"), addr, QStringLiteral("10") });
        }
    }
    const auto ep = RuntimeEndpoint::parse(
        m_state[QStringLiteral("haproxy")][QStringLiteral("runtime")].toString());
    HaproxyRuntimeClient client(*ep);
    bool sent = false;
    client.send({ QStringLiteral("set server be_user/user1 state ready"),
                    QStringLiteral("set server be_user/user2 state ready") },
        [&](const HaproxyRuntimeReply &) { sent = true; });
    QTRY_VERIFY_WITH_TIMEOUT(sent, 10000);
    if (sidecarState() != u"LIVE") {
        qWarning("cleanup: POST /healthcheck/ok to payments-1-envoy");
        tool(QStringLiteral("curl"),
            { QStringLiteral("-s"), QStringLiteral("-X"), QStringLiteral("POST"),
                m_sidecarAdmin + QStringLiteral("/healthcheck/ok") });
    }
}

QString tst_DrainFaults::target(const QString &service, int index) const
{
    const QJsonObject t
        = m_state[QStringLiteral("services")][service][QStringLiteral("tasks")][index].toObject();
    return t[QStringLiteral("addr")].toString() + u':'
        + QString::number(t[QStringLiteral("port")].toInt());
}

QString tst_DrainFaults::dnsName(const QString &service) const
{
    return m_state[QStringLiteral("services")][service][QStringLiteral("dns")]
                  [QStringLiteral("name")]
                      .toString();
}

bool tst_DrainFaults::dnsServes(const QString &service, const QString &addr) const
{
    const QJsonObject dns = m_state[QStringLiteral("dns")].toObject();
    const QString type = m_state[QStringLiteral("services")][service][QStringLiteral("dns")]
                                [QStringLiteral("type")]
                                    .toString();
    const QString out = tool(QStringLiteral("dig"),
        { QStringLiteral("+short"), QStringLiteral("@") + dns[QStringLiteral("addr")].toString(),
            QStringLiteral("-p"), QString::number(dns[QStringLiteral("port")].toInt()),
            dnsName(service), type });
    for (const QString &line : out.split(u'\n', Qt::SkipEmptyParts)) {
        if (line.trimmed() == addr || line.contains(addr)) {
            return true;
        }
    }
    return false;
}

// HAProxy's own view (show stat, straight to its runtime API) of one address:port.
QString tst_DrainFaults::haproxyStatus(const QString &key) const
{
    return readback::haproxyStatus(m_state, key);
}

// The payments-1 sidecar's state from its own /server_info (straight, not through the proxy).
QString tst_DrainFaults::sidecarState() const
{
    const QJsonObject info = QJsonDocument::fromJson(
        tool(QStringLiteral("curl"),
            { QStringLiteral("-s"), QStringLiteral("--max-time"), QStringLiteral("5"),
                m_sidecarAdmin + QStringLiteral("/server_info") })
            .toUtf8())
                                 .object();
    return info[QStringLiteral("state")].toString();
}

void tst_DrainFaults::expectRestored(const QString &key, const QString &service)
{
    QVERIFY2(dnsServes(service, key.section(u':', 0, 0)),
        qPrintable(u"BIND does not serve " + key + u" again"));
    if (service == u"user") {
        QTRY_COMPARE_WITH_TIMEOUT(haproxyStatus(key), QStringLiteral("UP"), 30000);
    }
    QCOMPARE(sidecarState(), QStringLiteral("LIVE"));
}

// The layer's change is in force, read back from the server itself.
void tst_DrainFaults::expectChanged(
    const QString &layerName, const QString &key, const QString &service)
{
    if (layerName == u"dns") {
        QVERIFY2(!dnsServes(service, key.section(u':', 0, 0)), "the UPDATE did not reach BIND");
    } else if (layerName == u"haproxy") {
        QVERIFY(haproxyStatus(key).startsWith(QStringLiteral("DRAIN")));
    } else {
        QCOMPARE(sidecarState(), QStringLiteral("DRAINING"));
    }
}

void tst_DrainFaults::expectAuditIntact(const QString &auditDir)
{
    const Run path = cli({ QStringLiteral("audit"), QStringLiteral("path"), m_profile }, auditDir);
    QCOMPARE(path.code, 0);
    const QString log = path.out.trimmed();
    QVERIFY2(QFile::exists(log), qPrintable(log));
    const Run verify = cli({ QStringLiteral("audit"), QStringLiteral("verify"), log }, auditDir);
    QVERIFY2(verify.code == 0, qPrintable(verify.all()));
}

void tst_DrainFaults::lostReply_data()
{
    QTest::addColumn<QString>("layerName");
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QJsonObject>("options");
    const QList<QPair<QString, QJsonObject>> faults {
        { QStringLiteral("drop"), QJsonObject {} },
        { QStringLiteral("delay"), QJsonObject { { QStringLiteral("ms"), 15000 } } },
        { QStringLiteral("endless"), QJsonObject {} },
        { QStringLiteral("reset"), QJsonObject {} },
    };
    for (const char *l : { "dns", "haproxy", "envoy" }) {
        for (const auto &f : faults) {
            QTest::addRow("%s-%s", l, qPrintable(f.first))
                << QString::fromLatin1(l) << f.first << f.second;
        }
    }
}

// The command reaches the server (which applies it); its reply never arrives whole. The drain
// must fail saying the layer may have happened, and one undrain must put everything back.
void tst_DrainFaults::lostReply()
{
    QFETCH(QString, layerName);
    QFETCH(QString, mode);
    QFETCH(QJsonObject, options);
    const Layer l = layer(layerName);
    const QString key = target(l.service);
    if (!l.match.isEmpty()) {
        options.insert(QStringLiteral("match"), l.match);
    }
    // Every matching command: the DNS retry over TCP goes through the same fault.
    QVERIFY(m_proxy.set(l.route, mode, options));
    const int answered = m_proxy.counter(l.route, QStringLiteral("answered"));

    const Run d
        = cli({ QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes"),
                  QStringLiteral("--wait"), QStringLiteral("--timeout"), QStringLiteral("30") },
            m_audit);
    QVERIFY2(d.code == 1, qPrintable(QString::number(d.code) + u'\n' + d.all()));
    QVERIFY2(d.all().contains(QStringLiteral("may have happened"), Qt::CaseInsensitive),
        qPrintable(d.all()));
    // The fault was real: the server got the command and answered; the change is in force.
    QVERIFY(m_proxy.counter(l.route, QStringLiteral("answered")) > answered);
    expectChanged(layerName, key, l.service);
    if (QTest::currentTestFailed()) {
        return;
    }

    QVERIFY(m_proxy.set(l.route, QStringLiteral("pass")));
    const Run u
        = cli({ QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes") }, m_audit);
    QVERIFY2(u.code == 0, qPrintable(QString::number(u.code) + u'\n' + u.all()));
    expectRestored(key, l.service);
    expectAuditIntact(m_audit);
}

void tst_DrainFaults::killedCli_data()
{
    QTest::addColumn<QString>("layerName");
    QTest::addColumn<QString>("point");
    for (const char *l : { "dns", "haproxy", "envoy" }) {
        // before-server: the command is held at the proxy, the CLI dies, it never arrives.
        // in-flight: held, the CLI dies, then the proxy delivers it (a packet still on its way).
        // server-answered: the server applied it and answered; the reply is held back.
        // reply-delivered: the CLI had the reply; killed before or after recording it.
        for (const char *point :
            { "before-server", "in-flight", "server-answered", "reply-delivered" }) {
            QTest::addRow("%s-%s", l, point)
                << QString::fromLatin1(l) << QString::fromLatin1(point);
        }
    }
}

void tst_DrainFaults::killedCli()
{
    QFETCH(QString, layerName);
    QFETCH(QString, point);
    const Layer l = layer(layerName);
    const QString key = target(l.service);
    QJsonObject options { { QStringLiteral("times"), 1 } };
    if (!l.match.isEmpty()) {
        options.insert(QStringLiteral("match"), l.match);
    }
    QString counter;
    if (point == u"before-server" || point == u"in-flight") {
        QVERIFY(m_proxy.set(l.route, QStringLiteral("hold"), options));
        counter = QStringLiteral("held");
    } else if (point == u"server-answered") {
        options.insert(QStringLiteral("ms"), 60000);
        QVERIFY(m_proxy.set(l.route, QStringLiteral("delay"), options));
        counter = QStringLiteral("answered");
    } else {
        // pass, but counted: "delivered" is only counted for a faulted (matched) request
        options.insert(QStringLiteral("ms"), 0);
        QVERIFY(m_proxy.set(l.route, QStringLiteral("delay"), options));
        counter = QStringLiteral("delivered");
    }
    const int before = m_proxy.counter(l.route, counter);

    QProcess drain;
    drain.setProcessEnvironment(cliEnv(m_audit));
    drain.setStandardInputFile(QProcess::nullDevice());
    drain.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes"),
            QStringLiteral("--wait"), QStringLiteral("--timeout"), QStringLiteral("60") });
    QVERIFY(drain.waitForStarted(10000));
    // Synchronise on the proxy seeing the command at the chosen point, never on a sleep.
    QTRY_VERIFY_WITH_TIMEOUT(
        m_proxy.counter(l.route, counter) > before || drain.state() == QProcess::NotRunning, 60000);
    QVERIFY2(drain.state() == QProcess::Running,
        qPrintable(u"the drain ended before the kill point: "
            + QString::fromUtf8(drain.readAllStandardOutput() + drain.readAllStandardError())));
    ::kill(pid_t(drain.processId()), SIGKILL);
    QVERIFY(drain.waitForFinished(10000));
    QCOMPARE(drain.exitStatus(), QProcess::CrashExit);
    if (point == u"before-server") {
        QVERIFY(m_proxy.release(l.route, false));
    } else if (point == u"in-flight") {
        const int answered = m_proxy.counter(l.route, QStringLiteral("answered"));
        QVERIFY(m_proxy.release(l.route, true));
        QTRY_VERIFY_WITH_TIMEOUT(
            m_proxy.counter(l.route, QStringLiteral("answered")) > answered, 10000);
    } else {
        // Killed after the server applied the command: the change is in force (else the kill
        // came early, e.g. on a counter ticked by something else, and the undo below proves
        // nothing about a drain that was cut short).
        expectChanged(layerName, key, l.service);
        if (QTest::currentTestFailed()) {
            return;
        }
    }
    QVERIFY(m_proxy.set(l.route, QStringLiteral("pass")));

    const Run u
        = cli({ QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes") }, m_audit);
    QVERIFY2(u.code == 0, qPrintable(QString::number(u.code) + u'\n' + u.all()));
    expectRestored(key, l.service);
    expectAuditIntact(m_audit);
}

// A tmpfs of this size for the audit directory (needs root, as CI has: fails, never skips).
QString tst_DrainFaults::mountTmpfs(const QString &size)
{
    const QString mnt = m_tmp.filePath(QStringLiteral("tiny%1").arg(++m_mounts));
    if (!QDir().mkpath(mnt)
        || QProcess::execute(QStringLiteral("mount"),
               { QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                   QString(u"size=" + size), QStringLiteral("tmpfs"), mnt })
            != 0) {
        return {};
    }
    m_mounted << mnt;
    return mnt;
}

// Writes a file until the filesystem says ENOSPC.
static bool fillUp(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        return false;
    }
    const QByteArray chunk(512, 'x');
    for (int i = 0; i < 1024; ++i) {
        if (f.write(chunk) != chunk.size()) {
            return true;
        }
    }
    return false; // 512 KiB on a 16 KiB filesystem: it is not the tiny tmpfs
}

// No room from the start: the drain says the audit log could not be written, where and why,
// and sends nothing (the proxy saw no command; BIND and HAProxy unchanged).
void tst_DrainFaults::auditDirectoryFullBeforeTheDrain()
{
    const QString mnt = mountTmpfs(QStringLiteral("16k"));
    QVERIFY2(!mnt.isEmpty(), "cannot mount a 16 KiB tmpfs (this test needs root, as CI has)");
    const QString audit = mnt + QStringLiteral("/audit");
    QVERIFY(QDir().mkpath(audit));
    QVERIFY(fillUp(mnt + QStringLiteral("/filler")));
    const int dnsSeen = m_proxy.counter(QStringLiteral("dns"), QStringLiteral("requests"));

    const QString key = target(QStringLiteral("user"));
    const Run d = cli({ QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes") }, audit);
    QVERIFY2(d.code == 1, qPrintable(QString::number(d.code) + u'\n' + d.all()));
    QVERIFY2(d.all().contains(QStringLiteral("audit log could not be written"))
            && d.all().contains(audit)
            && d.all().contains(QStringLiteral("No space left on device")),
        qPrintable(d.all()));
    QCOMPARE(m_proxy.counter(QStringLiteral("dns"), QStringLiteral("requests")), dnsSeen);
    expectRestored(key, QStringLiteral("user")); // i.e. never changed
}

// The audit directory turns read-only while a step's command is on its way (held at the proxy
// after its intent was written): the command is applied, its outcome cannot be recorded. A full
// tmpfs would still take lines into the log's last page and a remount,ro is refused while the
// drain lock's file is open, so a read-only bind mount over the directory is the deterministic way
// to fail the next write (EROFS). The CLI says the log could not be written, where and why; once
// the directory is writable again one undrain puts it back (the intent without outcome = may have
// happened) and the log verifies.
void tst_DrainFaults::auditDirectoryTurnsReadOnlyDuringAStep()
{
    const QString mnt = mountTmpfs(QStringLiteral("1m"));
    QVERIFY2(!mnt.isEmpty(), "cannot mount a 16 KiB tmpfs (this test needs root, as CI has)");
    const QString audit = mnt + QStringLiteral("/audit");
    QVERIFY(QDir().mkpath(audit));
    QVERIFY(m_proxy.set(QStringLiteral("dns"), QStringLiteral("hold"),
        QJsonObject { { QStringLiteral("times"), 1 } }));
    const int held = m_proxy.counter(QStringLiteral("dns"), QStringLiteral("held"));
    const QString key = target(QStringLiteral("user"));
    QProcess drain;
    drain.setProcessEnvironment(cliEnv(audit));
    drain.setStandardInputFile(QProcess::nullDevice());
    drain.start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes") });
    QVERIFY(drain.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(m_proxy.counter(QStringLiteral("dns"), QStringLiteral("held")) > held
            || drain.state() == QProcess::NotRunning,
        60000);
    QCOMPARE(drain.state(), QProcess::Running);
    QCOMPARE(
        QProcess::execute(QStringLiteral("mount"), { QStringLiteral("--bind"), audit, audit }), 0);
    auto unbind = qScopeGuard([&] { QProcess::execute(QStringLiteral("umount"), { audit }); });
    QCOMPARE(QProcess::execute(QStringLiteral("mount"),
                 { QStringLiteral("-o"), QStringLiteral("remount,bind,ro"), audit }),
        0);
    QVERIFY(m_proxy.release(QStringLiteral("dns"), true));
    QVERIFY(drain.waitForFinished(60000));
    const QString out
        = QString::fromUtf8(drain.readAllStandardOutput() + drain.readAllStandardError());
    QVERIFY2(drain.exitStatus() == QProcess::NormalExit && drain.exitCode() == 1, qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("audit log could not be written")) && out.contains(audit)
            && out.contains(QStringLiteral("Read-only file system")),
        qPrintable(out));
    QVERIFY2(!dnsServes(QStringLiteral("user"), key.section(u':', 0, 0)),
        "the held UPDATE did not reach BIND");

    unbind.dismiss();
    QCOMPARE(QProcess::execute(QStringLiteral("umount"), { audit }), 0);
    QVERIFY(m_proxy.set(QStringLiteral("dns"), QStringLiteral("pass")));
    const Run u
        = cli({ QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes") }, audit);
    QVERIFY2(u.code == 0, qPrintable(QString::number(u.code) + u'\n' + u.all()));
    expectRestored(key, QStringLiteral("user"));
    expectAuditIntact(audit);
}

// A drain and its undrain whose log outgrows a 16 KiB tmpfs (log, head, lock and the head's
// replacement no longer fit): each command either succeeds or says the log could not be written;
// once the filesystem has room again one undrain restores whatever is still changed, and the log
// verifies: a full disk must never leave the head record unreadable.
void tst_DrainFaults::auditLogOutgrowsATinyFilesystem()
{
    const QString mnt = mountTmpfs(QStringLiteral("16k"));
    QVERIFY2(!mnt.isEmpty(), "cannot mount a 16 KiB tmpfs (this test needs root, as CI has)");
    const QString audit = mnt + QStringLiteral("/audit");
    QVERIFY(QDir().mkpath(audit));
    const QString key = target(QStringLiteral("user"));
    const Run d = cli({ QStringLiteral("drain"), m_profile, key, QStringLiteral("--yes") }, audit);
    QVERIFY2(d.code == 0 || d.code == 3
            || d.all().contains(QStringLiteral("audit log could not be written")),
        qPrintable(QString::number(d.code) + u'\n' + d.all()));
    const Run u
        = cli({ QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes") }, audit);
    QVERIFY2(u.code == 0 || u.all().contains(QStringLiteral("audit log could not be written")),
        qPrintable(QString::number(u.code) + u'\n' + u.all()));
    QCOMPARE(QProcess::execute(QStringLiteral("mount"),
                 { QStringLiteral("-o"), QStringLiteral("remount,size=1m"), mnt }),
        0);
    if (u.code != 0) {
        const Run again
            = cli({ QStringLiteral("undrain"), m_profile, key, QStringLiteral("--yes") }, audit);
        QVERIFY2(again.code == 0, qPrintable(QString::number(again.code) + u'\n' + again.all()));
    }
    expectRestored(key, QStringLiteral("user"));
    expectAuditIntact(audit);
}

void tst_DrainFaults::cleanupTestCase()
{
    for (const QString &mnt : std::as_const(m_mounted)) {
        QProcess::execute(QStringLiteral("umount"), { mnt });
    }
}

QTEST_GUILESS_MAIN(tst_DrainFaults)
#include "tst_DrainFaults.moc"
