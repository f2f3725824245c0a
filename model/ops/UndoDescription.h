#pragma once

#include "ops/DrainPlanner.h"

#include <QStringList>

namespace hopscope {

// What undoing one drain step does, in plain words: the inverse of DrainStep::description
// ("DNS: re-add …", not "undo: DNS: remove …", which reads as if it removed the record again).
// Used by the dialog, the CLI and DrainController's progress messages.
inline QString undoDescription(const DrainStep &step)
{
    switch (step.kind) {
    case DrainStepKind::DnsRemove: {
        QStringList records;
        for (const DnsUpdateRecord &r : step.records) {
            records << r.toString();
        }
        return QStringLiteral("undo DNS removal: re-add %1 to zone %2 via RFC 2136")
            .arg(records.join(QStringLiteral(", ")), step.zone);
    }
    case DrainStepKind::LbDrain:
        return QStringLiteral("undo load balancer drain: %1: set server %2/%3 state ready")
            .arg(step.loadBalancer, step.backend, step.server);
    case DrainStepKind::SidecarFail:
        return QStringLiteral("undo sidecar healthcheck fail: %1: POST /healthcheck/ok")
            .arg(step.sidecar);
    case DrainStepKind::CloudMapDrain:
        if (step.aws.customHealth) {
            return QStringLiteral("undo Cloud Map health: %1/%2: UpdateInstanceCustomHealthStatus "
                                  "%3 HEALTHY")
                .arg(step.aws.namespaceName, step.aws.serviceName, step.aws.instanceId);
        }
        return QStringLiteral("undo Cloud Map deregistration: %1/%2: RegisterInstance %3 with its "
                              "%4 attribute(s) from the audit log")
            .arg(step.aws.namespaceName, step.aws.serviceName, step.aws.instanceId)
            .arg(step.aws.attributes.size());
    case DrainStepKind::Elbv2Deregister:
        return QStringLiteral("undo load balancer deregistration: %1: RegisterTargets %2 into "
                              "target group %3")
            .arg(step.loadBalancer, step.aws.targetText(), step.aws.targetGroupName());
    }
    return QStringLiteral("undo: ") + step.description;
}

} // namespace hopscope
