// A server read through Prometheus is known by name only ("<backend>/<server>": promex labels
// carry no addresses). It merges with the target DNS (or a sidecar) places at an address when its
// name says which one (model/topology/NameOnlyMatch.h): named by address:port, by address, by
// its SRV host name or that name's first label. Opaque or ambiguous names stay name-only, and
// the states read through Prometheus survive the merge.

#include "topology/NameOnlyMatch.h"
#include "topology/TopologyBuilder.h"

#include <QTest>

using namespace hopscope;

namespace {

const QDateTime s_now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);

SourceState fresh()
{
    SourceState st;
    st.hasData = true;
    st.stale = false;
    st.lastSuccess = s_now;
    return st;
}

DnsTarget aRecord(const QString &owner, const QString &ip)
{
    DnsTarget t;
    t.record.type = DnsRecordType::A;
    t.record.owner = owner;
    t.record.address = QHostAddress(ip);
    t.record.ttl = 10;
    t.firstSeen = s_now.addSecs(-60);
    t.lastSeen = s_now;
    return t;
}

DnsTarget srvRecord(const QString &target, const QString &ip, quint16 port)
{
    DnsTarget t = aRecord(target, ip);
    t.record.type = DnsRecordType::SRV;
    t.record.owner = QStringLiteral("_http._tcp.a.corp");
    t.record.target = target;
    t.record.port = port;
    return t;
}

HaproxyStatServer named(const QString &name, HaproxyServerStatus state, const QString &status)
{
    HaproxyStatServer s;
    s.name = name;
    s.nameOnly = true;
    s.state = state;
    s.status = status;
    s.checkStatus = QStringLiteral("L4OK");
    s.scur = 0;
    return s;
}

// Service "b" (A records b.corp, port 8000, three tasks) behind backend be_b and service "a"
// (SRV _http._tcp.a.corp, two tasks with host names) behind be_a, both read from Prometheus.
struct Fleet
{
    ClusterProfile profile;
    TopologyInputs in;
    HaproxyStatProxy beA;
    HaproxyStatProxy beB;

    Fleet()
    {
        ServiceSpec a;
        a.id = QStringLiteral("a");
        a.name = QStringLiteral("a");
        a.dns = ServiceDnsSpec { QStringLiteral("_http._tcp.a.corp"), DnsRecordType::SRV, 0, {} };
        ServiceSpec b;
        b.id = QStringLiteral("b");
        b.name = QStringLiteral("b");
        b.dns = ServiceDnsSpec { QStringLiteral("b.corp"), DnsRecordType::A, 8000, {} };
        profile.services = { a, b };
        LoadBalancerSpec lb;
        lb.id = QStringLiteral("lb");
        lb.kind = QStringLiteral("haproxy");
        lb.fromPrometheus = true;
        lb.routes = { RouteSpec {
                          QStringLiteral("/a/"), QStringLiteral("be_a"), QStringLiteral("a"), {} },
            RouteSpec { QStringLiteral("/b/"), QStringLiteral("be_b"), QStringLiteral("b"), {} } };
        profile.loadBalancers = { lb };

        in.now = s_now;
        in.dnsState = fresh();
        in.dns = DnsDiscoverySnapshot {};
        in.dns->taken = s_now;
        DnsServiceState dnsA;
        dnsA.id = QStringLiteral("a");
        dnsA.name = QStringLiteral("_http._tcp.a.corp");
        dnsA.type = DnsRecordType::SRV;
        dnsA.hasAnswer = true;
        dnsA.records = { srvRecord(QStringLiteral("a-1.a.corp"), QStringLiteral("10.0.1.1"), 9001),
            srvRecord(QStringLiteral("a-2.a.corp"), QStringLiteral("10.0.1.2"), 9002) };
        DnsServiceState dnsB;
        dnsB.id = QStringLiteral("b");
        dnsB.name = QStringLiteral("b.corp");
        dnsB.type = DnsRecordType::A;
        dnsB.profilePort = 8000;
        dnsB.hasAnswer = true;
        dnsB.records = { aRecord(QStringLiteral("b.corp"), QStringLiteral("10.0.2.1")),
            aRecord(QStringLiteral("b.corp"), QStringLiteral("10.0.2.2")),
            aRecord(QStringLiteral("b.corp"), QStringLiteral("10.0.2.3")) };
        in.dns->services = { dnsA, dnsB };
        beA.name = QStringLiteral("be_a");
        beA.type = HaproxyStatProxy::Type::Backend;
        beB.name = QStringLiteral("be_b");
        beB.type = HaproxyStatProxy::Type::Backend;
    }

