#include "envoy/EnvoyAdminSource.h"

#include "core/HttpFetch.h"
#include "core/HttpWorker.h"
#include "core/OffThread.h"
#include "core/TlsContext.h"
#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyServerInfoParser.h"
#include "envoy/EnvoyStatsParser.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkRequest>
#include <QUrlQuery>

#include <simdjson.h>

namespace hopscope {

// One GET of a poll: the fetch while it runs, then what it produced.
struct EnvoyAdminSource::Fetch
{
    QPointer<HttpFetch> fetch; // on this thread (or in m_sequence on the HttpWorker's)
    QUrl url;
    bool started = false; // sent (the poll's requests go one after the other)
    bool done = false;
    HttpFetchResult result;
};

EnvoyAdminSource::EnvoyAdminSource(
    QString name, QUrl adminUrl, QNetworkAccessManager *nam, QObject *parent)
    : PollingSource(std::move(name), parent)
    , m_adminUrl(std::move(adminUrl))
    , m_nam(nam)
{
    qRegisterMetaType<EnvoyAdminSnapshot>();
    if (!m_nam) {
        m_ownNam = std::make_unique<QNetworkAccessManager>();
        m_ownNam->setProxy(QNetworkProxy::NoProxy);
        m_nam = m_ownNam.get();
    }
}

void EnvoyAdminSource::setTls(TlsContext *tls)
{
    m_tls = tls;
}

void EnvoyAdminSource::setHttpWorker(HttpWorker *worker)
{
    m_worker = worker;
}

EnvoyAdminSource::~EnvoyAdminSource()
{
    abortAll();
}

EnvoyAdminSource::Fetch *EnvoyAdminSource::add(const QString &path, const QString &query)
{
    auto fetch = std::make_unique<Fetch>();
    fetch->url = m_adminUrl;
    fetch->url.setPath(path);
    if (!query.isEmpty()) {
        fetch->url.setQuery(query);
    }
    Fetch *f = fetch.get();
    m_fetches.push_back(std::move(fetch));
    return f;
}

// A poll's requests go one after the other: QtNetwork opens a connection per concurrent request
// to a host (up to 6), and kept alive they stay: 3 sockets (and their 16 KiB read buffers) per
// sidecar, 1,500 at 500 sidecars. In turn they share one.
void EnvoyAdminSource::sendPending()
{
    const quint64 generation = m_generation;
    if (m_worker && m_adminUrl.scheme() == u"http") {
        // All of them as one sequence on the worker: one queued call back for the lot.
        std::vector<Fetch *> batch;
        QList<QNetworkRequest> requests;
        for (const auto &f : m_fetches) {
            if (!f->started) {
                f->started = true;
                batch.push_back(f.get());
                requests.append(QNetworkRequest(f->url));
            }
        }
        if (batch.empty()) {
            return;
        }
        const HttpWorker::Options options { timeoutMs(), m_maxBytes,
            qsizetype(simdjson::SIMDJSON_PADDING) };
        const quint64 id = m_worker->getAll(this, requests, options,
            [this, batch, generation](const QList<HttpFetchResult> &results) {
                if (generation != m_generation) {
                    return;
                }
                for (size_t i = 0; i < batch.size(); ++i) {
                    batch[i]->result = results.at(qsizetype(i));
                    batch[i]->done = true;
                }
                m_sequence = 0;
                onFetchFinished();
            });
        m_sequence = id;
        return;
    }
    Fetch *f = nullptr;
    for (const auto &other : m_fetches) {
        if (other->started && !other->done) {
            return; // the next goes when this one is done
        }
        if (!other->started && !f) {
            f = other.get();
        }
    }
    if (!f) {
        return;
    }
    f->started = true;
    auto *http = new HttpFetch(m_nam, this);
    http->setDeadlineMs(timeoutMs());
    http->setMaxReplyBytes(m_maxBytes);
    http->setTls(m_tls);
    // simdjson reads SIMDJSON_PADDING bytes past the end: keep them, so the parser needs no copy.
    http->setSpareCapacity(qsizetype(simdjson::SIMDJSON_PADDING));
    connect(
        http, &HttpFetch::finished, this, [this, f, http, generation](const HttpFetchResult &r) {
            http->deleteLater();
            onFetched(f, r, generation);
        });
    f->fetch = http;
    http->get(QNetworkRequest(f->url));
}

void EnvoyAdminSource::onFetched(Fetch *fetch, const HttpFetchResult &result, quint64 generation)
{
    if (generation != m_generation || fetch->done) {
        return;
    }
    fetch->result = result;
    fetch->done = true;
    fetch->fetch = nullptr;
    for (const auto &next : m_fetches) {
        if (!next->started) {
            sendPending();
            return;
        }
    }
    onFetchFinished();
}

void EnvoyAdminSource::startPoll()
{
    abortAll();
    ++m_generation;
    m_textFallback = false;
    m_clusters = add(QStringLiteral("/clusters"), QStringLiteral("format=json"));
    m_serverInfo = add(QStringLiteral("/server_info"), {});
    // No GET /ready: it answers the state server_info carries (docs/PROTOCOLS.md §1.6: the
    // state's name, 200 when LIVE, 503 otherwise), and at 500 sidecars every request costs the
    // GUI thread (QNetworkAccessManager's request and reply objects): 3 requests a poll, not 4.
    m_stats = nullptr;
    if (m_statsEnabled) {
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("format"), QStringLiteral("json"));
        query.addQueryItem(QStringLiteral("filter"),
            QString::fromLatin1(QUrl::toPercentEncoding(EnvoyStatsParser::pollFilter())));
        m_stats = add(QStringLiteral("/stats"), query.toString(QUrl::FullyEncoded));
    }
    sendPending();
}

