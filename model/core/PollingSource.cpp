#include "PollingSource.h"

#include <algorithm>

namespace hopscope {

PollingSource::PollingSource(QString name, QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_backoff(1000, 30'000)
{
    qRegisterMetaType<SourceError>();
    m_nextTimer.setSingleShot(true);
    m_timeoutTimer.setSingleShot(true);
    connect(&m_nextTimer, &QTimer::timeout, this, &PollingSource::beginPoll);
    connect(&m_timeoutTimer, &QTimer::timeout, this, &PollingSource::onTimeout);
}

PollingSource::~PollingSource()
{
    if (m_scheduler) {
        m_scheduler->withdraw(this);
    }
}

bool PollingSource::isStale(const QDateTime &now, int missedIntervals) const
{
    if (!m_lastSuccess.isValid()) {
        return true;
    }
    return m_lastSuccess.msecsTo(now) > qint64(missedIntervals) * std::max(m_intervalMs, 1);
}

void PollingSource::applyPollSettings(int intervalMs, int timeoutMs)
{
    setIntervalMs(intervalMs);
    setTimeoutMs(timeoutMs);
}

void PollingSource::setIntervalMs(int ms)
{
    m_intervalMs = std::max(10, ms);
}

void PollingSource::start()
{
    if (m_running) {
        return;
    }
    m_running = true;
    setStatus(Status::Pending);
    scheduleNext(0);
}

void PollingSource::stop()
{
    if (!m_running) {
        return;
    }
    m_running = false;
    m_nextTimer.stop();
    m_timeoutTimer.stop();
    m_waitingSlot = false;
    if (m_inFlight) {
        m_inFlight = false;
        cancelPoll();
    }
    if (m_scheduler) {
        m_scheduler->withdraw(this);
    }
    setStatus(Status::Idle);
}

void PollingSource::pollNow()
{
    if (!m_running) {
        return;
    }
    if (m_inFlight || m_waitingSlot) {
        m_pollAgain = m_inFlight;
        return; // a poll waiting for its slot will bring fresh data anyway
    }
    scheduleNext(0);
}

void PollingSource::scheduleNext(int delayMs)
{
    m_lastDelayMs = std::max(0, delayMs);
    m_nextTimer.start(m_lastDelayMs);
}

void PollingSource::beginPoll()
{
    if (!m_running || m_inFlight || m_waitingSlot) {
        return;
    }
    if (!m_scheduler) {
        startGranted();
        return;
    }
    m_waitingSlot = true;
    const int ticket = ++m_slotTicket;
    m_scheduler->acquire(this, [this, ticket] {
        if (!m_waitingSlot || ticket != m_slotTicket) {
            return; // stopped (and maybe started again) while it waited: that grant is void
        }
        m_waitingSlot = false;
        startGranted();
    });
}

void PollingSource::startGranted()
{
    if (!m_running) {
        if (m_scheduler) {
            m_scheduler->release(this);
        }
        return;
    }
    m_inFlight = true;
    m_pollAgain = false;
    m_timeoutTimer.start(m_timeoutMs);
    Q_EMIT pollStarted();
    startPoll();
}

void PollingSource::onTimeout()
{
    if (!m_inFlight) {
        return;
    }
    cancelPoll();
    failPoll(makeError(SourceError::Kind::Timeout,
                       QStringLiteral("no complete reply within %1 ms").arg(m_timeoutMs)));
}

void PollingSource::finishPoll()
{
    if (!m_inFlight) {
        return; // a late answer to a poll that already timed out or was stopped
    }
    m_lastSuccess = QDateTime::currentDateTimeUtc();
    m_failures = 0;
    m_lastError = {};
    setStatus(Status::Ok);
    endPoll();
    const int next = nextIntervalMs();
    scheduleNext(m_pollAgain ? 0 : m_scheduler ? m_scheduler->jitteredMs(next) : next);
}

void PollingSource::failPoll(SourceError error)
{
    if (!m_inFlight) {
        return;
    }
    if (error.source.isEmpty()) {
        error.source = m_name;
    }
    if (!error.when.isValid()) {
        error.when = QDateTime::currentDateTimeUtc();
    }
    ++m_failures;
    m_lastError = error;
    setStatus(Status::Failing);
    Q_EMIT errorOccurred(m_lastError);
    endPoll();
    scheduleNext(m_pollAgain
            ? 0
            : std::max(m_intervalMs,
                m_backoff.delayMs(m_failures, m_scheduler ? m_scheduler->rng() : nullptr)));
}

void PollingSource::endPoll()
{
    m_inFlight = false;
    m_timeoutTimer.stop();
    if (m_scheduler) {
        m_scheduler->release(this); // before the signal: a slot never waits on its slots
    }
    Q_EMIT pollFinished();
}

SourceError PollingSource::makeError(SourceError::Kind kind, const QString &message,
                                     const QString &detail) const
{
    SourceError error;
    error.kind = kind;
    error.source = m_name;
    error.message = message;
    error.detail = detail;
    error.when = QDateTime::currentDateTimeUtc();
    return error;
}

void PollingSource::setStatus(Status status)
{
    if (m_status == status) {
        return;
    }
    m_status = status;
    Q_EMIT statusChanged(status);
}

} // namespace hopscope
