#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <type_traits>
#include <utility>

namespace hopscope {

// The one way the model parses big payloads off the GUI thread: `work` runs on the global
// QThreadPool (it must be pure: no QObject, no member of `owner`, only its captured copies), and
// `done(result)` runs afterwards on `owner`'s thread. The QFutureWatcher is a child of `owner`:
// destroying the owner destroys it, and a parse still running on the pool then reports to no one.
// Callers that may cancel (a poll that timed out) check their own generation counter in `done`.
template <class Work, class Done> void runOffThread(QObject *owner, Work work, Done done)
{
    using Result = std::invoke_result_t<Work>;
    auto *watcher = new QFutureWatcher<Result>(owner);
    QObject::connect(
        watcher, &QFutureWatcherBase::finished, owner, [watcher, done = std::move(done)]() mutable {
            watcher->deleteLater();
            done(watcher->result());
        });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
}

} // namespace hopscope
