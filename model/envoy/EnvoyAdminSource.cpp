#include "envoy/EnvoyAdminSource.h"

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyHttp.h"
#include "envoy/EnvoyServerInfoParser.h"
#include "envoy/EnvoyStatsParser.h"

#include <QFutureWatcher>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>
#include <QtConcurrent/QtConcurrentRun>

#include <simdjson.h>

namespace hopscope {

// One GET of a poll: the reply while it runs, then what it produced.
struct EnvoyAdminSource::Fetch
{
    QPointer<QNetworkReply> reply;
    QString what; // "GET /clusters?format=json"
    QByteArray body;
    bool done = false;
    bool tooLarge = false;
    int httpStatus = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QString errorString;
};

struct EnvoyAdminSource::ParseOutcome
{
    EnvoyAdminSnapshot snapshot;
    SourceError::Kind errorKind = SourceError::Kind::None;
    QString error;
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

EnvoyAdminSource::~EnvoyAdminSource()
{
    abortAll();
}

EnvoyAdminSource::Fetch *EnvoyAdminSource::get(const QString &path, const QString &query)
{
    auto fetch = std::make_unique<Fetch>();
    QUrl url = m_adminUrl;
    url.setPath(path);
    if (!query.isEmpty()) {
        url.setQuery(query);
    }
    fetch->what = u"GET " + path + (query.isEmpty() ? QString() : u'?' + query);
    Fetch *f = fetch.get();
    m_fetches.push_back(std::move(fetch));

    QNetworkRequest request(url);
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply = m_nam->get(request);
    // Keep QtNetwork from buffering more than a chunk ahead of us, so the cap is real.
    reply->setReadBufferSize(256 * 1024);
    f->reply = reply;
    const quint64 generation = m_generation;
    auto refuse = [this, f, reply](const QString &why) {
        f->tooLarge = true;
        f->errorString = why;
        f->body.clear();
        f->body.squeeze();
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
        f->done = true;
        onFetchFinished();
    };
    connect(reply, &QNetworkReply::metaDataChanged, this, [this, f, reply, refuse, generation] {
        if (generation != m_generation || f->done) {
            return;
        }
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (length > m_maxBytes) {
            refuse(QStringLiteral("Content-Length %1 bytes exceeds the %2-byte cap")
                       .arg(length)
                       .arg(m_maxBytes));
            return;
        }
        if (length > 0) {
            f->body.reserve(qsizetype(length) + qsizetype(simdjson::SIMDJSON_PADDING));
        }
    });
    connect(reply, &QNetworkReply::readyRead, this, [this, f, reply, refuse, generation] {
        if (generation != m_generation || f->done) {
            return;
        }
        const qint64 available = reply->bytesAvailable();
        if (f->body.size() + available > m_maxBytes) {
            refuse(QStringLiteral("body exceeds the %1-byte cap").arg(m_maxBytes));
            return;
        }
        if (f->body.capacity()
            < f->body.size() + available + qsizetype(simdjson::SIMDJSON_PADDING)) {
            f->body.reserve(
                2 * (f->body.size() + available) + qsizetype(simdjson::SIMDJSON_PADDING));
        }
        f->body.append(reply->read(available));
    });
    connect(reply, &QNetworkReply::finished, this, [this, f, reply, generation] {
        if (generation != m_generation || f->done) {
            return;
        }
        f->body.append(reply->readAll());
        if (f->body.size() > m_maxBytes) {
            f->tooLarge = true;
            f->errorString = QStringLiteral("body exceeds the %1-byte cap").arg(m_maxBytes);
            f->body.clear();
        }
        f->httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        f->error = reply->error();
        f->errorString = f->tooLarge ? f->errorString : reply->errorString();
        f->done = true;
        reply->deleteLater();
        onFetchFinished();
    });
    return f;
}

void EnvoyAdminSource::startPoll()
{
    abortAll();
    ++m_generation;
    m_textFallback = false;
    m_clusters = get(QStringLiteral("/clusters"), QStringLiteral("format=json"));
    m_serverInfo = get(QStringLiteral("/server_info"), {});
    m_ready = get(QStringLiteral("/ready"), {});
    m_stats = nullptr;
    if (m_statsEnabled) {
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("format"), QStringLiteral("json"));
        query.addQueryItem(QStringLiteral("filter"),
            QString::fromLatin1(QUrl::toPercentEncoding(EnvoyStatsParser::pollFilter())));
        m_stats = get(QStringLiteral("/stats"), query.toString(QUrl::FullyEncoded));
    }
}

void EnvoyAdminSource::cancelPoll()
{
    abortAll();
    ++m_generation; // a parse still running on the worker is ignored when it lands
}

void EnvoyAdminSource::abortAll()
{
    for (auto &f : m_fetches) {
        if (f->reply) {
            f->reply->disconnect(this);
            f->reply->abort();
            f->reply->deleteLater();
        }
    }
    m_fetches.clear();
    m_clusters = m_serverInfo = m_ready = m_stats = nullptr;
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
        if (f->tooLarge) {
            fail(SourceError::Kind::TooLarge, f->what + u" refused: " + f->errorString);
            return;
        }
    }
    // Envoy older than 1.7 does not know format=json; some builds answer 400/404 to it.
    if (m_clusters->httpStatus != 200 && !m_textFallback
        && (m_clusters->httpStatus == 400 || m_clusters->httpStatus == 404)) {
        m_textFallback = true;
        m_clusters = get(QStringLiteral("/clusters"), {});
        return;
    }
    for (Fetch *f : { m_clusters, m_serverInfo }) {
        if (f->httpStatus != 200) {
            const auto kind = envoyhttp::kindFor(f->error, f->httpStatus);
            const QString message = f->httpStatus != 0
                ? QString(f->what + u" answered HTTP " + QString::number(f->httpStatus))
                : QString(f->what + u" failed: " + f->errorString);
            fail(kind, message, QString::fromUtf8(f->body.left(200)).trimmed());
            return;
        }
    }
    startParse();
}

