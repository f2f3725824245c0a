#pragma once

#include <QObject>
#include <QPointer>
#include <QRandomGenerator>

#include <deque>
#include <functional>

namespace hopscope {

// Paces the polls of one monitor's sources (issue 15 §3): a global cap on polls in flight (a
// source asks for a slot before it starts a poll and gives it back when the poll ends; the others
// wait in FIFO order) and jittered intervals, so 500 sidecar sources started together spread out
// over the interval instead of hitting the network, and then the GUI thread, in lock-step.
// Backoff on failure stays with each source (Backoff). GUI thread (or the CLI's main thread).
class PollScheduler : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultMaxInFlight = 32;
    static constexpr double DefaultJitter = 0.2;

    explicit PollScheduler(int maxInFlight = DefaultMaxInFlight, double jitter = DefaultJitter,
        QObject *parent = nullptr);

    void setMaxInFlight(int n);
    int maxInFlight() const { return m_maxInFlight; }
    void setJitter(double fraction);
    double jitter() const { return m_jitter; }
    void setSeed(quint32 seed) { m_rng.seed(seed); }
    QRandomGenerator *rng() { return &m_rng; }

    // The delay before a source's next poll: `intervalMs` shortened by up to jitter x interval,
    // never lengthened, so data is never older than the interval a stale window counts in.
    int jitteredMs(int intervalMs);

    // A source wants to start a poll: `start` runs now when a slot is free, else from the event
    // loop once one is (in the order asked). A source asks at most once until it is granted.
    void acquire(QObject *source, std::function<void()> start);
    // The poll of `source` ended: its slot goes to the next waiting source.
    void release(QObject *source);
    // `source` stopped or is going away: leaves the queue, or frees its slot.
    void withdraw(QObject *source);

    int inFlight() const { return int(m_holders.size()); }
    int waiting() const { return int(m_queue.size()); }
    int peakInFlight() const { return m_peak; }

private:
    struct Waiter
    {
        QPointer<QObject> source;
        const QObject *key;
        std::function<void()> start;
    };
    void grantNext();

    int m_maxInFlight;
    double m_jitter;
    QRandomGenerator m_rng;
    std::deque<Waiter> m_queue;
    QList<const QObject *> m_holders;
    int m_peak = 0;
};

} // namespace hopscope
