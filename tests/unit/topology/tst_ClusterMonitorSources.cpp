// ClusterMonitor treats every source alike: it hands each the profile's poll settings and each
// source keeps the policy it owns. DNS re-asks names on TTL expiry within its config's bounds and
// times a poll by its resolver's tries (every try of a query and of an SRV follow-up); the load
// balancer and sidecar sources poll at the profile's interval with its timeout. No server is
// contacted: the monitor is built, never started.

#include "dns/DnsDiscoverySource.h"
#include "envoy/EnvoyAdminSource.h"
#include "topology/ClusterMonitor.h"

#include <QTest>

using namespace hopscope;

class tst_ClusterMonitorSources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everySourceKeepsItsOwnPollPolicy();
};

void tst_ClusterMonitorSources::everySourceKeepsItsOwnPollPolicy()
{
    ClusterProfile p;
    p.poll.intervalMs = 3000;
    p.poll.timeoutMs = 900;
    p.dnsServers = { HostPort { QStringLiteral("127.0.0.1"), 9 } };
    ServiceSpec svc;
    svc.id = svc.name = QStringLiteral("a");
    svc.dns = ServiceDnsSpec { QStringLiteral("a.corp.internal"), DnsRecordType::A, 80, {} };
    p.services << svc;
    LoadBalancerSpec lb;
    lb.id = QStringLiteral("lb");
    lb.kind = QStringLiteral("haproxy");
    lb.statsUrl = QUrl(QStringLiteral("http://127.0.0.1:9/stats;csv"));
    p.loadBalancers << lb;
    ProxySpec px;
    px.id = QStringLiteral("px");
    px.kind = QStringLiteral("envoy");
    px.admin = QUrl(QStringLiteral("http://127.0.0.1:9"));
    p.proxies << px;

    ClusterMonitor monitor(p);
    const DnsDiscoveryConfig dns = DnsDiscoveryConfig::fromProfile(p);
    QVERIFY(monitor.dnsSource());
    QCOMPARE(monitor.dnsSource()->intervalMs(), dns.minIntervalMs);
    QCOMPARE(
        monitor.dnsSource()->timeoutMs(), 3 * dns.resolver.timeoutMs * dns.resolver.tries + 1000);
    QVERIFY(monitor.dnsSource()->timeoutMs() != p.poll.timeoutMs);
    for (PollingSource *s : { monitor.loadBalancerSource(QStringLiteral("lb")),
             static_cast<PollingSource *>(monitor.sidecarSource(QStringLiteral("px"))) }) {
        QVERIFY(s);
        QCOMPARE(s->intervalMs(), p.poll.intervalMs);
        QCOMPARE(s->timeoutMs(), p.poll.timeoutMs);
    }
    QCOMPARE(monitor.sources().size(), 3);
}

QTEST_GUILESS_MAIN(tst_ClusterMonitorSources)
#include "tst_ClusterMonitorSources.moc"
