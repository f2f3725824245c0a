#include "discover/DiscoveryNames.h"
#include "discover/ProfileDiscovery.h"
#include "profile/ProfileStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace hopscope;

// ProfileDiscovery from snapshots made up here: which services, routes, proxies and edges come
// out, which sources are merged and why, how clashing names are told apart, what is reported as
// not inferred — and that every profile it writes reads back valid with its notes kept.
class tst_ProfileDiscovery : public QObject
{
    Q_OBJECT

    static HaproxyStatServer server(const QString &name, const QString &addr, quint16 port)
    {
        HaproxyStatServer s;
        s.name = name;
        if (!addr.isEmpty()) {
            s.address = addr;
            s.port = port;
        }
        return s;
    }
    static HaproxyStatProxy proxy(const QString &name, HaproxyStatProxy::Type type,
        const QList<HaproxyStatServer> &servers = {})
    {
        HaproxyStatProxy p;
        p.name = name;
        p.type = type;
        p.servers = servers;
        return p;
    }
    static DiscoveredHaproxy haproxy(const QString &runtime, const QList<HaproxyStatProxy> &proxies)
    {
        DiscoveredHaproxy h;
        h.runtime = RuntimeEndpoint::parse(runtime);
        HaproxySnapshot snap;
        snap.stat.proxies = proxies;
        snap.info.version = QStringLiteral("2.6.12");
        h.snapshot = snap;
        return h;
    }
    static EnvoyCluster cluster(const QString &name, const QList<HostPort> &hosts)
    {
        EnvoyCluster c;
        c.name = name;
        for (const HostPort &hp : hosts) {
            EnvoyHost h;
            h.address = hp.host;
            h.port = hp.port;
            c.hosts.append(h);
        }
        return c;
    }
    static DiscoveredEnvoy envoy(const QString &admin, const QString &nodeId,
        const QString &nodeCluster, const QList<EnvoyCluster> &clusters)
    {
        DiscoveredEnvoy e;
        e.admin = QUrl(admin);
        EnvoyAdminSnapshot snap;
        snap.serverInfo.nodeId = nodeId;
        snap.serverInfo.nodeCluster = nodeCluster;
        snap.clusters.clusters = clusters;
        e.snapshot = snap;
        return e;
    }
    static DiscoveredDnsName dns(const QString &name, DnsRecordType type,
        const QList<HostPort> &records, bool typeGiven = false)
    {
        DiscoveredDnsName d;
        d.request.name = name;
        if (typeGiven) {
            d.request.type = type;
        }
        DnsResult r;
        r.name = name;
        r.type = type;
        r.status = records.isEmpty() ? DnsResult::Status::NxDomain : DnsResult::Status::Ok;
        for (const HostPort &hp : records) {
            DnsRecord rec;
            rec.type = type;
            rec.address = QHostAddress(hp.host);
            rec.port = type == DnsRecordType::SRV ? hp.port : 0;
            r.records.append(rec);
        }
        d.result = r;
        return d;
    }
    static HostPort hp(const char *host, quint16 port)
    {
        return { QString::fromLatin1(host), port };
    }

