#pragma once

#include "core/SourceError.h"
#include "topology/Health.h"
#include "topology/HopModel.h"

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace hopscope {

// The merged picture of one cluster at one moment: plain data, built by TopologyBuilder from the
// profile and the latest snapshot of every source. Views and the CLI read it; nobody mutates it.

struct TargetNode
{
    QString key;      // "127.0.0.11:8000": the identity across polls and sources
    QString address;
    quint16 port = 0;
    QString fqdn;     // SRV target or the A/AAAA owner name, when DNS gave one
    Health health = Health::Unknown;
    QString reason;
    QList<Observation> observations; // one per source that saw it
    QString sidecar;  // proxy id of the task's own Envoy, if any

    // DNS details for the details pane and the drain countdown.
    std::optional<quint32> dnsTtl;
    QDateTime dnsFirstSeen;
    QDateTime dnsRemovedAt; // set when DNS stopped listing it
    QDateTime dnsHoldUntil; // clients may hold the record until then

    // Load balancer and mesh counters (summed over the sources that report them).
    std::optional<qint64> lbSessions;
    QString lbServer;  // "be_serviceb/b2" (display only)
    std::optional<qint64> meshActiveConnections;
    std::optional<qint64> meshRequestsTotal;

    // An open drain in the audit log (the operator took it out and has not put it back): shown
    // as drained even when no source lists it any more, with Undrain offered.
    bool openDrain = false;
    QString drainedBy;
    QDateTime drainedSince;
};

struct ServiceNode
{
    QString id;
    QString name;
    QString dnsName;  // empty when the service is not DNS-discovered
    QString dnsType;
    QList<TargetNode> targets; // sorted by key
    Health health = Health::Unknown;
    QString summary; // "1 of 2 healthy", "no data yet", "1 known · internal-lb unreachable"
    int healthyCount = 0; // serving targets (open drains not counted)
    int drainedCount = 0; // targets with an open drain (not counted in "N of M healthy")
    QString dnsError; // why the last DNS query failed, if it did
    // A digest of what the graph's task chips show (each target's key, health, reason, sidecar
    // and drain mark), computed by TopologyBuilder (chipsDigest()), off the GUI thread: the graph
    // compares one number per service per poll instead of every target's strings. 0: not
    // computed (a topology made by hand), compare the targets.
    quint64 chipsDigest = 0;
};

struct LoadBalancerNode
{
    QString id;
    Health health = Health::Unknown; // of the balancer itself: reachable and answering
    QString reason;
    QString version;
    QStringList routes; // "/api/user/* → user"
};

struct SidecarNode
{
    QString id;
    QString service;
    QString task;
    Health health = Health::Unknown; // LIVE → healthy, DRAINING → draining, unreachable → down
    QString reason;
    QString version;
};

struct EdgeNode
{
    QString from;
    QString to;
    HopCount hops;
    QString via;     // "dns", "mesh", "lb:internal-lb"
    QStringList routes; // for via-LB: the path rules that lead to `to`
    bool hairpin = false; // via a central LB between two services that both have sidecars
    // For via-LB: the LB's own health (down when unreachable, stale when its answer is old) and
    // why. Unknown for dns and mesh edges: nothing between caller and callee is polled there.
    Health health = Health::Unknown;
    QString reason;
};

struct PathNode
{
    QStringList services;
    int networkHops = 0;
    int proxyHops = 0;
    bool hairpin = false; // mesh → central LB → mesh: traffic leaves the mesh and comes back
};

struct Topology
{
    QString profileName;
    QDateTime builtAt;
    QList<ServiceNode> services;       // profile order
    QList<LoadBalancerNode> loadBalancers;
    QList<SidecarNode> sidecars;
    QList<EdgeNode> edges;
    QList<PathNode> paths;
    QList<SourceError> errors;         // the last error of every failing source

    const ServiceNode *service(const QString &id) const;
    const TargetNode *target(const QString &serviceId, const QString &key) const;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::Topology)
