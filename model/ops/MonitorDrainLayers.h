#pragma once

#include "core/Clock.h"
#include "ops/DrainLayerFactory.h"

#include <QPointer>

namespace hopscope {

class ClusterMonitor;

// The real DrainLayerFactory: plans on a ClusterMonitor's latest snapshots (borrowed), polls its
// sources afresh on demand and builds the DNS (RFC 2136), HAProxy runtime and Envoy sidecar
// layers over the monitor's sources and the profile's dnsUpdate section, and the ELBv2 and Cloud
// Map layers over the monitor's AwsSession (the AWS sources share it).
class MonitorDrainLayers : public DrainLayerFactory
{
    Q_OBJECT
public:
    explicit MonitorDrainLayers(
        ClusterMonitor *monitor, const Clock &clock = Clock::system(), QObject *parent = nullptr);

    QString profileName() const override;
    DrainPlan plan(const QString &target, DrainForce force) const override;
    void observeAfresh() override;
    std::unique_ptr<DrainLayer> create(const DrainStep &step, const QString &target) override;

private:
    void pollAll();

    QPointer<ClusterMonitor> m_monitor;
    const Clock &m_clock;
    QMetaObject::Connection m_rounds;
};

} // namespace hopscope
