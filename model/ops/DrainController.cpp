// Over 500 lines, knowingly: the transitions of the nine states for both directions (plan,
// confirm, lock and re-check, step, verify, watch, undo, load) are the controller itself. What
// is not a transition lives beside it: the layers (DrainLayer), the record layout
// (DrainAuditTrail), deadline-bound waits (LayerWatch), the steps done (DrainLedger), the lock.
#include "ops/DrainController.h"

#include "ops/AuditReader.h"
#include "ops/DrainLayerFactory.h"
#include "ops/DrainLock.h"
#include "ops/MonitorDrainLayers.h"
#include "ops/UndoDescription.h"

#include <QJsonArray>

namespace hopscope {

DrainController::DrainController(std::unique_ptr<DrainLayerFactory> layers, AuditLog *auditLog,
    QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_factory(std::move(layers))
    , m_trail(auditLog)
    , m_clock(clock)
{
    qRegisterMetaType<hopscope::DrainPlan>();
    qRegisterMetaType<hopscope::DrainCountdown>();
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &DrainController::updateCountdown);
    m_watchDeadline.setSingleShot(true);
    connect(&m_watchDeadline, &QTimer::timeout, this, [this] {
        m_tick.stop();
        audit(QStringLiteral("timeout"), {}, {}, QJsonArray::fromStringList(m_countdown.holding),
            QStringLiteral("not safe within %1 s").arg(m_watchTimeoutMs / 1000));
        setState(State::TimedOut);
        say(QStringLiteral("not safe after %1 s: %2")
                .arg(m_watchTimeoutMs / 1000)
                .arg(m_countdown.holding.join(QStringLiteral("; "))));
        Q_EMIT timedOut(m_countdown.holding);
    });
}

DrainController::DrainController(
    ClusterMonitor *monitor, AuditLog *auditLog, QObject *parent, const Clock &clock)
    : DrainController(std::make_unique<MonitorDrainLayers>(monitor, clock), auditLog, parent, clock)
{ }

DrainController::~DrainController() = default;

void DrainController::setState(State s)
{
    if (m_state != s) {
        m_state = s;
        // The cluster's drain lock is held only while commands are being sent.
        if (m_lock && s != State::Running && s != State::Undoing) {
            m_lock->release();
        }
        Q_EMIT stateChanged(s);
    }
}

void DrainController::say(const QString &message)
{
    m_lastMessage = message;
    Q_EMIT messageChanged(message);
}

void DrainController::fail(const QString &message)
{
    setState(State::Failed);
    say(message);
    Q_EMIT failed(message);
}

bool DrainController::audit(const QString &event, const QString &step, const QJsonValue &before,
    const QJsonValue &after, const QString &result, const QJsonObject &detail,
    const QString &consequence)
{
    return recorded(m_trail.write(event, step, before, after, result, detail), consequence);
}

bool DrainController::recorded(bool written, const QString &consequence)
{
    if (written) {
        return true;
    }
    // Nothing is reported done that is not on disk: stop here.
    cancel();
    const QString error = m_trail.error();
    fail(consequence.isEmpty() ? error : error + QStringLiteral("; ") + consequence);
    return false;
}

void DrainController::reset()
{
    cancel();
    m_layers.clear();
    m_afterUndo.clear();
    m_done.clear();
    m_undoQueue.clear();
    m_legacyLog.clear();
    m_confirmed = false;
    m_current = -1;
}

DrainLayer *DrainController::layerFor(const DrainStep &step)
{
    const QString key = AuditReader::stepKey(step);
    for (const auto &layer : m_layers) {
        if (AuditReader::stepKey(layer->step()) == key) {
            return layer.get();
        }
    }
    m_layers.push_back(m_factory->create(step, m_plan.target));
    return m_layers.back().get();
}

DrainPlan DrainController::makePlan(const QString &target, DrainForce force)
{
    reset();
    m_plan = m_factory->plan(target, force);
    m_trail.setDrain(m_plan.profileName, m_plan.target);
    if (!audit(m_plan.canExecute() ? QStringLiteral("plan") : QStringLiteral("refused"), {}, {},
            m_plan.toJson(),
            m_plan.canExecute() ? QStringLiteral("planned")
                                : QStringLiteral("refused: ") + m_plan.refusal)) {
        return m_plan;
    }
    setState(State::Planned);
    Q_EMIT planReady(m_plan);
    return m_plan;
}

QString DrainController::requiredConfirmation() const
{
    if (m_plan.production || (m_plan.lastHealthy && m_plan.forced)) {
        return m_plan.target;
    }
    return {};
}

bool DrainController::confirm(const QString &typed)
{
    if (!m_plan.canExecute()) {
        Q_EMIT failed(
            m_plan.refusal.isEmpty() ? QStringLiteral("nothing to confirm") : m_plan.refusal);
        return false;
    }
    const QString required = requiredConfirmation();
    const QJsonObject detail { { QStringLiteral("typedConfirmationRequired"), !required.isEmpty() },
        { QStringLiteral("production"), m_plan.production },
        { QStringLiteral("forcedLastHealthy"), m_plan.lastHealthy && m_plan.forced } };
    if (!required.isEmpty() && typed.trimmed() != required) {
        audit(QStringLiteral("confirm"), {}, {}, {},
            QStringLiteral("refused: the typed text does not match %1").arg(required), detail);
        Q_EMIT failed(QStringLiteral("confirmation refused: type the target address %1 exactly")
                          .arg(required));
        return false;
    }
    if (!audit(QStringLiteral("confirm"), {}, {}, {}, QStringLiteral("ok"), detail)) {
        return false;
    }
    m_confirmed = true;
    return true;
}

void DrainController::execute()
{
    if (!m_confirmed || !m_plan.canExecute()) {
        Q_EMIT failed(QStringLiteral("the plan has not been confirmed"));
        return;
    }
    if (!takeLock()) {
        return;
    }
    setState(State::Running);
    recheckUnderLock();
}

bool DrainController::takeLock()
{
    if (!m_trail.log()) {
        return true; // no log, no cluster identity to lock (nothing may run without a log anyway)
    }
    if (!m_lock) {
        m_lock = std::make_unique<DrainLock>(DrainLock::pathForLog(m_trail.log()->filePath()));
    }
    QString why;
    const int ttl = int((qint64(m_verifyTimeoutMs) * (m_plan.steps.size() + 2)) / 1000) + 60;
    if (m_lock->tryAcquire(m_plan.target, ttl, &why)) {
        return true;
    }
    why += QStringLiteral("; nothing was sent");
    if (audit(QStringLiteral("refused"), {}, {}, {}, QStringLiteral("refused: ") + why)) {
        fail(why);
    }
    return false;
}

// The plan's capacity check ran on what was observed before the lock: another operator may have
// drained a sibling since. Under the lock, observe the cluster afresh and plan again.
void DrainController::recheckUnderLock()
{
    say(QStringLiteral("drain lock taken; checking capacity again on freshly observed state"));
    m_watch.watchFresh(m_factory.get(), m_verifyTimeoutMs, [this](bool observed, const QString &) {
        if (observed) {
            finishRecheck();
            return;
        }
        const QString msg
            = QStringLiteral("the cluster could not be observed afresh within %1 s under "
                             "the drain lock; nothing was sent")
                  .arg(m_verifyTimeoutMs / 1000);
        if (audit(QStringLiteral("refused"), {}, {}, {}, QStringLiteral("refused: ") + msg)) {
            fail(msg);
        }
    });
}

void DrainController::finishRecheck()
{
    if (m_state != State::Running) {
        return;
    }
    const DrainPlan fresh
        = m_factory->plan(m_plan.target, m_plan.forced ? DrainForce::LastHealthy : DrainForce::No);
    QStringList capacity;
    for (const DrainCapacity &c : fresh.capacity) {
        capacity << c.text;
    }
    const bool newlyLast = fresh.lastHealthy && !m_plan.lastHealthy;
    const QString refusal = !fresh.refusal.isEmpty() ? fresh.refusal
        : newlyLast ? QStringLiteral("it is now the last healthy target, which was not confirmed")
                    : QString();
    if (!refusal.isEmpty()) {
        const QString msg
            = QStringLiteral("refused under the drain lock, on freshly observed state: %1 (%2); "
                             "nothing was sent")
                  .arg(refusal, capacity.join(QStringLiteral("; ")));
        if (audit(QStringLiteral("refused"), {}, {}, QJsonArray::fromStringList(capacity),
                QStringLiteral("refused: ") + msg)) {
            fail(msg);
        }
        return;
    }
    if (!audit(QStringLiteral("recheck"), {}, {}, QJsonArray::fromStringList(capacity),
            QStringLiteral("ok under the drain lock: ") + capacity.join(QStringLiteral("; ")))) {
        return;
    }
    runStep(0);
}

void DrainController::runStep(int index)
{
    if (m_state != State::Running) {
        return;
    }
    if (index >= m_plan.steps.size()) {
        startWatch();
        return;
    }
    m_current = index;
    const DrainStep &step = m_plan.steps[index];
    Q_EMIT stepStarted(index, step.description);
    say(step.description);
    runLayer(index, layerFor(step), Direction::Apply);
}

// One layer, one way: prepare (what to send, from the latest snapshot), write the intent, send,
// write the outcome, verify by observation. Each answer is taken once, and only while the
// controller still runs that way (a reply arriving after an undo started stays "may have
// happened" in the log, which the undo already treats as applied).
void DrainController::runLayer(int index, DrainLayer *layer, Direction d)
{
    const State running = d == Direction::Apply ? State::Running : State::Undoing;
    auto conn = std::make_shared<QMetaObject::Connection>();
    *conn = connect(layer, &DrainLayer::prepared, this,
        [this, conn, index, layer, d, running](const LayerCommand &c) {
            disconnect(*conn);
            if (m_state == running) {
                onPrepared(index, layer, d, c);
            }
        });
    layer->prepare(d);
}

void DrainController::onPrepared(int index, DrainLayer *layer, Direction d, const LayerCommand &c)
{
    switch (c.kind) {
    case LayerCommand::Kind::Error:
        stepFailed(index, layer->step(), d, c.message);
        return;
    case LayerCommand::Kind::Nothing:
        stepSent(index, layer, d, c.before, c.after, c.message);
        return;
    case LayerCommand::Kind::Send:
        break;
    }
    if (!writeIntent(index, layer, d)) {
        return;
    }
    const State running = m_state;
    auto conn = std::make_shared<QMetaObject::Connection>();
    *conn = connect(layer, &DrainLayer::sent, this,
        [this, conn, index, layer, d, running](const LayerReply &r) {
            disconnect(*conn);
            if (m_state != running) {
                return;
            }
            if (r.kind == LayerReply::Kind::Ok) {
                stepSent(index, layer, d, r.before, r.after, r.message);
            } else {
                stepFailed(
                    index, layer->step(), d, r.message, r.kind == LayerReply::Kind::NoAnswer);
            }
        });
    layer->send(d);
}

bool DrainController::writeIntent(int index, DrainLayer *layer, Direction d)
{
    // Write-ahead: what is about to be sent, and what undo must do, is on disk before the
    // command leaves. A crash or a lost reply after this leaves a record undo acts on.
    const bool undo = d == Direction::Undo;
    const QString kind = layer->name();
    const QString consequence = m_done.isEmpty() || undo
        ? QStringLiteral("nothing was sent for %1").arg(kind)
        : QStringLiteral("nothing was sent for %1; %2 step(s) already done can be undone")
              .arg(kind)
              .arg(m_done.size());
    if (!recorded(m_trail.intent(index, *layer, d), consequence)) {
        if (undo) {
            m_undoOk = false;
        }
        return false;
    }
    if (!undo) {
        m_done.intended(layer->step());
    }
    return true;
}

void DrainController::stepSent(int index, DrainLayer *layer, Direction d, const QJsonValue &before,
    const QJsonValue &after, const QString &how)
{
    const bool undo = d == Direction::Undo;
    const DrainStep &step = layer->step();
    if (!undo) {
        m_done.applied(step);
    }
    if (!recorded(m_trail.outcome(index, *layer, d, before, after, how))) {
        return;
    }
    say(how);
    if (!layer->observable()) {
        stepFailed(index, step, d, QStringLiteral("no source observes this layer"));
        return;
    }
    m_watch.watchLayer(
        layer, [layer, d] { return layer->observe(d); }, m_verifyTimeoutMs,
        [this, index, layer, d](bool observed, const QString &obs) {
            if (observed) {
                stepVerified(index, layer, d, obs);
            } else {
                stepFailed(index, layer->step(), d,
                    QStringLiteral("not observed within %1 s: %2")
                        .arg(m_verifyTimeoutMs / 1000)
                        .arg(obs));
            }
        });
}

void DrainController::stepVerified(int index, DrainLayer *layer, Direction d, const QString &obs)
{
    if (!recorded(m_trail.verified(*layer, d, obs))) {
        return;
    }
    Q_EMIT verified(index, obs);
    Q_EMIT stepFinished(index, true, obs);
    say(obs);
    if (d == Direction::Undo) {
        nextUndo();
    } else {
        runStep(index + 1);
    }
}

void DrainController::stepFailed(
    int index, const DrainStep &step, Direction d, const QString &reason, bool mayHaveHappened)
{
    const bool undo = d == Direction::Undo;
    const QString kind = DrainStep::kindName(step.kind);
    const bool intended = m_done.mayHaveHappened(step);
    if (!undo && intended && !mayHaveHappened) {
        m_done.voidIntent(step); // the server said no: the intent is void
    }
    if (!recorded(m_trail.failure(index, step, d, reason,
            intended ? std::optional<bool>(!mayHaveHappened) : std::nullopt))) {
        return;
    }
    Q_EMIT stepFinished(index, false, reason);
    if (undo) {
        m_undoOk = false;
        m_undoProblems << reason;
        say(reason);
        nextUndo();
        return;
    }
    if (intended && mayHaveHappened) {
        fail(QStringLiteral(
            "%1 failed: %2; the change MAY HAVE HAPPENED (no answer): it is recorded, "
            "and undo puts it back idempotently")
                 .arg(kind, reason));
    } else if (m_done.isEmpty()) {
        fail(QStringLiteral("%1 failed: %2; nothing was changed").arg(kind, reason));
    } else {
        fail(QStringLiteral("%1 failed: %2; %3 step(s) already done can be undone")
                 .arg(kind, reason)
                 .arg(m_done.size()));
    }
}

void DrainController::startWatch()
{
    m_current = -1;
    if (!audit(QStringLiteral("watch"), {}, {}, {},
            QStringLiteral("all steps verified; waiting until safe"))) {
        return;
    }
    setState(State::Watching);
    m_tick.start();
    m_watchDeadline.start(m_watchTimeoutMs);
    updateCountdown();
}

void DrainController::updateCountdown()
{
    if (m_state != State::Watching) {
        return;
    }
    DrainCountdown c;
    const QDateTime now = m_clock.now();
    for (const DrainStep &s : m_done.steps()) {
        layerFor(s)->addHolding(c, now);
    }
    m_countdown = c;
    Q_EMIT countdownChanged(c);
    if (c.safe()) {
        m_tick.stop();
        m_watchDeadline.stop();
        if (!audit(QStringLiteral("safe"), {}, {}, {}, QStringLiteral("safe to stop"),
                QJsonObject { { QStringLiteral("lbSessions"), c.lbSessions },
                    { QStringLiteral("sidecarConnections"), c.sidecarConnections },
                    { QStringLiteral("dnsStaleSecondsLeft"), c.dnsStaleSecondsLeft } })) {
            return;
        }
        setState(State::Safe);
        say(QStringLiteral("%1 is safe to stop").arg(m_plan.target));
        Q_EMIT safeToStop();
    }
}

void DrainController::cancel()
{
    m_watch.stop();
    m_tick.stop();
    m_watchDeadline.stop();
}

void DrainController::undo()
{
    cancel();
    m_undoQueue.clear();
    m_afterUndo.clear();
    for (auto it = m_done.steps().crbegin(); it != m_done.steps().crend(); ++it) {
        m_undoQueue.append(*it);
    }
    for (const DrainStep &s : m_done.steps()) {
        if (DrainLayer *layer = layerFor(s); layer->checksAfterUndo()) {
            m_afterUndo << layer;
        }
    }
    m_undoOk = true;
    m_undoProblems.clear();
    m_undoMaybe = m_done.uncertainLayers();
    if (!takeLock()) {
        Q_EMIT undoFinished(false, m_lastMessage);
        return;
    }
    if (!audit(QStringLiteral("undo"), {}, {}, {},
            QStringLiteral("started: %1 step(s) to put back").arg(m_undoQueue.size()))) {
        return;
    }
    setState(State::Undoing);
    nextUndo();
}

void DrainController::nextUndo()
{
    if (m_state != State::Undoing) {
        return;
    }
    if (m_undoQueue.isEmpty()) {
        checkAfterUndo();
        return;
    }
    const DrainStep step = m_undoQueue.takeFirst();
    const int index = m_undoQueue.size();
    Q_EMIT stepStarted(index, undoDescription(step));
    runLayer(index, layerFor(step), Direction::Undo);
}

// A change that shows only once every layer is back (a DNS-fed HAProxy slot gets the address
// again after the record is re-added) is checked last, by observation too.
void DrainController::checkAfterUndo()
{
    if (m_afterUndo.isEmpty()) {
        finishUndo();
        return;
    }
    DrainLayer *layer = m_afterUndo.takeFirst();
    m_watch.watchLayer(
        layer, [layer] { return layer->observeAfterUndo(); }, m_verifyTimeoutMs,
        [this, layer](bool observed, const QString &obs) {
            if (!observed) {
                m_undoOk = false;
                m_undoProblems << obs;
            } else if (!recorded(m_trail.verified(*layer, Direction::Undo, obs))) {
                return;
            } else {
                say(obs);
            }
            checkAfterUndo();
        });
}

void DrainController::finishUndo()
{
    const QStringList maybe = m_undoMaybe;
    m_done.clear();
    QString result = m_undoOk
        ? QStringLiteral("ok: everything put back and observed")
        : QStringLiteral("failed: ") + m_undoProblems.join(QStringLiteral("; "));
    if (!maybe.isEmpty()) {
        result += QStringLiteral(" (%1 may have happened: put back idempotently)")
                      .arg(maybe.join(QStringLiteral(", ")));
    }
    if (!audit(m_undoOk ? QStringLiteral("undone") : QStringLiteral("undo-failed"), {}, {}, {},
            result)) {
        return;
    }
    if (m_undoOk && !m_legacyLog.isEmpty()) {
        m_trail.closeLegacy(m_legacyLog);
        m_legacyLog.clear();
    }
    setState(m_undoOk ? State::Undone : State::Failed);
    say(result);
    Q_EMIT undoFinished(m_undoOk, result);
}

bool DrainController::loadFromAudit(const QString &target, QString *why)
{
    reset();
    m_plan = {};
    m_plan.target = target;
    m_plan.profileName = m_factory->profileName();
    if (!m_trail.log()) {
        *why = QStringLiteral("no audit log to undo from");
        return false;
    }
    const DrainToUndo found = AuditReader::drainToUndo(*m_trail.log(), target);
    m_plan.target = found.key;
    m_trail.setDrain(m_plan.profileName, m_plan.target);
    if (!found.found) {
        *why = found.why;
        return false;
    }
    // Steps whose outcome was never written may have happened: they are undone like the others
    // (idempotently) and verified by observation.
    m_done.load(found.drain);
    m_legacyLog = found.legacyLog;
    return true;
}

} // namespace hopscope