    // The profile as it would be written, read back by ProfileStore: valid, notes kept.
    static ClusterProfile readBack(const DiscoveryResult &r)
    {
        const QByteArray bytes = QJsonDocument(r.profile.toJson()).toJson();
        const ProfileLoadResult loaded = ProfileStore::parse(bytes);
        QStringList problems;
        for (const ProfileProblem &p : loaded.problems) {
            problems.append(p.toString());
        }
        if (!loaded.ok()) {
            qWarning().noquote() << problems.join(u'\n') << '\n' << bytes;
        }
        return loaded.profile.value_or(ClusterProfile());
    }
    static QStringList ids(const ClusterProfile &p)
    {
        QStringList ids;
        for (const ServiceSpec &s : p.services) {
            ids.append(s.id);
        }
        return ids;
    }
    static QString notes(const ServiceSpec &s)
    {
        QStringList lines;
        for (const QJsonValue &v : s.raw.value(QStringLiteral("discoveredFrom")).toArray()) {
            lines.append(v.toString());
        }
        return lines.join(u'\n');
    }

private Q_SLOTS:
    void backendsBecomeServicesAndRoutes()
    {
        DiscoveryInput in;
        in.haproxies.append(haproxy(QStringLiteral("tcp:127.0.0.1:9999"),
            { proxy(QStringLiteral("fe_main"), HaproxyStatProxy::Type::Frontend),
                proxy(QStringLiteral("be_user"), HaproxyStatProxy::Type::Backend,
                    { server(QStringLiteral("u1"), QStringLiteral("10.0.0.41"), 8080),
                        server(QStringLiteral("u2"), QStringLiteral("10.0.0.42"), 8080),
                        server(QStringLiteral("slot3"), QString(), 0) }),
                proxy(QStringLiteral("stats"), HaproxyStatProxy::Type::Backend) }));
        const DiscoveryResult r = ProfileDiscovery::build(in);
        QCOMPARE(r.answered, 1);
        const ClusterProfile p = readBack(r);
        QCOMPARE(ids(p), QStringList { QStringLiteral("user") });
        QCOMPARE(p.loadBalancers.size(), 1);
        const LoadBalancerSpec &lb = p.loadBalancers.first();
        QCOMPARE(lb.runtime->toString(), QStringLiteral("tcp:127.0.0.1:9999"));
        QCOMPARE(lb.routes.size(), 1);
        QCOMPARE(lb.routes[0].backend, QStringLiteral("be_user"));
        QCOMPARE(lb.routes[0].service, QStringLiteral("user"));
        QCOMPARE(lb.routes[0].pathPrefix, QStringLiteral("/"));
        const QString notInferred = r.notInferred.join(u'\n');
        QVERIFY2(notInferred.contains(QStringLiteral("path rules of haproxy-1")),
            qPrintable(notInferred));
        QVERIFY2(notInferred.contains(QStringLiteral("callers of the load-balanced services user")),
            qPrintable(notInferred));
        QVERIFY2(
            r.found.join(u'\n').contains(QStringLiteral("backends without servers skipped: stats")),
            qPrintable(r.found.join(u'\n')));
        QVERIFY(p.edges.isEmpty()); // who calls a load balancer is not for discovery to guess
    }

