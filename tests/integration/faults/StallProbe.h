#pragma once

// Measures how long the GUI thread's event loop stops turning: a 5 ms precise timer on the thread
// that runs the window, recording the largest gap between two ticks (what a user sees as a frozen
// window; the period itself is included).
//
// Two figures per gap: the wall-clock gap, and the stall, which is the gap minus the time the
// thread sat runnable on a run queue waiting for a CPU (Linux /proc/thread-self/schedstat,
// second field). The stall counts everything the application does on the thread, running or
// blocked in a system call (a blocking connect or read shows in full); it leaves out only the
// time another process held the CPU, which on a loaded shared machine can reach 100 ms and says
// nothing about the application. Where schedstat is missing, the stall is the wall gap.
//
// Work the test itself does on that thread (a blocking call to the fault proxy's control socket,
// starting a process) is run through excluded(), so the figures are the application's.
// Header-only test helper; GUI thread (construct it there: schedstat is read for that thread).

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

class StallProbe : public QObject
{
public:
    static constexpr int PeriodMs = 5;

    StallProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(PeriodMs);
        connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_schedstat = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    }
    ~StallProbe() override
    {
        if (m_schedstat >= 0) {
            ::close(m_schedstat);
        }
    }
    StallProbe(const StallProbe &) = delete;
    StallProbe &operator=(const StallProbe &) = delete;

    void start()
    {
        m_maxStall = m_maxGap = m_ticks = 0;
        m_clock.start();
        mark();
        m_timer.start();
    }

    // The longest stall since start(), in ms (the last, still open gap included).
    qint64 stop()
    {
        tick();
        m_timer.stop();
        return m_maxStall;
    }

    qint64 maxStallMs() const { return m_maxStall; } // wall gap minus waiting for a CPU
    qint64 maxGapMs() const { return m_maxGap; } // wall gap
    qint64 ticks() const { return m_ticks; }
    bool running() const { return m_timer.isActive(); }
    bool schedstat() const { return m_schedstat >= 0; }

    // Runs f() (a blocking call of the test's own) without counting its time as a stall.
    template <class F> auto excluded(F &&f)
    {
        if (running()) {
            tick();
        }
        struct Resume
        {
            StallProbe *probe;
            ~Resume()
            {
                if (probe->running()) {
                    probe->mark();
                }
            }
        } resume { this };
        return std::forward<F>(f)();
    }

private:
    // ns this thread has waited on a run queue so far; 0 without schedstat.
    qint64 runqueueWaitNs() const
    {
        if (m_schedstat < 0) {
            return 0;
        }
        char buf[128];
        const ssize_t n = ::pread(m_schedstat, buf, sizeof buf - 1, 0);
        if (n <= 0) {
            return 0;
        }
        buf[n] = '\0';
        unsigned long long run = 0, wait = 0;
        return std::sscanf(buf, "%llu %llu", &run, &wait) == 2 ? qint64(wait) : 0;
    }

    void mark()
    {
        m_last = m_clock.elapsed();
        m_lastWaitNs = runqueueWaitNs();
    }

    void tick()
    {
        const qint64 now = m_clock.elapsed();
        const qint64 waitNs = runqueueWaitNs();
        const qint64 gap = now - m_last;
        const qint64 waited = (waitNs - m_lastWaitNs) / 1000000;
        m_maxGap = std::max(m_maxGap, gap);
        m_maxStall = std::max(m_maxStall, std::max<qint64>(0, gap - waited));
        m_last = now;
        m_lastWaitNs = waitNs;
        ++m_ticks;
    }

    QTimer m_timer;
    QElapsedTimer m_clock;
    int m_schedstat = -1;
    qint64 m_last = 0;
    qint64 m_lastWaitNs = 0;
    qint64 m_maxStall = 0;
    qint64 m_maxGap = 0;
    qint64 m_ticks = 0;
};