    Topology build()
    {
        HaproxySnapshot snap;
        snap.info.version = QStringLiteral("2.6.12 via Prometheus");
        snap.stat.proxies = { beA, beB };
        in.lb.insert(QStringLiteral("lb"), snap);
        in.lbState.insert(QStringLiteral("lb"), fresh());
        return TopologyBuilder::build(profile, in);
    }
};

} // namespace

class tst_PrometheusNameMerge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void addressInServerName_data();
    void addressInServerName();
    void serversNamedByAddressMergeWithDns();
    void serversNamedBySrvHostMergeWithDns();
    void opaqueAndAmbiguousNamesStayNameOnly();
    void sidecarTaskSuppliesTheAddress();
};

void tst_PrometheusNameMerge::addressInServerName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("address"); // empty: not an address
    QTest::addColumn<int>("port");
    QTest::newRow("ipv4:port") << "10.0.2.1:8000"
                               << "10.0.2.1" << 8000;
    QTest::newRow("ipv4") << "10.0.2.1"
                          << "10.0.2.1" << 0;
    QTest::newRow("[ipv6]:port") << "[fd00::5]:443"
                                 << "fd00::5" << 443;
    QTest::newRow("ipv6") << "fd00:0::5"
                          << "fd00::5" << 0;
    QTest::newRow("opaque") << "s07"
                            << "" << 0;
    QTest::newRow("host name") << "web-1.corp"
                               << "" << 0;
    QTest::newRow("shorthand is not an address") << "10.5"
                                                 << "" << 0;
    QTest::newRow("bad port") << "10.0.2.1:http"
                              << "" << 0;
    QTest::newRow("port 0") << "10.0.2.1:0"
                            << "" << 0;
    QTest::newRow("unclosed bracket") << "[fd00::5:443"
                                      << "" << 0;
}

void tst_PrometheusNameMerge::addressInServerName()
{
    QFETCH(QString, name);
    QFETCH(QString, address);
    QFETCH(int, port);
    const auto got = hopscope::addressInServerName(name);
    QCOMPARE(got.has_value(), !address.isEmpty());
    if (got) {
        QCOMPARE(got->first, address);
        QCOMPARE(int(got->second), port);
    }
}

void tst_PrometheusNameMerge::serversNamedByAddressMergeWithDns()
{
    Fleet f;
    f.beB.servers = {
        named(QStringLiteral("10.0.2.1:8000"), HaproxyServerStatus::Up, QStringLiteral("UP")),
        named(QStringLiteral("10.0.2.2"), HaproxyServerStatus::Maint, QStringLiteral("MAINT")),
        named(QStringLiteral("10.0.2.3:8000"), HaproxyServerStatus::Drain, QStringLiteral("DRAIN"))
    };
    const Topology t = f.build();
    const ServiceNode *b = t.service(QStringLiteral("b"));
    QVERIFY(b);
    QCOMPARE(b->targets.size(), 3); // not 3 DNS targets + 3 name-only ones
    for (const TargetNode &n : b->targets) {
        QVERIFY2(!n.address.isEmpty(), qPrintable(n.key));
        QCOMPARE(n.observations.size(), 2); // dns and lb:lb
    }
    const TargetNode *up = t.target(QStringLiteral("b"), QStringLiteral("10.0.2.1:8000"));
    QCOMPARE(up->health, Health::Healthy);
    QCOMPARE(up->lbServer, QStringLiteral("be_b/10.0.2.1:8000"));
    const TargetNode *maint = t.target(QStringLiteral("b"), QStringLiteral("10.0.2.2:8000"));
    QCOMPARE(maint->lbServer, QStringLiteral("be_b/10.0.2.2"));
    QCOMPARE(maint->health, Health::Conflict); // DNS lists it, the LB has it in MAINT
    const TargetNode *drain = t.target(QStringLiteral("b"), QStringLiteral("10.0.2.3:8000"));
    QCOMPARE(drain->health, Health::Drained);
}

