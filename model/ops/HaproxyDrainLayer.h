#pragma once

#include "ops/DrainLayer.h"

#include <QPointer>

namespace hopscope {

class HaproxyRuntimeSource;

// The load balancer layer of a drain: `set server BACKEND/SLOT state drain` over HAProxy's runtime
// API (the runtime source's HaproxyRuntimeClient), `state ready` on undo. The slot is found by the
// target's address:port in the latest snapshot right before the command; a slot already out of
// rotation (MAINT, or dropped by DNS resolution) needs no command. Observed in `show stat` /
// `show servers state`; holds while the target has current sessions.
class HaproxyDrainLayer : public DrainLayer
{
    Q_OBJECT
public:
    // `source` may be nullptr: the load balancer has no runtime API source (the layer refuses).
    HaproxyDrainLayer(
        DrainStep step, QString target, HaproxyRuntimeSource *source, QObject *parent = nullptr);

    QString undoText() const override;
    void prepare(Direction d) override;
    void send(Direction d) override;
    bool observable() const override { return !m_source.isNull(); }
    LayerObservation observe(Direction d) const override;
    void pollNow() override;
    void addHolding(DrainCountdown &c, const QDateTime &now) const override;
    bool checksAfterUndo() const override { return m_step.dnsFed && m_source; }
    LayerObservation observeAfterUndo() const override;

private:
    QString m_target; // "addr:port"
    QPointer<HaproxyRuntimeSource> m_source;
    QString m_statusBefore;
};

} // namespace hopscope
