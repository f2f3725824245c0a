#pragma once

#include "ops/DrainCountdown.h"
#include "ops/DrainPlanner.h"

#include <QDateTime>
#include <QJsonValue>
#include <QObject>

#include <memory>

namespace hopscope {

// Which way a layer's change goes: apply the drain step, or undo it (put the target back).
enum class Direction { Apply, Undo };

// What a layer found it must send for its step, right before sending (DrainLayer::prepare).
struct LayerCommand
{
    enum class Kind {
        Send, // send() next, after the controller has written the intent (write-ahead)
        Nothing, // no command is needed (already out of rotation, never sent): `message` says why
        Error // cannot be sent (no source, no secret): nothing was sent, `message` says why
    };
    Kind kind = Kind::Send;
    QString message;
    QJsonValue before; // what the layer showed before, for the audit record
    QJsonValue after; // Nothing: what it shows now
};

// The answer to a command (DrainLayer::send). A clear refusal by the server (DNS RCODE, HAProxy's
// error text, Envoy 4xx) means not applied; no (complete) answer means it may have happened.
struct LayerReply
{
    enum class Kind { Ok, Refused, NoAnswer };
    Kind kind = Kind::NoAnswer;
    QString message; // Ok: how it was sent ("sent 'set server …'"); otherwise the error
    QJsonValue before;
    QJsonValue after;
};

// One observation of a layer in its source's latest snapshot, in words.
struct LayerObservation
{
    bool observed = false; // the change (or its undo) has taken effect
    QString text;
};

// One drain step's layer on the live cluster (DNS record, load balancer slot, sidecar health
// check): how to change it either way, how to see the change in a poll (never trusting a reply)
// and what still holds the target while it drains. Built per step by a DrainLayerFactory; driven
// by DrainController, which writes the audit records around these calls. Asynchronous: prepare()
// ends with prepared(), send() with sent(), pollNow() with polled() (each exactly once per call;
// they may be emitted before the call returns). GUI (or CLI main) thread.
class DrainLayer : public QObject
{
    Q_OBJECT
public:
    explicit DrainLayer(DrainStep step, QObject *parent = nullptr)
        : QObject(parent)
        , m_step(std::move(step))
    { }

    // The step as it will be (or was) sent: prepare() may fill in what is read from the latest
    // snapshot (HAProxy's slot name for the target's address).
    const DrainStep &step() const { return m_step; }
    QString name() const { return DrainStep::kindName(m_step.kind); }

    // What undo must do, in words, for the intent record written before the command.
    virtual QString undoText() const = 0;
    // Decide what to send for `d` from the latest snapshot; ends with prepared().
    virtual void prepare(Direction d) = 0;
    // Send the command prepare() decided on; ends with sent().
    virtual void send(Direction d) = 0;
    // False: no source observes this layer (nothing can be verified).
    virtual bool observable() const = 0;
    // Has the change (or with Undo, its inverse) taken effect in the source's latest snapshot?
    virtual LayerObservation observe(Direction d) const = 0;
    // Ask the observing source for fresh data now; polled() when a poll of it finishes.
    virtual void pollNow() = 0;
    // What still holds the target through this layer after the step (sessions, connections,
    // the DNS stale window), added to `c`. Not seeing a count is not seeing 0.
    virtual void addHolding(DrainCountdown &c, const QDateTime &now) const = 0;
    // After every layer was undone: a change that shows only once another layer is back (a
    // DNS-fed HAProxy slot gets its address again after the record is re-added).
    virtual bool checksAfterUndo() const { return false; }
    virtual LayerObservation observeAfterUndo() const { return { true, {} }; }

Q_SIGNALS:
    void prepared(const hopscope::LayerCommand &command);
    void sent(const hopscope::LayerReply &reply);
    void polled();

protected:
    DrainStep m_step;
};

} // namespace hopscope
