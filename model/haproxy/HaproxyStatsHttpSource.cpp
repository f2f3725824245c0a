#include "haproxy/HaproxyStatsHttpSource.h"

#include "core/HttpFetch.h"
#include "core/OffThread.h"
#include "core/TlsContext.h"
#include "haproxy/HaproxyPoll.h"

namespace hopscope {

HaproxyStatsHttpSource::HaproxyStatsHttpSource(
    QString name, QUrl url, QNetworkAccessManager *nam, QObject *parent)
    : PollingSource(std::move(name), parent)
    , m_url(std::move(url))
    , m_nam(nam)
{
    qRegisterMetaType<HaproxySnapshot>();
}

void HaproxyStatsHttpSource::setTls(TlsContext *tls)
{
    m_tls = tls;
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
    cancelPoll();
    const quint64 generation = ++m_generation;
    QNetworkRequest request(m_url);
    if (!m_authorization.isEmpty()) {
        request.setRawHeader("Authorization", m_authorization);
    }
    auto *fetch = new HttpFetch(m_nam, this);
    fetch->setDeadlineMs(timeoutMs());
    fetch->setMaxReplyBytes(m_maxReplyBytes);
    fetch->setTls(m_tls);
    connect(fetch, &HttpFetch::finished, this, [this, fetch, generation](const HttpFetchResult &r) {
        fetch->deleteLater();
        onFetched(r, generation);
    });
    m_fetch = fetch;
    fetch->get(request);
}

void HaproxyStatsHttpSource::cancelPoll()
{
    ++m_generation;
    if (m_fetch) {
        m_fetch->abort();
        m_fetch->deleteLater();
        m_fetch = nullptr;
    }
}

void HaproxyStatsHttpSource::onFetched(const HttpFetchResult &result, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    m_fetch = nullptr;
    if (!result.ok()) {
        // The URL may carry user:password: show it without them.
        const QString url = m_url.toDisplayString(QUrl::RemoveUserInfo);
        failPoll(makeError(result.kind, QStringLiteral("GET %1: %2").arg(url, result.reason),
            result.failure == HttpFetchResult::Failure::HttpStatus
                ? QString::fromUtf8(result.body.left(200)).trimmed()
                : QString()));
        return;
    }
    const QByteArray body = result.body;
    runOffThread(
        buildThread(), this, [body] { return parseHaproxyPoll(body, nullptr, nullptr); },
        [this, generation](
            const Parsed<HaproxySnapshot> &parsed) { onParsed(parsed, generation); });
}

void HaproxyStatsHttpSource::onParsed(const Parsed<HaproxySnapshot> &parsed, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    if (!parsed) {
        failPoll(makeError(SourceError::Kind::Malformed, parsed.errorText()));
        return;
    }
    m_snapshot = parsed.value();
    Q_EMIT snapshotReady(m_snapshot);
    finishPoll();
}

} // namespace hopscope