void EnvoyAdminSource::startParse()
{
    const QByteArray clusters = m_clusters->body;
    const QByteArray serverInfo = m_serverInfo->body;
    const int readyStatus
        = m_ready->httpStatus == 200 || m_ready->httpStatus == 503 ? m_ready->httpStatus : 0;
    const QString readyBody = QString::fromUtf8(m_ready->body.left(64)).trimmed();
    const bool haveStats = m_stats && m_stats->httpStatus == 200 && !m_stats->tooLarge;
    const QByteArray stats = haveStats ? m_stats->body : QByteArray();
    m_fetches.clear();
    m_clusters = m_serverInfo = m_ready = m_stats = nullptr;

    const quint64 generation = m_generation;
    auto *watcher = new QFutureWatcher<ParseOutcome>(this);
    connect(watcher, &QFutureWatcher<ParseOutcome>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        onParsed(generation, watcher->result());
    });
    watcher->setFuture(
        QtConcurrent::run([clusters, serverInfo, readyStatus, readyBody, haveStats, stats] {
            ParseOutcome out;
            out.snapshot.fetchedAt = QDateTime::currentDateTimeUtc();
            auto c = EnvoyClustersParser::parse(clusters);
            if (!c.ok()) {
                out.errorKind = SourceError::Kind::Malformed;
                out.error = u"/clusters: " + c.error;
                return out;
            }
            auto s = EnvoyServerInfoParser::parse(serverInfo);
            if (!s.ok()) {
                out.errorKind = SourceError::Kind::Malformed;
                out.error = u"/server_info: " + s.error;
                return out;
            }
            out.snapshot.clusters = std::move(c.value);
            out.snapshot.serverInfo = std::move(s.value);
            out.snapshot.readyHttpStatus = readyStatus;
            out.snapshot.readyBody = readyBody;
            if (haveStats) {
                auto st = EnvoyStatsParser::parse(stats);
                if (st.ok()) {
                    out.snapshot.stats = std::move(st.value);
                }
            }
            return out;
        }));
}

void EnvoyAdminSource::onParsed(quint64 generation, const ParseOutcome &outcome)
{
    if (generation != m_generation || !isPolling()) {
        return; // the poll timed out or the source was stopped meanwhile
    }
    if (outcome.errorKind != SourceError::Kind::None) {
        failPoll(makeError(outcome.errorKind, outcome.error));
        return;
    }
    m_snapshot = outcome.snapshot;
    m_hasSnapshot = true;
    Q_EMIT snapshotChanged(m_snapshot);
    finishPoll();
}

} // namespace hopscope
