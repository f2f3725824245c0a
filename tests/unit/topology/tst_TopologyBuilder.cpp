#include "profile/ProfileStore.h"
#include "topology/TopologyBuilder.h"

#include <QTest>

#include <functional>

using namespace hopscope;

namespace {
const QDateTime s_now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);

ClusterProfile profile()
{
    const ProfileLoadResult r = ProfileStore::load(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
                                                   + QStringLiteral("/topology/builder.hopscope.json"));
    if (!r.ok()) {
        qFatal("fixture profile invalid: %s", qPrintable(r.problems.first().toString()));
    }
    return *r.profile;
}

DnsTarget dnsTarget(const QString &ip, bool stale = false)
{
    DnsTarget t;
    t.record.type = DnsRecordType::A;
    t.record.owner = QStringLiteral("b.corp");
    t.record.address = QHostAddress(ip);
    t.record.ttl = 10;
    t.firstSeen = s_now.addSecs(-60);
    t.lastSeen = s_now;
    t.holdUntil = s_now.addSecs(10);
    t.stale = stale;
    t.staleReason = stale ? QStringLiteral("SERVFAIL") : QString();
    return t;
}

HaproxyStatServer lbServer(const QString &name, const QString &ip, quint16 port, const QString &status,
                           qint64 scur = 0)
{
    HaproxyStatServer s;
    s.name = name;
    s.address = ip;
    s.port = port;
    s.status = status;
    s.state = classifyHaproxyStatus(status, &s.transitional, &s.trackedBy);
    s.scur = scur;
    s.checkStatus = status.endsWith(u" INI") ? QStringLiteral("INI") : QStringLiteral("L7OK");
    if (status.endsWith(u" INI")) {
        s.status = status.chopped(4);
        s.state = classifyHaproxyStatus(s.status, &s.transitional, &s.trackedBy);
    }
    return s;
}

SourceState fresh()
{
    SourceState st;
    st.hasData = true;
    st.stale = false;
    st.lastSuccess = s_now;
    return st;
}

struct Scenario
{
    TopologyInputs in;
    Scenario()
    {
        in.now = s_now;
        in.dnsState = fresh();
        in.dns = DnsDiscoverySnapshot{};
        in.dns->taken = s_now;
        DnsServiceState b;
        b.id = QStringLiteral("b");
        b.name = QStringLiteral("b.corp");
        b.type = DnsRecordType::A;
        b.profilePort = 8000;
        b.hasAnswer = true;
        in.dns->services.append(b);
    }
    DnsServiceState &dnsB() { return in.dns->services[0]; }
    // b's two targets listed in DNS and behind be_b: b1 UP, b2 in `secondState`.
    static Scenario twoServersOfB(const QString &secondState);
    HaproxyStatProxy &backend(const QString &name)
    {
        HaproxySnapshot &snap = in.lb[QStringLiteral("lb")];
        in.lbState.insert(QStringLiteral("lb"), fresh());
        for (HaproxyStatProxy &p : snap.stat.proxies) {
            if (p.name == name) {
                return p;
            }
        }
        HaproxyStatProxy p;
        p.name = name;
        p.type = HaproxyStatProxy::Type::Backend;
        snap.stat.proxies.append(p);
        return snap.stat.proxies.last();
    }
};

Scenario Scenario::twoServersOfB(const QString &secondState)
{
    Scenario s;
    s.dnsB().records = {dnsTarget(QStringLiteral("10.0.0.11")), dnsTarget(QStringLiteral("10.0.0.12"))};
    s.backend(QStringLiteral("be_b")).servers
        = {lbServer(QStringLiteral("b1"), QStringLiteral("10.0.0.11"), 8000, QStringLiteral("UP")),
            lbServer(QStringLiteral("b2"), QStringLiteral("10.0.0.12"), 8000, secondState)};
    return s;
}
} // namespace

Q_DECLARE_METATYPE(Health)

