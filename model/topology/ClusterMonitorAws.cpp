// ClusterMonitor's AWS sources (issue 16), beside ClusterMonitor.cpp so that its other lines
// stay as they are: one AwsSession for the profile's "aws" (shared with the drain layers), an
// Elbv2Source per "elbv2" load balancer, a CloudMapSource and an EcsSource per service that
// names one. Their snapshots go to TopologyInputs, folded by AwsTopology.
#include "ClusterMonitor.h"

#include "aws/AwsSession.h"
#include "aws/AwsSources.h"
#include "aws/EcsSource.h"

namespace hopscope {

namespace {
AwsSession *sessionFor(const ClusterProfile &profile, AwsSession *&session, QObject *parent)
{
    if (!session && profile.aws) {
        session = AwsSession::fromProfile(*profile.aws, parent);
    }
    return session;
}
} // namespace

PollingSource *ClusterMonitor::makeElbv2Source(const LoadBalancerSpec &lb)
{
    QList<Elbv2TargetGroupSpec> groups;
    for (const TargetGroupSpec &g : lb.targetGroups) {
        groups.append(Elbv2TargetGroupSpec { g.arn, g.service });
    }
    auto *source = new Elbv2Source(
        sessionFor(m_profile, m_aws, this), lb.id, lb.listenerArn, std::move(groups), this);
    connect(source, &Elbv2Source::snapshotReady, this,
        [this, id = lb.id](const Elbv2Snapshot &s) { m_inputs.elbv2.insert(id, s); });
    return source;
}

void ClusterMonitor::makeAwsServiceSources()
{
    for (const ServiceSpec &s : m_profile.services) {
        if (s.cloudMap) {
            auto *cm = new CloudMapSource(sessionFor(m_profile, m_aws, this),
                s.cloudMap->namespaceName, s.cloudMap->service, this);
            connect(cm, &CloudMapSource::snapshotReady, this,
                [this, id = s.id](
                    const CloudMapSnapshot &snap) { m_inputs.cloudMap.insert(id, snap); });
            m_cloudMapSources.insert(s.id, cm);
            watch(cm);
        }
        if (s.ecs) {
            auto *ecs = new EcsSource(
                sessionFor(m_profile, m_aws, this), s.ecs->cluster, s.ecs->service, this);
            connect(ecs, &EcsSource::snapshotReady, this,
                [this, id = s.id](const EcsSnapshot &snap) { m_inputs.ecs.insert(id, snap); });
            m_ecsSources.insert(s.id, ecs);
            watch(ecs);
        }
    }
}

void ClusterMonitor::updateAwsStates()
{
    for (const LoadBalancerSpec &lb : m_profile.loadBalancers) {
        if (const PollingSource *source = m_lbSources.value(lb.id); source && lb.isElbv2()) {
            m_inputs.lbState.insert(lb.id, stateOf(source, m_inputs.elbv2.contains(lb.id)));
        }
    }
    for (auto it = m_cloudMapSources.cbegin(); it != m_cloudMapSources.cend(); ++it) {
        m_inputs.cloudMapState.insert(
            it.key(), stateOf(it.value(), m_inputs.cloudMap.contains(it.key())));
    }
    for (auto it = m_ecsSources.cbegin(); it != m_ecsSources.cend(); ++it) {
        m_inputs.ecsState.insert(it.key(), stateOf(it.value(), m_inputs.ecs.contains(it.key())));
    }
}

} // namespace hopscope
