#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <type_traits>
#include <utility>

namespace hopscope {

// The thread the big per-poll structures are made on, one after the other, for every window:
// topologies (ClusterMonitor), the traffic reports over them (TrafficTracker) and HAProxy's
// answers (10,000 servers). Kept apart from the global pool where the other answers are
// parsed (500 sidecars, Prometheus): glibc gives each thread its own malloc arena, and these
// spread over both pool threads of a 2-core machine left a topology's and a snapshot's worth
// of freed memory resident in each arena; on one thread the next build reuses what the last
// one freed. bench_Fleet direct mode, 60 s: RSS 249-250 MB with the builds here, 230 MB with
// the HAProxy parses too (glibc's free memory 52-65 -> 26-32 MB).
QThreadPool *buildThread();

// The one way the model parses big payloads off the GUI thread: `work` runs on the global
// QThreadPool (it must be pure: no QObject, no member of `owner`, only its captured copies), and
// `done(result)` runs afterwards on `owner`'s thread. The QFutureWatcher is a child of `owner`:
// destroying the owner destroys it, and a parse still running on the pool then reports to no one.
// Callers that may cancel (a poll that timed out) check their own generation counter in `done`.
// The first form runs `work` on another pool (buildThread() above).
template <class Work, class Done>
void runOffThread(QThreadPool *pool, QObject *owner, Work work, Done done)
{
    using Result = std::invoke_result_t<Work>;
    auto *watcher = new QFutureWatcher<Result>(owner);
    QObject::connect(
        watcher, &QFutureWatcherBase::finished, owner, [watcher, done = std::move(done)]() mutable {
            watcher->deleteLater();
            done(watcher->result());
        });
    watcher->setFuture(QtConcurrent::run(pool, std::move(work)));
}

template <class Work, class Done> void runOffThread(QObject *owner, Work work, Done done)
{
    runOffThread(QThreadPool::globalInstance(), owner, std::move(work), std::move(done));
}

// Drops `value` on the global pool: when it holds the last reference to a big implicitly shared
// structure (a topology of 10,000 targets), freeing it is the pool's work, not the GUI thread's.
template <class T> void releaseOnPool(T &&value)
{
    QThreadPool::globalInstance()->start(
        [gone = std::forward<T>(value)]() mutable { const auto dropped = std::move(gone); });
}

} // namespace hopscope
