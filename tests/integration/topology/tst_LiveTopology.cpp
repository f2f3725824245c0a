#include "PeersHarness.h"

#include "ops/AuditLog.h"
#include "ops/DrainPlanner.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

// The live topology of the running demo cluster, headless: what ClusterMonitor (and therefore
// the window and `hopscope-cli snapshot`) reports when a backend fails, when a DNS record is
// deleted, and when HAProxy stops.
class tst_LiveTopology : public QObject
{
    Q_OBJECT

    PeersHarness m_peers;
    std::unique_ptr<ClusterMonitor> m_monitor;

    const TargetNode *target(const QString &service, const QString &key) const
    {
        return m_monitor->topology().target(service, key);
    }
    QString healthOf(const QString &service, const QString &key) const
    {
        const TargetNode *t = target(service, key);
        return t ? healthName(t->health) : QStringLiteral("(absent)");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_peers.isUp(), qPrintable(QStringLiteral("no demo cluster at ") + m_peers.dir()));
        const ProfileLoadResult r = ProfileStore::load(m_peers.profilePath());
        QVERIFY(r.ok());
        m_monitor = std::make_unique<ClusterMonitor>(*r.profile);
        QSignalSpy rounds(m_monitor.get(), &ClusterMonitor::roundCompleted);
        m_monitor->start();
        QVERIFY(rounds.wait(15000));
        QTRY_COMPARE_WITH_TIMEOUT(healthName(m_monitor->topology().service(QStringLiteral("serviceb"))->health),
                                  QStringLiteral("healthy"), 15000);
    }

    void cleanupTestCase()
    {
        m_monitor.reset();
    }

    void everyDemoServiceIsSeenThroughItsPattern()
    {
        const Topology &t = m_monitor->topology();
        QVERIFY2(t.errors.isEmpty(), qPrintable(t.errors.isEmpty() ? QString() : t.errors.first().toString()));
        for (const char *id : {"servicea", "serviceb", "servicec", "user", "order", "payments"}) {
            const ServiceNode *s = t.service(QString::fromLatin1(id));
            QVERIFY(s);
            QCOMPARE(s->targets.size(), m_peers.tasks(QString::fromLatin1(id)).size());
            for (const QString &key : m_peers.tasks(QString::fromLatin1(id))) {
                QVERIFY2(target(s->id, key), qPrintable(s->id + QStringLiteral(" lacks ") + key));
            }
        }
        // serviceB's tasks are seen by DNS and by the LB; payments' by both sidecars' views.
        const TargetNode *b = target(QStringLiteral("serviceb"), m_peers.tasks(QStringLiteral("serviceb")).first());
        QStringList sources;
        for (const Observation &o : b->observations) {
            sources.append(o.source);
        }
        QCOMPARE(sources, (QStringList{QStringLiteral("dns"), QStringLiteral("lb:internal-lb")}));
        const TargetNode *p = target(QStringLiteral("payments"), m_peers.tasks(QStringLiteral("payments")).first());
        QCOMPARE(p->observations.size(), 3); // dns, order's sidecar (caller), its own sidecar
        QVERIFY(!p->sidecar.isEmpty());
        // Hop counts along the demo's paths.
        bool found = false;
        for (const PathNode &path : t.paths) {
            if (path.services == QStringList{QStringLiteral("servicea"), QStringLiteral("serviceb"), QStringLiteral("order"), QStringLiteral("payments")}) {
                found = true;
                QCOMPARE(path.networkHops, 1 + 2 + 1);
                QCOMPARE(path.proxyHops, 0 + 1 + 2);
            }
        }
        QVERIFY(found);
    }

    void aFailingBackendTurnsDownWithinTwoPolls()
    {
        const QStringList tasks = m_peers.tasks(QStringLiteral("serviceb"));
        const QString victim = tasks[1];
        QVERIFY(m_peers.run(QStringLiteral("backend"), {QStringLiteral("fail"), victim}));
        // HAProxy needs fall=2 checks at inter 1s; the LB is polled every 2 s: 2 polls after that.
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(QStringLiteral("serviceb"), victim), QStringLiteral("down"), 2000 + 2 * 2000 + 2000);
        const ServiceNode *b = m_monitor->topology().service(QStringLiteral("serviceb"));
        QCOMPARE(b->summary, QStringLiteral("%1 of %2 healthy").arg(tasks.size() - 1).arg(tasks.size()));
        QVERIFY2(target(QStringLiteral("serviceb"), victim)->reason.contains(QStringLiteral("DNS still lists it")),
                 qPrintable(target(QStringLiteral("serviceb"), victim)->reason));

        // The CLI twin sees the same.
        QProcess cli;
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"), {QStringLiteral("snapshot"), m_peers.profilePath(), QStringLiteral("--json")});
        QVERIFY(cli.waitForFinished(30000));
        const QJsonObject snap = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
        QJsonObject serviceb;
        for (const QJsonValue &s : snap[QStringLiteral("services")].toArray()) {
            if (s[QStringLiteral("id")].toString() == u"serviceb") {
                serviceb = s.toObject();
            }
        }
        QCOMPARE(serviceb[QStringLiteral("summary")].toString(), b->summary);
        QCOMPARE(serviceb[QStringLiteral("health")].toString(), QStringLiteral("degraded"));
        bool seen = false;
        for (const QJsonValue &t : serviceb[QStringLiteral("targets")].toArray()) {
            if (t[QStringLiteral("key")].toString() == victim) {
                seen = true;
                QCOMPARE(t[QStringLiteral("health")].toString(), QStringLiteral("down"));
                QCOMPARE(t[QStringLiteral("sources")][QStringLiteral("lb")][QStringLiteral("internal-lb")][QStringLiteral("health")].toString(),
                         QStringLiteral("down"));
            }
        }
        QVERIFY(seen);

        QVERIFY(m_peers.run(QStringLiteral("backend"), {QStringLiteral("recover"), victim}));
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(QStringLiteral("serviceb"), victim), QStringLiteral("healthy"), 15000);
    }

    void aDeletedDnsRecordShowsItsStaleWindow()
    {
        const QString victim = m_peers.tasks(QStringLiteral("serviceb")).last();
        const QString ip = victim.section(u':', 0, 0);
        QString log;
        QVERIFY2(m_peers.run(QStringLiteral("nsupdate"), {QStringLiteral("delete"), QStringLiteral("serviceb"), QStringLiteral("A"), ip}, &log), qPrintable(log));
        // Seen at the next query (TTL 10 s), then kept with the window clients may still hold it.
        QTRY_VERIFY_WITH_TIMEOUT(target(QStringLiteral("serviceb"), victim) && target(QStringLiteral("serviceb"), victim)->dnsRemovedAt.isValid(), 20000);
        const TargetNode *t = target(QStringLiteral("serviceb"), victim);
        QCOMPARE(t->dnsRemovedAt.secsTo(t->dnsHoldUntil), 10); // removal + the TTL last seen
        QVERIFY2(t->reason.contains(QStringLiteral("DNS stopped listing")) || t->reason.contains(QStringLiteral("removed from DNS")),
                 qPrintable(t->reason));
        // HAProxy follows DNS within ~1 s (hold obsolete 0s): the slot goes to MAINT (resolution)
        // or disappears; the target must never be reported healthy while DNS no longer lists it.
        QTRY_VERIFY_WITH_TIMEOUT(!target(QStringLiteral("serviceb"), victim) || !isServing(target(QStringLiteral("serviceb"), victim)->health), 10000);

        QVERIFY2(m_peers.run(QStringLiteral("nsupdate"), {QStringLiteral("add"), QStringLiteral("serviceb"), QStringLiteral("A"), ip, QStringLiteral("10")}, &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(QStringLiteral("serviceb"), victim), QStringLiteral("healthy"), 25000);
    }

    void stoppedHaproxyTurnsStaleNotHealthy()
    {
        const QString key = m_peers.tasks(QStringLiteral("user")).first();
        QVERIFY(m_peers.run(QStringLiteral("kill"), {QStringLiteral("haproxy")}));
        QTRY_COMPARE_WITH_TIMEOUT(healthName(m_monitor->topology().loadBalancers.first().health), QStringLiteral("stale"), 10000);
        // user's tasks are only health-checked by the LB: now stale, never healthy.
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(QStringLiteral("user"), key), QStringLiteral("stale"), 10000);
        QVERIFY(!m_monitor->topology().errors.isEmpty());
        QVERIFY(m_monitor->topology().loadBalancers.first().reason.contains(QStringLiteral("stale since")));
        QVERIFY(m_peers.run(QStringLiteral("start"), {QStringLiteral("haproxy")}));
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(QStringLiteral("user"), key), QStringLiteral("healthy"), 20000);
    }

    void snapshotListsAnOpenDrainAsDrained()
    {
        // An earlier drain of a serviceB task, never undone, whose task no source lists any more
        // (an address of the demo's subnet that serves nothing).
        const QString known = m_peers.tasks(QStringLiteral("serviceb")).first();
        const QString target
            = known.section(u'.', 0, 2) + QStringLiteral(".19:") + known.section(u':', 1);
        QTemporaryDir auditDir;
        const ProfileLoadResult r = ProfileStore::load(m_peers.profilePath());
        QVERIFY(r.ok());
        qputenv("HOPSCOPE_AUDIT_DIR", auditDir.path().toUtf8());
        const auto unset = qScopeGuard([] { qunsetenv("HOPSCOPE_AUDIT_DIR"); });
        AuditLog log(*r.profile);
        AuditEntry plan;
        plan.event = QStringLiteral("plan");
        plan.profile = r.profile->name;
        plan.target = target;
        plan.after = QJsonObject { { QStringLiteral("capacity"),
            QJsonArray {
                QJsonObject { { QStringLiteral("name"), QStringLiteral("serviceB") } } } } };
        plan.result = QStringLiteral("ok");
        QString error;
        QVERIFY2(log.append(plan, &error), qPrintable(error));
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = QStringLiteral("corp.internal");
        dns.records = { { QStringLiteral("serviceb.corp.internal."), QStringLiteral("A"),
            target.section(u':', 0, 0), 10 } };
        AuditEntry step = plan;
        step.event = QStringLiteral("step");
        step.step = QStringLiteral("dns-remove");
        step.after = QJsonValue();
        step.detail = QJsonObject { { QStringLiteral("drainStep"), dns.toJson() } };
        QVERIFY2(log.append(step, &error), qPrintable(error));

        QProcess cli;
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
            { QStringLiteral("snapshot"), m_peers.profilePath(), QStringLiteral("--json") });
        QVERIFY(cli.waitForFinished(30000));
        const QJsonObject snap = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
        QJsonObject drained;
        QJsonObject serviceb;
        for (const QJsonValue &sv : snap[QStringLiteral("services")].toArray()) {
            if (sv[QStringLiteral("id")].toString() == u"serviceb") {
                serviceb = sv.toObject();
                for (const QJsonValue &t : sv[QStringLiteral("targets")].toArray()) {
                    if (t[QStringLiteral("key")].toString() == target) {
                        drained = t.toObject();
                    }
                }
            }
        }
        QVERIFY2(!drained.isEmpty(),
            qPrintable(target + QStringLiteral(" missing: ")
                + QString::fromUtf8(cli.readAllStandardError())));
        QCOMPARE(drained[QStringLiteral("health")].toString(), QStringLiteral("drained"));
        QCOMPARE(
            drained[QStringLiteral("drain")][QStringLiteral("by")].toString(), AuditLog::osUser());
        QVERIFY2(drained[QStringLiteral("reason")].toString().contains(QStringLiteral("Undrain")),
            qPrintable(drained[QStringLiteral("reason")].toString()));
        QVERIFY2(
            serviceb[QStringLiteral("summary")].toString().endsWith(QStringLiteral("· 1 drained")),
            qPrintable(serviceb[QStringLiteral("summary")].toString()));
    }

    void serviceBehindAnLbDownAtStartIsNotHealthy()
    {
        // order known only through HAProxy's be_order (no DNS name in this profile), its one
        // task also behind its own Envoy sidecar. HAProxy is down before anything starts.
        QFile in(m_peers.profilePath());
        QVERIFY(in.open(QIODevice::ReadOnly));
        QJsonObject profile = QJsonDocument::fromJson(in.readAll()).object();
        QJsonArray services = profile[QStringLiteral("services")].toArray();
        for (int i = 0; i < services.size(); ++i) {
            QJsonObject s = services[i].toObject();
            if (s[QStringLiteral("id")].toString() == u"order") {
                s.remove(QStringLiteral("dns"));
                services[i] = s;
            }
        }
        profile[QStringLiteral("services")] = services;
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("lb-only.hopscope.json"));
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QJsonDocument(profile).toJson());
        out.close();

        QVERIFY(m_peers.run(QStringLiteral("kill"), { QStringLiteral("haproxy") }));
        const auto restart = qScopeGuard(
            [this] { m_peers.run(QStringLiteral("start"), { QStringLiteral("haproxy") }); });

        // `hopscope-cli snapshot`, started after HAProxy went down.
        QProcess cli;
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"),
            { QStringLiteral("snapshot"), path, QStringLiteral("--json") });
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 1); // a source failed
        const QJsonObject snap = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
        QJsonObject order;
        for (const QJsonValue &s : snap[QStringLiteral("services")].toArray()) {
            if (s[QStringLiteral("id")].toString() == u"order") {
                order = s.toObject();
            }
        }
        QVERIFY2(!order.isEmpty(), "order missing from the snapshot");
        QVERIFY2(order[QStringLiteral("health")].toString() != u"healthy",
            qPrintable(order[QStringLiteral("summary")].toString()));
        QVERIFY2(order[QStringLiteral("summary")].toString().contains(
                     QStringLiteral("internal-lb unreachable")),
            qPrintable(order[QStringLiteral("summary")].toString()));
        // The sidecar's own task is still listed with what the sidecar says.
        QCOMPARE(order[QStringLiteral("targets")].toArray().size(), 1);
        bool edgeSeen = false;
        for (const QJsonValue &e : snap[QStringLiteral("edges")].toArray()) {
            if (e[QStringLiteral("to")].toString() == u"order") {
                edgeSeen = true;
                QCOMPARE(e[QStringLiteral("health")].toString(), QStringLiteral("down"));
                QVERIFY2(
                    e[QStringLiteral("reason")].toString().contains(QStringLiteral("internal-lb")),
                    qPrintable(e[QStringLiteral("reason")].toString()));
            }
        }
        QVERIFY(edgeSeen);

        // A freshly opened window (the same monitor the GUI uses) says the same.
        const ProfileLoadResult r = ProfileStore::load(path);
        QVERIFY(r.ok());
        ClusterMonitor fresh(*r.profile);
        QSignalSpy rounds(&fresh, &ClusterMonitor::roundCompleted);
        fresh.start();
        QVERIFY(rounds.wait(15000));
        const ServiceNode *o = fresh.topology().service(QStringLiteral("order"));
        QVERIFY2(o->health != Health::Healthy, qPrintable(o->summary));
        QVERIFY2(
            o->summary.contains(QStringLiteral("internal-lb unreachable")), qPrintable(o->summary));
    }
};

QTEST_GUILESS_MAIN(tst_LiveTopology)
#include "tst_LiveTopology.moc"
