#include "haproxy/HaproxyStatsHttpSource.h"

#include "haproxy/HaproxyRuntimeSource.h"

#include <QFutureWatcher>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtConcurrent/QtConcurrentRun>

namespace hopscope {

HaproxyStatsHttpSource::HaproxyStatsHttpSource(
    QString name, QUrl url, QNetworkAccessManager *nam, QObject *parent)
    : PollingSource(std::move(name), parent)
    , m_url(std::move(url))
    , m_nam(nam)
{
    qRegisterMetaType<HaproxySnapshot>();
}

HaproxyStatsHttpSource::~HaproxyStatsHttpSource()
{
    cancelPoll();
}

void HaproxyStatsHttpSource::setBasicAuth(const QString &user, const QString &password)
{
    m_authorization = "Basic " + (user + u':' + password).toUtf8().toBase64();
}

void HaproxyStatsHttpSource::startPoll()
{
    const quint64 generation = ++m_generation;
    QNetworkRequest request(m_url);
    request.setTransferTimeout(timeoutMs() + 1000);
    if (!m_authorization.isEmpty()) {
        request.setRawHeader("Authorization", m_authorization);
    }
    QNetworkReply *reply = m_nam->get(request);
    m_reply = reply;
    const auto tooLarge = [this, reply, generation](qint64 size) {
        if (generation != m_generation || size <= m_maxReplyBytes) {
            return false;
        }
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
        m_reply = nullptr;
        failPoll(makeError(SourceError::Kind::TooLarge,
            QStringLiteral("stats CSV larger than %1 bytes; refused").arg(m_maxReplyBytes)));
        return true;
    };
    connect(reply, &QNetworkReply::metaDataChanged, this, [reply, tooLarge] {
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid()) {
            tooLarge(length.toLongLong());
        }
    });
    connect(reply, &QNetworkReply::downloadProgress, this,
        [tooLarge](qint64 received, qint64) { tooLarge(received); });
    connect(reply, &QNetworkReply::finished, this,
        [this, reply, generation] { onFinished(reply, generation); });
}

void HaproxyStatsHttpSource::cancelPoll()
{
    ++m_generation;
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
    }
}

void HaproxyStatsHttpSource::onFinished(QNetworkReply *reply, quint64 generation)
{
    reply->deleteLater();
    if (generation != m_generation) {
        return;
    }
    m_reply = nullptr;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() != QNetworkReply::NoError) {
        const auto kind = status == 401 || status == 403 ? SourceError::Kind::Auth
            : status == 404                              ? SourceError::Kind::NotFound
                                                         : SourceError::Kind::Network;
        failPoll(makeError(kind, QStringLiteral("GET %1 failed").arg(m_url.toDisplayString()),
            reply->errorString()));
        return;
    }
    const QByteArray body = reply->readAll();
    // The watcher is a child of this source: destroying the source destroys it, and a parse
    // still running on the pool then reports to no one (no QObject is touched off this thread).
    auto *watcher = new QFutureWatcher<HaproxyParseOutcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        const HaproxyParseOutcome out = watcher->result();
        if (generation != m_generation) {
            return;
        }
        if (out.error.isError()) {
            failPoll(makeError(SourceError::Kind::Malformed, out.error.message));
            return;
        }
        m_snapshot = out.snapshot;
        Q_EMIT snapshotUpdated(m_snapshot);
        finishPoll();
    });
    watcher->setFuture(QtConcurrent::run([body] {
        HaproxyParseOutcome out;
        QString why;
        if (!parseHaproxyPoll(body, nullptr, nullptr, &out.snapshot, &why)) {
            out.error.kind = SourceError::Kind::Malformed;
            out.error.message = why;
        }
        return out;
    }));
}

} // namespace hopscope
