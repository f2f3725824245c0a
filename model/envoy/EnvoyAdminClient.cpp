#include "envoy/EnvoyAdminClient.h"

#include "core/HttpFetch.h"
#include "core/TlsContext.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkRequest>

namespace hopscope {

EnvoyAdminClient::EnvoyAdminClient(
    QString name, QUrl adminUrl, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_adminUrl(std::move(adminUrl))
    , m_nam(nam)
{
    qRegisterMetaType<EnvoyOperationResult>();
    if (!m_nam) {
        m_ownNam = std::make_unique<QNetworkAccessManager>();
        m_ownNam->setProxy(QNetworkProxy::NoProxy);
        m_nam = m_ownNam.get();
    }
}

EnvoyAdminClient::~EnvoyAdminClient() = default;

void EnvoyAdminClient::setTls(TlsContext *tls)
{
    m_tls = tls;
}

QString EnvoyAdminClient::operationName(EnvoyAdminOperation operation)
{
    switch (operation) {
    case EnvoyAdminOperation::HealthcheckFail:
        return QStringLiteral("healthcheck/fail");
    case EnvoyAdminOperation::HealthcheckOk:
        return QStringLiteral("healthcheck/ok");
    case EnvoyAdminOperation::DrainListeners:
        return QStringLiteral("drain_listeners");
    }
    return {};
}

quint64 EnvoyAdminClient::healthcheckFail()
{
    return post(EnvoyAdminOperation::HealthcheckFail, QStringLiteral("/healthcheck/fail"), {});
}

quint64 EnvoyAdminClient::healthcheckOk()
{
    return post(EnvoyAdminOperation::HealthcheckOk, QStringLiteral("/healthcheck/ok"), {});
}

quint64 EnvoyAdminClient::drainListeners(const EnvoyDrainOptions &options)
{
    // Presence flags, not key=value pairs: Envoy checks for the parameter names only.
    QStringList flags;
    if (options.scope == EnvoyDrainOptions::Scope::InboundOnly) {
        flags << QStringLiteral("inboundonly");
    }
    if (options.mode == EnvoyDrainOptions::Mode::Graceful) {
        flags << QStringLiteral("graceful");
    }
    if (options.skipExit) {
        flags << QStringLiteral("skip_exit");
    }
    return post(
        EnvoyAdminOperation::DrainListeners, QStringLiteral("/drain_listeners"), flags.join(u'&'));
}

quint64 EnvoyAdminClient::post(
    EnvoyAdminOperation operation, const QString &path, const QString &query)
{
    const quint64 id = m_nextId++;
    QUrl url = m_adminUrl;
    url.setPath(path);
    url.setQuery(query.isEmpty() ? QString() : query);
    // A POST without a body, with a hard total deadline and a byte cap (HttpFetch); without a
    // network access manager it ends at once with an Internal error.
    auto *fetch = new HttpFetch(m_nam, this);
    fetch->setDeadlineMs(m_timeoutMs);
    fetch->setMaxReplyBytes(m_maxReplyBytes);
    fetch->setTls(m_tls);
    connect(
        fetch, &HttpFetch::finished, this, [this, fetch, id, operation](const HttpFetchResult &r) {
            fetch->deleteLater();
            finish(id, operation, r);
        });
    fetch->post(QNetworkRequest(url));
    return id;
}

void EnvoyAdminClient::finish(
    quint64 id, EnvoyAdminOperation operation, const HttpFetchResult &reply)
{
    EnvoyOperationResult result;
    result.id = id;
    result.operation = operation;
    result.url = reply.url;
    result.finishedAt = QDateTime::currentDateTimeUtc();
    result.httpStatus = reply.httpStatus;
    result.body = QString::fromUtf8(reply.body.left(512)).trimmed();
    result.ok = reply.ok() && result.httpStatus == 200 && result.body == u"OK";
    if (!result.ok) {
        result.error.source = m_name;
        result.error.when = result.finishedAt;
        result.error.detail = result.body;
        result.error.kind = reply.ok() ? SourceError::Kind::Malformed : reply.kind;
        switch (reply.failure) {
        case HttpFetchResult::Failure::None:
            result.error.message = reply.what + u" answered HTTP "
                + QString::number(result.httpStatus) + u" without Envoy's OK";
            break;
        case HttpFetchResult::Failure::Deadline:
        case HttpFetchResult::Failure::TooLarge:
            // The server may have acted on the request: only the reply was lost or refused.
            result.error.message = reply.what + u": " + reply.reason
                + (reply.failure == HttpFetchResult::Failure::TooLarge ? QStringLiteral("; refused")
                                                                       : QString());
            break;
        case HttpFetchResult::Failure::HttpStatus:
            result.error.message = result.httpStatus == 405
                ? QString(reply.what + u" refused with 405: this Envoy wants another method")
                : QString(reply.what + u" " + reply.reason);
            break;
        case HttpFetchResult::Failure::Transport:
            result.error.message = reply.what + u" failed: " + reply.reason;
            break;
        }
    }
    Q_EMIT operationFinished(result);
}

} // namespace hopscope
