#include "aws/AwsRequest.h"

#include "core/HttpFetch.h"

#include <QNetworkRequest>
#include <QRandomGenerator>

#include <algorithm>
#include <cstdlib>

namespace hopscope {

namespace {

QString skewWords(qint64 skewSeconds)
{
    const qint64 minutes = (std::abs(skewSeconds) + 30) / 60;
    return QStringLiteral("this machine's clock is %1 min %2 AWS's")
        .arg(minutes)
        .arg(skewSeconds > 0 ? QStringLiteral("behind") : QStringLiteral("ahead of"));
}

} // namespace

QString AwsResult::errorText() const
{
    return ok() ? QString() : what + QStringLiteral(": ") + error.words;
}

AwsRequest::AwsRequest(QNetworkAccessManager *nam, AwsEndpoint endpoint, AwsCredentials credentials,
    AwsCall call, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_nam(nam)
    , m_endpoint(std::move(endpoint))
    , m_credentials(std::move(credentials))
    , m_call(std::move(call))
    , m_clock(clock)
{
    qRegisterMetaType<AwsResult>();
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &AwsRequest::sendAttempt);
}

AwsRequest::~AwsRequest()
{
    m_running = false;
    if (m_fetch) {
        m_fetch->abort();
    }
}

void AwsRequest::start()
{
    m_result = {};
    m_result.what = m_call.describe();
    m_pageAttempts = 0;
    m_running = true;
    m_started.start();
    sendAttempt();
}

int AwsRequest::remainingMs() const
{
    return int(std::max<qint64>(0, m_deadlineMs - m_started.elapsed()));
}

void AwsRequest::sendAttempt()
{
    if (!m_running) {
        return;
    }
    const int left = remainingMs();
    if (left <= 0) {
        AwsError e;
        e.kind = AwsError::Kind::Timeout;
        e.words = QStringLiteral("no complete answer within %1 ms").arg(m_deadlineMs);
        finish(e);
        return;
    }
    const QUrl url = m_endpoint.urlFor(m_call.endpointPrefix);
    const QByteArray body = m_call.body();
    // The host as it goes on the wire: the port only when it is not the scheme's default.
    QByteArray host = url.host(QUrl::FullyEncoded).toLatin1();
    const int defaultPort = url.scheme() == u"https" ? 443 : 80;
    if (url.port(defaultPort) != defaultPort) {
        host += ':' + QByteArray::number(url.port());
    }
    QByteArray path = url.path(QUrl::FullyEncoded).toLatin1();
    if (path.isEmpty()) {
        path = "/";
    }
    SignableRequest toSign;
    toSign.method = "POST";
    toSign.target = path;
    toSign.headers = { { "Content-Type", m_call.contentType() }, { "Host", host } };
    if (!m_call.amzTarget().isEmpty()) {
        toSign.headers.append({ "X-Amz-Target", m_call.amzTarget() });
    }
    toSign.body = body;
    const SigV4Signature sig
        = SigV4::sign(toSign, m_credentials, m_endpoint.region, m_call.service, m_clock.now());

    QNetworkRequest request(url);
    request.setRawHeader("Content-Type", m_call.contentType());
    if (!m_call.amzTarget().isEmpty()) {
        request.setRawHeader("X-Amz-Target", m_call.amzTarget());
    }
    for (const auto &[name, value] : sig.addedHeaders) {
        request.setRawHeader(name, value);
    }
    request.setRawHeader("Accept-Encoding", "identity");
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);

    if (!m_fetch) {
        m_fetch = new HttpFetch(m_nam, this);
        connect(m_fetch, &HttpFetch::finished, this, &AwsRequest::onReply);
    }
    m_fetch->setDeadlineMs(left);
    m_fetch->setMaxReplyBytes(m_maxReplyBytes);
    ++m_result.attempts;
    ++m_pageAttempts;
    m_fetch->post(request, body);
}

void AwsRequest::onReply(const HttpFetchResult &reply)
{
    if (!m_running) {
        return;
    }
    if (reply.serverDate.isValid()) {
        m_result.serverDate = reply.serverDate;
        m_result.skewSeconds = m_clock.now().secsTo(reply.serverDate);
    }
    AwsError error;
    switch (reply.failure) {
    case HttpFetchResult::Failure::None:
        break;
    case HttpFetchResult::Failure::HttpStatus:
        error = AwsError::fromReply(m_call.protocol, reply.httpStatus, reply.body);
        break;
    case HttpFetchResult::Failure::Deadline:
        error.kind = AwsError::Kind::Timeout;
        error.words = QStringLiteral("no complete answer within %1 ms").arg(m_deadlineMs);
        break;
    case HttpFetchResult::Failure::TooLarge:
        error.kind = AwsError::Kind::TooLarge;
        error.words = reply.reason;
        break;
    case HttpFetchResult::Failure::Transport:
        error.kind = AwsError::Kind::Network;
        error.words = reply.reason;
        break;
    }
    if (error.isError()) {
        if (error.retryable() && m_pageAttempts < m_maxAttempts) {
            // Full jitter over a capped exponential window (the SDKs' "standard" retry mode).
            const qint64 window = std::min<qint64>(
                m_backoffMaxMs, qint64(m_backoffBaseMs) << std::min(m_pageAttempts - 1, 20));
            const int delay = int(QRandomGenerator::global()->bounded(window + 1));
            if (error.kind == AwsError::Kind::Throttled) {
                ++m_result.throttled;
            }
            if (delay < remainingMs()) {
                m_retry.start(delay);
                return;
            }
        }
        const bool authLike = error.kind == AwsError::Kind::Signature
            || error.kind == AwsError::Kind::ClockSkew || error.kind == AwsError::Kind::Credentials;
        if (authLike && m_result.serverDate.isValid()
            && std::abs(m_result.skewSeconds) > SkewLimitSeconds) {
            error.kind = AwsError::Kind::ClockSkew;
            error.words = skewWords(m_result.skewSeconds)
                + QStringLiteral(" (AWS refused the request: %1); set the clock (NTP) and retry")
                      .arg(error.message.isEmpty() ? error.code : error.message);
        } else if (error.kind == AwsError::Kind::Throttled && m_result.throttled > 0) {
            error.words += QStringLiteral(", still after %1 attempts").arg(m_pageAttempts);
        }
        finish(error);
        return;
    }
    m_result.pages.append(reply.body);
    const QByteArray next = m_followPages ? m_call.nextPageToken(reply.body) : QByteArray();
    if (next.isEmpty()) {
        finish({});
        return;
    }
    if (m_result.pages.size() >= m_maxPages) {
        AwsError e;
        e.kind = AwsError::Kind::TooLarge;
        e.words = QStringLiteral("more than %1 pages of results").arg(m_maxPages);
        finish(e);
        return;
    }
    m_call = m_call.withPageToken(next);
    m_pageAttempts = 0;
    sendAttempt();
}

void AwsRequest::finish(AwsError error)
{
    m_running = false;
    m_retry.stop();
    m_result.error = std::move(error);
    if (!m_result.ok()) {
        m_result.pages.clear();
    }
    AwsResult result = std::move(m_result);
    m_result = {};
    Q_EMIT finished(result);
}

} // namespace hopscope