void EnvoyAdminSource::cancelPoll()
{
    abortAll();
    ++m_generation; // a parse still running on the worker is ignored when it lands
}

void EnvoyAdminSource::abortAll()
{
    for (auto &f : m_fetches) {
        if (f->fetch) {
            f->fetch->abort();
            f->fetch->deleteLater();
        }
    }
    if (m_sequence && m_worker) {
        m_worker->cancel(m_sequence);
    }
    m_sequence = 0;
    m_fetches.clear();
    m_clusters = m_serverInfo = m_stats = nullptr;
}

void EnvoyAdminSource::onFetchFinished()
{
    for (const auto &f : m_fetches) {
        if (!f->done) {
            return;
        }
    }
    auto fail = [this](SourceError::Kind kind, const QString &message, const QString &detail = {}) {
        abortAll();
        failPoll(makeError(kind, message, detail));
    };
    for (Fetch *f : { m_clusters, m_serverInfo }) {
        if (f->result.failure == HttpFetchResult::Failure::TooLarge) {
            fail(SourceError::Kind::TooLarge, f->result.what + u" refused: " + f->result.reason);
            return;
        }
    }
    // Envoy older than 1.7 does not know format=json; some builds answer 400/404 to it.
    const int clustersStatus = m_clusters->result.httpStatus;
    if (!m_textFallback && (clustersStatus == 400 || clustersStatus == 404)) {
        m_textFallback = true;
        m_clusters = add(QStringLiteral("/clusters"), {});
        sendPending();
        return;
    }
    for (Fetch *f : { m_clusters, m_serverInfo }) {
        const HttpFetchResult &r = f->result;
        if (!r.ok()) {
            const QString separator = r.failure == HttpFetchResult::Failure::Transport
                ? QStringLiteral(" failed: ")
                : r.failure == HttpFetchResult::Failure::HttpStatus ? QStringLiteral(" ")
                                                                    : QStringLiteral(": ");
            fail(r.kind, r.what + separator + r.reason,
                r.failure == HttpFetchResult::Failure::HttpStatus
                    ? QString::fromUtf8(r.body.left(200)).trimmed()
                    : QString());
            return;
        }
    }
    startParse();
}

void EnvoyAdminSource::startParse()
{
    const QByteArray clusters = m_clusters->result.body;
    const QByteArray serverInfo = m_serverInfo->result.body;
    const bool haveStats = m_stats && m_stats->result.ok() && m_stats->result.httpStatus == 200;
    const QByteArray stats = haveStats ? m_stats->result.body : QByteArray();
    m_fetches.clear();
    m_clusters = m_serverInfo = m_stats = nullptr;

    const quint64 generation = m_generation;
    runOffThread(
        this,
        [clusters, serverInfo, haveStats, stats]() -> Parsed<EnvoyAdminSnapshot> {
            EnvoyAdminSnapshot snapshot;
            snapshot.fetchedAt = QDateTime::currentDateTimeUtc();
            auto c = EnvoyClustersParser::parse(clusters);
            if (!c) {
                return c.error().within(QStringLiteral("/clusters"));
            }
            auto s = EnvoyServerInfoParser::parse(serverInfo);
            if (!s) {
                return s.error().within(QStringLiteral("/server_info"));
            }
            snapshot.clusters = std::move(c).value();
            snapshot.serverInfo = std::move(s).value();
            // What /ready would answer (0: the state is not known, as when /ready is absent).
            const EnvoyServerInfo::State state = snapshot.serverInfo.state;
            snapshot.readyHttpStatus = state == EnvoyServerInfo::State::Live ? 200
                : state == EnvoyServerInfo::State::Unknown                   ? 0
                                                                             : 503;
            snapshot.readyBody = snapshot.serverInfo.stateName;
            if (haveStats) {
                auto st = EnvoyStatsParser::parse(stats);
                if (st) {
                    snapshot.stats = std::move(st).value();
                }
            }
            return snapshot;
        },
        [this, generation](
            const Parsed<EnvoyAdminSnapshot> &parsed) { onParsed(generation, parsed); });
}

void EnvoyAdminSource::onParsed(quint64 generation, const Parsed<EnvoyAdminSnapshot> &parsed)
{
    if (generation != m_generation || !isPolling()) {
        return; // the poll timed out or the source was stopped meanwhile
    }
    if (!parsed) {
        failPoll(makeError(SourceError::Kind::Malformed, parsed.errorText()));
        return;
    }
    m_snapshot = parsed.value();
    m_hasSnapshot = true;
    Q_EMIT snapshotReady(m_snapshot);
    finishPoll();
}

} // namespace hopscope
