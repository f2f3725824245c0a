#include "ops/MonitorDrainLayers.h"

#include "dns/DnsDiscoverySource.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "ops/CloudMapDrainLayer.h"
#include "ops/DnsDrainLayer.h"
#include "ops/Elbv2DrainLayer.h"
#include "ops/EnvoyDrainLayer.h"
#include "ops/HaproxyDrainLayer.h"
#include "ssh/TunnelSet.h"
#include "topology/ClusterMonitor.h"

namespace hopscope {

MonitorDrainLayers::MonitorDrainLayers(ClusterMonitor *monitor, const Clock &clock, QObject *parent)
    : DrainLayerFactory(parent)
    , m_monitor(monitor)
    , m_clock(clock)
{ }

QString MonitorDrainLayers::profileName() const
{
    return m_monitor ? m_monitor->profile().name : QString();
}

DrainPlan MonitorDrainLayers::plan(const QString &target, DrainForce force) const
{
    if (!m_monitor) {
        DrainPlan p;
        p.target = target;
        p.refusal = QStringLiteral("no cluster monitor");
        return p;
    }
    return DrainPlanner::plan(DrainPlanInputs::fromMonitor(*m_monitor), target, force);
}

void MonitorDrainLayers::pollAll()
{
    for (PollingSource *src : m_monitor->sources()) {
        // DNS discovery re-queries every name instead of waiting out the TTL.
        if (auto *dns = qobject_cast<DnsDiscoverySource *>(src)) {
            dns->requeryAll();
        } else {
            src->pollNow();
        }
    }
}

void MonitorDrainLayers::observeAfresh()
{
    if (!m_monitor) {
        return; // never observed: the controller's deadline says so
    }
    disconnect(m_rounds);
    const int start = m_monitor->completedRounds();
    m_rounds = connect(m_monitor, &ClusterMonitor::roundCompleted, this, [this, start](int rounds) {
        if (rounds < start + 2) {
            pollAll();
            return;
        }
        disconnect(m_rounds);
        Q_EMIT observedAfresh();
    });
    pollAll();
}

std::unique_ptr<DrainLayer> MonitorDrainLayers::create(const DrainStep &step, const QString &target)
{
    switch (step.kind) {
    case DrainStepKind::DnsRemove: {
        auto layer = std::make_unique<DnsDrainLayer>(step,
            m_monitor ? m_monitor->profile().dnsUpdate : std::optional<DnsUpdateSpec>(),
            m_monitor ? m_monitor->dnsSource() : nullptr, m_clock);
        // Behind a jump host: the UPDATE goes over TCP through the monitor's tunnel.
        if (m_monitor && m_monitor->profile().dnsUpdate
            && !m_monitor->profile().dnsUpdateVia().isEmpty()) {
            const QString via = m_monitor->profile().dnsUpdateVia();
            const HostPort &server = m_monitor->profile().dnsUpdate->server;
            const HostPort local = m_monitor->tunnels()->hostPort(via, server);
            layer->setReach(local, TunnelSet::describe(via, { server.toString() }),
                [tunnels = QPointer<TunnelSet>(m_monitor->tunnels()), via, port = local.port] {
                    return tunnels ? tunnels->failure(via, QString(), { port }).message : QString();
                });
        }
        return layer;
    }
    case DrainStepKind::LbDrain:
        // The runtime source's client already goes through the load balancer's tunnel.
        return std::make_unique<HaproxyDrainLayer>(step, target,
            m_monitor ? qobject_cast<HaproxyRuntimeSource *>(
                m_monitor->loadBalancerSource(step.loadBalancer))
                      : nullptr);
    case DrainStepKind::SidecarFail: {
        auto layer = std::make_unique<EnvoyDrainLayer>(step, target,
            m_monitor ? m_monitor->sidecarSource(step.sidecar) : nullptr, m_monitor.data());
        // Behind a jump host: the POST goes through the sidecar's tunnel.
        if (m_monitor) {
            for (const ProxySpec &px : m_monitor->profile().proxies) {
                if (px.id == step.sidecar && !px.via.isEmpty()) {
                    layer->setReachUrl(m_monitor->tunnels()->url(px.via, step.adminUrl));
                }
            }
        }
        return layer;
    }
    case DrainStepKind::CloudMapDrain:
        // The profile's one AwsSession (credentials found once), which the monitor's AWS
        // sources use too; none: the layer refuses in words.
        return std::make_unique<CloudMapDrainLayer>(
            step, m_monitor ? m_monitor->awsSession() : nullptr, m_clock);
    case DrainStepKind::Elbv2Deregister:
        return std::make_unique<Elbv2DrainLayer>(
            step, m_monitor ? m_monitor->awsSession() : nullptr, m_clock);
    }
    Q_UNREACHABLE();
    return nullptr;
}

} // namespace hopscope
