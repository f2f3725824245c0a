#include "envoy/EnvoyAdminClient.h"

#include "envoy/EnvoyHttp.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrlQuery>

namespace hopscope {

struct EnvoyAdminClient::Call
{
    quint64 id = 0;
    EnvoyAdminOperation operation = EnvoyAdminOperation::HealthcheckFail;
    QUrl url;
    QPointer<QNetworkReply> reply;
    QTimer *deadline = nullptr; // owned until finish()
    QByteArray body; // at most maxReplyBytes + 1
    SourceError::Kind kind = SourceError::Kind::None;
    QString failure; // set by the deadline or the cap
    bool done = false;
};

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
    auto call = std::make_shared<Call>();
    call->id = id;
    call->operation = operation;
    call->url = url;
    QNetworkRequest request(url);
    // A POST without a body, on purpose not post(request, QByteArray()): with outgoing data
    // QtNetwork 6.4 starts the HTTP thread inside post(), before setReadBufferSize below can reach
    // it, and an endless body then piles up there (and readyRead is starved) instead of stopping at
    // the cap.
    QNetworkReply *reply = m_nam->sendCustomRequest(request, QByteArrayLiteral("POST"));
    // QtNetwork buffers no more than this ahead of us; readyRead below drains it into a capped
    // body.
    reply->setReadBufferSize(qMin<qint64>(m_maxReplyBytes + 1, 256 * 1024));
    call->reply = reply;
    call->deadline = new QTimer(this);
    call->deadline->setSingleShot(true);
    const int timeoutMs = m_timeoutMs;
    const qint64 cap = m_maxReplyBytes;
    connect(call->deadline, &QTimer::timeout, this, [this, call, timeoutMs] {
        call->kind = SourceError::Kind::Timeout;
        call->failure = QStringLiteral("no complete reply within %1 ms").arg(timeoutMs);
        finish(call);
    });
    auto tooLarge = [this, call, cap] {
        call->kind = SourceError::Kind::TooLarge;
        call->failure = QStringLiteral("reply larger than %1 bytes; refused").arg(cap);
        finish(call);
    };
    connect(reply, &QNetworkReply::metaDataChanged, this, [reply, tooLarge, cap] {
        if (reply->header(QNetworkRequest::ContentLengthHeader).toLongLong() > cap) {
            tooLarge();
        }
    });
    connect(reply, &QNetworkReply::readyRead, this, [reply, call, tooLarge, cap] {
        while (reply->bytesAvailable() > 0) {
            call->body += reply->read(cap + 1 - call->body.size());
            if (call->body.size() > cap) {
                tooLarge();
                return;
            }
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, call] { finish(call); });
    call->deadline->start(m_timeoutMs);
    return id;
}

void EnvoyAdminClient::finish(const std::shared_ptr<Call> &call)
{
    if (call->done) {
        return;
    }
    call->done = true;
    delete call->deadline;
    call->deadline = nullptr;
    QNetworkReply *reply = call->reply;
    EnvoyOperationResult result;
    result.id = call->id;
    result.operation = call->operation;
    result.url = call->url;
    result.finishedAt = QDateTime::currentDateTimeUtc();
    const QString what = u"POST " + call->url.path()
        + (call->url.hasQuery() ? u'?' + call->url.query() : QString());
    QNetworkReply::NetworkError netError = QNetworkReply::NoError;
    QString errorString;
    if (reply) {
        reply->disconnect(this);
        if (call->failure.isEmpty()) {
            call->body += reply->read(qMax<qint64>(0, m_maxReplyBytes + 1 - call->body.size()));
            if (call->body.size() > m_maxReplyBytes) {
                call->kind = SourceError::Kind::TooLarge;
                call->failure
                    = QStringLiteral("reply larger than %1 bytes; refused").arg(m_maxReplyBytes);
            }
        }
        result.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        netError = reply->error();
        errorString = reply->errorString();
        if (!call->failure.isEmpty()) {
            reply->abort();
        }
        reply->deleteLater();
    }
    result.body = QString::fromUtf8(call->body.left(512)).trimmed();
    call->body.clear();
    result.ok = call->failure.isEmpty() && netError == QNetworkReply::NoError
        && result.httpStatus == 200 && result.body == u"OK";
    if (!result.ok) {
        result.error.source = m_name;
        result.error.when = result.finishedAt;
        result.error.detail = result.body;
        if (!call->failure.isEmpty()) {
            // The server may have acted on the request: only the reply was lost or refused.
            result.error.kind = call->kind;
            result.error.message = what + u": " + call->failure;
        } else {
            result.error.kind = envoyhttp::kindFor(netError, result.httpStatus);
            if (result.httpStatus == 405) {
                result.error.message = what + u" refused with 405: this Envoy wants another method";
            } else if (result.httpStatus != 0) {
                result.error.message
                    = what + u" answered HTTP " + QString::number(result.httpStatus);
            } else {
                result.error.message = what + u" failed: " + errorString;
            }
        }
    }
    Q_EMIT operationFinished(result);
}

} // namespace hopscope
