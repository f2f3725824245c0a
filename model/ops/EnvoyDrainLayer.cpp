#include "ops/EnvoyDrainLayer.h"

#include "core/TlsContext.h"
#include "envoy/EnvoyAdminClient.h"
#include "envoy/EnvoyAdminSource.h"
#include "topology/ClusterMonitor.h"

namespace hopscope {

EnvoyDrainLayer::EnvoyDrainLayer(DrainStep step, QString target, EnvoyAdminSource *source,
    const ClusterMonitor *monitor, QObject *parent)
    : DrainLayer(std::move(step), parent)
    , m_target(std::move(target))
    , m_source(source)
    , m_monitor(monitor)
{
    if (source) {
        connect(source, &PollingSource::pollFinished, this, &DrainLayer::polled);
    }
}

QString EnvoyDrainLayer::undoText() const
{
    return QStringLiteral("POST %1/healthcheck/ok").arg(m_step.adminUrl.toString());
}

void EnvoyDrainLayer::prepare(Direction)
{
    Q_EMIT prepared({ LayerCommand::Kind::Send, {}, {}, {} });
}

void EnvoyDrainLayer::send(Direction d)
{
    if (m_client) {
        m_client->deleteLater();
    }
    const bool undo = d == Direction::Undo;
    // The sidecar's "tls" (CA, client certificate, pins), as its source polls it.
    TlsContext *tls = m_monitor && m_source ? m_monitor->tlsContext(m_source->name()) : nullptr;
    m_client = new EnvoyAdminClient(
        m_step.sidecar, m_reachUrl.isEmpty() ? m_step.adminUrl : m_reachUrl,
        tls ? tls->networkAccessManager() : nullptr, this);
    m_client->setTls(tls);
    const quint64 id = undo ? m_client->healthcheckOk() : m_client->healthcheckFail();
    connect(m_client, &EnvoyAdminClient::operationFinished, this,
        [this, id, undo](const EnvoyOperationResult &r) {
            if (r.id != id) {
                return;
            }
            if (!r.ok) {
                // A 4xx answer: Envoy refused it. Anything else (no reply, a reply cut off or too
                // long, a 5xx from something in between): it may have been applied.
                const bool refused = r.httpStatus >= 400 && r.httpStatus < 500;
                Q_EMIT sent({ refused ? LayerReply::Kind::Refused : LayerReply::Kind::NoAnswer,
                    QStringLiteral("Envoy %1: %2").arg(m_step.sidecar, r.error.toString()), {},
                    {} });
                return;
            }
            Q_EMIT sent({ LayerReply::Kind::Ok,
                QStringLiteral("POST %1 → HTTP %2").arg(r.url.path()).arg(r.httpStatus),
                m_step.sidecarStateBefore,
                undo ? QStringLiteral("healthcheck ok") : QStringLiteral("healthcheck fail") });
        });
}

LayerObservation EnvoyDrainLayer::observe(Direction d) const
{
    if (!m_source || !m_source->hasSnapshot()
        || m_source->status() == PollingSource::Status::Failing) {
        return { false, QStringLiteral("sidecar %1 unreachable").arg(m_step.sidecar) };
    }
    const EnvoyServerInfo info = m_source->snapshot().serverInfo;
    const bool observed = d == Direction::Undo ? info.state == EnvoyServerInfo::State::Live
                                               : info.state == EnvoyServerInfo::State::Draining;
    return { observed,
        QStringLiteral("/server_info of %1 says %2").arg(m_step.sidecar, info.stateName) };
}

void EnvoyDrainLayer::pollNow()
{
    if (m_source) {
        m_source->pollNow();
    }
}

void EnvoyDrainLayer::addHolding(DrainCountdown &c, const QDateTime &) const
{
    if (!m_source || m_source->status() == PollingSource::Status::Failing) {
        c.holding
            << QStringLiteral("sidecar %1 unreachable: connections unknown").arg(m_step.sidecar);
        return;
    }
    const TargetNode *t = nullptr;
    if (m_monitor) {
        for (const ServiceNode &svc : m_monitor->topology().services) {
            for (const TargetNode &n : svc.targets) {
                if (n.key == m_target) {
                    t = &n;
                }
            }
        }
    }
    if (t && t->meshActiveConnections) {
        c.sidecarConnections = *t->meshActiveConnections;
        if (c.sidecarConnections > 0) {
            c.holding << QStringLiteral("sidecar %1: %2 active downstream connection(s)")
                             .arg(m_step.sidecar)
                             .arg(c.sidecarConnections);
        }
        return;
    }
    // Not seeing the count is not seeing 0: never call it safe on no observation.
    c.holding << QStringLiteral("sidecar %1: active downstream connections not reported")
                     .arg(m_step.sidecar);
}

} // namespace hopscope
