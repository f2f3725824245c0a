#pragma once

#include "ops/DrainLayer.h"

#include <memory>

namespace hopscope {

// What DrainController sees of the cluster: plans on the latest observed state, a fresh
// observation on demand (for the capacity re-check under the drain lock) and one DrainLayer per
// step. MonitorDrainLayers is the real one over a ClusterMonitor; tests pass fakes.
class DrainLayerFactory : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual QString profileName() const = 0;
    virtual DrainPlan plan(const QString &target, DrainForce force) const = 0;
    // Poll every source afresh (two full rounds: one may have started before the call), then
    // observedAfresh(). The controller applies the deadline.
    virtual void observeAfresh() = 0;
    // The layer of `step` for the drain of `target` ("addr:port"); never nullptr (a layer that
    // cannot act says so from prepare()).
    virtual std::unique_ptr<DrainLayer> create(const DrainStep &step, const QString &target) = 0;

Q_SIGNALS:
    void observedAfresh();
};

} // namespace hopscope