void tst_PrometheusNameMerge::serversNamedBySrvHostMergeWithDns()
{
    Fleet f;
    f.beA.servers = { named(QStringLiteral("a-1"), HaproxyServerStatus::Up, QStringLiteral("UP")),
        named(QStringLiteral("A-2.a.corp."), HaproxyServerStatus::Down, QStringLiteral("DOWN")) };
    const Topology t = f.build();
    const ServiceNode *a = t.service(QStringLiteral("a"));
    QCOMPARE(a->targets.size(), 2);
    const TargetNode *one = t.target(QStringLiteral("a"), QStringLiteral("10.0.1.1:9001"));
    QCOMPARE(one->lbServer, QStringLiteral("be_a/a-1"));
    QCOMPARE(one->health, Health::Healthy);
    const TargetNode *two = t.target(QStringLiteral("a"), QStringLiteral("10.0.1.2:9002"));
    QCOMPARE(two->lbServer, QStringLiteral("be_a/A-2.a.corp."));
    QCOMPARE(two->health, Health::Down);
}

void tst_PrometheusNameMerge::opaqueAndAmbiguousNamesStayNameOnly()
{
    Fleet f;
    // b.corp's A records share one owner name: "b" could be any of the three tasks.
    f.beB.servers = { named(QStringLiteral("s07"), HaproxyServerStatus::Up, QStringLiteral("UP")),
        named(QStringLiteral("b"), HaproxyServerStatus::Up, QStringLiteral("UP")),
        named(QStringLiteral("10.0.2.9:8000"), HaproxyServerStatus::Up, QStringLiteral("UP")),
        named(QStringLiteral("10.0.2.1:9999"), HaproxyServerStatus::Up, QStringLiteral("UP")) };
    const Topology t = f.build();
    const ServiceNode *b = t.service(QStringLiteral("b"));
    QCOMPARE(b->targets.size(), 3 + 4);
    for (const QString &server : { QStringLiteral("s07"), QStringLiteral("b"),
             QStringLiteral("10.0.2.9:8000"), QStringLiteral("10.0.2.1:9999") }) {
        const TargetNode *n = t.target(QStringLiteral("b"), QStringLiteral("be_b/") + server);
        QVERIFY2(n, qPrintable(server));
        QVERIFY(n->address.isEmpty());
        QCOMPARE(n->port, quint16(0));
        QCOMPARE(n->health, Health::Healthy);
    }
    for (const QString &key :
        { QStringLiteral("10.0.2.1:8000"), QStringLiteral("10.0.2.2:8000") }) {
        QCOMPARE(t.target(QStringLiteral("b"), key)->observations.size(), 1); // DNS alone
    }
}

// No DNS answer yet: the service's own sidecar names its task's address, and the server named
// by it merges there.
void tst_PrometheusNameMerge::sidecarTaskSuppliesTheAddress()
{
    Fleet f;
    f.in.dns->services[1].records.clear();
    ProxySpec px;
    px.id = QStringLiteral("b-1-envoy");
    px.kind = QStringLiteral("envoy");
    px.service = QStringLiteral("b");
    px.task.host = QStringLiteral("10.0.2.1");
    px.task.port = 8000;
    f.profile.proxies = { px };
    f.beB.servers
        = { named(QStringLiteral("10.0.2.1:8000"), HaproxyServerStatus::Up, QStringLiteral("UP")) };
    const Topology t = f.build();
    const ServiceNode *b = t.service(QStringLiteral("b"));
    QCOMPARE(b->targets.size(), 1);
    QCOMPARE(b->targets.first().key, QStringLiteral("10.0.2.1:8000"));
    QCOMPARE(b->targets.first().lbServer, QStringLiteral("be_b/10.0.2.1:8000"));
}

QTEST_GUILESS_MAIN(tst_PrometheusNameMerge)
#include "tst_PrometheusNameMerge.moc"
