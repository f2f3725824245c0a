#pragma once

#include "core/Clock.h"
#include "ops/AuditLog.h"
#include "ops/DrainAuditTrail.h"
#include "ops/DrainCountdown.h"
#include "ops/DrainLayer.h"
#include "ops/DrainLedger.h"
#include "ops/DrainPlanner.h"
#include "ops/LayerWatch.h"

#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace hopscope {

class ClusterMonitor;
class DrainLayer;
class DrainLayerFactory;
class DrainLock;

// Runs a DrainPlan as a small state machine over DrainLayers built by an injected
// DrainLayerFactory (MonitorDrainLayers over a ClusterMonitor in the app and the CLI; fakes in
// tst_DrainMachine): one step at a time, each verified by observation on the layer's next polls
// (never by the command's reply), then counts down what still holds the target (LB sessions,
// sidecar connections, the DNS stale window) to "safe to stop". Undo applies the inverse of the
// steps done, in reverse order, and verifies it the same way.
//
//   Idle → Planned (makePlan) → Running (execute: lock, fresh re-check, steps) → Watching
//   (every step verified) → Safe | TimedOut; any step refused, unanswered or not observed →
//   Failed; undo() from any of them → Undoing → Undone | Failed.
//
// Every plan, confirmation, step, verification, failure and undo is written to the AuditLog
// (fsync'd) before it is reported; each step's intent is written before its command is sent
// (write-ahead), so a lost reply or a crash leaves a "may have happened" record that undo acts
// on; a clear refusal voids the intent. Steps and undo run under the cluster's DrainLock, and the
// capacity check runs again under it on freshly polled state. Lives on the GUI (or CLI main)
// thread; all I/O is asynchronous.
class DrainController : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString target READ target NOTIFY planReady)
    Q_PROPERTY(int currentStep READ currentStep NOTIFY stepStarted)
    Q_PROPERTY(QString lastMessage READ lastMessage NOTIFY messageChanged)
public:
    enum class State { Idle, Planned, Running, Watching, Safe, TimedOut, Failed, Undoing, Undone };
    Q_ENUM(State)

    // The layers come from `layers` (owned).
    DrainController(std::unique_ptr<DrainLayerFactory> layers, AuditLog *auditLog,
        QObject *parent = nullptr, const Clock &clock = Clock::system());
    // The real layers over `monitor` (borrowed): MonitorDrainLayers.
    DrainController(ClusterMonitor *monitor, AuditLog *auditLog, QObject *parent = nullptr,
        const Clock &clock = Clock::system());
    ~DrainController() override;

    State state() const { return m_state; }
    QString target() const { return m_plan.target; }
    const DrainPlan &plan() const { return m_plan; }
    int currentStep() const { return m_current; }
    QString lastMessage() const { return m_lastMessage; }
    DrainCountdown countdown() const { return m_countdown; }
    QList<DrainStep> doneSteps() const { return m_done.steps(); }
    // Layers ("dns-remove", ...) of doneSteps() whose command may have happened: the intent was
    // written, the outcome never was (lost reply, crash). Undo treats them as applied.
    QStringList uncertainLayers() const { return m_done.uncertainLayers(); }

    void setVerifyTimeoutMs(int ms) { m_verifyTimeoutMs = ms; }
    void setWatchTimeoutMs(int ms) { m_watchTimeoutMs = ms; }
    // How often the countdown is observed while Watching, and how soon a layer is polled again
    // when a poll did not show the change yet.
    void setTickMs(int ms) { m_tick.setInterval(ms); }
    void setRepollMs(int ms) { m_watch.setRepollMs(ms); }

    // Plans against the monitor's latest snapshots; writes the plan (or refusal) to the audit.
    DrainPlan makePlan(const QString &target, DrainForce force);
    // What the operator must type to confirm: the target for production profiles and forced
    // last-healthy drains; empty when a plain yes is enough.
    QString requiredConfirmation() const;
    // Records the confirmation; false (and failed()) when the typed text does not match.
    bool confirm(const QString &typed);
    // Runs the confirmed plan.
    void execute();
    // Restores every step done (in reverse order) and verifies by observation.
    void undo();
    // For `undrain` in a new process: rebuild the steps done from the audit log (the last
    // drain of `target` that was not undone). Returns false and says why when there is none.
    bool loadFromAudit(const QString &target, QString *why);
    // Stops any watch/verification in progress (e.g. the operator closed the panel).
    void cancel();

Q_SIGNALS:
    void stateChanged(hopscope::DrainController::State state);
    void planReady(const hopscope::DrainPlan &plan);
    void stepStarted(int index, const QString &description);
    void stepFinished(int index, bool ok, const QString &message);
    void verified(int index, const QString &observation);
    void countdownChanged(const hopscope::DrainCountdown &countdown);
    void safeToStop();
    void timedOut(const QStringList &holding);
    void failed(const QString &reason);
    void undoFinished(bool ok, const QString &message);
    void messageChanged(const QString &message);

private:
    void setState(State s);
    void say(const QString &message);
    void fail(const QString &message); // Failed, said and signalled
    // Appends one record; on failure stops (state Failed) and says where and why the log could
    // not be written, then `consequence` ("nothing was sent for lb-drain").
    bool audit(const QString &event, const QString &step, const QJsonValue &before,
        const QJsonValue &after, const QString &result, const QJsonObject &detail = {},
        const QString &consequence = {});
    bool recorded(bool written, const QString &consequence = {});
    void reset();
    DrainLayer *layerFor(const DrainStep &step);
    bool takeLock();
    void recheckUnderLock();
    void finishRecheck();
    void runStep(int index);
    void runLayer(int index, DrainLayer *layer, Direction d);
    void onPrepared(int index, DrainLayer *layer, Direction d, const LayerCommand &c);
    void onSent(int index, DrainLayer *layer, Direction d, const LayerReply &r);
    bool writeIntent(int index, DrainLayer *layer, Direction d);
    void stepSent(int index, DrainLayer *layer, Direction d, const QJsonValue &before,
        const QJsonValue &after, const QString &how);
    void stepFailed(int index, const DrainStep &step, Direction d, const QString &reason,
        bool mayHaveHappened = false);
    void stepVerified(int index, DrainLayer *layer, Direction d, const QString &observation);
    void startWatch();
    void updateCountdown();
    void nextUndo();
    void checkAfterUndo();
    void finishUndo();

    std::unique_ptr<DrainLayerFactory> m_factory;
    std::vector<std::unique_ptr<DrainLayer>> m_layers; // one per step of this drain
    DrainAuditTrail m_trail;
    const Clock &m_clock;
    State m_state = State::Idle;
    DrainPlan m_plan;
    bool m_confirmed = false;
    int m_current = -1;
    DrainLedger m_done; // what undo must put back, and what may have happened
    QList<DrainStep> m_undoQueue; // reverse order while undoing
    QList<DrainLayer *> m_afterUndo; // layers with a check once every layer is undone
    QString m_lastMessage;
    DrainCountdown m_countdown;
    int m_verifyTimeoutMs = 15000;
    int m_watchTimeoutMs = 120000;
    QTimer m_tick;
    QTimer m_watchDeadline;
    LayerWatch m_watch; // the verification (or fresh observation) under way
    std::unique_ptr<DrainLock> m_lock; // the cluster's drain lock, held while Running/Undoing
    bool m_undoOk = true;
    QStringList m_undoProblems;
    QStringList m_undoMaybe; // uncertainLayers() when the undo started
    QString m_legacyLog; // the pre-identity log the loaded drain came from
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::DrainPlan)
Q_DECLARE_METATYPE(hopscope::DrainCountdown)
