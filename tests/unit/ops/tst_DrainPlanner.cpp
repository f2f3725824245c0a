// DrainPlanner against one small cluster built from topology/snapshot values: every layer that
// routes to a target, the step order, notes instead of failures, refusals, capacity and the
// expected wait. Pure: no servers, no I/O.

#include "ops/DrainPlanner.h"

#include <QTest>

using namespace hopscope;

namespace {

// The cluster every row starts from (addresses as the planner sees them in snapshots):
//   serviceA  DNS only (A, TTL 30)           10.0.0.5:7000, 10.0.0.6:7000
//   serviceB  DNS A (TTL 10) + be_serviceb   10.0.0.11..13:8000 (server-template slots fed by DNS;
//             .13 is down) + an SRV alias "serviceb-srv" (TTL 45) pointing at .11:8000
//   user      DNS A (TTL 20) + be_user and be_user_canary (.41 is in both)  10.0.0.41/.42:8100
//   legacy    LB only (be_legacy)             10.0.0.71/.72:8200
//   payments  DNS A (TTL 15) + own sidecars   10.0.0.61/.62:9000
//   checkout  DNS A (TTL 25) + be_checkout + own sidecar  10.0.0.81/.82:9100
//   order     DNS A (TTL 10) + be_order + own sidecar, ONE target  10.0.0.51:9200
struct TargetSpec
{
    QString addr;
    quint16 port;
    Health health = Health::Healthy;
};

struct ServiceSpecRow
{
    QString id;
    QString name;
    QString dnsName; // empty: not in DNS
    quint32 ttl = 0;
    QList<TargetSpec> targets;
    QString backend; // empty: not behind the LB
    bool dnsFedSlots = false;
    bool sidecars = false;
};

QList<ServiceSpecRow> world()
{
    return {
        { QStringLiteral("servicea"), QStringLiteral("serviceA"),
            QStringLiteral("servicea.corp.internal"), 30,
            { { QStringLiteral("10.0.0.5"), 7000 }, { QStringLiteral("10.0.0.6"), 7000 } }, {},
            false, false },
        { QStringLiteral("serviceb"), QStringLiteral("serviceB"),
            QStringLiteral("serviceb.corp.internal"), 10,
            { { QStringLiteral("10.0.0.11"), 8000 }, { QStringLiteral("10.0.0.12"), 8000 },
                { QStringLiteral("10.0.0.13"), 8000, Health::Down } },
            QStringLiteral("be_serviceb"), true, false },
        { QStringLiteral("user"), QStringLiteral("user"), QStringLiteral("user.corp.internal"), 20,
            { { QStringLiteral("10.0.0.41"), 8100 }, { QStringLiteral("10.0.0.42"), 8100 } },
            QStringLiteral("be_user"), false, false },
        { QStringLiteral("legacy"), QStringLiteral("legacy"), {}, 0,
            { { QStringLiteral("10.0.0.71"), 8200 }, { QStringLiteral("10.0.0.72"), 8200 } },
            QStringLiteral("be_legacy"), false, false },
        { QStringLiteral("payments"), QStringLiteral("payments"),
            QStringLiteral("payments.corp.internal"), 15,
            { { QStringLiteral("10.0.0.61"), 9000 }, { QStringLiteral("10.0.0.62"), 9000 } }, {},
            false, true },
        { QStringLiteral("checkout"), QStringLiteral("checkout"),
            QStringLiteral("checkout.corp.internal"), 25,
            { { QStringLiteral("10.0.0.81"), 9100 }, { QStringLiteral("10.0.0.82"), 9100 } },
            QStringLiteral("be_checkout"), false, true },
        { QStringLiteral("order"), QStringLiteral("order"), QStringLiteral("order.corp.internal"),
            10, { { QStringLiteral("10.0.0.51"), 9200 } }, QStringLiteral("be_order"), false,
            true },
    };
}

DnsRecord aRecord(const QString &owner, const TargetSpec &t, quint32 ttl)
{
    DnsRecord r;
    r.type = DnsRecordType::A;
    r.owner = owner;
    r.address = QHostAddress(t.addr);
    r.ttl = ttl;
    return r;
}

HaproxyStatServer statServer(const QString &name, const TargetSpec &t)
{
    HaproxyStatServer s;
    s.name = name;
    s.address = t.addr;
    s.port = t.port;
    s.status = t.health == Health::Healthy ? QStringLiteral("UP") : QStringLiteral("DOWN");
    s.state = t.health == Health::Healthy ? HaproxyServerStatus::Up : HaproxyServerStatus::Down;
    s.scur = 2;
    return s;
}

// mods: observeOnly, noDnsUpdate, lbStatsOnly
DrainPlanInputs inputs(const QStringList &mods)
{
    DrainPlanInputs in;
    ClusterProfile &p = in.profile;
    p.name = QStringLiteral("planner-demo");
    p.observeOnly = mods.contains(u"observeOnly");
    if (!mods.contains(u"noDnsUpdate")) {
        DnsUpdateSpec du;
        du.server = HostPort { QStringLiteral("127.0.0.1"), 53 };
        du.zone = QStringLiteral("corp.internal");
        du.tsigKey.name = QStringLiteral("ddns-key");
        du.tsigKey.algorithm = QStringLiteral("hmac-sha256");
        du.tsigKey.secret
            = SecretRef { SecretRef::Kind::File, QStringLiteral("/nonexistent/ddns.secret") };
        p.dnsUpdate = du;
    }
    LoadBalancerSpec lb;
    lb.id = QStringLiteral("internal-lb");
    lb.kind = QStringLiteral("haproxy");
    p.loadBalancers.append(lb);

    DnsDiscoverySnapshot dns;
    HaproxySnapshot hap;
    HaproxyStatProxy fe;
    fe.name = QStringLiteral("fe_main");
    fe.type = HaproxyStatProxy::Type::Frontend;
    hap.stat.proxies.append(fe);

    for (const ServiceSpecRow &s : world()) {
        ServiceNode node;
        node.id = s.id;
        node.name = s.name;
        node.dnsName = s.dnsName;
        DnsServiceState ds;
        ds.id = s.id;
        ds.name = s.dnsName;
        ds.profilePort = s.targets.first().port;
        HaproxyStatProxy be;
        be.name = s.backend;
        be.type = HaproxyStatProxy::Type::Backend;
        int slot = 0;
        for (const TargetSpec &t : s.targets) {
            TargetNode tn;
            tn.address = t.addr;
            tn.port = t.port;
            tn.key = QStringLiteral("%1:%2").arg(t.addr).arg(t.port);
            tn.health = t.health;
            node.targets.append(tn);
            node.healthyCount += isServing(t.health) ? 1 : 0;
            if (!s.dnsName.isEmpty()) {
                DnsTarget dt;
                dt.record = aRecord(s.dnsName, t, s.ttl);
                ds.records.append(dt);
            }
            if (!s.backend.isEmpty()) {
                const QString name = QStringLiteral("%1%2").arg(s.id.left(1)).arg(++slot);
                be.servers.append(statServer(name, t));
                HaproxyServerState st;
                st.backend = s.backend;
                st.name = name;
                st.address = t.addr;
                st.port = t.port;
                if (s.dnsFedSlots) {
                    st.fqdn = s.dnsName;
                }
                hap.serversState.servers.append(st);
            }
            if (s.sidecars) {
                ProxySpec px;
                px.id = QStringLiteral("%1-%2-envoy").arg(s.id).arg(node.targets.size());
                px.kind = QStringLiteral("envoy");
                px.admin = QUrl(QStringLiteral("http://%1:19000").arg(t.addr));
                px.service = s.id;
                px.task = HostPort { t.addr, t.port };
                p.proxies.append(px);
                EnvoyAdminSnapshot es;
                es.serverInfo.state = EnvoyServerInfo::State::Live;
                es.serverInfo.stateName = QStringLiteral("LIVE");
                in.sidecars.insert(px.id, es);
            }
        }
        ServiceSpec spec;
        spec.id = s.id;
        spec.name = s.name;
        p.services.append(spec);
        in.topology.services.append(node);
        if (!s.dnsName.isEmpty()) {
            if (s.id == u"serviceb") {
                // An SRV alias with a longer TTL that points at the first serviceB task.
                DnsServiceState alias;
                alias.id = QStringLiteral("serviceb-srv");
                alias.name = QStringLiteral("_http._tcp.serviceb.corp.internal");
                alias.type = DnsRecordType::SRV;
                DnsTarget dt;
                dt.record.type = DnsRecordType::SRV;
                dt.record.owner = alias.name;
                dt.record.address = QHostAddress(s.targets.first().addr);
                dt.record.port = s.targets.first().port;
                dt.record.priority = 1;
                dt.record.weight = 1;
                dt.record.target = QStringLiteral("b-1.serviceb.corp.internal");
                dt.record.ttl = 45;
                alias.records.append(dt);
                dns.services.append(alias);
            }
            dns.services.append(ds);
        }
        if (!s.backend.isEmpty()) {
            hap.stat.proxies.append(be);
        }
    }
    // user's first task is also in a canary backend.
    HaproxyStatProxy canary;
    canary.name = QStringLiteral("be_user_canary");
    canary.type = HaproxyStatProxy::Type::Backend;
    canary.servers.append(
        statServer(QStringLiteral("canary1"), { QStringLiteral("10.0.0.41"), 8100 }));
    hap.stat.proxies.append(canary);

    in.dns = dns;
    if (mods.contains(u"lbStatsOnly")) {
        in.lbWithoutRuntime.insert(lb.id);
    } else {
        in.lb.insert(lb.id, hap);
    }
    return in;
}

QStringList kinds(const DrainPlan &plan)
{
    QStringList k;
    for (const DrainStep &s : plan.steps) {
        k << DrainStep::kindName(s.kind);
    }
    return k;
}

QStringList sl(const char *items)
{
    return QString::fromUtf8(items).split(u'|', Qt::SkipEmptyParts);
}

QString allNotes(const DrainPlan &plan)
{
    QStringList n = plan.notes;
    for (const DrainStep &s : plan.steps) {
        n << s.note;
    }
    return n.join(u'\n');
}

} // namespace

