#include "PollScheduler.h"

#include <algorithm>

namespace hopscope {

PollScheduler::PollScheduler(int maxInFlight, double jitter, QObject *parent)
    : QObject(parent)
    , m_maxInFlight(std::max(1, maxInFlight))
    , m_jitter(std::clamp(jitter, 0.0, 0.9))
    , m_rng(QRandomGenerator::securelySeeded())
{ }

void PollScheduler::setMaxInFlight(int n)
{
    m_maxInFlight = std::max(1, n);
    grantNext();
}

void PollScheduler::setJitter(double fraction)
{
    m_jitter = std::clamp(fraction, 0.0, 0.9);
}

int PollScheduler::jitteredMs(int intervalMs)
{
    if (intervalMs <= 0 || m_jitter <= 0) {
        return std::max(0, intervalMs);
    }
    const double cut = double(intervalMs) * m_jitter * m_rng.generateDouble();
    return std::max(1, int(double(intervalMs) - cut));
}

void PollScheduler::acquire(QObject *source, std::function<void()> start)
{
    if (m_holders.contains(source)
        || std::any_of(m_queue.cbegin(), m_queue.cend(),
            [source](const Waiter &w) { return w.key == source; })) {
        return; // already holds a slot or waits for one
    }
    if (inFlight() < m_maxInFlight && m_queue.empty()) {
        m_holders.append(source);
        m_peak = std::max(m_peak, inFlight());
        start();
        return;
    }
    m_queue.push_back(Waiter { QPointer<QObject>(source), source, std::move(start) });
}

void PollScheduler::release(QObject *source)
{
    if (m_holders.removeOne(source)) {
        grantNext();
    }
}

void PollScheduler::withdraw(QObject *source)
{
    m_queue.erase(std::remove_if(m_queue.begin(), m_queue.end(),
                      [source](const Waiter &w) { return w.key == source; }),
        m_queue.end());
    release(source);
}

// Hands free slots to the waiting sources, oldest first. The slot is taken at once; the poll
// starts from the event loop, never inside the release() of the poll that just ended.
void PollScheduler::grantNext()
{
    while (inFlight() < m_maxInFlight && !m_queue.empty()) {
        Waiter w = std::move(m_queue.front());
        m_queue.pop_front();
        if (!w.source) {
            continue;
        }
        m_holders.append(w.key);
        m_peak = std::max(m_peak, inFlight());
        QMetaObject::invokeMethod(
            w.source.data(),
            [self = QPointer<PollScheduler>(this), key = w.key, start = std::move(w.start)] {
                if (self && self->m_holders.contains(key)) {
                    start();
                }
            },
            Qt::QueuedConnection);
    }
}

} // namespace hopscope
