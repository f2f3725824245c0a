#include "core/HttpFetch.h"

#include "core/HttpStatus.h"

#include <QNetworkAccessManager>

#include <algorithm>

namespace hopscope {

namespace {
constexpr qint64 s_readChunk = 256 * 1024;
}

HttpFetch::HttpFetch(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{
    qRegisterMetaType<HttpFetchResult>();
    m_deadline.setSingleShot(true);
    // A coarse timer may fire up to 5 % early; the deadline the message names is the one kept.
    m_deadline.setTimerType(Qt::PreciseTimer);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        finish(HttpFetchResult::Failure::Deadline,
            QStringLiteral("no complete reply within %1 ms").arg(m_deadlineMs));
    });
}

HttpFetch::~HttpFetch()
{
    abort();
}

void HttpFetch::get(const QNetworkRequest &request)
{
    send(request, QByteArrayLiteral("GET"));
}

void HttpFetch::post(const QNetworkRequest &request)
{
    send(request, QByteArrayLiteral("POST"));
}

void HttpFetch::post(const QNetworkRequest &request, const QByteArray &body)
{
    send(request, QByteArrayLiteral("POST"), body);
}

void HttpFetch::send(const QNetworkRequest &original, const QByteArray &verb, const QByteArray &body)
{
    abort();
    m_result = {};
    m_result.url = original.url();
    m_result.what = QString::fromLatin1(verb) + u' ' + original.url().path()
        + (original.url().hasQuery() ? u'?' + original.url().query() : QString());
    if (!m_nam) {
        m_result.failure = HttpFetchResult::Failure::Transport;
        m_result.kind = SourceError::Kind::Internal;
        m_result.reason = QStringLiteral("no network access manager");
        QMetaObject::invokeMethod(
            this, [this, r = m_result] { Q_EMIT finished(r); }, Qt::QueuedConnection);
        return;
    }
    QNetworkRequest request(original);
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // A GET through get(); a POST without a body through sendCustomRequest, on purpose not
    // post(request, QByteArray()): with outgoing data QtNetwork 6.4 starts the HTTP thread inside
    // post(), before setReadBufferSize below can reach it, and an endless body then piles up
    // there (and readyRead is starved) instead of stopping at the cap.
    QNetworkReply *reply = verb == "GET" ? m_nam->get(request)
        : body.isEmpty()                    ? m_nam->sendCustomRequest(request, verb)
                                            : m_nam->sendCustomRequest(request, verb, body);
    // QtNetwork buffers no more than this ahead of us; readyRead drains it into a capped body.
    reply->setReadBufferSize(std::min<qint64>(m_maxReplyBytes + 1, s_readChunk));
    m_reply = reply;
    connect(reply, &QNetworkReply::metaDataChanged, this, &HttpFetch::onMetaData);
    connect(reply, &QNetworkReply::readyRead, this, &HttpFetch::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &HttpFetch::onReplyFinished);
    m_deadline.start(std::max(0, m_deadlineMs));
}

void HttpFetch::onMetaData()
{
    if (!m_reply) {
        return;
    }
    const QVariant header = m_reply->header(QNetworkRequest::ContentLengthHeader);
    if (!header.isValid()) {
        return;
    }
    const qint64 length = header.toLongLong();
    if (length > m_maxReplyBytes) {
        finish(HttpFetchResult::Failure::TooLarge,
            QStringLiteral("reply larger than %1 bytes (Content-Length %2)")
                .arg(m_maxReplyBytes)
                .arg(length));
        return;
    }
    if (length > 0) {
        m_result.body.reserve(qsizetype(length) + m_spare);
    }
}

void HttpFetch::onReadyRead()
{
    while (m_reply && m_reply->bytesAvailable() > 0) {
        const qint64 room = m_maxReplyBytes + 1 - m_result.body.size();
        m_result.body += m_reply->read(std::max<qint64>(1, room));
        if (m_result.body.size() > m_maxReplyBytes) {
            finish(HttpFetchResult::Failure::TooLarge,
                QStringLiteral("reply larger than %1 bytes").arg(m_maxReplyBytes));
            return;
        }
    }
}

void HttpFetch::onReplyFinished()
{
    if (!m_reply) {
        return;
    }
    onReadyRead(); // what arrived with the end of the reply
    if (!m_reply) {
        return; // refused at the cap
    }
    m_result.httpStatus = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_result.networkError = m_reply->error();
    if (m_result.httpStatus > 0 && httpStatusKind(m_result.httpStatus) != SourceError::Kind::None) {
        finish(HttpFetchResult::Failure::HttpStatus,
            QStringLiteral("answered HTTP %1").arg(m_result.httpStatus));
    } else if (m_result.networkError != QNetworkReply::NoError) {
        finish(HttpFetchResult::Failure::Transport, m_reply->errorString());
    } else {
        finish(HttpFetchResult::Failure::None, {});
    }
}

void HttpFetch::finish(HttpFetchResult::Failure failure, const QString &reason)
{
    m_deadline.stop();
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    if (reply) {
        if (m_result.httpStatus == 0) {
            m_result.httpStatus
                = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        }
        reply->disconnect(this);
        if (failure == HttpFetchResult::Failure::Deadline
            || failure == HttpFetchResult::Failure::TooLarge) {
            reply->abort();
        }
        reply->deleteLater();
    }
    m_result.failure = failure;
    m_result.reason = reason;
    switch (failure) {
    case HttpFetchResult::Failure::None:
        m_result.kind = SourceError::Kind::None;
        if (m_spare > 0 && m_result.body.capacity() - m_result.body.size() < m_spare) {
            m_result.body.reserve(m_result.body.size() + m_spare);
        }
        break;
    case HttpFetchResult::Failure::Deadline:
        m_result.kind = SourceError::Kind::Timeout;
        break;
    case HttpFetchResult::Failure::TooLarge:
        m_result.kind = SourceError::Kind::TooLarge;
        m_result.body = QByteArray(); // the memory goes now, not with the result
        break;
    case HttpFetchResult::Failure::HttpStatus:
    case HttpFetchResult::Failure::Transport:
        m_result.kind = httpErrorKind(m_result.networkError, m_result.httpStatus);
        if (m_result.kind == SourceError::Kind::None) {
            m_result.kind = SourceError::Kind::Network;
        }
        break;
    }
    HttpFetchResult result = std::move(m_result);
    m_result = {};
    Q_EMIT finished(result);
}

void HttpFetch::abort()
{
    m_deadline.stop();
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

} // namespace hopscope
