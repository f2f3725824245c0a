#include "ops/AwsDrainStep.h"

#include "ops/DrainPlanner.h"

#include <QJsonArray>

namespace hopscope {

QString AwsDrainFields::targetGroupName() const
{
    // arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID
    const QString path = targetGroupArn.section(u':', 5);
    const QString name = path.section(u'/', 1, 1);
    return name.isEmpty() ? targetGroupArn : name;
}

QString AwsDrainFields::targetText() const
{
    return QStringLiteral("%1:%2").arg(targetId).arg(targetPort);
}

QJsonObject AwsDrainFields::elbv2Json() const
{
    QJsonObject o { { QStringLiteral("targetGroupArn"), targetGroupArn },
        { QStringLiteral("targetId"), targetId }, { QStringLiteral("port"), int(targetPort) },
        { QStringLiteral("deregistrationDelaySeconds"), deregistrationDelayS },
        { QStringLiteral("stateBefore"), stateBefore },
        { QStringLiteral("iamActions"), QJsonArray::fromStringList(iamActions) } };
    if (!availabilityZone.isEmpty()) {
        o.insert(QStringLiteral("availabilityZone"), availabilityZone);
    }
    if (noCommand) {
        o.insert(QStringLiteral("noCommand"), true);
    }
    return o;
}

QJsonObject AwsDrainFields::cloudMapJson() const
{
    QJsonObject attrs;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it) {
        attrs.insert(it.key(), it.value());
    }
    QJsonObject o { { QStringLiteral("namespace"), namespaceName },
        { QStringLiteral("service"), serviceName }, { QStringLiteral("serviceId"), serviceId },
        { QStringLiteral("instanceId"), instanceId },
        { QStringLiteral("mode"),
            customHealth ? QStringLiteral("custom-health") : QStringLiteral("deregister") },
        { QStringLiteral("dnsTtl"), dnsTtl }, { QStringLiteral("healthBefore"), healthBefore },
        { QStringLiteral("iamActions"), QJsonArray::fromStringList(iamActions) } };
    if (!attributes.isEmpty()) {
        o.insert(QStringLiteral("attributes"), attrs);
    }
    if (noCommand) {
        o.insert(QStringLiteral("noCommand"), true);
    }
    return o;
}

AwsDrainFields AwsDrainFields::fromStepJson(const QJsonObject &step)
{
    AwsDrainFields f;
    const QJsonObject e = step.value(QStringLiteral("elbv2")).toObject();
    const QJsonObject c = step.value(QStringLiteral("cloudMap")).toObject();
    const QJsonObject &o = e.isEmpty() ? c : e;
    f.noCommand = o.value(QStringLiteral("noCommand")).toBool();
    for (const QJsonValue &v : o.value(QStringLiteral("iamActions")).toArray()) {
        f.iamActions << v.toString();
    }
    f.targetGroupArn = e.value(QStringLiteral("targetGroupArn")).toString();
    f.targetId = e.value(QStringLiteral("targetId")).toString();
    const int port = e.value(QStringLiteral("port")).toInt();
    f.targetPort = port > 0 && port <= 65535 ? quint16(port) : 0;
    f.availabilityZone = e.value(QStringLiteral("availabilityZone")).toString();
    f.deregistrationDelayS = e.value(QStringLiteral("deregistrationDelaySeconds")).toInt(-1);
    f.stateBefore = e.value(QStringLiteral("stateBefore")).toString();
    f.namespaceName = c.value(QStringLiteral("namespace")).toString();
    f.serviceName = c.value(QStringLiteral("service")).toString();
    f.serviceId = c.value(QStringLiteral("serviceId")).toString();
    f.instanceId = c.value(QStringLiteral("instanceId")).toString();
    f.customHealth = c.value(QStringLiteral("mode")).toString() == u"custom-health";
    f.dnsTtl = c.value(QStringLiteral("dnsTtl")).toInt(-1);
    f.healthBefore = c.value(QStringLiteral("healthBefore")).toString();
    const QJsonObject attrs = c.value(QStringLiteral("attributes")).toObject();
    for (auto it = attrs.constBegin(); it != attrs.constEnd(); ++it) {
        f.attributes.insert(it.key(), it.value().toString());
    }
    return f;
}