class tst_DrainPlanner : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void plan_data();
    void plan();
    void dnsStepRemovesExactRecordsWithTheirTtls();
    void lbStepAddressesEveryBackendSlot();
    void planRoundTripsThroughJson();
    void loadBalancersInProfileOrder();
};

void tst_DrainPlanner::plan_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<QStringList>("mods");
    QTest::addColumn<bool>("force");
    QTest::addColumn<QStringList>("steps");
    QTest::addColumn<QString>("refusal"); // substring; empty: may run
    QTest::addColumn<QString>("note"); // substring of a plan or step note; empty: none required
    QTest::addColumn<QStringList>("capacity");
    QTest::addColumn<int>("seconds");

    const QStringList none;
    QTest::newRow("dns-only-target") << "10.0.0.5:7000" << none << false << sl("dns-remove") << ""
                                     << "" << sl("serviceA: 1 of 2 healthy targets remain") << 30;
    QTest::newRow("lb-only-target") << "10.0.0.71:8200" << none << false << sl("lb-drain") << ""
                                    << "" << sl("legacy: 1 of 2 healthy targets remain") << 0;
    QTest::newRow("mesh-target-with-own-sidecar")
        << "10.0.0.62:9000" << none << false << sl("dns-remove|sidecar-fail") << ""
        << "ECS may stop and replace the task" << sl("payments: 1 of 2 healthy targets remain") << 15;
    QTest::newRow("all-three-layers-in-order-dns-lb-sidecar")
        << "10.0.0.82:9100" << none << false << sl("dns-remove|lb-drain|sidecar-fail") << ""
        << "" << sl("checkout: 1 of 2 healthy targets remain") << 25;
    QTest::newRow("dns-fed-template-slot-gets-a-note-not-a-failure")
        << "10.0.0.12:8000" << none << false << sl("dns-remove|lb-drain") << ""
        << "server-template slot fed by DNS" << sl("serviceB: 1 of 3 healthy targets remain") << 10;
    QTest::newRow("expected-seconds-is-the-longest-ttl")
        << "10.0.0.11:8000" << none << false << sl("dns-remove|lb-drain") << ""
        << "" << sl("serviceB: 1 of 3 healthy targets remain") << 45;
    QTest::newRow("down-target-leaves-capacity-unchanged")
        << "10.0.0.13:8000" << none << false << sl("dns-remove|lb-drain") << ""
        << "" << sl("serviceB: 2 of 3 healthy targets remain") << 10;
    QTest::newRow("target-in-two-backends")
        << "10.0.0.41:8100" << none << false << sl("dns-remove|lb-drain|lb-drain") << ""
        << "" << sl("user: 1 of 2 healthy targets remain") << 20;
    QTest::newRow("last-healthy-refused")
        << "10.0.0.51:9200" << none << false << sl("dns-remove|lb-drain|sidecar-fail")
        << "last healthy target of order"
        << "" << sl("order: 0 of 1 healthy targets remain") << 10;
    QTest::newRow("last-healthy-forced")
        << "10.0.0.51:9200" << none << true << sl("dns-remove|lb-drain|sidecar-fail") << ""
        << "" << sl("order: 0 of 1 healthy targets remain") << 10;
    QTest::newRow("observe-only-refused")
        << "10.0.0.82:9100" << sl("observeOnly") << false << sl("dns-remove|lb-drain|sidecar-fail")
        << "observe-only"
        << "" << sl("checkout: 1 of 2 healthy targets remain") << 25;
    QTest::newRow("observe-only-refused-even-when-forced")
        << "10.0.0.51:9200" << sl("observeOnly") << true << sl("dns-remove|lb-drain|sidecar-fail")
        << "observe-only"
        << "" << sl("order: 0 of 1 healthy targets remain") << 10;
    QTest::newRow("unknown-target-refused")
        << "10.9.9.9:1" << none << false << QStringList {} << "not a target of any service"
        << "" << QStringList {} << 0;
    QTest::newRow("name-instead-of-address-refused")
        << "serviceb.corp.internal:8000" << none << false << QStringList {}
        << "must be ADDRESS:PORT"
        << "" << QStringList {} << 0;
    QTest::newRow("lb-seen-only-through-stats-http")
        << "10.0.0.71:8200" << sl("lbStatsOnly") << false << QStringList {}
        << "no layer that hopscope can change"
        << "read through its stats page only" << sl("legacy: 1 of 2 healthy targets remain") << 0;
    QTest::newRow("lb-stats-only-still-drains-dns")
        << "10.0.0.42:8100" << sl("lbStatsOnly") << false << sl("dns-remove") << ""
        << "cannot be drained from here" << sl("user: 1 of 2 healthy targets remain") << 20;
    QTest::newRow("no-dnsupdate-in-profile-no-dns-step-and-a-note")
        << "10.0.0.12:8000" << sl("noDnsUpdate") << false << sl("lb-drain") << ""
        << "no dnsUpdate section" << sl("serviceB: 1 of 3 healthy targets remain") << 0;
}

