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
    {
    }

    void start(quint64 id, const QNetworkRequest &request, const HttpWorker::Options &options)
    {
        if (!m_nam) {
            m_nam = new QNetworkAccessManager(this);
            // Admin endpoints are local or inside the VPC: never through a system proxy.
            m_nam->setProxy(QNetworkProxy::NoProxy);
        }
        auto *fetch = new HttpFetch(m_nam, this);
        fetch->setDeadlineMs(options.deadlineMs);
        fetch->setMaxReplyBytes(options.maxReplyBytes);
        fetch->setSpareCapacity(options.spareCapacity);
        m_fetches.insert(id, fetch);
        ++m_running;
        connect(fetch, &HttpFetch::finished, this, [this, id, fetch](const HttpFetchResult &r) {
            m_fetches.remove(id);
            fetch->deleteLater();
            --m_running;
            ++m_finished;
            Q_EMIT fetched(id, r);
        });
        fetch->get(request);
    }

    void cancel(quint64 id)
    {
        if (HttpFetch *fetch = m_fetches.take(id)) {
            --m_running;
            delete fetch; // aborts the reply: no finished()
        }
    }

    ~Host() override
    {
        for (HttpFetch *fetch : std::as_const(m_fetches)) {
            delete fetch;
        }
        m_running -= int(m_fetches.size());
        m_fetches.clear();
    }

Q_SIGNALS:
    void fetched(quint64 id, const hopscope::HttpFetchResult &result);

private:
    std::atomic<int> &m_running;
    std::atomic<quint64> &m_finished;
    QNetworkAccessManager *m_nam = nullptr;
    QHash<quint64, HttpFetch *> m_fetches;
};

HttpWorker::HttpWorker(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<HttpFetchResult>();
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
    Q_ASSERT(context && context->thread() == thread());
    const quint64 id = ++m_nextId;
    m_pending.insert(id, Pending { context, std::move(done) });
    QMetaObject::invokeMethod(
        m_host, [host = m_host, id, request, options] { host->start(id, request, options); },
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

void HttpWorker::onFetched(quint64 id, const HttpFetchResult &result)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        return; // cancelled meanwhile
    }
    Pending p = std::move(it.value());
    m_pending.erase(it);
    if (p.context) {
        p.done(result);
    }
}

} // namespace hopscope

#include "HttpWorker.moc"