    void dnsNameAndBackendOverTheSameTasksAreOneService()
    {
        DiscoveryInput in;
        in.dnsServers = { hp("127.0.0.1", 5353) };
        in.haproxies.append(haproxy(QStringLiteral("tcp:127.0.0.1:9999"),
            { proxy(QStringLiteral("be_users"), HaproxyStatProxy::Type::Backend,
                { server(QStringLiteral("u1"), QStringLiteral("10.0.0.41"), 8080),
                    server(QStringLiteral("u2"), QStringLiteral("10.0.0.42"), 8080) }) }));
        // An A name carries no port: it takes 8080 from the backend listing the same addresses.
        in.dnsNames.append(dns(QStringLiteral("user.corp.internal"), DnsRecordType::A,
            { hp("10.0.0.42", 0), hp("10.0.0.41", 0) }));
        const DiscoveryResult r = ProfileDiscovery::build(in);
        const ClusterProfile p = readBack(r);
        QCOMPARE(ids(p), QStringList { QStringLiteral("user") }); // the DNS name names it
        const ServiceSpec &s = p.services.first();
        QVERIFY(s.dns);
        QCOMPARE(s.dns->name, QStringLiteral("user.corp.internal"));
        QCOMPARE(s.dns->type, DnsRecordType::A);
        QCOMPARE(s.dns->port, quint16(8080));
        QCOMPARE(p.dnsServers.size(), 1);
        QCOMPARE(p.loadBalancers.first().routes.first().service, QStringLiteral("user"));
        // The merge reason survives the format's read and write (an unknown key).
        const QString why = notes(s);
        QVERIFY2(why.contains(QStringLiteral("merged: haproxy-1 backend be_users and dns name "
                                             "user.corp.internal (A) list the same 2 address:ports "
                                             "(10.0.0.41:8080, 10.0.0.42:8080)")),
            qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("port 8080 from haproxy-1 backend be_users")),
            qPrintable(why));
        QVERIFY(p.toJson()
                    .value(QStringLiteral("discoveredFrom"))
                    .toObject()
                    .contains(QStringLiteral("notInferred")));
    }

    void srvNameOverOtherTasksStaysApart()
    {
        DiscoveryInput in;
        in.dnsServers = { hp("127.0.0.1", 5353) };
        in.haproxies.append(haproxy(QStringLiteral("unix:/run/haproxy.sock"),
            { proxy(QStringLiteral("be_a"), HaproxyStatProxy::Type::Backend,
                { server(QStringLiteral("a1"), QStringLiteral("10.0.0.5"), 9001) }) }));
        in.dnsNames.append(dns(QStringLiteral("_http._tcp.a.corp.internal"), DnsRecordType::SRV,
            { hp("10.0.0.5", 9001), hp("10.0.0.6", 9002) }));
        const DiscoveryResult r = ProfileDiscovery::build(in);
        const ClusterProfile p = readBack(r);
        // One task in common is not the same set: two services; the DNS name keeps "a", the
        // backend (which names services last) becomes "a-2" and the user is told.
        QCOMPARE(ids(p), (QStringList { QStringLiteral("a-2"), QStringLiteral("a") }));
        QCOMPARE(p.service(QStringLiteral("a"))->dns->type, DnsRecordType::SRV);
        QVERIFY(!p.service(QStringLiteral("a-2"))->dns);
        QCOMPARE(p.loadBalancers.first().routes.first().service, QStringLiteral("a-2"));
        QVERIFY2(r.notInferred.join(u'\n').contains(QStringLiteral(
                     "service a-2: haproxy-1 backend be_a and dns name _http._tcp.a.corp.internal "
                     "(SRV) are both called \"a\" but list different tasks")),
            qPrintable(r.notInferred.join(u'\n')));
    }

    void sameBackendNameOnTwoLoadBalancersWithOtherServers()
    {
        DiscoveryInput in;
        for (const char *addr : { "10.0.1.1", "10.0.2.1" }) {
            in.haproxies.append(haproxy(QStringLiteral("tcp:%1:9999").arg(QLatin1String(addr)),
                { proxy(QStringLiteral("be_user"), HaproxyStatProxy::Type::Backend,
                    { server(QStringLiteral("u1"), QLatin1String(addr), 8080) }) }));
        }
        const DiscoveryResult r = ProfileDiscovery::build(in);
        const ClusterProfile p = readBack(r);
        QCOMPARE(ids(p), (QStringList { QStringLiteral("user"), QStringLiteral("user-2") }));
        QCOMPARE(p.loadBalancers.size(), 2);
        QCOMPARE(p.loadBalancers[1].id, QStringLiteral("haproxy-2"));
        QCOMPARE(p.loadBalancers[1].routes.first().service, QStringLiteral("user-2"));
        QVERIFY(r.notInferred.join(u'\n').contains(QStringLiteral("both called \"user\"")));
    }

    void statsPageOfTheSameHaproxyIsOneLoadBalancer()
    {
        DiscoveryInput in;
        const QList<HaproxyStatProxy> proxies { proxy(QStringLiteral("be_user"),
            HaproxyStatProxy::Type::Backend,
            { server(QStringLiteral("u1"), QStringLiteral("10.0.0.41"), 8080) }) };
        in.haproxies.append(haproxy(QStringLiteral("tcp:127.0.0.1:9999"), proxies));
        DiscoveredHaproxy stats = haproxy(QStringLiteral("tcp:127.0.0.1:1"), proxies);
        stats.runtime.reset();
        stats.statsUrl = QUrl(QStringLiteral("http://127.0.0.1:8404/stats;csv"));
        in.haproxies.append(stats);
        const ClusterProfile p = readBack(ProfileDiscovery::build(in));
        QCOMPARE(p.loadBalancers.size(), 1);
        QCOMPARE(p.loadBalancers[0].statsUrl, stats.statsUrl);
        QVERIFY(p.loadBalancers[0].runtime);
        QCOMPARE(p.loadBalancers[0].routes.size(), 1);
    }

    void sidecarsGiveProxiesServicesAndMeshEdges()
    {
        DiscoveryInput in;
        const QString consul = QStringLiteral("payments.default.dc1.internal.td.consul");
        in.envoys.append(envoy(QStringLiteral("http://10.0.0.51:19000"),
            QStringLiteral("order-1-envoy"), QStringLiteral("order"),
            { cluster(QStringLiteral("local_app"), { hp("10.0.0.51", 9000) }),
                // Consul style: the hosts are the payments sidecars' ingress on their task IPs.
                cluster(consul, { hp("10.0.0.61", 21000), hp("10.0.0.62", 21000) }),
                // Istio style to tasks no sidecar was asked about: a service of its own.
                cluster(QStringLiteral("outbound|80||reviews.default.svc.cluster.local"),
                    { hp("10.0.0.70", 80) }),
                cluster(QStringLiteral("local_agent"), { hp("127.0.0.1", 8502) }) }));
        for (const char *ip : { "10.0.0.61", "10.0.0.62" }) {
            in.envoys.append(envoy(QStringLiteral("http://%1:19000").arg(QLatin1String(ip)),
                QStringLiteral("payments-%1-envoy").arg(QLatin1String(ip).right(1)),
                QStringLiteral("payments"),
                { cluster(QStringLiteral("local_app"), { hp(ip, 9100) }) }));
        }
        const DiscoveryResult r = ProfileDiscovery::build(in);
        QCOMPARE(r.answered, 3);
        const ClusterProfile p = readBack(r);
        QCOMPARE(ids(p),
            (QStringList {
                QStringLiteral("order"), QStringLiteral("payments"), QStringLiteral("reviews") }));
        QCOMPARE(p.proxies.size(), 3);
        QCOMPARE(p.proxies[0].id, QStringLiteral("order-1-envoy"));
        QCOMPARE(p.proxies[0].service, QStringLiteral("order"));
        QCOMPARE(p.proxies[0].task.toString(), QStringLiteral("10.0.0.51:9000"));
        QCOMPARE(p.proxies[2].service, QStringLiteral("payments"));
        QCOMPARE(p.proxies[2].task.toString(), QStringLiteral("10.0.0.62:9100"));
        QCOMPARE(p.edges.size(), 2);
        QCOMPARE(p.edges[0].from, QStringLiteral("order"));
        QCOMPARE(p.edges[0].to, QStringLiteral("payments"));
        QCOMPARE(p.edges[0].via, EdgeSpec::Via::Mesh);
        QCOMPARE(p.edges[1].to, QStringLiteral("reviews"));
        QVERIFY2(notes(*p.service(QStringLiteral("payments")))
                     .contains(QStringLiteral("upstream cluster ") + consul),
            qPrintable(notes(*p.service(QStringLiteral("payments")))));
    }

    void aNameWithoutAPortIsReportedNotGuessed()
    {
        DiscoveryInput in;
        in.dnsServers = { hp("127.0.0.1", 5353) };
        in.dnsNames.append(
            dns(QStringLiteral("web.corp.internal"), DnsRecordType::A, { hp("10.0.0.9", 0) }));
        in.dnsNames.append(dns(QStringLiteral("gone.corp.internal"), DnsRecordType::A, {}));
        const DiscoveryResult r = ProfileDiscovery::build(in);
        const ClusterProfile p = readBack(r);
        QCOMPARE(ids(p), QStringList { QStringLiteral("web") });
        QVERIFY(!p.services.first().dns);
        const QString notInferred = r.notInferred.join(u'\n');
        QVERIFY2(notInferred.contains(QStringLiteral("give it as web.corp.internal:A:PORT")),
            qPrintable(notInferred));
        QVERIFY2(notInferred.contains(
                     QStringLiteral("dns gone.corp.internal: no SRV, A or AAAA records")),
            qPrintable(notInferred));
    }

    void nothingAnswered()
    {
        DiscoveryInput in;
        DiscoveredHaproxy h;
        h.runtime = RuntimeEndpoint::parse(QStringLiteral("tcp:127.0.0.1:1"));
        h.error = QStringLiteral("connection refused");
        in.haproxies.append(h);
        DiscoveredDnsName d;
        d.request.name = QStringLiteral("x.corp.internal");
        d.error = QStringLiteral("timed out");
        in.dnsNames.append(d);
        const DiscoveryResult r = ProfileDiscovery::build(in);
        QCOMPARE(r.asked, 2);
        QCOMPARE(r.answered, 0);
        QVERIFY(!r.anyAnswered());
        QVERIFY(r.profile.services.isEmpty());
        QCOMPARE(r.failed,
            (QStringList { QStringLiteral("haproxy tcp:127.0.0.1:1: connection refused"),
                QStringLiteral("dns x.corp.internal: timed out") }));
        QVERIFY(
            r.reportText().contains(QStringLiteral("did not answer:\n  haproxy tcp:127.0.0.1:1")));
    }

    void names()
    {
        using namespace discovery;
        QCOMPARE(serviceIdFromDnsName(QStringLiteral("_http._tcp.servicea.corp.internal")),
            QStringLiteral("servicea"));
        QCOMPARE(serviceFromEnvoyCluster(
                     QStringLiteral("outbound|9080||reviews.default.svc.cluster.local")),
            QStringLiteral("reviews"));
        QCOMPARE(serviceFromEnvoyCluster(QStringLiteral("payments.default.dc1.internal.td.consul")),
            QStringLiteral("payments"));
        QCOMPARE(serviceFromEnvoyCluster(QStringLiteral("backend_pool")),
            QStringLiteral("backend_pool"));
        QCOMPARE(sanitizeId(QStringLiteral("sidecar~10.0.0.1~pod.ns"), QStringLiteral("x")),
            QStringLiteral("sidecar-10.0.0.1-pod.ns"));
        QCOMPARE(sanitizeId(QStringLiteral("~~~"), QStringLiteral("envoy-1")),
            QStringLiteral("envoy-1"));
        QCOMPARE(sanitizeId(QString(80, u'a'), QStringLiteral("x")).size(), 63);
        QCOMPARE(taskKey(QStringLiteral("2001:db8::1"), 80), QStringLiteral("[2001:db8::1]:80"));
    }

    void requestSyntax()
    {
        DiscoveryRequest q;
        QString why;
        QVERIFY(q.addDnsName(QStringLiteral("user.corp.internal:A:8080"), &why));
        QCOMPARE(q.dnsNames.last().port, quint16(8080));
        QVERIFY(q.addDnsName(QStringLiteral("_http._tcp.a.corp.internal:srv"), &why));
        QCOMPARE(q.dnsNames.last().type, DnsRecordType::SRV);
        QVERIFY(!q.addDnsName(QStringLiteral("a.corp.internal:SRV:80"), &why));
        QVERIFY(why.contains(QStringLiteral("SRV records carry their own ports")));
        QVERIFY(!q.addDnsName(QStringLiteral("a.corp.internal:MX"), &why));
        QVERIFY(!q.addEnvoyAdmin(QStringLiteral("http://admin:hunter2@10.0.0.1:19000"), &why));
        QVERIFY2(!why.contains(QStringLiteral("hunter2")), qPrintable(why));
        QVERIFY(!q.setDnsServer(QStringLiteral("ns1.example:53"), &why));
        QVERIFY(q.incomplete().contains(QStringLiteral("--dns needs --dns-server")));
        QVERIFY(q.setDnsServer(QStringLiteral("127.0.0.1"), &why));
        QCOMPARE(q.dnsServer->port, quint16(53));
        QVERIFY(q.incomplete().isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_ProfileDiscovery)
#include "tst_ProfileDiscovery.moc"
