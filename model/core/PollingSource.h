#pragma once

#include "Backoff.h"
#include "PollScheduler.h"
#include "SourceError.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace hopscope {

// Base of every polled endpoint (a DNS name set, an Envoy admin URL, a HAProxy socket, ...).
// Lives on the thread that owns it (the GUI thread in the app); all I/O is asynchronous.
// A single-shot timer is re-armed only when the previous poll has finished, so two polls are
// never in flight; each poll has a timeout; failures back off exponentially with jitter. With a
// PollScheduler a poll first waits for a slot (the timeout starts once it has one) and intervals
// are jittered.
// Subclasses implement startPoll() and finish every poll with exactly one finishPoll() or
// failPoll(); late completions of a poll that already timed out are ignored.
class PollingSource : public QObject
{
    Q_OBJECT
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString name READ name CONSTANT)
    Q_PROPERTY(QDateTime lastSuccess READ lastSuccess NOTIFY pollFinished)
    Q_PROPERTY(int consecutiveFailures READ consecutiveFailures NOTIFY pollFinished)

public:
    enum class Status {
        Idle,     // not started, or stopped
        Pending,  // started, no poll has finished yet ("no data yet")
        Ok,       // the last poll succeeded
        Failing,  // the last poll failed; lastError() says why
    };
    Q_ENUM(Status)

    explicit PollingSource(QString name, QObject *parent = nullptr);
    ~PollingSource() override;

    QString name() const { return m_name; }
    Status status() const { return m_status; }
    SourceError lastError() const { return m_lastError; }
    QDateTime lastSuccess() const { return m_lastSuccess; }
    int consecutiveFailures() const { return m_failures; }
    bool isPolling() const { return m_inFlight; }

    // Data older than `missedIntervals` intervals is stale: never shown as healthy. A source
    // whose data carries its own freshness (DNS records and their TTLs) overrides it.
    virtual bool isStale(const QDateTime &now, int missedIntervals = 3) const;

    // The profile's poll settings. A source with its own policy (DNS: re-asked on TTL expiry,
    // timeout from its resolver's tries) overrides it and keeps what it needs.
    virtual void applyPollSettings(int intervalMs, int timeoutMs);

    void setIntervalMs(int ms);
    int intervalMs() const { return m_intervalMs; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    void setBackoff(const Backoff &backoff) { m_backoff = backoff; }
    // Paced by a monitor's scheduler (a slot per poll, jittered intervals); null: on its own.
    void setScheduler(PollScheduler *scheduler) { m_scheduler = scheduler; }
    // The delay the next poll was scheduled with (after jitter or backoff), for tests and logs.
    int lastDelayMs() const { return m_lastDelayMs; }
    bool isWaitingForSlot() const { return m_waitingSlot; }

    void start();   // first poll at once, then every interval
    void stop();    // cancels the poll in flight; no signal after this
    void pollNow(); // after an operation: poll as soon as the current poll (if any) ends
    // After an operation, to confirm it by observation: like pollNow(), and a source that caches
    // answers between polls (DNS until TTL expiry) asks everything again.
    virtual void refreshNow() { pollNow(); }

Q_SIGNALS:
    void statusChanged(hopscope::PollingSource::Status status);
    void pollStarted();
    void pollFinished();                                  // success or failure
    void errorOccurred(const hopscope::SourceError &error);

protected:
    virtual void startPoll() = 0;
    // Abort the work in flight (timeout or stop). Must not call finishPoll/failPoll.
    virtual void cancelPoll() {}
    // Delay until the next poll after a success; subclasses with TTLs override it.
    virtual int nextIntervalMs() const { return m_intervalMs; }

    void finishPoll();
    void failPoll(SourceError error);
    SourceError makeError(SourceError::Kind kind, const QString &message,
                          const QString &detail = {}) const;

private:
    void beginPoll();
    void startGranted();
    void endPoll();
    void onTimeout();
    void setStatus(Status status);
    void scheduleNext(int delayMs);

    QString m_name;
    Status m_status = Status::Idle;
    SourceError m_lastError;
    QDateTime m_lastSuccess;
    int m_failures = 0;
    int m_intervalMs = 2000;
    int m_timeoutMs = 1500;
    bool m_running = false;
    bool m_inFlight = false;
    bool m_pollAgain = false;
    bool m_waitingSlot = false;
    int m_slotTicket = 0;
    int m_lastDelayMs = 0;
    QPointer<PollScheduler> m_scheduler;
    Backoff m_backoff;
    QTimer m_nextTimer;
    QTimer m_timeoutTimer;
};

} // namespace hopscope
