#include "ops/HaproxyDrainLayer.h"

#include "haproxy/HaproxyRuntimeSource.h"

#include <memory>

namespace hopscope {

namespace {

bool unreachable(const HaproxyRuntimeSource *rt)
{
    return rt->status() == PollingSource::Status::Failing || !rt->hasSnapshot();
}

} // namespace

HaproxyDrainLayer::HaproxyDrainLayer(
    DrainStep step, QString target, HaproxyRuntimeSource *source, QObject *parent)
    : DrainLayer(std::move(step), parent)
    , m_target(std::move(target))
    , m_source(source)
{
    if (source) {
        connect(source, &PollingSource::pollFinished, this, &DrainLayer::polled);
    }
}

QString HaproxyDrainLayer::undoText() const
{
    return QStringLiteral("set server %1/%2 state ready").arg(m_step.backend, m_step.server);
}

void HaproxyDrainLayer::prepare(Direction d)
{
    if (!m_source) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("load balancer %1 has no runtime API source").arg(m_step.loadBalancer),
            {}, {} });
        return;
    }
    // Identity is address:port: the slot name is re-read from the latest snapshot now.
    QString slot;
    QString status;
    if (m_source->hasSnapshot()) {
        if (const HaproxyStatProxy *px
            = m_source->snapshot().stat.proxy(m_step.backend, HaproxyStatProxy::Type::Backend)) {
            for (const HaproxyStatServer &s : px->servers) {
                if (s.key() == m_target) {
                    slot = s.name;
                    status = s.status;
                }
            }
        }
    }
    m_statusBefore = status;
    if (d == Direction::Undo) {
        // Clear the drain on the slot that was drained (it may have lost its address to DNS
        // resolution meanwhile), or on the slot that holds the target now.
        const QString name = !m_step.server.isEmpty() ? m_step.server : slot;
        if (name.isEmpty()) {
            Q_EMIT prepared({ LayerCommand::Kind::Nothing,
                QStringLiteral("no command had been sent; nothing to put back"), {}, {} });
            return;
        }
        m_step.server = name;
        Q_EMIT prepared({ LayerCommand::Kind::Send, {}, status, {} });
        return;
    }
    if (slot.isEmpty() || status.startsWith(QStringLiteral("MAINT"))) {
        m_step.server.clear();
        Q_EMIT prepared({ LayerCommand::Kind::Nothing,
            m_step.dnsFed
                ? QStringLiteral(
                    "no command sent: HAProxy already took the DNS-fed slot out after the "
                    "record removal (MAINT (resolution))")
                : QStringLiteral("no command sent: %1 is already out of rotation (%2)")
                      .arg(m_target,
                          status.isEmpty() ? QStringLiteral("not in the backend") : status),
            m_step.lbStatusBefore, status.isEmpty() ? QStringLiteral("gone") : status });
        return;
    }
    m_step.server = slot;
    Q_EMIT prepared({ LayerCommand::Kind::Send, {}, status, {} });
}

void HaproxyDrainLayer::send(Direction d)
{
    const bool undo = d == Direction::Undo;
    HaproxyRuntimeClient *client = m_source->client();
    const quint64 id = client->setServerState(m_step.backend, m_step.server,
        undo ? HaproxyAdminAction::Ready : HaproxyAdminAction::Drain);
    auto conn = std::make_shared<QMetaObject::Connection>();
    *conn = connect(client, &HaproxyRuntimeClient::commandFinished, this,
        [this, id, conn, undo](const HaproxyCommandResult &r) {
            if (r.id != id) {
                return;
            }
            disconnect(*conn);
            if (!r.ok) {
                // HAProxy's own error text: not applied. A transport error (no reply, reset):
                // the command may have been applied.
                Q_EMIT sent(
                    { r.error.isError() ? LayerReply::Kind::NoAnswer : LayerReply::Kind::Refused,
                        QStringLiteral("HAProxy: %1")
                            .arg(r.error.isError() ? r.error.toString() : r.reply),
                        {}, {} });
                return;
            }
            Q_EMIT sent({ LayerReply::Kind::Ok, QStringLiteral("sent '%1'").arg(r.command),
                m_statusBefore, undo ? QStringLiteral("ready") : QStringLiteral("drain") });
        });
}

