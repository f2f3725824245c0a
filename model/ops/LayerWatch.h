#pragma once

#include "ops/DrainLayer.h"

#include <QList>
#include <QObject>
#include <QTimer>

#include <functional>

namespace hopscope {

class DrainLayerFactory;

// Waits for an observation with a hard deadline: a DrainLayer's change (or its undo) in the
// layer's next polls, re-polling while it does not show yet, or a DrainLayerFactory's fresh
// observation of the whole cluster. One wait at a time; a new wait or stop() ends the previous
// one without calling it back. Used by DrainController; GUI (or CLI main) thread.
class LayerWatch : public QObject
{
    Q_OBJECT
public:
    using Check = std::function<LayerObservation()>;
    // ok: observed (text: the observation); not ok: the deadline passed (text: the last
    // observation, or "no poll finished").
    using Done = std::function<void(bool ok, const QString &text)>;

    explicit LayerWatch(QObject *parent = nullptr);
    ~LayerWatch() override;

    // How soon a layer is polled again when a poll did not show the change yet.
    void setRepollMs(int ms) { m_repollMs = ms; }

    // Each poll of `layer` that ends is checked; a poll that started before the action can only
    // show the old state, which never satisfies the check, so it just costs one more poll.
    void watchLayer(DrainLayer *layer, Check check, int timeoutMs, Done done);
    void watchFresh(DrainLayerFactory *factory, int timeoutMs, Done done);
    void stop();

private:
    QTimer m_deadline;
    QList<QMetaObject::Connection> m_waits;
    int m_repollMs = 300;
};

} // namespace hopscope
