#include "FrameCoalescer.h"

#include <QElapsedTimer>

#include <algorithm>

namespace hopscope {

FrameCoalescer::FrameCoalescer(const Clock &clock, std::function<void()> work, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_work(std::move(work))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &FrameCoalescer::run);
}

void FrameCoalescer::setMaxShare(double share)
{
    m_maxShare = std::clamp(share, 0.01, 1.0);
}

int FrameCoalescer::gapMs() const
{
    const qint64 byCost = qint64(double(m_lastCostMs) / m_maxShare);
    return int(std::min<qint64>(m_maxGapMs, std::max<qint64>(m_frameMs, byCost)));
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
    // The cost is measured on both clocks: the injected one (tests advance it inside the work)
    // and the monotonic one (the real cost; a wall clock can jump).
    const QDateTime before = m_clock.now();
    QElapsedTimer elapsed;
    elapsed.start();
    Q_EMIT aboutToRun();
    m_work();
    ++m_runs;
    m_lastRun = m_clock.now();
    m_lastCostMs
        = std::max<qint64>(elapsed.elapsed(), std::max<qint64>(0, before.msecsTo(m_lastRun)));
    Q_EMIT ran(m_lastCostMs);
}

} // namespace hopscope
