#pragma once

#include "Clock.h"

#include <QDateTime>
#include <QElapsedTimer>
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
//
// Asynchronous work (setAsync(true)): `work` starts a job (a build on the thread pool) and
// returns; the job's completion handler calls resume() when it starts applying the result on this
// thread and finish(poolMs) when done. One job at a time: requests while it runs make one more
// run after it, with the then latest inputs, never a queue. The GUI-thread cost (the start plus
// the apply) paces the runs by `maxShare`, the job's time on the pool by `poolShare` (a 300 ms
// build at 0.5: at most one per 600 ms), so builds cannot keep a core busy either.
class FrameCoalescer : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultFrameMs = 16;
    static constexpr double DefaultMaxShare = 0.1;
    static constexpr int DefaultMaxGapMs = 2000;
    static constexpr double DefaultPoolShare = 0.5;

    FrameCoalescer(const Clock &clock, std::function<void()> work, QObject *parent = nullptr);

    void setFrameMs(int ms) { m_frameMs = std::max(0, ms); }
    void setMaxShare(double share);
    void setMaxGapMs(int ms) { m_maxGapMs = std::max(0, ms); }
    void setAsync(bool async) { m_async = async; }
    void setPoolShare(double share);

    void request(); // the work runs once for every burst of requests
    void runNow(); // runs it at once (the first picture), cancelling a pending run
    bool isPending() const { return m_timer.isActive() || m_again; }
    bool isRunning() const { return m_running; } // an asynchronous job has not finished yet
    // Asynchronous work: the job's result is being applied on this thread (after its time on
    // the pool), then it is done; `poolMs` is what the job took on the pool.
    void resume();
    void finish(qint64 poolMs);

    // How long after the last run the next may start: max(frame, cost / maxShare, the pool's
    // time x (1 / poolShare - 1)), capped at maxGapMs.
    int gapMs() const;
    // The delay a request made now waits (0 after a quiet spell).
    int delayMs() const;
    int runs() const { return m_runs; }
    int requests() const { return m_requests; }
    qint64 lastCostMs() const { return m_lastCostMs; } // on this thread
    qint64 lastPoolMs() const { return m_lastPoolMs; } // on the pool (asynchronous work)

Q_SIGNALS:
    void aboutToRun(); // before each run (benchmarks, diagnostics)
    void started(); // asynchronous work: the job is on its way, this thread is free
    void resumed(); // asynchronous work: its result is about to be applied on this thread
    void ran(qint64 costMs); // after each run (asynchronous: once applied), with its cost here

private:
    void run();
    void ranAfter(const QDateTime &before, qint64 elapsedMs);

    const Clock &m_clock;
    std::function<void()> m_work;
    QTimer m_timer;
    QDateTime m_lastRun;
    qint64 m_lastCostMs = 0;
    qint64 m_lastPoolMs = 0;
    double m_poolShare = DefaultPoolShare;
    bool m_async = false;
    bool m_running = false; // an asynchronous job is out
    bool m_again = false; // requested while it was out
    qint64 m_startCostMs = 0; // what starting it cost here
    QDateTime m_resumedAt;
    qint64 m_resumedElapsed = 0;
    QElapsedTimer m_elapsed;
    int m_frameMs = DefaultFrameMs;
    double m_maxShare = DefaultMaxShare;
    int m_maxGapMs = DefaultMaxGapMs;
    int m_runs = 0;
    int m_requests = 0;
};

} // namespace hopscope
