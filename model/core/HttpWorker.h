#pragma once

#include "core/HttpFetch.h"

#include <QHash>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>

namespace hopscope {

// A thread of its own, with its own QNetworkAccessManager (no proxy), for the many small plain
// HTTP requests of a fleet's polls. QtNetwork's request and reply objects cost their thread
// ~0.3 ms a request (request set-up, header parsing, the reply's signals from QtNetwork's own
// HTTP thread); 500 Envoy sidecars polled every 5 s asked ~11 % of the GUI thread for it. Here
// each request is an HttpFetch on the worker thread, with the same hard total deadline and byte
// cap. A poll's requests go as one sequence (one after the other: one kept-alive connection per
// host) and their results come back together as one queued call.
//
// Lives on (and is used from) one thread, usually the GUI thread. No TLS settings: the callers
// send https:// URLs with a profile "tls" through their own HttpFetch, as before.
class HttpWorker : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        int deadlineMs = 5000;
        qint64 maxReplyBytes = qint64(1) << 20;
        qsizetype spareCapacity = 0; // HttpFetch::setSpareCapacity
    };
    using Done = std::function<void(const HttpFetchResult &)>;
    using DoneAll = std::function<void(const QList<HttpFetchResult> &)>;

    explicit HttpWorker(QObject *parent = nullptr);
    // Stops the thread: requests in flight are aborted (their `done` is never called). Waits for
    // the thread at most 5 s.
    ~HttpWorker() override;

    // GETs `request` on the worker thread. `done` runs on this object's thread with the result,
    // exactly once, unless cancel(id) comes first or `context` is destroyed first. `context`
    // must live on this object's thread. Returns the request's id (never 0).
    quint64 get(
        QObject *context, const QNetworkRequest &request, const Options &options, Done done);
    // GETs `requests` one after the other (each with `options`: its own deadline and cap), then
    // `doneAll` runs once with their results in the same order, under get()'s rules.
    quint64 getAll(QObject *context, const QList<QNetworkRequest> &requests, const Options &options,
        DoneAll doneAll);
    // Aborts the request (its connection is closed) and drops its result. Unknown or finished
    // ids are ignored.
    void cancel(quint64 id);

    QThread *workerThread() { return &m_thread; }
    // Requests (not sequences) the worker thread has started and not yet finished, and those it
    // has finished (any thread may ask).
    int runningOnWorker() const { return m_running.load(); }
    quint64 finishedOnWorker() const { return m_finished.load(); }
    int pending() const { return int(m_pending.size()); } // awaiting their result here

private:
    class Host;
    struct Pending
    {
        QPointer<QObject> context;
        DoneAll done;
    };

    void onFetched(quint64 id, const QList<hopscope::HttpFetchResult> &results);

    QThread m_thread;
    Host *m_host = nullptr; // lives on m_thread; deleted there when it finishes
    quint64 m_nextId = 0;
    QHash<quint64, Pending> m_pending;
    std::atomic<int> m_running { 0 };
    std::atomic<quint64> m_finished { 0 };
};

} // namespace hopscope
