// Over 500 lines, knowingly: the step runners of the three layers, write-ahead intents, the
// lock/re-check and undo share the controller's state machine. Split out so far: reading the log
// back (AuditReader), observation checks (DrainObservation), the countdown (DrainCountdown) and
// the lock (DrainLock). Next candidate: one runner class per layer.
#include "ops/DrainController.h"

#include "dns/DnsDiscoverySource.h"
#include "dns/DnsUpdater.h"
#include "envoy/EnvoyAdminClient.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "ops/AuditReader.h"
#include "ops/DrainLock.h"
#include "ops/DrainObservation.h"
#include "ops/SecretResolver.h"
#include "ops/UndoDescription.h"
#include "topology/ClusterMonitor.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace hopscope {

DrainController::DrainController(ClusterMonitor *monitor, AuditLog *auditLog, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_monitor(monitor)
    , m_audit(auditLog)
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

bool DrainController::audit(const QString &event, const QString &step, const QJsonValue &before,
    const QJsonValue &after, const QString &result, const QJsonObject &detail, const QString &consequence)
{
    if (!m_audit) {
        return true;
    }
    AuditEntry e;
    e.event = event;
    e.profile = m_plan.profileName;
    e.target = m_plan.target;
    e.step = step;
    e.before = before;
    e.after = after;
    e.result = result;
    e.detail = detail;
    QString error;
    if (!m_audit->append(e, &error)) {
        // Nothing is reported done that is not on disk: stop here.
        m_tick.stop();
        m_watchDeadline.stop();
        setState(State::Failed);
        const QString msg = consequence.isEmpty() ? error : error + QStringLiteral("; ") + consequence;
        say(msg);
        Q_EMIT failed(msg);
        return false;
    }
    return true;
}

DrainPlan DrainController::makePlan(const QString &target, DrainForce force)
{
    m_done.clear();
    m_uncertain.clear();
    m_confirmed = false;
    m_current = -1;
    m_dnsRemovedAt = {}; // a controller reused for another drain must not keep the last TTL
    m_dnsTtl = 0;
    if (!m_monitor) {
        m_plan = {};
        m_plan.target = target;
        m_plan.refusal = QStringLiteral("no cluster monitor");
        return m_plan;
    }
    m_plan = DrainPlanner::plan(DrainPlanInputs::fromMonitor(*m_monitor), target, force);
    if (!audit(m_plan.canExecute() ? QStringLiteral("plan") : QStringLiteral("refused"), {}, {},
            m_plan.toJson(), m_plan.canExecute() ? QStringLiteral("planned") : QStringLiteral("refused: ") + m_plan.refusal)) {
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
        Q_EMIT failed(m_plan.refusal.isEmpty() ? QStringLiteral("nothing to confirm") : m_plan.refusal);
        return false;
    }
    const QString required = requiredConfirmation();
    const QJsonObject detail{{QStringLiteral("typedConfirmationRequired"), !required.isEmpty()},
        {QStringLiteral("production"), m_plan.production},
        {QStringLiteral("forcedLastHealthy"), m_plan.lastHealthy && m_plan.forced}};
    if (!required.isEmpty() && typed.trimmed() != required) {
        audit(QStringLiteral("confirm"), {}, {}, {},
            QStringLiteral("refused: the typed text does not match %1").arg(required), detail);
        Q_EMIT failed(QStringLiteral("confirmation refused: type the target address %1 exactly").arg(required));
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
    if (!m_audit) {
        return true; // no log, no cluster identity to lock (nothing may run without a log anyway)
    }
    if (!m_lock) {
        m_lock = std::make_unique<DrainLock>(DrainLock::pathForLog(m_audit->filePath()));
    }
    QString why;
    const int ttl = int((qint64(m_verifyTimeoutMs) * (m_plan.steps.size() + 2)) / 1000) + 60;
    if (m_lock->tryAcquire(m_plan.target, ttl, &why)) {
        return true;
    }
    why += QStringLiteral("; nothing was sent");
    if (audit(QStringLiteral("refused"), {}, {}, {}, QStringLiteral("refused: ") + why)) {
        setState(State::Failed);
        say(why);
        Q_EMIT failed(why);
    }
    return false;
}

// The plan's capacity check ran on what was observed before the lock: another operator may
// have drained a sibling since. Under the lock, wait for every source to poll afresh (two full
// rounds: one poll may have been in flight before the lock) and plan again.
void DrainController::recheckUnderLock()
{
    say(QStringLiteral("drain lock taken; checking capacity again on freshly observed state"));
    const int start = m_monitor->completedRounds();
    auto pollAll = [this] {
        for (PollingSource *src : m_monitor->sources()) {
            DrainObservation::pollNow(src);
        }
    };
    auto conn = std::make_shared<QMetaObject::Connection>();
    auto *deadline = new QTimer(this);
    deadline->setSingleShot(true);
    *conn = connect(m_monitor, &ClusterMonitor::roundCompleted, this, [this, start, pollAll, conn, deadline](int rounds) {
        if (rounds < start + 2) {
            pollAll();
            return;
        }
        disconnect(*conn);
        deadline->stop();
        deadline->deleteLater();
        finishRecheck();
    });
    connect(deadline, &QTimer::timeout, this, [this, conn, deadline] {
        disconnect(*conn);
        deadline->deleteLater();
        const QString msg = QStringLiteral("the cluster could not be observed afresh within %1 s under the drain "
                                           "lock; nothing was sent")
                                .arg(m_verifyTimeoutMs / 1000);
        if (audit(QStringLiteral("refused"), {}, {}, {}, QStringLiteral("refused: ") + msg)) {
            setState(State::Failed);
            say(msg);
            Q_EMIT failed(msg);
        }
    });
    deadline->start(m_verifyTimeoutMs);
    pollAll();
}

void DrainController::finishRecheck()
{
    if (m_state != State::Running || !m_monitor) {
        return;
    }
    const DrainPlan fresh = DrainPlanner::plan(DrainPlanInputs::fromMonitor(*m_monitor), m_plan.target,
        m_plan.forced ? DrainForce::LastHealthy : DrainForce::No);
    QStringList capacity;
    for (const DrainCapacity &c : fresh.capacity) {
        capacity << c.text;
    }
    const bool newlyLast = fresh.lastHealthy && !m_plan.lastHealthy;
    const QString refusal = !fresh.refusal.isEmpty() ? fresh.refusal
        : newlyLast ? QStringLiteral("it is now the last healthy target, which was not confirmed")
                    : QString();
    if (!refusal.isEmpty()) {
        const QString msg = QStringLiteral("refused under the drain lock, on freshly observed state: %1 (%2); "
                                           "nothing was sent")
                                .arg(refusal, capacity.join(QStringLiteral("; ")));
        if (audit(QStringLiteral("refused"), {}, {}, QJsonArray::fromStringList(capacity), QStringLiteral("refused: ") + msg)) {
            setState(State::Failed);
            say(msg);
            Q_EMIT failed(msg);
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
    switch (step.kind) {
    case DrainStepKind::DnsRemove: runDnsStep(index, step, false); break;
    case DrainStepKind::LbDrain: runLbStep(index, step, false); break;
    case DrainStepKind::SidecarFail: runSidecarStep(index, step, false); break;
    }
}

DnsUpdater *DrainController::makeUpdater(const QByteArray &secret)
{
    const DnsUpdateSpec &spec = *m_monitor->profile().dnsUpdate;
    if (m_updater) {
        m_updater->deleteLater();
    }
    m_updater = new DnsUpdater(spec.server, spec.zone,
        DnsTsigKey{spec.tsigKey.name, spec.tsigKey.algorithm, secret}, this);
    return m_updater;
}

void DrainController::runDnsStep(int index, const DrainStep &step, bool inverse)
{
    if (!m_monitor || !m_monitor->profile().dnsUpdate) {
        stepFailed(index, step, inverse, QStringLiteral("the profile has no dnsUpdate section"));
        return;
    }
    if (m_secrets) {
        m_secrets->deleteLater();
    }
    m_secrets = new SecretResolver(this);
    connect(m_secrets, &SecretResolver::failed, this, [this, index, step, inverse](const QString &why) {
        stepFailed(index, step, inverse, QStringLiteral("TSIG secret: %1").arg(why));
    });
    connect(m_secrets, &SecretResolver::resolved, this, [this, index, step, inverse](const QByteArray &secret) {
        DnsUpdater *up = makeUpdater(secret);
        connect(up, &DnsUpdater::finished, this, [this, index, step, inverse](const DnsUpdateResult &r) {
            QJsonArray recs;
            for (const DnsUpdateRecord &rec : r.records) {
                recs.append(rec.toJson());
            }
            if (!r.ok) {
                // An answer with an error rcode: the server did not apply it. No answer: the
                // UPDATE may have been applied and the reply lost.
                stepFailed(index, step, inverse, QStringLiteral("DNS update: %1").arg(r.message),
                    r.rcode >= 0 ? Applied::No : Applied::Maybe);
                return;
            }
            if (!inverse) {
                m_dnsRemovedAt = m_clock.now();
                for (const DnsUpdateRecord &rec : step.records) {
                    m_dnsTtl = std::max(m_dnsTtl, int(rec.ttl));
                }
            }
            stepSent(index, step, inverse, inverse ? QJsonValue(QJsonArray()) : QJsonValue(recs),
                inverse ? QJsonValue(recs) : QJsonValue(QJsonArray()),
                QStringLiteral("%1 over %2: %3").arg(inverse ? QStringLiteral("re-added") : QStringLiteral("removed"),
                    r.transport, r.message));
        });
        if (!writeIntent(index, step, inverse)) {
            return;
        }
        if (inverse) {
            up->addRecords(step.records);
        } else {
            up->removeRecords(step.records);
        }
    });
    m_secrets->resolve(m_monitor->profile().dnsUpdate->tsigKey.secret);
}

const HaproxySnapshot *DrainController::lbSnapshot(const QString &id) const
{
    auto *rt = m_monitor ? qobject_cast<HaproxyRuntimeSource *>(m_monitor->loadBalancerSource(id)) : nullptr;
    return rt && rt->hasSnapshot() ? &rt->snapshot() : nullptr;
}

void DrainController::runLbStep(int index, const DrainStep &step, bool inverse)
{
    auto *rt = m_monitor ? qobject_cast<HaproxyRuntimeSource *>(m_monitor->loadBalancerSource(step.loadBalancer))
                         : nullptr;
    if (!rt) {
        stepFailed(index, step, inverse, QStringLiteral("load balancer %1 has no runtime API source").arg(step.loadBalancer));
        return;
    }
    const QString key = m_plan.target;
    // Identity is address:port: the slot name is re-read from the latest snapshot now.
    QString slot;
    QString status;
    const HaproxySnapshot *snap = lbSnapshot(step.loadBalancer);
    if (snap) {
        if (const HaproxyStatProxy *px = snap->stat.proxy(step.backend, HaproxyStatProxy::Type::Backend)) {
            for (const HaproxyStatServer &s : px->servers) {
                if (s.key() == key) {
                    slot = s.name;
                    status = s.status;
                }
            }
        }
    }
    DrainStep done = step;
    if (inverse) {
        // Clear the drain on the slot that was drained (it may have lost its address to DNS
        // resolution meanwhile), or on the slot that holds the target now.
        const QString name = !step.server.isEmpty() ? step.server : slot;
        if (name.isEmpty()) {
            stepSent(index, step, true, {}, {}, QStringLiteral("no command had been sent; nothing to put back"));
            return;
        }
        done.server = name;
    } else if (slot.isEmpty() || status.startsWith(QStringLiteral("MAINT"))) {
        done.server.clear();
        if (m_done.isEmpty() && !m_plan.steps.isEmpty()) {
            // fallthrough to the note below
        }
        m_done.append(done);
        stepSent(index, done, false, step.lbStatusBefore, status.isEmpty() ? QStringLiteral("gone") : status,
            step.dnsFed ? QStringLiteral("no command sent: HAProxy already took the DNS-fed slot out after the "
                                         "record removal (MAINT (resolution))")
                        : QStringLiteral("no command sent: %1 is already out of rotation (%2)")
                              .arg(key, status.isEmpty() ? QStringLiteral("not in the backend") : status));
        return;
    } else {
        done.server = slot;
    }
    if (!writeIntent(index, done, inverse)) {
        return;
    }
    HaproxyRuntimeClient *client = rt->client();
    const quint64 id = client->setServerState(done.backend, done.server,
        inverse ? HaproxyAdminAction::Ready : HaproxyAdminAction::Drain);
    auto conn = std::make_shared<QMetaObject::Connection>();
    *conn = connect(client, &HaproxyRuntimeClient::commandFinished, this,
        [this, id, conn, index, done, inverse, status](const HaproxyCommandResult &r) {
            if (r.id != id) {
                return;
            }
            disconnect(*conn);
            if (!r.ok) {
                // HAProxy's own error text: not applied. A transport error (no reply, reset):
                // the command may have been applied.
                stepFailed(index, done, inverse,
                    QStringLiteral("HAProxy: %1").arg(r.error.isError() ? r.error.toString() : r.reply),
                    r.error.isError() ? Applied::Maybe : Applied::No);
                return;
            }
            stepSent(index, done, inverse, status, inverse ? QStringLiteral("ready") : QStringLiteral("drain"),
                QStringLiteral("sent '%1'").arg(r.command));
        });
}

void DrainController::runSidecarStep(int index, const DrainStep &step, bool inverse)
{
    if (m_envoy) {
        m_envoy->deleteLater();
    }
    if (!writeIntent(index, step, inverse)) {
        return;
    }
    m_envoy = new EnvoyAdminClient(step.sidecar, step.adminUrl, nullptr, this);
    const quint64 id = inverse ? m_envoy->healthcheckOk() : m_envoy->healthcheckFail();
    connect(m_envoy, &EnvoyAdminClient::operationFinished, this,
        [this, id, index, step, inverse](const EnvoyOperationResult &r) {
            if (r.id != id) {
                return;
            }
            if (!r.ok) {
                // A 4xx answer: Envoy refused it. Anything else (no reply, a reply cut off or
                // too long, a 5xx from something in between): it may have been applied.
                const bool refused = r.httpStatus >= 400 && r.httpStatus < 500;
                stepFailed(index, step, inverse, QStringLiteral("Envoy %1: %2").arg(step.sidecar, r.error.toString()),
                    refused ? Applied::No : Applied::Maybe);
                return;
            }
            stepSent(index, step, inverse, step.sidecarStateBefore,
                inverse ? QStringLiteral("healthcheck ok") : QStringLiteral("healthcheck fail"),
                QStringLiteral("POST %1 → HTTP %2").arg(r.url.path()).arg(r.httpStatus));
        });
}

void DrainController::stepSent(int index, const DrainStep &step, bool inverse, const QJsonValue &before,
    const QJsonValue &after, const QString &how)
{
    if (!inverse) {
        m_uncertain.remove(AuditReader::stepKey(step));
        if (!std::any_of(m_done.cbegin(), m_done.cend(),
                [&](const DrainStep &d) { return AuditReader::stepKey(d) == AuditReader::stepKey(step); })) {
            m_done.append(step); // a step that needed no command
        }
    }
    const QString kind = DrainStep::kindName(step.kind);
    const QJsonObject detail{{QStringLiteral("index"), index}, {QStringLiteral("drainStep"), step.toJson()}};
    if (!audit(inverse ? QStringLiteral("undo-step") : QStringLiteral("step"), kind, before, after,
            QStringLiteral("sent: ") + how, detail)) {
        return;
    }
    say(how);
    const DrainObservation observation = DrainObservation::forStep(m_monitor, step, inverse, m_plan.target);
    PollingSource *source = observation.source;
    const Check check = observation.check;
    if (!source) {
        stepFailed(index, step, inverse, QStringLiteral("no source observes this layer"));
        return;
    }
    awaitObservation(
        source, check,
        [this, index, step, inverse, kind](const QString &obs) {
            if (!audit(inverse ? QStringLiteral("undo-verified") : QStringLiteral("verified"), kind, {}, obs,
                    QStringLiteral("observed"))) {
                return;
            }
            Q_EMIT verified(index, obs);
            Q_EMIT stepFinished(index, true, obs);
            say(obs);
            if (inverse) {
                nextUndo();
            } else {
                runStep(index + 1);
            }
        },
        [this, index, step, inverse](const QString &obs) {
            stepFailed(index, step, inverse,
                QStringLiteral("not observed within %1 s: %2").arg(m_verifyTimeoutMs / 1000).arg(obs));
        });
}

bool DrainController::writeIntent(int index, const DrainStep &step, bool inverse)
{
    // Write-ahead: what is about to be sent, and what undo must do, is on disk before the
    // command leaves. A crash or a lost reply after this leaves a record undo acts on.
    const QString kind = DrainStep::kindName(step.kind);
    QString undoText;
    switch (step.kind) {
    case DrainStepKind::DnsRemove: undoText = QStringLiteral("re-add the record(s) if absent"); break;
    case DrainStepKind::LbDrain:
        undoText = QStringLiteral("set server %1/%2 state ready").arg(step.backend, step.server);
        break;
    case DrainStepKind::SidecarFail:
        undoText = QStringLiteral("POST %1/healthcheck/ok").arg(step.adminUrl.toString());
        break;
    }
    const QJsonObject detail{{QStringLiteral("index"), index}, {QStringLiteral("drainStep"), step.toJson()},
        {QStringLiteral("undo"), inverse ? QString() : undoText}};
    const QString consequence = m_done.isEmpty() || inverse
        ? QStringLiteral("nothing was sent for %1").arg(kind)
        : QStringLiteral("nothing was sent for %1; %2 step(s) already done can be undone").arg(kind).arg(m_done.size());
    if (!audit(inverse ? QStringLiteral("undo-intent") : QStringLiteral("intent"), kind, {}, {},
            QStringLiteral("about to send"), detail, consequence)) {
        if (inverse) {
            m_undoOk = false;
        }
        return false;
    }
    if (!inverse) {
        const QString key = AuditReader::stepKey(step);
        if (!std::any_of(m_done.cbegin(), m_done.cend(),
                [&](const DrainStep &d) { return AuditReader::stepKey(d) == key; })) {
            m_done.append(step);
        }
        m_uncertain.insert(key);
    }
    return true;
}

QStringList DrainController::uncertainLayers() const
{
    QStringList out;
    for (const DrainStep &s : m_done) {
        if (m_uncertain.contains(AuditReader::stepKey(s))) {
            out << DrainStep::kindName(s.kind);
        }
    }
    return out;
}

void DrainController::stepFailed(int index, const DrainStep &step, bool inverse, const QString &reason, Applied applied)
{
    const QString kind = DrainStep::kindName(step.kind);
    const QString stepKey = AuditReader::stepKey(step);
    const bool intended = m_uncertain.contains(stepKey);
    if (!inverse && intended && applied == Applied::No) {
        // The server said no: the intent is void.
        m_uncertain.remove(stepKey);
        m_done.erase(std::remove_if(m_done.begin(), m_done.end(),
                         [&](const DrainStep &d) { return AuditReader::stepKey(d) == stepKey; }),
            m_done.end());
    }
    QJsonObject detail{{QStringLiteral("index"), index}, {QStringLiteral("drainStep"), step.toJson()}};
    if (intended) {
        detail.insert(QStringLiteral("notApplied"), applied == Applied::No);
    }
    if (!audit(inverse ? QStringLiteral("undo-failed") : QStringLiteral("failed"), kind, {}, {},
            QStringLiteral("failed: ") + reason, detail)) {
        return;
    }
    Q_EMIT stepFinished(index, false, reason);
    if (inverse) {
        m_undoOk = false;
        m_undoProblems << reason;
        say(reason);
        nextUndo();
        return;
    }
    setState(State::Failed);
    QString msg;
    if (intended && applied == Applied::Maybe) {
        msg = QStringLiteral("%1 failed: %2; the change MAY HAVE HAPPENED (no answer): it is recorded, "
                             "and undo puts it back idempotently").arg(kind, reason);
    } else if (m_done.isEmpty()) {
        msg = QStringLiteral("%1 failed: %2; nothing was changed").arg(kind, reason);
    } else {
        msg = QStringLiteral("%1 failed: %2; %3 step(s) already done can be undone").arg(kind, reason).arg(m_done.size());
    }
    say(msg);
    Q_EMIT failed(msg);
}

void DrainController::awaitObservation(PollingSource *source, Check check, std::function<void(QString)> onOk,
    std::function<void(QString)> onTimeout)
{
    for (const auto &c : std::as_const(m_waits)) {
        disconnect(c);
    }
    m_waits.clear();
    auto last = std::make_shared<QString>();
    m_waitTimer = std::make_unique<QTimer>();
    m_waitTimer->setSingleShot(true);
    auto finish = [this] {
        for (const auto &c : std::as_const(m_waits)) {
            disconnect(c);
        }
        m_waits.clear();
        if (m_waitTimer) {
            m_waitTimer->stop();
        }
    };
    // Each poll that ends is checked; a poll that started before the action can only show the
    // old state, which never satisfies the check, so it just costs one more poll.
    m_waits << connect(source, &PollingSource::pollFinished, this, [this, source, check, onOk, finish, last] {
        QString obs;
        if (check(&obs)) {
            finish();
            onOk(obs);
            return;
        }
        *last = obs;
        QTimer::singleShot(300, source, [source] { DrainObservation::pollNow(source); });
    });
    m_waits << connect(m_waitTimer.get(), &QTimer::timeout, this, [finish, onTimeout, last] {
        finish();
        onTimeout(last->isEmpty() ? QStringLiteral("no poll finished") : *last);
    });
    m_waitTimer->start(m_verifyTimeoutMs);
    DrainObservation::pollNow(source);
}

void DrainController::startWatch()
{
    m_current = -1;
    if (!audit(QStringLiteral("watch"), {}, {}, {}, QStringLiteral("all steps verified; waiting until safe"))) {
        return;
    }
    setState(State::Watching);
    m_tick.start();
    m_watchDeadline.start(m_watchTimeoutMs);
    updateCountdown();
}

void DrainController::updateCountdown()
{
    if (m_state != State::Watching || !m_monitor) {
        return;
    }
    const QString key = m_plan.target;
    const DrainCountdown c = DrainCountdown::observe(*m_monitor, m_done, key, m_dnsRemovedAt, m_dnsTtl, m_clock.now());
    m_countdown = c;
    Q_EMIT countdownChanged(c);
    if (c.safe()) {
        m_tick.stop();
        m_watchDeadline.stop();
        if (!audit(QStringLiteral("safe"), {}, {}, {}, QStringLiteral("safe to stop"),
                QJsonObject{{QStringLiteral("lbSessions"), c.lbSessions},
                    {QStringLiteral("sidecarConnections"), c.sidecarConnections},
                    {QStringLiteral("dnsStaleSecondsLeft"), c.dnsStaleSecondsLeft}})) {
            return;
        }
        setState(State::Safe);
        say(QStringLiteral("%1 is safe to stop").arg(key));
        Q_EMIT safeToStop();
    }
}

void DrainController::cancel()
{
    for (const auto &c : std::as_const(m_waits)) {
        disconnect(c);
    }
    m_waits.clear();
    if (m_waitTimer) {
        m_waitTimer->stop();
    }
    m_tick.stop();
    m_watchDeadline.stop();
}

void DrainController::undo()
{
    cancel();
    m_undoQueue.clear();
    for (auto it = m_done.crbegin(); it != m_done.crend(); ++it) {
        m_undoQueue.append(*it);
    }
    m_undoOk = true;
    m_undoProblems.clear();
    m_undoMaybe = uncertainLayers();
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
    if (!m_undoQueue.isEmpty()) {
        const DrainStep step = m_undoQueue.takeFirst();
        const int index = m_undoQueue.size();
        Q_EMIT stepStarted(index, undoDescription(step));
        switch (step.kind) {
        case DrainStepKind::DnsRemove: runDnsStep(index, step, true); break;
        case DrainStepKind::LbDrain: runLbStep(index, step, true); break;
        case DrainStepKind::SidecarFail: runSidecarStep(index, step, true); break;
        }
        return;
    }
    // A DNS-fed HAProxy slot only gets the address back after the record is re-added: check
    // that last, by observation too.
    for (int i = 0; i < m_done.size(); ++i) {
        const DrainStep s = m_done[i];
        if (s.kind == DrainStepKind::LbDrain && s.dnsFed && m_monitor) {
            auto *rt = qobject_cast<HaproxyRuntimeSource *>(m_monitor->loadBalancerSource(s.loadBalancer));
            if (!rt) {
                continue;
            }
            const QString key = m_plan.target;
            DrainStep back = s;
            m_done.removeAt(i);
            awaitObservation(
                rt,
                [rt, back, key](QString *obs) {
                    const HaproxyStatProxy *px = rt->hasSnapshot()
                        ? rt->snapshot().stat.proxy(back.backend, HaproxyStatProxy::Type::Backend)
                        : nullptr;
                    for (const HaproxyStatServer &srv : px ? px->servers : QList<HaproxyStatServer>()) {
                        if (srv.key() == key && srv.state != HaproxyServerStatus::Drain
                            && srv.state != HaproxyServerStatus::Maint) {
                            *obs = QStringLiteral("HAProxy resolved %1 again: %2/%3 %4")
                                       .arg(key, back.backend, srv.name, srv.status);
                            return true;
                        }
                    }
                    *obs = QStringLiteral("HAProxy has not taken %1 back into %2 yet").arg(key, back.backend);
                    return false;
                },
                [this](const QString &obs) {
                    audit(QStringLiteral("undo-verified"), QStringLiteral("lb-drain"), {}, obs, QStringLiteral("observed"));
                    say(obs);
                    nextUndo();
                },
                [this](const QString &obs) {
                    m_undoOk = false;
                    m_undoProblems << obs;
                    nextUndo();
                });
            return;
        }
    }
    const QStringList maybe = m_undoMaybe;
    m_done.clear();
    m_uncertain.clear();
    QString result = m_undoOk ? QStringLiteral("ok: everything put back and observed")
                              : QStringLiteral("failed: ") + m_undoProblems.join(QStringLiteral("; "));
    if (!maybe.isEmpty()) {
        result += QStringLiteral(" (%1 may have happened: put back idempotently)").arg(maybe.join(QStringLiteral(", ")));
    }
    if (!audit(m_undoOk ? QStringLiteral("undone") : QStringLiteral("undo-failed"), {}, {}, {}, result)) {
        return;
    }
    if (m_undoOk && !m_legacyLog.isEmpty()) {
        // Close the drain in the legacy log too, so it is not offered for undo again.
        AuditEntry e;
        e.event = QStringLiteral("undone");
        e.profile = m_plan.profileName;
        e.target = m_plan.target;
        e.result = QStringLiteral("ok: undone from here; recorded in %1").arg(m_audit->filePath());
        AuditLog(m_legacyLog).append(e);
        m_legacyLog.clear();
    }
    setState(m_undoOk ? State::Undone : State::Failed);
    say(result);
    Q_EMIT undoFinished(m_undoOk, result);
}

bool DrainController::loadFromAudit(const QString &target, QString *why)
{
    QString key = target;
    if (const auto hp = HostPort::parse(target, 0)) {
        key = hp->toString();
    }
    m_plan = {};
    m_plan.target = key;
    m_plan.profileName = m_monitor ? m_monitor->profile().name : QString();
    m_done.clear();
    m_uncertain.clear();
    m_legacyLog.clear();
    // The cluster's log first; then the log its display name selected before logs were keyed
    // by cluster identity, so that drains written then can still be undone.
    QStringList paths{m_audit ? m_audit->filePath() : QString()};
    if (m_audit && !m_audit->legacyFilePath().isEmpty() && m_audit->legacyFilePath() != paths.first()
        && QFileInfo::exists(m_audit->legacyFilePath())) {
        paths << m_audit->legacyFilePath();
    }
    bool anyLog = false;
    for (const QString &path : std::as_const(paths)) {
        const AuditScan scan = AuditReader::scan(path);
        if (scan.missing) {
            continue;
        }
        anyLog = true;
        if (!scan.verify.ok()) {
            const auto &p = scan.verify.problems.first();
            *why = QStringLiteral("the audit log %1 is not intact (line %2: %3); refusing to undo from it")
                       .arg(path)
                       .arg(p.line)
                       .arg(p.what);
            return false;
        }
        for (const OpenDrain &d : scan.drains) {
            if (d.target != key) {
                continue;
            }
            // Steps whose outcome was never written may have happened: they are undone like the
            // others (idempotently) and verified by observation.
            m_done = d.steps;
            for (const DrainStep &s : d.steps) {
                if (d.uncertainLayers.contains(DrainStep::kindName(s.kind))) {
                    m_uncertain.insert(AuditReader::stepKey(s));
                }
            }
            m_dnsRemovedAt = d.dnsRemovedAt;
            if (path != paths.first()) {
                m_legacyLog = path;
            }
            return true;
        }
    }
    if (!anyLog) {
        *why = QStringLiteral("no audit log to undo from (%1)").arg(paths.join(QStringLiteral(", ")));
        return false;
    }
    *why = QStringLiteral("the audit log shows no drain of %1 that is not undone yet").arg(key);
    return false;
}

} // namespace hopscope
