#include "envoy/EnvoyAdminClient.h"

#include "envoy/EnvoyHttp.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

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
    if (!m_nam) {
        EnvoyOperationResult result;
        result.id = id;
        result.operation = operation;
        result.url = url;
        result.error.kind = SourceError::Kind::Internal;
        result.error.source = m_name;
        result.error.message = QStringLiteral("no network access manager");
        result.error.when = QDateTime::currentDateTimeUtc();
        result.finishedAt = result.error.when;
        QMetaObject::invokeMethod(
            this, [this, result] { Q_EMIT operationFinished(result); }, Qt::QueuedConnection);
        return id;
    }
    QNetworkRequest request(url);
    request.setTransferTimeout(m_timeoutMs);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("text/plain"));
    QNetworkReply *reply = m_nam->post(request, QByteArray());
    connect(reply, &QNetworkReply::finished, this, [this, reply, id, operation, url] {
        reply->deleteLater();
        EnvoyOperationResult result;
        result.id = id;
        result.operation = operation;
        result.url = url;
        result.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = QString::fromUtf8(reply->read(512)).trimmed();
        result.finishedAt = QDateTime::currentDateTimeUtc();
        result.ok = reply->error() == QNetworkReply::NoError && result.httpStatus == 200
            && result.body == u"OK";
        if (!result.ok) {
            result.error.kind = envoyhttp::kindFor(reply->error(), result.httpStatus);
            result.error.source = m_name;
            result.error.when = result.finishedAt;
            const QString what
                = u"POST " + url.path() + (url.hasQuery() ? u'?' + url.query() : QString());
            if (result.httpStatus == 405) {
                result.error.message = what + u" refused with 405: this Envoy wants another method";
            } else if (result.httpStatus != 0) {
                result.error.message
                    = what + u" answered HTTP " + QString::number(result.httpStatus);
            } else if (reply->error() == QNetworkReply::OperationCanceledError) {
                result.error.message
                    = what + QStringLiteral(" got no answer within %1 ms").arg(m_timeoutMs);
            } else {
                result.error.message = what + u" failed: " + reply->errorString();
            }
            result.error.detail = result.body;
        }
        Q_EMIT operationFinished(result);
    });
    return id;
}

} // namespace hopscope
