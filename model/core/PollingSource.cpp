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

PollingSource::~PollingSource() = default;

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
    if (m_inFlight) {
        m_inFlight = false;
        cancelPoll();
    }
    setStatus(Status::Idle);
}

void PollingSource::pollNow()
{
    if (!m_running) {
        return;
    }
    if (m_inFlight) {
        m_pollAgain = true;
        return;
    }
    scheduleNext(0);
}

void PollingSource::scheduleNext(int delayMs)
{
    m_nextTimer.start(std::max(0, delayMs));
}

void PollingSource::beginPoll()
{
    if (!m_running || m_inFlight) {
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
    scheduleNext(m_pollAgain ? 0 : nextIntervalMs());
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
    scheduleNext(m_pollAgain ? 0 : std::max(m_intervalMs, m_backoff.delayMs(m_failures)));
}

void PollingSource::endPoll()
{
    m_inFlight = false;
    m_timeoutTimer.stop();
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