// TopologyBuilder + HealthFolder: every source combination an operator meets, folded into one
// health with a reason in words; services summarised; edges classified; paths summed.
class tst_TopologyBuilder : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void targetHealth_data()
    {
        QTest::addColumn<QString>("dnsState");   // listed | removed | stale-listed | none
        QTest::addColumn<QString>("lbStatus");   // HAProxy status string, or "" for no LB row
        QTest::addColumn<qint64>("sessions");
        QTest::addColumn<bool>("lbStale");
        QTest::addColumn<Health>("expected");
        QTest::addColumn<QString>("reasonContains");

        QTest::newRow("dns-only") << "listed" << "" << qint64(0) << false << Health::Healthy << "dns: listed in b.corp A, TTL 10 s";
        QTest::newRow("dns-and-lb-up") << "listed" << "UP" << qint64(2) << false << Health::Healthy << "lb:lb: UP L7OK 2 sessions";
        QTest::newRow("lb-down-while-dns-lists-it") << "listed" << "DOWN" << qint64(0) << false << Health::Down << "DNS still lists it";
        QTest::newRow("lb-going-down-transitional") << "listed" << "UP 1/2" << qint64(0) << false << Health::Degraded << "UP 1/2";
        QTest::newRow("lb-recovering-transitional") << "listed" << "DOWN 1/2" << qint64(0) << false << Health::Down << "DOWN 1/2";
        QTest::newRow("lb-drain-with-sessions") << "listed" << "DRAIN" << qint64(3) << false << Health::Draining << "DRAIN";
        QTest::newRow("lb-drain-idle") << "listed" << "DRAIN" << qint64(0) << false << Health::Drained << "DRAIN";
        QTest::newRow("lb-nolb") << "listed" << "NOLB" << qint64(0) << false << Health::Draining << "NOLB";
        QTest::newRow("conflict-lb-maint-dns-lists") << "listed" << "MAINT" << qint64(0) << false << Health::Conflict << "DNS lists this target but lb marks it MAINT";
        QTest::newRow("conflict-lb-routes-dns-removed") << "removed" << "UP" << qint64(1) << false << Health::Conflict << "lb still routes to this target, which DNS stopped listing at";
        QTest::newRow("lb-stale-is-never-healthy") << "listed" << "UP" << qint64(0) << true << Health::Stale << "no fresh health data";
        QTest::newRow("dns-stale-only") << "stale-listed" << "" << qint64(0) << false << Health::Stale << "SERVFAIL";
        QTest::newRow("dns-removed-lb-agrees") << "removed" << "MAINT (resolution)" << qint64(0) << false << Health::Maintenance << "removed from DNS";
        QTest::newRow("lb-no-check") << "listed" << "no check" << qint64(0) << false << Health::Unknown << "no check";
        QTest::newRow("lb-checks-initialising") << "listed" << "UP 1/2 INI" << qint64(0) << false << Health::Unknown << "UP 1/2";
        // Effective weight 0 (" w0"): HAProxy sends it nothing, yet says "UP" / "no check" (and
        // promex state="UP"): drained by weight, whichever way the load balancer was read.
        QTest::newRow("lb-up-weight-0-idle") << "listed" << "UP w0" << qint64(0) << false << Health::Drained << "lb:lb: UP L7OK (weight 0) 0 sessions";
        QTest::newRow("lb-up-weight-0-with-sessions") << "listed" << "UP w0" << qint64(2) << false << Health::Draining << "weight 0";
        QTest::newRow("lb-no-check-weight-0") << "listed" << "no check w0" << qint64(0) << false << Health::Drained << "no check L7OK (weight 0)";
        QTest::newRow("lb-down-weight-0-is-down") << "listed" << "DOWN w0" << qint64(0) << false << Health::Down << "DOWN";
        QTest::newRow("lb-up-weight-1") << "listed" << "UP w1" << qint64(0) << false << Health::Healthy << "UP L7OK 0 sessions";
    }
    void targetHealth()
    {
        QFETCH(QString, dnsState);
        QFETCH(QString, lbStatus);
        QFETCH(qint64, sessions);
        QFETCH(bool, lbStale);
        QFETCH(Health, expected);
        QFETCH(QString, reasonContains);

        Scenario s;
        if (dnsState == u"listed" || dnsState == u"stale-listed") {
            s.dnsB().records.append(dnsTarget(QStringLiteral("10.0.0.12"), dnsState == u"stale-listed"));
        } else if (dnsState == u"removed") {
            DnsRemovedTarget r;
            r.record = dnsTarget(QStringLiteral("10.0.0.12")).record;
            r.removedAt = s_now.addSecs(-2);
            r.holdUntil = s_now.addSecs(8);
            s.dnsB().removed.append(r);
        }
        std::optional<qint64> weight;
        if (lbStatus.endsWith(u" w0") || lbStatus.endsWith(u" w1")) {
            weight = lbStatus.back() == u'0' ? 0 : 1;
            lbStatus.chop(3);
        }
        if (!lbStatus.isEmpty()) {
            s.backend(QStringLiteral("be_b")).servers.append(lbServer(QStringLiteral("b2"), QStringLiteral("10.0.0.12"), 8000, lbStatus, sessions));
            s.backend(QStringLiteral("be_b")).servers.last().weight = weight;
            if (lbStale) {
                SourceState st = fresh();
                st.stale = true;
                st.error.kind = SourceError::Kind::Timeout;
                st.error.message = QStringLiteral("no answer within 1500 ms");
                s.in.lbState.insert(QStringLiteral("lb"), st);
            }
        }
        const Topology t = TopologyBuilder::build(profile(), s.in);
        const TargetNode *n = t.target(QStringLiteral("b"), QStringLiteral("10.0.0.12:8000"));
        QVERIFY2(n, "the target must exist, keyed by address:port");
        QVERIFY2(n->health == expected, qPrintable(healthName(n->health) + QStringLiteral(" — ") + n->reason));
        QVERIFY2(n->reason.contains(reasonContains), qPrintable(n->reason));
        if (expected != Health::Healthy && expected != Health::Degraded) {
            QCOMPARE(t.service(QStringLiteral("b"))->healthyCount, 0);
        }
    }

    void serviceSummaryCountsServingTargets()
    {
        const Scenario s = Scenario::twoServersOfB(QStringLiteral("DOWN"));
        const Topology t = TopologyBuilder::build(profile(), s.in);
        const ServiceNode *b = t.service(QStringLiteral("b"));
        QCOMPARE(b->summary, QStringLiteral("1 of 2 healthy"));
        QCOMPARE(b->health, Health::Degraded);
        QCOMPARE(b->targets.size(), 2);
        QCOMPARE(b->targets[0].key, QStringLiteral("10.0.0.11:8000")); // sorted by key
    }

    // The digest the graph compares instead of every chip: set on every built service, the same
    // for the same targets, different when anything a chip shows differs.
    void chipsDigestFollowsWhatTheChipsShow()
    {
        const Scenario s = Scenario::twoServersOfB(QStringLiteral("DOWN"));
        const Topology t = TopologyBuilder::build(profile(), s.in);
        for (const ServiceNode &svc : t.services) {
            QCOMPARE(svc.chipsDigest, TopologyBuilder::chipsDigest(svc.targets));
            QVERIFY(svc.chipsDigest != 0);
        }
        const QList<TargetNode> base = t.service(QStringLiteral("b"))->targets;
        QCOMPARE(TopologyBuilder::chipsDigest(TopologyBuilder::build(profile(), s.in)
                                                  .service(QStringLiteral("b"))->targets),
            TopologyBuilder::chipsDigest(base));
        const QList<std::function<void(TargetNode &)>> edits {
            [](TargetNode &n) { n.key = QStringLiteral("10.0.0.13:8000"); },
            [](TargetNode &n) { n.health = Health::Draining; },
            [](TargetNode &n) { n.reason += QLatin1Char('.'); },
            [](TargetNode &n) { n.sidecar = QStringLiteral("b-envoy"); },
            [](TargetNode &n) { n.openDrain = !n.openDrain; },
        };
        QSet<quint64> seen { TopologyBuilder::chipsDigest(base) };
        for (const auto &edit : edits) {
            QList<TargetNode> targets = base;
            edit(targets[1]);
            seen.insert(TopologyBuilder::chipsDigest(targets));
        }
        QList<TargetNode> fewer = base;
        fewer.removeLast();
        seen.insert(TopologyBuilder::chipsDigest(fewer));
        QCOMPARE(seen.size(), 1 + int(edits.size()) + 1);
        // Not shown on a chip: a target's counters change with every poll and must not count.
        QList<TargetNode> busier = base;
        busier[0].lbSessions = 42;
        QCOMPARE(TopologyBuilder::chipsDigest(busier), TopologyBuilder::chipsDigest(base));
    }

    // Words that repeat across targets (a source's name, an observation's text, a reason) are
    // one string per build, shared, not one allocation per target.
    void repeatedWordsShareOneString()
    {
        const Scenario s = Scenario::twoServersOfB(QStringLiteral("UP"));
        const Topology t = TopologyBuilder::build(profile(), s.in);
        const QList<TargetNode> &targets = t.service(QStringLiteral("b"))->targets;
        QCOMPARE(targets.size(), 2);
        QCOMPARE(targets[0].reason, targets[1].reason);
        QVERIFY(targets[0].reason.constData() == targets[1].reason.constData());
        int shared = 0;
        for (const Observation &a : targets[0].observations) {
            for (const Observation &b : targets[1].observations) {
                if (a.source == b.source) {
                    QVERIFY(a.source.constData() == b.source.constData());
                    QCOMPARE(a.text, b.text);
                    QVERIFY(a.text.constData() == b.text.constData());
                    ++shared;
                }
            }
        }
        QVERIFY(shared >= 1); // the LB's observation at least
    }

    void serverTemplateSlotsAreKeyedByAddressNotName()
    {
        // The same slot name reused for another record must not merge two targets, and an
        // unfilled slot (no address) is not a target.
        Scenario s;
        HaproxyStatProxy &be = s.backend(QStringLiteral("be_user"));
        be.servers = {lbServer(QStringLiteral("u1"), QStringLiteral("10.0.0.41"), 9000, QStringLiteral("UP")),
                      lbServer(QStringLiteral("u1"), QStringLiteral("10.0.0.42"), 9000, QStringLiteral("UP"))};
        HaproxyStatServer unfilled;
        unfilled.name = QStringLiteral("u3");
        unfilled.status = QStringLiteral("MAINT (resolution)");
        unfilled.state = HaproxyServerStatus::Maint;
        be.servers.append(unfilled);
        const Topology t = TopologyBuilder::build(profile(), s.in);
        const ServiceNode *user = t.service(QStringLiteral("user"));
        QStringList keys;
        for (const TargetNode &n : user->targets) {
            keys.append(n.key);
        }
        // 10.0.0.41:9000 is also user-1-envoy's task: one target, two sources.
        QCOMPARE(keys, (QStringList{QStringLiteral("10.0.0.41:9000"), QStringLiteral("10.0.0.42:9000")}));
        QCOMPARE(t.target(QStringLiteral("user"), QStringLiteral("10.0.0.41:9000"))->sidecar, QStringLiteral("user-1-envoy"));
    }

    void dnsListingIsNotHealthWhileTheCheckingLbHasNoData()
    {
        // user is routed by the LB: before the LB's first answer, DNS alone must not say healthy.
        Scenario s;
        DnsServiceState user;
        user.id = QStringLiteral("user");
        user.name = QStringLiteral("user.corp");
        user.profilePort = 9000;
        DnsTarget t = dnsTarget(QStringLiteral("10.0.0.42"));
        t.record.owner = QStringLiteral("user.corp");
        user.records.append(t);
        s.in.dns->services.append(user);
        Topology topo = TopologyBuilder::build(profile(), s.in);
        QCOMPARE(topo.target(QStringLiteral("user"), QStringLiteral("10.0.0.42:9000"))->health, Health::Unknown);
        // b is not behind the LB in this profile: DNS alone is its only (and sufficient) source.
        s.dnsB().records.append(dnsTarget(QStringLiteral("10.0.0.12")));
        topo = TopologyBuilder::build(profile(), s.in);
        QCOMPARE(topo.target(QStringLiteral("b"), QStringLiteral("10.0.0.12:8000"))->health, Health::Healthy);
        // Once the LB answers, its health check decides.
        s.backend(QStringLiteral("be_user")).servers.append(lbServer(QStringLiteral("u2"), QStringLiteral("10.0.0.42"), 9000, QStringLiteral("UP")));
        topo = TopologyBuilder::build(profile(), s.in);
        QCOMPARE(topo.target(QStringLiteral("user"), QStringLiteral("10.0.0.42:9000"))->health, Health::Healthy);
    }

    void membershipFromAnLbWithoutAnswerIsUnknownNotAbsent_data()
    {
        // user is known only through the LB's backend be_user (10.0.0.41, 10.0.0.42); 10.0.0.41
        // also has its own sidecar, which answers LIVE. How the LB stands:
        QTest::addColumn<QString>("lb"); // never-answered | not-polled-yet | stale
        QTest::addColumn<QString>("summaryContains");
        QTest::addColumn<Health>("edgeHealth");
        QTest::newRow("fresh-start-lb-unreachable") << "never-answered"
                                                    << "1 known · lb unreachable" << Health::Down;
        QTest::newRow("fresh-start-lb-not-polled-yet")
            << "not-polled-yet"
            << "1 known · lb no data yet" << Health::Unknown;
        QTest::newRow("long-running-lb-stale") << "stale"
                                               << "lb stale" << Health::Stale;
    }
    void membershipFromAnLbWithoutAnswerIsUnknownNotAbsent()
    {
        QFETCH(QString, lb);
        QFETCH(QString, summaryContains);
        QFETCH(Health, edgeHealth);
        Scenario s;
        EnvoyAdminSnapshot own;
        own.serverInfo.state = EnvoyServerInfo::State::Live;
        own.serverInfo.stateName = QStringLiteral("LIVE");
        own.readyHttpStatus = 200;
        s.in.mesh.insert(QStringLiteral("user-1-envoy"), own);
        s.in.meshState.insert(QStringLiteral("user-1-envoy"), fresh());
        SourceState st;
        if (lb == u"stale") {
            // A long-running window keeps the LB's last answer, marked stale.
            s.backend(QStringLiteral("be_user")).servers
                = { lbServer(QStringLiteral("u1"), QStringLiteral("10.0.0.41"), 9000,
                        QStringLiteral("UP")),
                      lbServer(QStringLiteral("u2"), QStringLiteral("10.0.0.42"), 9000,
                          QStringLiteral("UP")) };
            st = fresh();
            st.stale = true;
        }
        if (lb != u"not-polled-yet") {
            st.error.kind = SourceError::Kind::Network;
            st.error.source = QStringLiteral("lb:lb");
            st.error.message = QStringLiteral("connection refused");
        }
        s.in.lbState.insert(QStringLiteral("lb"), st);

        const Topology t = TopologyBuilder::build(profile(), s.in);
        const ServiceNode *user = t.service(QStringLiteral("user"));
        QVERIFY2(user->health != Health::Healthy,
            qPrintable(healthName(user->health) + QStringLiteral(" — ") + user->summary));
        QVERIFY2(user->summary.contains(summaryContains), qPrintable(user->summary));
        // The sidecar's own task is still shown with what the sidecar says.
        QVERIFY(t.target(QStringLiteral("user"), QStringLiteral("10.0.0.41:9000")));
        // Both edges through the LB carry its failure; the DNS and mesh edges are not judged.
        for (const EdgeNode &e : t.edges) {
            if (e.via == u"lb:lb") {
                QVERIFY2(e.health == edgeHealth,
                    qPrintable(e.from + QStringLiteral(">") + e.to + QLatin1Char(' ')
                        + healthName(e.health)));
                QVERIFY2(e.reason.contains(QStringLiteral("lb")), qPrintable(e.reason));
                if (edgeHealth != Health::Unknown) {
                    QVERIFY2(e.reason.contains(QStringLiteral("connection refused")),
                        qPrintable(e.reason));
                }
            } else {
                QCOMPARE(e.health, Health::Unknown);
            }
        }
    }

    void edgeThroughAnAnsweringLbIsHealthy()
    {
        Scenario s;
        s.backend(QStringLiteral("be_user")).servers = { lbServer(
            QStringLiteral("u2"), QStringLiteral("10.0.0.42"), 9000, QStringLiteral("UP")) };
        const Topology t = TopologyBuilder::build(profile(), s.in);
        QCOMPARE(t.edges[1].via, QStringLiteral("lb:lb"));
        QCOMPARE(t.edges[1].health, Health::Healthy);
        QVERIFY2(!t.service(QStringLiteral("user"))->summary.contains(QStringLiteral("·")),
            qPrintable(t.service(QStringLiteral("user"))->summary));
    }

    void openDrainsStayAsDrainedTasks()
    {
        // 10.0.0.12 was drained (DNS record removed, slot gone): no source lists it any more.
        // 10.0.0.13 was drained too but DNS still lists it. 10.0.0.11 serves.
        Scenario s;
        s.dnsB().records
            = { dnsTarget(QStringLiteral("10.0.0.11")), dnsTarget(QStringLiteral("10.0.0.13")) };
        const QDateTime since = s_now.addSecs(-300);
        s.in.drains = { { QStringLiteral("10.0.0.12:8000"), QStringLiteral("b"), since,
                            QStringLiteral("alice") },
            { QStringLiteral("10.0.0.13:8000"), QStringLiteral("b"), since,
                QStringLiteral("bob") } };
        const Topology t = TopologyBuilder::build(profile(), s.in);
        const TargetNode *gone = t.target(QStringLiteral("b"), QStringLiteral("10.0.0.12:8000"));
        QVERIFY2(gone, "a drained task no source lists any more must stay in its service");
        QCOMPARE(gone->health, Health::Drained);
        QVERIFY(gone->openDrain);
        QCOMPARE(gone->address, QStringLiteral("10.0.0.12"));
        QCOMPARE(gone->port, quint16(8000));
        const QString at = since.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
        QVERIFY2(gone->reason.contains(QStringLiteral("drained by alice at ") + at)
                && gone->reason.contains(QStringLiteral("Undrain")),
            qPrintable(gone->reason));
        const TargetNode *listed = t.target(QStringLiteral("b"), QStringLiteral("10.0.0.13:8000"));
        QCOMPARE(listed->health, Health::Drained);
        QVERIFY2(listed->reason.contains(QStringLiteral("drained by bob"))
                && listed->reason.contains(QStringLiteral("dns: listed")),
            qPrintable(listed->reason));
        const ServiceNode *b = t.service(QStringLiteral("b"));
        QCOMPARE(b->targets.size(), 3);
        QCOMPARE(b->targets[1].key, QStringLiteral("10.0.0.12:8000")); // in key order
        // Drained on purpose is neither lost capacity nor a fault.
        QCOMPARE(b->summary, QStringLiteral("1 of 1 healthy · 2 drained"));
        QCOMPARE(b->health, Health::Healthy);
        QCOMPARE(b->drainedCount, 2);
        // A mark for another service's target does not move it.
        s.in.drains.append({ QStringLiteral("10.0.0.11:8000"), QStringLiteral("user"), since,
            QStringLiteral("carol") });
        const Topology t2 = TopologyBuilder::build(profile(), s.in);
        QVERIFY(!t2.target(QStringLiteral("user"), QStringLiteral("10.0.0.11:8000")));
        QCOMPARE(t2.target(QStringLiteral("b"), QStringLiteral("10.0.0.11:8000"))->health,
            Health::Drained);
    }

    void noDataYetIsUnknownNeverHealthy()
    {
        TopologyInputs in;
        in.now = s_now;
        const Topology t = TopologyBuilder::build(profile(), in);
        for (const ServiceNode &s : t.services) {
            QVERIFY2(s.health == Health::Unknown || s.health == Health::Stale, qPrintable(s.id + QLatin1Char(' ') + healthName(s.health)));
            for (const TargetNode &n : s.targets) {
                QVERIFY2(!isServing(n.health), qPrintable(n.key + QLatin1Char(' ') + healthName(n.health)));
            }
        }
        QCOMPARE(t.service(QStringLiteral("a"))->summary, QStringLiteral("no data yet"));
        QCOMPARE(t.loadBalancers.first().health, Health::Unknown);
    }

    void meshObservationsFromCallerAndOwnSidecar()
    {
        Scenario s;
        // order's sidecar sees payments' sidecar ingress (same IP, another port) ejected.
        EnvoyAdminSnapshot order;
        order.serverInfo.state = EnvoyServerInfo::State::Live;
        order.serverInfo.stateName = QStringLiteral("LIVE");
        order.readyHttpStatus = 200;
        EnvoyCluster upstream;
        upstream.name = QStringLiteral("payments.default.dc1.internal.x.consul");
        EnvoyHost h;
        h.address = QStringLiteral("10.0.0.61");
        h.port = 21000;
        h.healthFlags.set(EnvoyHealthFlag::FailedOutlierCheck);
        upstream.hosts.append(h);
        order.clusters.clusters.append(upstream);
        s.in.mesh.insert(QStringLiteral("order-1-envoy"), order);
        s.in.meshState.insert(QStringLiteral("order-1-envoy"), fresh());
        // payments' own sidecar is draining.
        EnvoyAdminSnapshot pay;
        pay.serverInfo.state = EnvoyServerInfo::State::Draining;
        pay.serverInfo.stateName = QStringLiteral("DRAINING");
        pay.readyHttpStatus = 503;
        s.in.mesh.insert(QStringLiteral("pay-1-envoy"), pay);
        s.in.meshState.insert(QStringLiteral("pay-1-envoy"), fresh());

        const Topology t = TopologyBuilder::build(profile(), s.in);
        const TargetNode *p = t.target(QStringLiteral("payments"), QStringLiteral("10.0.0.61:8080"));
        QVERIFY(p);
        QCOMPARE(p->observations.size(), 2);
        QCOMPARE(p->health, Health::Down); // ejected by the caller beats draining
        QVERIFY2(p->reason.contains(QStringLiteral("mesh:order-1-envoy: failed_outlier_check")), qPrintable(p->reason));
        QVERIFY2(p->reason.contains(QStringLiteral("mesh:pay-1-envoy: sidecar DRAINING")), qPrintable(p->reason));
        QCOMPARE(t.sidecars[1].health, Health::Draining);
        // A sidecar whose admin API never answered: its own target is not healthy.
        const TargetNode *u = t.target(QStringLiteral("user"), QStringLiteral("10.0.0.41:9000"));
        QVERIFY(u && !isServing(u->health));
    }

    // A sidecar whose admin API stopped answering is stale and says why (its error first), and
    // keeps what the last good answer said (tst_GuiFaults: the reason named no failure).
    void staleSidecarSaysWhy()
    {
        Scenario s;
        EnvoyAdminSnapshot pay;
        pay.serverInfo.state = EnvoyServerInfo::State::Live;
        pay.serverInfo.stateName = QStringLiteral("LIVE");
        pay.serverInfo.semver = QStringLiteral("1.28.0");
        pay.readyHttpStatus = 200;
        s.in.mesh.insert(QStringLiteral("pay-1-envoy"), pay);
        SourceState failing = fresh();
        failing.stale = true;
        failing.error.kind = SourceError::Kind::Timeout;
        failing.error.source = QStringLiteral("mesh:pay-1-envoy");
        failing.error.message = QStringLiteral("no complete reply within 1500 ms");
        s.in.meshState.insert(QStringLiteral("pay-1-envoy"), failing);

        const Topology t = TopologyBuilder::build(profile(), s.in);
        const SidecarNode &side = t.sidecars[1];
        QCOMPARE(side.id, QStringLiteral("pay-1-envoy"));
        QCOMPARE(side.health, Health::Stale);
        QVERIFY2(side.reason.startsWith(QStringLiteral("stale since ")), qPrintable(side.reason));
        QVERIFY2(side.reason.contains(failing.error.message), qPrintable(side.reason));
        QVERIFY2(side.reason.contains(QStringLiteral("sidecar LIVE")), qPrintable(side.reason));
        QCOMPARE(side.version, pay.serverInfo.semver); // the last data is kept, shown stale
    }

    void edgesHopsPathsAndHairpins()
    {
        Scenario s;
        const Topology t = TopologyBuilder::build(profile(), s.in);
        QCOMPARE(t.edges.size(), 4);
        QCOMPARE(t.edges[0].hops.networkHops, 1);
        QCOMPARE(t.edges[0].hops.proxyHops, 0);
        QCOMPARE(t.edges[1].hops.networkHops, 2);
        QCOMPARE(t.edges[1].hops.proxyHops, 1);
        QCOMPARE(t.edges[1].routes, QStringList{QStringLiteral("/api/user/*")});
        QCOMPARE(t.edges[2].hops.networkHops, 1);
        QCOMPARE(t.edges[2].hops.proxyHops, 2);
        QCOMPARE(t.edges[2].hops.label(), QStringLiteral("1 hop · mesh"));
        // order and user both have sidecars, yet order calls user through the central LB.
        QVERIFY(t.edges[3].hairpin);
        QVERIFY(!t.edges[1].hairpin);
        QStringList paths;
        for (const PathNode &p : t.paths) {
            paths.append(QStringLiteral("%1 %2/%3%4").arg(p.services.join(QStringLiteral(">"))).arg(p.networkHops).arg(p.proxyHops).arg(p.hairpin ? QStringLiteral(" hairpin") : QString()));
        }
        paths.sort();
        QCOMPARE(paths, (QStringList{QStringLiteral("a>b>user 3/1"), QStringLiteral("order>payments 1/2"),
                                     QStringLiteral("order>user 2/1 hairpin")}));
    }

    void pathsSurviveCycles()
    {
        ClusterProfile p = profile();
        EdgeSpec back;
        back.from = QStringLiteral("user");
        back.to = QStringLiteral("a");
        back.via = EdgeSpec::Via::Dns;
        p.edges.append(back);
        QList<EdgeNode> edges;
        for (const EdgeSpec &e : p.edges) {
            EdgeNode n;
            n.from = e.from;
            n.to = e.to;
            n.hops = HopModel::classify(e);
            edges.append(n);
        }
        const QList<PathNode> paths = TopologyBuilder::paths(p, edges);
        QVERIFY(!paths.isEmpty());
        for (const PathNode &path : paths) {
            QCOMPARE(QSet<QString>(path.services.cbegin(), path.services.cend()).size(), path.services.size());
        }
    }
};

QTEST_GUILESS_MAIN(tst_TopologyBuilder)
#include "tst_TopologyBuilder.moc"
