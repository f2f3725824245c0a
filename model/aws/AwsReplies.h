#pragma once

#include "core/Parsed.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace hopscope {

// Typed readings of the AWS replies hopscope's AWS sources use (docs/PROTOCOLS-2.md §3-5). Pure
// functions over one reply body each (a page; callers join pages), tested on the emulator's
// replies (which the official SDK parses) and on malformed, truncated and hostile input. A field
// AWS documents as required and missing is an error naming its path; an unknown field is ignored.

// Cloud Map DiscoverInstances: one registered instance.
struct CloudMapInstance
{
    QString id;
    QString address; // AWS_INSTANCE_IPV4, else AWS_INSTANCE_IPV6; may be empty (HTTP namespaces)
    quint16 port = 0; // AWS_INSTANCE_PORT; 0 when absent
    QString health; // "HEALTHY", "UNHEALTHY", "UNKNOWN" (no health check configured)
    QMap<QString, QString> attributes; // all of them, for a later RegisterInstance (undo)
};

// Cloud Map GetService: what the stale window and the drain layer need.
struct CloudMapService
{
    QString id;
    QString name;
    std::optional<int> dnsTtl; // the DNS records' TTL, when the service has DNS records
    bool customHealth = false; // HealthCheckCustomConfig: UpdateInstanceCustomHealthStatus works
    bool routeHealth = false; // HealthCheckConfig: Route 53 health checks
};

// ELBv2 DescribeTargetHealth: one target's state in one target group.
struct Elbv2TargetHealth
{
    QString id; // an IP address (target type ip), an instance id or a Lambda ARN
    quint16 port = 0;
    QString availabilityZone;
    QString state; // initial, healthy, unhealthy, unhealthy.draining, unused, draining, unavailable
    QString reason; // "Target.DeregistrationInProgress", ...; empty when healthy
    QString description;
};

// ELBv2 DescribeRules: a listener rule's path patterns and where it forwards.
struct Elbv2Rule
{
    QString arn;
    QString priority; // "10" or "default"
    bool isDefault = false;
    QStringList pathPatterns;
    QStringList targetGroupArns; // forward actions (weighted target groups listed in order)
};

// ECS DescribeTasks: one task.
struct EcsTask
{
    QString arn;
    QString lastStatus; // PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, ...
    QString desiredStatus;
    QString healthStatus; // HEALTHY, UNHEALTHY, UNKNOWN
    QString address; // the awsvpc ENI's privateIPv4Address; empty when not attached
    QList<quint16> ports; // containerPort of each network binding
    QString stoppedReason;
    QString stopCode;
    QString group; // "service:orders"
};

struct AwsReplies
{
    static Parsed<QList<CloudMapInstance>> discoverInstances(const QByteArray &json);
    static Parsed<CloudMapService> getService(const QByteArray &json);
    // GetInstancesHealthStatus: instance id -> HEALTHY / UNHEALTHY / UNKNOWN
    static Parsed<QMap<QString, QString>> instancesHealthStatus(const QByteArray &json);

    static Parsed<QList<Elbv2TargetHealth>> describeTargetHealth(const QByteArray &xml);
    static Parsed<QList<Elbv2Rule>> describeRules(const QByteArray &xml);
    // DescribeTargetGroupAttributes: deregistration_delay.timeout_seconds
    static Parsed<int> deregistrationDelaySeconds(const QByteArray &xml);

    static Parsed<QStringList> listTasks(const QByteArray &json); // taskArns

    // A Query reply's list as flat records: for <ActionResult><list><member>…, each member's
    // leaf children by name ("LoadBalancerArn" -> "arn:…"); nested lists are left out. For the
    // describe calls discovery makes once (DescribeLoadBalancers, DescribeListeners,
    // DescribeTargetGroups), where no typed reader is worth its lines.
    static Parsed<QList<QMap<QString, QString>>> queryMembers(
        const QByteArray &xml, const QString &action, const QString &list);
    static Parsed<QList<EcsTask>> describeTasks(const QByteArray &json);

    static constexpr int MaxXmlDepth = 32;
    static constexpr int MaxXmlElements = 200'000;
};

} // namespace hopscope
