#pragma once

#include "aws/AwsSources.h"
#include "dns/DnsTypes.h"
#include "dns/DnsUpdater.h"
#include "envoy/EnvoySnapshot.h"
#include "haproxy/HaproxySnapshot.h"
#include "ops/AwsDrainStep.h"
#include "profile/ClusterProfile.h"
#include "topology/Topology.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>
#include <QUrl>

#include <optional>

namespace hopscope {

class ClusterMonitor;

// CloudMapDrain, Elbv2Deregister: the AWS layers (issue 16; fields in DrainStep::aws).
enum class DrainStepKind { DnsRemove, LbDrain, SidecarFail, CloudMapDrain, Elbv2Deregister };
enum class DrainForce { No, LastHealthy };

// One layer's action in a drain plan (and, inverted, in its undo).
struct DrainStep
{
    DrainStepKind kind = DrainStepKind::DnsRemove;
    QString description; // plain words for the dialog and the CLI
    QString note;        // why something is special (DNS-fed slot, no runtime API...)
    // DnsRemove
    QString zone;
    QList<DnsUpdateRecord> records;
    // LbDrain: the slot name is re-read from the latest snapshot right before the command.
    QString loadBalancer;
    QString backend;
    QString server;
    QString lbStatusBefore;
    bool dnsFed = false; // a server-template slot fed by DNS: the record removal also takes it out
    // SidecarFail
    QString sidecar;
    QUrl adminUrl;
    QString sidecarStateBefore;
    // CloudMapDrain, Elbv2Deregister (loadBalancer names the ELBv2 load balancer)
    AwsDrainFields aws;

    static QString kindName(DrainStepKind kind); // "dns-remove", "lb-drain", "sidecar-fail"
    static std::optional<DrainStepKind> kindFromName(const QString &name);
    QJsonObject toJson() const;
    static std::optional<DrainStep> fromJson(const QJsonObject &o);
};

struct DrainCapacity
{
    QString serviceId;
    QString serviceName;
    int total = 0;
    int healthyBefore = 0;
    int healthyAfter = 0;
    QString text; // "serviceB: 2 of 3 healthy targets remain"
};

// The planner's answer: ordered steps (DNS first, then LB, then sidecar), the capacity left,
// the expected wait, and — when it must not run — why.
struct DrainPlan
{
    QString profileName;
    QString target; // "addr:port"
    bool production = false;
    QList<DrainStep> steps;
    QList<DrainCapacity> capacity;
    int expectedSecondsUntilSafe = 0; // the longest DNS TTL (sessions/connections add to it)
    QString expectedText;
    bool lastHealthy = false; // draining it leaves some service with no healthy target
    bool forced = false;
    QString refusal;          // empty: may run (after confirmation)
    QStringList notes;

    bool canExecute() const { return refusal.isEmpty() && !steps.isEmpty(); }
    QJsonObject toJson() const;
    QString toText() const;
};

// What the planner looks at: the profile, the merged topology and each source's last snapshot.
struct DrainPlanInputs
{
    ClusterProfile profile;
    Topology topology;
    std::optional<DnsDiscoverySnapshot> dns;
    QHash<QString, HaproxySnapshot> lb;     // by loadBalancers[].id (runtime API sources only)
    QSet<QString> lbWithoutRuntime;         // load balancers seen only through stats HTTP
    QHash<QString, EnvoyAdminSnapshot> sidecars;
    // "lb:<id>" / "mesh:<id>" read from Prometheus, and why (no endpoint of its own, or its own
    // endpoint does not answer): a drain still needs that endpoint, and the plan says so.
    QHash<QString, QString> readFromPrometheus;
    QList<CloudMapSnapshot> cloudMap; // AWS sources with a snapshot, in the monitor's order
    QList<Elbv2Snapshot> elbv2;
    QStringList awsUnread; // AWS sources without one: "elbv2 internal-alb: <why>"

    static DrainPlanInputs fromMonitor(const ClusterMonitor &monitor);
};

// Finds every layer that routes to a target and orders the steps. Pure: no I/O, any thread.
class DrainPlanner
{
public:
    static DrainPlan plan(const DrainPlanInputs &inputs, const QString &target, DrainForce force);
};

} // namespace hopscope