LayerObservation HaproxyDrainLayer::observe(Direction d) const
{
    if (!m_source) {
        return { false,
            QStringLiteral("load balancer %1 has no runtime API source").arg(m_step.loadBalancer) };
    }
    if (unreachable(m_source)) {
        return { false,
            QStringLiteral("load balancer %1 unreachable: %2")
                .arg(m_step.loadBalancer, m_source->lastError().message) };
    }
    const HaproxySnapshot &snap = m_source->snapshot();
    const HaproxyStatProxy *px = snap.stat.proxy(m_step.backend, HaproxyStatProxy::Type::Backend);
    const HaproxyStatServer *holder = nullptr;
    const HaproxyStatServer *slot = nullptr;
    for (const HaproxyStatServer &s : px ? px->servers : QList<HaproxyStatServer>()) {
        if (s.key() == m_target) {
            holder = &s;
        }
        if (s.name == m_step.server) {
            slot = &s;
        }
    }
    if (d == Direction::Apply) {
        if (holder && holder->state == HaproxyServerStatus::Drain) {
            return { true,
                QStringLiteral("HAProxy shows %1/%2 %3")
                    .arg(m_step.backend, holder->name, holder->status) };
        }
        if (!holder || holder->state == HaproxyServerStatus::Maint) {
            return { true,
                QStringLiteral("HAProxy no longer routes to %1: %2")
                    .arg(m_target,
                        holder ? QStringLiteral("%1/%2 %3")
                                     .arg(m_step.backend, holder->name, holder->status)
                               : QStringLiteral("no %1 server holds it any more%2")
                                     .arg(m_step.backend,
                                         m_step.dnsFed ? QStringLiteral(
                                             " (DNS-fed slot dropped after the record removal)")
                                                       : QString())) };
        }
        return { false,
            QStringLiteral("HAProxy still shows %1/%2 %3")
                .arg(m_step.backend, holder->name, holder->status) };
    }
    quint32 slotAdmin = 0;
    for (const HaproxyServerState &st : snap.serversState.servers) {
        if (st.backend == m_step.backend && st.name == m_step.server) {
            slotAdmin = st.adminState;
        }
    }
    if (!m_step.server.isEmpty() && (slotAdmin & (AdminForcedDrain | AdminForcedMaint))) {
        return { false,
            QStringLiteral("HAProxy slot %1/%2 still carries %3")
                .arg(m_step.backend, m_step.server, slot ? slot->status : QString()) };
    }
    if (m_step.dnsFed && !holder) {
        // The slot is clear; HAProxy gets the address back from DNS after the record is re-added
        // (observeAfterUndo, once every layer is undone).
        return { true,
            QStringLiteral("HAProxy slot %1/%2 has no forced drain any more")
                .arg(m_step.backend, m_step.server) };
    }
    if (holder && holder->state != HaproxyServerStatus::Drain
        && holder->state != HaproxyServerStatus::Maint) {
        return { true,
            QStringLiteral("HAProxy shows %1/%2 %3")
                .arg(m_step.backend, holder->name, holder->status) };
    }
    return { false,
        QStringLiteral("HAProxy shows %1")
            .arg(holder ? holder->status : QStringLiteral("no server for %1").arg(m_target)) };
}

LayerObservation HaproxyDrainLayer::observeAfterUndo() const
{
    const HaproxyStatProxy *px = m_source && m_source->hasSnapshot()
        ? m_source->snapshot().stat.proxy(m_step.backend, HaproxyStatProxy::Type::Backend)
        : nullptr;
    for (const HaproxyStatServer &srv : px ? px->servers : QList<HaproxyStatServer>()) {
        if (srv.key() == m_target && srv.state != HaproxyServerStatus::Drain
            && srv.state != HaproxyServerStatus::Maint) {
            return { true,
                QStringLiteral("HAProxy resolved %1 again: %2/%3 %4")
                    .arg(m_target, m_step.backend, srv.name, srv.status) };
        }
    }
    return { false,
        QStringLiteral("HAProxy has not taken %1 back into %2 yet").arg(m_target, m_step.backend) };
}

void HaproxyDrainLayer::pollNow()
{
    if (m_source) {
        m_source->pollNow();
    }
}

void HaproxyDrainLayer::addHolding(DrainCountdown &c, const QDateTime &) const
{
    if (!m_source || unreachable(m_source)) {
        c.holding << QStringLiteral("load balancer %1 unreachable: sessions unknown")
                         .arg(m_step.loadBalancer);
        return;
    }
    qint64 sessions = 0;
    for (const HaproxyStatProxy &px : m_source->snapshot().stat.proxies) {
        for (const HaproxyStatServer &srv : px.servers) {
            if (px.type == HaproxyStatProxy::Type::Backend && srv.key() == m_target) {
                sessions += srv.scur.value_or(0);
            }
        }
    }
    c.lbSessions = std::max<qint64>(0, c.lbSessions) + sessions;
    if (sessions > 0) {
        c.holding << QStringLiteral("load balancer %1: %2 current session(s)")
                         .arg(m_step.loadBalancer)
                         .arg(sessions);
    }
}

} // namespace hopscope
