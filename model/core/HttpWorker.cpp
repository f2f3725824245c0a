#include "core/HttpWorker.h"

#include <QDeadlineTimer>
#include <QNetworkAccessManager>
#include <QNetworkProxy>

namespace hopscope {

// The worker thread's side: the QNetworkAccessManager and the HttpFetch objects in flight. Only
// touched on the worker thread.
class HttpWorker::Host : public QObject
{
    Q_OBJECT

public:
    Host(std::atomic<int> &running, std::atomic<quint64> &finished)
        : m_running(running)
        , m_finished(finished)
    { }

    void start(
        quint64 id, const QList<QNetworkRequest> &requests, const HttpWorker::Options &options)
    {
        if (!m_nam) {
            m_nam = new QNetworkAccessManager(this);
            // Admin endpoints are local or inside the VPC: never through a system proxy.
            m_nam->setProxy(QNetworkProxy::NoProxy);
        }
        Sequence &seq = m_sequences[id];
        seq.requests = requests;
        seq.options = options;
        next(id, seq);
    }

    void cancel(quint64 id)
    {
        const auto it = m_sequences.find(id);
        if (it == m_sequences.end()) {
            return;
        }
        if (it->fetch) {
            --m_running;
            delete it->fetch; // aborts the reply: no finished()
        }
        m_sequences.erase(it);
    }

    ~Host() override
    {
        for (const Sequence &seq : std::as_const(m_sequences)) {
            if (seq.fetch) {
                --m_running;
                delete seq.fetch;
            }
        }
    }

Q_SIGNALS:
    void fetched(quint64 id, const QList<hopscope::HttpFetchResult> &results);

private:
    struct Sequence
    {
        QList<QNetworkRequest> requests;
        HttpWorker::Options options;
        QList<HttpFetchResult> results;
        HttpFetch *fetch = nullptr; // the one in flight
    };

    // Sends the sequence's next request, or reports the whole sequence.
    void next(quint64 id, Sequence &seq)
    {
        if (seq.results.size() == seq.requests.size()) {
            const QList<HttpFetchResult> results = std::move(seq.results);
            m_sequences.remove(id);
            Q_EMIT fetched(id, results);
            return;
        }
        auto *fetch = new HttpFetch(m_nam, this);
        fetch->setDeadlineMs(seq.options.deadlineMs);
        fetch->setMaxReplyBytes(seq.options.maxReplyBytes);
        fetch->setSpareCapacity(seq.options.spareCapacity);
        seq.fetch = fetch;
        ++m_running;
        connect(fetch, &HttpFetch::finished, this, [this, id, fetch](const HttpFetchResult &r) {
            fetch->deleteLater();
            --m_running;
            ++m_finished;
            const auto it = m_sequences.find(id);
            if (it == m_sequences.end()) {
                return;
            }
            it->fetch = nullptr;
            it->results.append(r);
            next(id, *it);
        });
        fetch->get(seq.requests.at(seq.results.size()));
    }

    std::atomic<int> &m_running;
    std::atomic<quint64> &m_finished;
    QNetworkAccessManager *m_nam = nullptr;
    QHash<quint64, Sequence> m_sequences;
};

HttpWorker::HttpWorker(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<HttpFetchResult>();
    qRegisterMetaType<QList<HttpFetchResult>>();
    m_thread.setObjectName(QStringLiteral("hopscope-http"));
    m_host = new Host(m_running, m_finished);
    m_host->moveToThread(&m_thread);
    connect(m_host, &Host::fetched, this, &HttpWorker::onFetched, Qt::QueuedConnection);
    // Deleted on the worker thread itself, as its event loop ends: its fetches and the
    // QNetworkAccessManager go with it, where they live.
    connect(&m_thread, &QThread::finished, [host = m_host] { delete host; });
    m_thread.start();
}

HttpWorker::~HttpWorker()
{
    m_pending.clear();
    m_thread.quit();
    if (!m_thread.wait(QDeadlineTimer(5000))) {
        qWarning("hopscope: the HTTP worker thread did not stop within 5 s");
    }
}

quint64 HttpWorker::get(
    QObject *context, const QNetworkRequest &request, const Options &options, Done done)
{
    return getAll(context, { request }, options,
        [done = std::move(done)](const QList<HttpFetchResult> &results) { done(results.first()); });
}

quint64 HttpWorker::getAll(QObject *context, const QList<QNetworkRequest> &requests,
    const Options &options, DoneAll doneAll)
{
    Q_ASSERT(context && context->thread() == thread());
    Q_ASSERT(!requests.isEmpty());
    const quint64 id = ++m_nextId;
    m_pending.insert(id, Pending { context, std::move(doneAll) });
    QMetaObject::invokeMethod(
        m_host, [host = m_host, id, requests, options] { host->start(id, requests, options); },
        Qt::QueuedConnection);
    return id;
}

void HttpWorker::cancel(quint64 id)
{
    if (m_pending.remove(id) == 0) {
        return; // finished (its result taken) or never started here
    }
    QMetaObject::invokeMethod(
        m_host, [host = m_host, id] { host->cancel(id); }, Qt::QueuedConnection);
}

void HttpWorker::onFetched(quint64 id, const QList<HttpFetchResult> &results)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        return; // cancelled meanwhile
    }
    Pending p = std::move(it.value());
    m_pending.erase(it);
    if (p.context) {
        p.done(results);
    }
}

} // namespace hopscope

#include "HttpWorker.moc"
