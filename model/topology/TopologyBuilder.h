#pragma once

#include "aws/AwsSources.h"
#include "aws/EcsSource.h"
#include "dns/DnsTypes.h"
#include "envoy/EnvoySnapshot.h"
#include "haproxy/HaproxySnapshot.h"
#include "profile/ClusterProfile.h"
#include "topology/OpenDrains.h"
#include "topology/Topology.h"

#include <QHash>

#include <optional>

namespace hopscope {

// Where one source stands, as the builder needs it: its last snapshot (if any), whether that
// snapshot is stale (the last poll failed, or 3 intervals passed without success) and why.
struct SourceState
{
    bool hasData = false;
    bool stale = true;
    SourceError error;       // the last error, kind None when the last poll succeeded
    QDateTime lastSuccess;
};

struct TopologyInputs
{
    QDateTime now;
    std::optional<DnsDiscoverySnapshot> dns;
    SourceState dnsState;
    QHash<QString, HaproxySnapshot> lb;        // by loadBalancers[].id
    QHash<QString, SourceState> lbState;
    QHash<QString, EnvoyAdminSnapshot> mesh;   // by proxies[].id
    QHash<QString, SourceState> meshState;
    QList<DrainMark> drains; // open drains from the audit log
    // AWS (issue 16; folded in AwsTopology.cpp). ELBv2 load balancers' states are in lbState.
    QHash<QString, Elbv2Snapshot> elbv2; // by loadBalancers[].id (kind "elbv2")
    QHash<QString, CloudMapSnapshot> cloudMap; // by services[].id
    QHash<QString, SourceState> cloudMapState;
    QHash<QString, EcsSnapshot> ecs; // by services[].id
    QHash<QString, SourceState> ecsState;
};

// Merges the profile with the sources' snapshots into a Topology: services and their targets
// (keyed by address:port), each target's observations folded into one health with a reason,
// load balancers, sidecars, classified edges and summed paths. Pure: same inputs, same output.
class TopologyBuilder
{
public:
    static Topology build(const ClusterProfile &profile, const TopologyInputs &inputs);

    // ServiceNode::chipsDigest of these targets: a 64-bit hash of what the graph's chips show
    // (key, health, reason, sidecar, open drain), never 0.
    static quint64 chipsDigest(const QList<TargetNode> &targets);

    // Paths from each service nobody calls, along declared edges, to each service that calls
    // nobody (cycles cut; at most maxPaths).
    static QList<PathNode> paths(const ClusterProfile &profile, const QList<EdgeNode> &edges,
                                 int maxPaths = 1000);
};

} // namespace hopscope
