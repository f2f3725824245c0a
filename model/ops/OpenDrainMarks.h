#pragma once

#include "ops/AuditReader.h"
#include "topology/OpenDrains.h"

namespace hopscope {

// The open drains of an audit log as the topology takes them (ClusterMonitor::setOpenDrains):
// target, the service(s) the plan named, since when and by whom.
inline QList<DrainMark> drainMarks(const QList<OpenDrain> &drains)
{
    QList<DrainMark> marks;
    marks.reserve(drains.size());
    for (const OpenDrain &d : drains) {
        marks.append({ d.target, d.service, d.since, d.user });
    }
    return marks;
}

} // namespace hopscope