void tst_DrainPlanner::plan()
{
    QFETCH(QString, target);
    QFETCH(QStringList, mods);
    QFETCH(bool, force);
    QFETCH(QStringList, steps);
    QFETCH(QString, refusal);
    QFETCH(QString, note);
    QFETCH(QStringList, capacity);
    QFETCH(int, seconds);

    const DrainPlan p = DrainPlanner::plan(
        inputs(mods), target, force ? DrainForce::LastHealthy : DrainForce::No);
    const QString text = p.toText();
    QCOMPARE(kinds(p), steps);
    if (refusal.isEmpty()) {
        QVERIFY2(p.refusal.isEmpty(), qPrintable(text));
        QVERIFY2(p.canExecute(), qPrintable(text));
    } else {
        QVERIFY2(p.refusal.contains(refusal), qPrintable(text));
        QVERIFY(!p.canExecute());
        QVERIFY(text.contains(QStringLiteral("REFUSED")));
    }
    if (!note.isEmpty()) {
        QVERIFY2(allNotes(p).contains(note), qPrintable(text));
    }
    QStringList caps;
    for (const DrainCapacity &c : p.capacity) {
        caps << c.text;
        QVERIFY2(text.contains(c.text), qPrintable(text));
    }
    QCOMPARE(caps, capacity);
    QCOMPARE(p.expectedSecondsUntilSafe, seconds);
    if (seconds > 0) {
        QVERIFY2(p.expectedText.contains(QStringLiteral("%1 s").arg(seconds)),
            qPrintable(p.expectedText));
    }
    QCOMPARE(p.forced, force);
    QCOMPARE(p.profileName, QStringLiteral("planner-demo"));
}