void AwsDrainPlanning::addCloudMapSteps(
    const DrainPlanInputs &in, const HostPort &target, DrainPlan &plan, int &maxWaitS)
{
    for (const CloudMapSnapshot &svc : in.cloudMap) {
        for (const CloudMapInstance &inst : svc.instances) {
            if (inst.address != target.host || inst.port != target.port) {
                continue;
            }
            DrainStep s;
            s.kind = DrainStepKind::CloudMapDrain;
            AwsDrainFields &f = s.aws;
            f.namespaceName = svc.namespaceName;
            f.serviceName = svc.serviceName;
            f.serviceId = svc.serviceId;
            f.instanceId = inst.id;
            f.customHealth = svc.customHealth;
            f.dnsTtl = svc.dnsTtl.value_or(-1);
            f.healthBefore = inst.health;
            const QString where
                = QStringLiteral("Cloud Map %1/%2").arg(f.namespaceName, f.serviceName);
            const QString ttl = f.dnsTtl >= 0
                ? QStringLiteral("; resolvers may hold its DNS record up to %1 s (TTL)")
                      .arg(f.dnsTtl)
                : QString();
            if (f.customHealth) {
                f.iamActions
                    = { QStringLiteral("servicediscovery:UpdateInstanceCustomHealthStatus"),
                          QStringLiteral("servicediscovery:GetInstancesHealthStatus"),
                          QStringLiteral("servicediscovery:DiscoverInstances") };
                s.description = QStringLiteral("%1: UpdateInstanceCustomHealthStatus %2 UNHEALTHY "
                                               "(now %3; the service has a custom health check)%4")
                                    .arg(where, f.instanceId, f.healthBefore, ttl);
            } else {
                f.iamActions = { QStringLiteral("servicediscovery:DeregisterInstance"),
                    QStringLiteral("servicediscovery:RegisterInstance"),
                    QStringLiteral("servicediscovery:GetInstance"),
                    QStringLiteral("servicediscovery:DiscoverInstances") };
                s.description = QStringLiteral("%1: DeregisterInstance %2 (no custom health check; "
                                               "its %3 attribute(s) are kept in the audit log for "
                                               "RegisterInstance on undo)%4")
                                    .arg(where, f.instanceId)
                                    .arg(inst.attributes.size())
                                    .arg(ttl);
                // Route 53 record changes behind Cloud Map's DNS need route53 permissions too.
                if (f.dnsTtl >= 0) {
                    f.iamActions << QStringLiteral("route53:ChangeResourceRecordSets")
                                 << QStringLiteral("route53:GetHealthCheck")
                                 << QStringLiteral("route53:CreateHealthCheck")
                                 << QStringLiteral("route53:DeleteHealthCheck")
                                 << QStringLiteral("route53:UpdateHealthCheck")
                                 << QStringLiteral("ec2:DescribeInstances");
                }
            }
            s.note = QStringLiteral("IAM actions: %1").arg(f.iamActions.join(QStringLiteral(", ")));
            maxWaitS = std::max(maxWaitS, f.dnsTtl);
            plan.steps.append(s);
        }
    }
}

void AwsDrainPlanning::addElbv2Steps(
    const DrainPlanInputs &in, const HostPort &target, DrainPlan &plan, int &maxWaitS)
{
    for (const Elbv2Snapshot &lb : in.elbv2) {
        for (const Elbv2TargetGroupState &g : lb.groups) {
            for (const Elbv2TargetHealth &t : g.targets) {
                if (t.id != target.host || t.port != target.port) {
                    continue;
                }
                DrainStep s;
                s.kind = DrainStepKind::Elbv2Deregister;
                s.loadBalancer = lb.loadBalancerId;
                AwsDrainFields &f = s.aws;
                f.targetGroupArn = g.spec.arn;
                f.targetId = t.id;
                f.targetPort = t.port;
                f.availabilityZone = t.availabilityZone;
                f.deregistrationDelayS = g.deregistrationDelayS.value_or(-1);
                f.stateBefore = t.state;
                f.iamActions = { QStringLiteral("elasticloadbalancing:DeregisterTargets"),
                    QStringLiteral("elasticloadbalancing:RegisterTargets"),
                    QStringLiteral("elasticloadbalancing:DescribeTargetHealth"),
                    QStringLiteral("elasticloadbalancing:DescribeTargetGroupAttributes") };
                s.description
                    = QStringLiteral("load balancer %1: DeregisterTargets %2 from target group %3 "
                                     "(now %4); it drains for the deregistration delay (%5), then "
                                     "is gone")
                          .arg(lb.loadBalancerId, f.targetText(), f.targetGroupName(), t.state,
                              f.deregistrationDelayS >= 0
                                  ? QStringLiteral("%1 s").arg(f.deregistrationDelayS)
                                  : QStringLiteral("read before the call"));
                s.note = QStringLiteral("IAM actions: %1")
                             .arg(f.iamActions.join(QStringLiteral(", ")));
                if (t.state == u"draining") {
                    s.note += QStringLiteral("; already draining: no call is needed");
                }
                maxWaitS = std::max(maxWaitS, f.deregistrationDelayS);
                plan.steps.append(s);
            }
        }
    }
}

void AwsDrainPlanning::addUnreadNotes(const DrainPlanInputs &in, DrainPlan &plan)
{
    for (const QString &why : in.awsUnread) {
        plan.notes << QStringLiteral("no snapshot to plan on from %1").arg(why);
    }
}

} // namespace hopscope
