#pragma once

#include "ops/DrainLayer.h"

#include <QPointer>

namespace hopscope {

class ClusterMonitor;
class EnvoyAdminClient;
class EnvoyAdminSource;

// The sidecar layer of a drain: POST /healthcheck/fail to the target's Envoy admin endpoint
// (EnvoyAdminClient), /healthcheck/ok on undo. Observed in /server_info (DRAINING / LIVE) by the
// sidecar's admin source; holds while the merged topology reports active downstream connections
// of the target (not reported counts as holding).
class EnvoyDrainLayer : public DrainLayer
{
    Q_OBJECT
public:
    // `source` may be nullptr (nothing observes the sidecar); `monitor` gives the connections.
    EnvoyDrainLayer(DrainStep step, QString target, EnvoyAdminSource *source,
        const ClusterMonitor *monitor, QObject *parent = nullptr);

    // POST to `url` instead of the plan's admin URL: its local forward through the sidecar's
    // SSH jump host (TunnelSet). The plan's URL stays the one recorded and shown.
    void setReachUrl(const QUrl &url) { m_reachUrl = url; }

    QString undoText() const override;
    void prepare(Direction d) override;
    void send(Direction d) override;
    bool observable() const override { return !m_source.isNull(); }
    LayerObservation observe(Direction d) const override;
    void pollNow() override;
    void addHolding(DrainCountdown &c, const QDateTime &now) const override;

private:
    QString m_target;
    QPointer<EnvoyAdminSource> m_source;
    QPointer<const ClusterMonitor> m_monitor;
    QPointer<EnvoyAdminClient> m_client;
    QUrl m_reachUrl;
};

} // namespace hopscope