void tst_DrainPlanner::dnsStepRemovesExactRecordsWithTheirTtls()
{
    const DrainPlan p
        = DrainPlanner::plan(inputs({}), QStringLiteral("10.0.0.11:8000"), DrainForce::No);
    QVERIFY(p.canExecute());
    const DrainStep &dns = p.steps.first();
    QCOMPARE(dns.kind, DrainStepKind::DnsRemove);
    QCOMPARE(dns.zone, QStringLiteral("corp.internal"));
    // Both names that point at it, each with the TTL it had, so undo re-adds exactly these.
    QCOMPARE(dns.records.size(), 2);
    const DnsUpdateRecord srv { QStringLiteral("_http._tcp.serviceb.corp.internal"),
        QStringLiteral("SRV"), QStringLiteral("1 1 8000 b-1.serviceb.corp.internal."), 45 };
    const DnsUpdateRecord a { QStringLiteral("serviceb.corp.internal"), QStringLiteral("A"),
        QStringLiteral("10.0.0.11"), 10 };
    QVERIFY(dns.records.contains(srv));
    QVERIFY(dns.records.contains(a));
    QVERIFY2(dns.description.contains(QStringLiteral("45 s")), qPrintable(dns.description));
    // The other serviceB tasks are not touched.
    for (const DnsUpdateRecord &r : dns.records) {
        QVERIFY(!r.rdata.contains(QStringLiteral("10.0.0.12")));
    }
}

