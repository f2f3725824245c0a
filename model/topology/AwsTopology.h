#pragma once

#include "topology/TopologyBuilder.h"

#include <functional>

namespace hopscope {

// The AWS sources' part of TopologyBuilder::build (issue 16), kept apart so the builder's one
// pass stays readable: Cloud Map instances and ECS tasks as discovery, ELBv2 target health as a
// load balancer's checks, the listener's rules as route labels. Every target is keyed
// address:port like the other sources'; observations name the API in their reasons
// ("elbv2 internal-alb: draining (Target.DeregistrationInProgress)"). Pure functions.
namespace AwsTopology {

// The builder's targets as the folding needs them.
struct TargetSink
{
    // The target `key` of a service, created with address and port when new.
    std::function<TargetNode &(
        const QString &serviceId, const QString &key, const QString &address, quint16 port)>
        at;
    // Every target a service has so far.
    std::function<void(const QString &serviceId, const std::function<void(TargetNode &)> &fn)>
        forEach;
};

QString targetKey(const QString &address, quint16 port); // "10.0.1.11:8080", "[fd00::1]:80"

// Cloud Map: each instance with an address and port, its health (HEALTHY/UNHEALTHY from a
// health check, UNKNOWN: registered, unchecked), and the instances deregistered less than the
// service's DNS TTL ago, which DNS clients may still hold.
void foldCloudMap(const ClusterProfile &profile, const TopologyInputs &in, const TargetSink &sink);

// ECS: each task's ENI address and container ports, its last, desired and health status and
// why it stops. A STOPPED task is shown only where another source still knows its address.
void foldEcs(const ClusterProfile &profile, const TopologyInputs &in, const TargetSink &sink);

// One "elbv2" load balancer that answered: its targets' states per target group, and its
// listener's rules as the node's route labels.
void foldElbv2(const LoadBalancerSpec &lb, const Elbv2Snapshot &snapshot, const SourceState &state,
    const TargetSink &sink, LoadBalancerNode &node);
// What DescribeTargetHealth's state (and reason code) means for a target.
Health elbv2Health(const QString &state, const QString &reason);

// The listener rules as labels: "/orders/* → orders" (toService empty), or only the path
// patterns of the rules that forward to `toService` (for an edge through the LB).
QStringList ruleLabels(
    const LoadBalancerSpec &lb, const QList<Elbv2Rule> &rules, const QString &toService = {});

// The failing Cloud Map and ECS sources, for Topology::errors.
QList<SourceError> errors(const ClusterProfile &profile, const TopologyInputs &in);

} // namespace AwsTopology

} // namespace hopscope
