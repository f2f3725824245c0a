#include "FrameCoalescer.h"

#include <algorithm>
#include <utility>

namespace hopscope {

FrameCoalescer::FrameCoalescer(const Clock &clock, std::function<void()> work, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_work(std::move(work))
{
    m_elapsed.start();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &FrameCoalescer::run);
}

void FrameCoalescer::setMaxShare(double share)
{
    m_maxShare = std::clamp(share, 0.01, 1.0);
}

void FrameCoalescer::setPoolShare(double share)
{
    m_poolShare = std::clamp(share, 0.01, 1.0);
}

int FrameCoalescer::gapMs() const
{
    const qint64 byCost = qint64(double(m_lastCostMs) / m_maxShare);
    // The pool's time already passed before the gap starts (at the job's end): a 300 ms job at
    // 0.5 waits 300 ms more, one job per 600 ms.
    const qint64 byPool = qint64(double(m_lastPoolMs) * (1.0 / m_poolShare - 1.0));
    return int(std::min<qint64>(m_maxGapMs, std::max({ qint64(m_frameMs), byCost, byPool })));
}

int FrameCoalescer::delayMs() const
{
    if (!m_lastRun.isValid()) {
        return 0;
    }
    const qint64 since = m_lastRun.msecsTo(m_clock.now());
    if (since < 0) {
        return gapMs(); // the clock went back: one gap from now
    }
    return int(std::max<qint64>(0, gapMs() - since));
}

void FrameCoalescer::request()
{
    ++m_requests;
    if (m_running) {
        m_again = true; // one more run once the job is back
        return;
    }
    if (!m_timer.isActive()) {
        m_timer.start(delayMs());
    }
}

void FrameCoalescer::runNow()
{
    m_timer.stop();
    run();
}

void FrameCoalescer::run()
{
    if (m_running) {
        m_again = true; // runNow() while a job is out: once more after it
        return;
    }
    // The cost is measured on both clocks: the injected one (tests advance it inside the work)
    // and the monotonic one (the real cost; a wall clock can jump).
    const QDateTime before = m_clock.now();
    const qint64 t0 = m_elapsed.elapsed();
    Q_EMIT aboutToRun();
    if (m_async) {
        m_running = true;
        m_work();
        m_startCostMs = std::max<qint64>(
            m_elapsed.elapsed() - t0, std::max<qint64>(0, before.msecsTo(m_clock.now())));
        Q_EMIT started();
        return;
    }
    m_work();
    m_startCostMs = 0;
    ranAfter(before, t0);
}

void FrameCoalescer::resume()
{
    m_resumedAt = m_clock.now();
    m_resumedElapsed = m_elapsed.elapsed();
    Q_EMIT resumed();
}

void FrameCoalescer::finish(qint64 poolMs)
{
    if (!m_running) {
        return;
    }
    m_running = false;
    m_lastPoolMs = std::max<qint64>(0, poolMs);
    if (!m_resumedAt.isValid()) {
        resume();
    }
    ranAfter(m_resumedAt, m_resumedElapsed);
    m_resumedAt = {};
    if (std::exchange(m_again, false) && !m_timer.isActive()) {
        m_timer.start(delayMs());
    }
}

void FrameCoalescer::ranAfter(const QDateTime &before, qint64 elapsedAt)
{
    ++m_runs;
    m_lastRun = m_clock.now();
    m_lastCostMs = m_startCostMs
        + std::max<qint64>(m_elapsed.elapsed() - elapsedAt,
            std::max<qint64>(0, before.msecsTo(m_lastRun)));
    Q_EMIT ran(m_lastCostMs);
}

} // namespace hopscope
