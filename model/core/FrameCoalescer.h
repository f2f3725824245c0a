#pragma once

#include "Clock.h"

#include <QDateTime>
#include <QObject>
#include <QTimer>

#include <functional>

namespace hopscope {

// Runs a piece of GUI-thread work (a topology rebuild and what the views do with it) at most once
// per frame however often it is asked for (issue 15 §3: 500 sources answering must not cause 500
// rebuilds). A request after a quiet spell runs on the next event-loop turn; requests within a
// frame of the last run wait for the frame's end and run once. When the work is expensive the
// gap grows with it, so the work takes at most `maxShare` of the thread (a 40 ms rebuild: at most
// one per 400 ms at 10 %), never longer than `maxGapMs`. Times come from the injected Clock.
class FrameCoalescer : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultFrameMs = 16;
    static constexpr double DefaultMaxShare = 0.1;
    static constexpr int DefaultMaxGapMs = 2000;

    FrameCoalescer(const Clock &clock, std::function<void()> work, QObject *parent = nullptr);

    void setFrameMs(int ms) { m_frameMs = std::max(0, ms); }
    void setMaxShare(double share);
    void setMaxGapMs(int ms) { m_maxGapMs = std::max(0, ms); }

    void request(); // the work runs once for every burst of requests
    void runNow(); // runs it at once (the first picture), cancelling a pending run
    bool isPending() const { return m_timer.isActive(); }

    // How long after the last run the next may start: max(frame, cost / maxShare), capped.
    int gapMs() const;
    // The delay a request made now waits (0 after a quiet spell).
    int delayMs() const;
    int runs() const { return m_runs; }
    int requests() const { return m_requests; }
    qint64 lastCostMs() const { return m_lastCostMs; }

Q_SIGNALS:
    void aboutToRun(); // before each run (benchmarks, diagnostics)
    void ran(qint64 costMs); // after each run, with what it cost

private:
    void run();

    const Clock &m_clock;
    std::function<void()> m_work;
    QTimer m_timer;
    QDateTime m_lastRun;
    qint64 m_lastCostMs = 0;
    int m_frameMs = DefaultFrameMs;
    double m_maxShare = DefaultMaxShare;
    int m_maxGapMs = DefaultMaxGapMs;
    int m_runs = 0;
    int m_requests = 0;
};

} // namespace hopscope
