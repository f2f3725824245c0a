#include "core/HttpFetch.h"
#include "core/BoundedRead.h"

#include "core/HttpStatus.h"
#include "core/TlsCertificateText.h"
#include "core/TlsContext.h"

#include <QBuffer>
#include <QLocale>
#include <QNetworkAccessManager>

#include <algorithm>

namespace hopscope {

namespace {
constexpr qint64 s_readChunk = 256 * 1024;

// RFC 9110's IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form every server sends.
QDateTime httpDate(const QByteArray &value)
{
    // Replies within one second carry the same Date, and QLocale's format parser is slow
    // (~2 % of the GUI thread with 500 sidecars polled): parse each distinct value once.
    thread_local QByteArray lastValue;
    thread_local QDateTime lastParsed;
    if (value == lastValue) {
        return lastParsed;
    }
    QDateTime t = QLocale::c().toDateTime(
        QString::fromLatin1(value).trimmed(), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (t.isValid()) {
        t.setTimeSpec(Qt::UTC);
    }
    lastValue = value;
    lastParsed = t;
    return t;
}
} // namespace

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

void HttpFetch::setTls(TlsContext *tls)
{
    m_tls = tls;
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
    send(request, QByteArrayLiteral("POST"), &body);
}

void HttpFetch::send(const QNetworkRequest &original, const QByteArray &verb, const QByteArray *body)
{
    abort();
    ++m_sendId;
    m_body = body ? std::optional<QByteArray>(*body) : std::nullopt;
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
    m_deadline.start(std::max(0, m_deadlineMs));
    if (m_tls && original.url().scheme() == u"https") {
        m_tls->load();
        if (m_tls->state() == TlsContext::State::Loading) {
            // The certificates are still being read: go when they are (the deadline runs).
            m_tlsWait = connect(m_tls, &TlsContext::settled, this, [this, request, verb] {
                disconnect(m_tlsWait);
                dispatch(request, verb);
            });
            return;
        }
        if (m_tls->state() == TlsContext::State::Failed) {
            // Never finished() from inside get()/post(): on the next turn, unless aborted.
            const quint64 id = m_sendId;
            QTimer::singleShot(0, this, [this, id, request, verb] {
                if (id == m_sendId) {
                    dispatch(request, verb);
                }
            });
            return;
        }
    }
    dispatch(request, verb);
}

void HttpFetch::dispatch(QNetworkRequest request, const QByteArray &verb)
{
    m_sslErrors.clear();
    m_pinChecked = false;
    m_lengthKnown = false;
    if (m_tls && request.url().scheme() == u"https") {
        if (m_tls->state() == TlsContext::State::Failed) {
            finish(HttpFetchResult::Failure::Transport, m_tls->error(), SourceError::Kind::Config);
            return;
        }
        request.setSslConfiguration(m_tls->settings().configuration);
        // Through a tunnel the URL is the local forward's; the certificate is the profile
        // host's. QSslSocket sends the verify name as SNI too.
        if (!m_tls->peerVerifyName().isEmpty()) {
            request.setPeerVerifyName(m_tls->peerVerifyName());
        }
    }
    // A GET through get(); a POST without a body through sendCustomRequest, on purpose not
    // post(request, QByteArray()): with outgoing data QtNetwork 6.4 starts the HTTP thread inside
    // post(), before setReadBufferSize below can reach it, and an endless body then piles up
    // there (and readyRead is starved) instead of stopping at the cap.
    // A body goes from a QBuffer (a random-access device: QtNetwork queues the start of the
    // request, as without a body), never through the QByteArray overload.
    QNetworkReply *reply = nullptr;
    if (m_body) {
        auto *device = new QBuffer;
        device->setData(*m_body);
        device->open(QIODevice::ReadOnly);
        request.setHeader(QNetworkRequest::ContentLengthHeader, m_body->size());
        reply = m_nam->sendCustomRequest(request, verb, device);
        device->setParent(reply);
    } else {
        reply = verb == "GET" ? m_nam->get(request) : m_nam->sendCustomRequest(request, verb);
    }
    // QtNetwork buffers no more than this ahead of us; readyRead drains it into a capped body.
    reply->setReadBufferSize(std::min<qint64>(m_maxReplyBytes + 1, s_readChunk));
    m_reply = reply;
    connect(reply, &QNetworkReply::metaDataChanged, this, &HttpFetch::onMetaData);
    connect(reply, &QNetworkReply::readyRead, this, &HttpFetch::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &HttpFetch::onReplyFinished);
    connect(reply, &QNetworkReply::sslErrors, this, [this](const QList<QSslError> &errors) {
        m_sslErrors = errors;
        if (m_tls && !m_tls->settings().verify && m_reply) {
            m_reply->ignoreSslErrors(); // "verify": false, shown as a warning on the source
        }
    });
    // Right after the handshake, before the request is written: a wrong key never gets it.
    connect(reply, &QNetworkReply::encrypted, this, &HttpFetch::checkPin);
}

// False (and the request finished) when the peer's key is not one of the pinned ones. Checked
// at the handshake and again at the reply's headers: a reused connection has no handshake.
bool HttpFetch::checkPin()
{
    if (!m_reply || m_pinChecked || !m_tls || m_tls->settings().pins.isEmpty()
        || m_reply->url().scheme() != u"https") {
        return m_reply != nullptr;
    }
    const QSslCertificate peer = m_reply->sslConfiguration().peerCertificate();
    const QString pin = spkiSha256(peer);
    const QStringList &pins = m_tls->settings().pins;
    if (!pin.isEmpty() && pins.contains(pin)) {
        m_pinChecked = true;
        return true;
    }
    finish(HttpFetchResult::Failure::Transport,
        QStringLiteral("pin mismatch: %1.pinSha256 expects %2, the server's key is %3 (%4)")
            .arg(m_tls->settings().path, pins.join(QStringLiteral(" or ")),
                pin.isEmpty() ? QStringLiteral("unreadable") : pin, describeCertificate(peer)),
        SourceError::Kind::Auth);
    return false;
}

void HttpFetch::onMetaData()
{
    if (!m_reply || !checkPin()) {
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
    m_lengthKnown = true;
}

void HttpFetch::onReadyRead()
{
    while (m_reply && m_reply->bytesAvailable() > 0) {
        const qint64 room = m_maxReplyBytes + 1 - m_result.body.size();
        // With a Content-Length within the cap (the body reserved for it), what is buffered:
        // QIODevice::read(n) allocates n first, and the cap (32-64 MiB) as n cost every small
        // Envoy reply an mmap + munmap of the whole cap. Without one (chunked), the cap as
        // before: read piece by piece, a fast 2 GB chunked body stalled the GUI thread
        // 145-184 ms before the cap was reached (tst_GuiFaults), read whole it stays < 10 ms.
        m_result.body += m_lengthKnown ? readAvailable(*m_reply, room)
                                       : m_reply->read(std::max<qint64>(1, room));
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
    m_result.networkError = m_reply->error();
    if (m_reply->hasRawHeader("Date")) {
        m_result.serverDate = httpDate(m_reply->rawHeader("Date"));
    }
    if (m_result.networkError == QNetworkReply::NoError && !checkPin()) {
        return;
    }
    m_result.httpStatus = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_reply->url().scheme() == u"https" && m_result.networkError != QNetworkReply::NoError
        && m_result.httpStatus == 0) {
        const TlsSettings *tls = m_tls ? &m_tls->settings() : nullptr;
        const QString words = tlsFailureText(m_sslErrors, m_reply->errorString(),
            m_tls && !m_tls->peerVerifyName().isEmpty() ? m_tls->peerVerifyName()
                                                        : m_reply->url().host(),
            tls ? tls->trustedBy : QStringLiteral("the system CAs"), tls && tls->clientCertificate);
        if (!words.isEmpty()) {
            finish(HttpFetchResult::Failure::Transport, words, SourceError::Kind::Auth);
            return;
        }
    }
    if (m_result.httpStatus > 0 && httpStatusKind(m_result.httpStatus) != SourceError::Kind::None) {
        finish(HttpFetchResult::Failure::HttpStatus,
            QStringLiteral("answered HTTP %1").arg(m_result.httpStatus));
    } else if (m_result.networkError != QNetworkReply::NoError) {
        finish(HttpFetchResult::Failure::Transport, m_reply->errorString());
    } else {
        finish(HttpFetchResult::Failure::None, {});
    }
}

void HttpFetch::finish(
    HttpFetchResult::Failure failure, const QString &reason, SourceError::Kind kind)
{
    ++m_sendId;
    m_deadline.stop();
    disconnect(m_tlsWait);
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    if (reply) {
        if (m_result.httpStatus == 0) {
            m_result.httpStatus
                = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        }
        reply->disconnect(this);
        if (reply->isRunning()) {
            reply->abort(); // deadline, cap, pin mismatch: nothing more is read or sent
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
    if (kind != SourceError::Kind::None) {
        m_result.kind = kind;
    }
    HttpFetchResult result = std::move(m_result);
    m_result = {};
    Q_EMIT finished(result);
}

void HttpFetch::abort()
{
    ++m_sendId;
    m_deadline.stop();
    disconnect(m_tlsWait);
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

} // namespace hopscope
