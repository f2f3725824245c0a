#pragma once

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

namespace hopscope {

struct DrainPlan;
struct DrainPlanInputs;
struct HostPort;

// What an AWS drain step (DrainStep::aws) carries beyond the common fields: the ELBv2 target in
// its target group, or the Cloud Map instance in its service. Recorded in every audit record of
// the step (DrainStep::toJson), so `undrain` in a new process can put it back: the Cloud Map
// instance's attributes are read right before DeregisterInstance and written with the intent.
struct AwsDrainFields
{
    // ELBv2 (DrainStep::loadBalancer names the profile's load balancer)
    QString targetGroupArn;
    QString targetId; // the IP address (target type ip)
    quint16 targetPort = 0;
    QString availabilityZone; // only for targets outside the VPC ("all"); kept for RegisterTargets
    int deregistrationDelayS = -1; // -1: not read yet
    QString stateBefore; // "healthy", "unhealthy", ... at plan time (prepare: at send time)

    // Cloud Map
    QString namespaceName;
    QString serviceName;
    QString serviceId;
    QString instanceId;
    bool customHealth = false; // UpdateInstanceCustomHealthStatus; else DeregisterInstance
    QMap<QString, QString> attributes; // DeregisterInstance: what RegisterInstance puts back
    int dnsTtl = -1; // the service's DNS records' TTL; -1: no DNS records
    QString healthBefore; // HEALTHY / UNHEALTHY / UNKNOWN

    // Both: prepare() found nothing to change (already out of rotation): undo sends nothing.
    bool noCommand = false;
    // The IAM actions the step needs, both ways and to read back ("elasticloadbalancing:...").
    QStringList iamActions;

    // "orders" of ".../targetgroup/orders/73e2d6bc24d8a067"
    QString targetGroupName() const;
    QString targetText() const; // "10.0.1.11:8080"

    QJsonObject elbv2Json() const;
    QJsonObject cloudMapJson() const;
    // From a step's JSON: its "elbv2" or "cloudMap" object (whichever is there).
    static AwsDrainFields fromStepJson(const QJsonObject &step);
};

// The AWS part of DrainPlanner: Cloud Map instances at the target's address:port (after the DNS
// step: it is what resolvers and DiscoverInstances hand out) and ELBv2 targets (after the HAProxy
// steps), from the AWS sources' latest snapshots. Each step names its API call and the IAM actions
// it needs; `maxWaitS` grows to the longest DNS TTL / deregistration delay. Pure.
struct AwsDrainPlanning
{
    static void addCloudMapSteps(
        const DrainPlanInputs &in, const HostPort &target, DrainPlan &plan, int &maxWaitS);
    static void addElbv2Steps(
        const DrainPlanInputs &in, const HostPort &target, DrainPlan &plan, int &maxWaitS);
    // The AWS sources that had no snapshot to plan on, in words (a wrong key, throttling...).
    static void addUnreadNotes(const DrainPlanInputs &in, DrainPlan &plan);
};

} // namespace hopscope