void tst_DrainPlanner::lbStepAddressesEveryBackendSlot()
{
    const DrainPlan p
        = DrainPlanner::plan(inputs({}), QStringLiteral("10.0.0.41:8100"), DrainForce::No);
    QCOMPARE(p.steps.size(), 3);
    QCOMPARE(p.steps[1].backend, QStringLiteral("be_user"));
    QCOMPARE(p.steps[1].server, QStringLiteral("u1"));
    QCOMPARE(p.steps[2].backend, QStringLiteral("be_user_canary"));
    QCOMPARE(p.steps[2].server, QStringLiteral("canary1"));
    for (int i : { 1, 2 }) {
        QCOMPARE(p.steps[i].loadBalancer, QStringLiteral("internal-lb"));
        QCOMPARE(p.steps[i].lbStatusBefore, QStringLiteral("UP"));
        QVERIFY(!p.steps[i].dnsFed);
        QVERIFY(p.steps[i].description.contains(QStringLiteral("2 current sessions")));
    }
    const DrainPlan fed
        = DrainPlanner::plan(inputs({}), QStringLiteral("10.0.0.12:8000"), DrainForce::No);
    QVERIFY(fed.steps[1].dnsFed);
}

void tst_DrainPlanner::planRoundTripsThroughJson()
{
    const DrainPlan p
        = DrainPlanner::plan(inputs({}), QStringLiteral("10.0.0.82:9100"), DrainForce::No);
    QVERIFY(p.canExecute());
    const QJsonObject o = p.toJson();
    QCOMPARE(o.value(QStringLiteral("canExecute")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("expectedSecondsUntilSafe")).toInt(), 25);
    for (const DrainStep &s : p.steps) {
        const auto back = DrainStep::fromJson(s.toJson());
        QVERIFY(back);
        QCOMPARE(back->kind, s.kind);
        QCOMPARE(back->records, s.records);
        QCOMPARE(back->backend, s.backend);
        QCOMPARE(back->server, s.server);
        QCOMPARE(back->sidecar, s.sidecar);
        QCOMPARE(back->adminUrl, s.adminUrl);
    }
    QVERIFY(
        !DrainStep::fromJson(QJsonObject { { QStringLiteral("kind"), QStringLiteral("reboot") } }));
}

void tst_DrainPlanner::loadBalancersInProfileOrder()
{
    // Several balancers that all route to the target: one step each, in the profile's order,
    // however the planner's inputs happen to be hashed.
    DrainPlanInputs in = inputs({});
    const HaproxySnapshot hap = in.lb.value(QStringLiteral("internal-lb"));
    QStringList ids;
    for (const char *id : { "zeta-lb", "alpha-lb", "mid-lb", "beta-lb", "omega-lb" }) {
        LoadBalancerSpec lb;
        lb.id = QLatin1String(id);
        in.profile.loadBalancers.prepend(lb);
        in.lb.insert(lb.id, hap);
    }
    for (const LoadBalancerSpec &lb : in.profile.loadBalancers) {
        ids << lb.id;
    }
    const DrainPlan p = DrainPlanner::plan(in, QStringLiteral("10.0.0.71:8200"), DrainForce::No);
    QStringList order;
    for (const DrainStep &s : p.steps) {
        QCOMPARE(s.kind, DrainStepKind::LbDrain);
        order << s.loadBalancer;
    }
    QCOMPARE(order, ids);
}

QTEST_GUILESS_MAIN(tst_DrainPlanner)
#include "tst_DrainPlanner.moc"
