#include "aws/AwsCall.h"

#include <QJsonDocument>
#include <QSet>
#include <QUrlQuery>
#include <QXmlStreamReader>

namespace hopscope {

namespace {

constexpr qsizetype s_maxMessage = 300;

// Query protocol form encoding: RFC 3986 unreserved characters kept, everything else %XX (as
// the SDKs send it; the signature covers the body's hash, not its form).
QByteArray formEncode(const QByteArray &value)
{
    return value.toPercentEncoding();
}

// The first element named `name` in an XML document, as text; empty when absent or malformed.
QByteArray xmlElementText(const QByteArray &xml, QLatin1String name)
{
    QXmlStreamReader reader(xml);
    while (!reader.atEnd()) {
        if (reader.readNext() == QXmlStreamReader::StartElement && reader.name() == name) {
            return reader.readElementText().toUtf8();
        }
    }
    return {};
}

QString capped(QString text)
{
    text = text.simplified();
    if (text.size() > s_maxMessage) {
        text = text.left(s_maxMessage) + QStringLiteral("…");
    }
    return text;
}

const QSet<QString> &throttlingCodes()
{
    static const QSet<QString> codes { QStringLiteral("ThrottlingException"),
        QStringLiteral("Throttling"), QStringLiteral("TooManyRequestsException"),
        QStringLiteral("RequestLimitExceeded"), QStringLiteral("RequestThrottled"),
        QStringLiteral("RequestThrottledException"), QStringLiteral("SlowDown"),
        QStringLiteral("ProvisionedThroughputExceededException"),
        QStringLiteral("ThrottledException"), QStringLiteral("PriorRequestNotComplete") };
    return codes;
}

} // namespace

QUrl AwsEndpoint::urlFor(const QByteArray &endpointPrefix) const
{
    if (!url.isEmpty()) {
        return url;
    }
    return QUrl(QStringLiteral("https://%1.%2.amazonaws.com/")
                    .arg(QString::fromLatin1(endpointPrefix), QString::fromLatin1(region)));
}

AwsCall AwsCall::cloudMap(const QByteArray &operation, const QJsonObject &input)
{
    AwsCall c;
    c.protocol = Protocol::Json11;
    c.service = c.endpointPrefix = QByteArrayLiteral("servicediscovery");
    c.targetPrefix = QByteArrayLiteral("Route53AutoNaming_v20170314");
    c.operation = operation;
    c.input = input;
    return c;
}

AwsCall AwsCall::ecs(const QByteArray &operation, const QJsonObject &input)
{
    AwsCall c;
    c.protocol = Protocol::Json11;
    c.service = c.endpointPrefix = QByteArrayLiteral("ecs");
    c.targetPrefix = QByteArrayLiteral("AmazonEC2ContainerServiceV20141113");
    c.pageToken = QStringLiteral("nextToken");
    c.operation = operation;
    c.input = input;
    return c;
}

AwsCall AwsCall::elbv2(
    const QByteArray &action, const QList<std::pair<QByteArray, QByteArray>> &params)
{
    AwsCall c;
    c.protocol = Protocol::Query;
    c.service = c.endpointPrefix = QByteArrayLiteral("elasticloadbalancing");
    c.version = QByteArrayLiteral("2015-12-01");
    c.operation = action;
    c.params = params;
    return c;
}

QByteArray AwsCall::body() const
{
    if (protocol == Protocol::Json11) {
        return QJsonDocument(input).toJson(QJsonDocument::Compact);
    }
    QByteArray out = "Action=" + formEncode(operation) + "&Version=" + formEncode(version);
    for (const auto &[name, value] : params) {
        out += '&' + formEncode(name) + '=' + formEncode(value);
    }
    return out;
}

QByteArray AwsCall::contentType() const
{
    return protocol == Protocol::Json11
        ? QByteArrayLiteral("application/x-amz-json-1.1")
        : QByteArrayLiteral("application/x-www-form-urlencoded; charset=utf-8");
}

QByteArray AwsCall::amzTarget() const
{
    return protocol == Protocol::Json11 ? targetPrefix + '.' + operation : QByteArray();
}

QString AwsCall::describe() const
{
    return QString::fromLatin1(service + ' ' + operation);
}

QByteArray AwsCall::nextPageToken(const QByteArray &replyBody) const
{
    if (protocol == Protocol::Json11) {
        const QJsonObject o = QJsonDocument::fromJson(replyBody).object();
        return o.value(pageToken).toString().toUtf8();
    }
    return xmlElementText(replyBody, QLatin1String("NextMarker"));
}

AwsCall AwsCall::withPageToken(const QByteArray &token) const
{
    AwsCall next = *this;
    if (protocol == Protocol::Json11) {
        next.input.insert(pageToken, QString::fromUtf8(token));
    } else {
        next.params.removeIf([](const auto &p) { return p.first == "Marker"; });
        next.params.append({ QByteArrayLiteral("Marker"), token });
    }
    return next;
}

bool AwsError::retryable() const
{
    return kind == Kind::Throttled || kind == Kind::Server;
}

SourceError::Kind AwsError::sourceKind() const
{
    switch (kind) {
    case Kind::None:
        return SourceError::Kind::None;
    case Kind::Signature:
    case Kind::Credentials:
    case Kind::ClockSkew:
        return SourceError::Kind::Auth;
    case Kind::AccessDenied:
        return SourceError::Kind::Refused;
    case Kind::NotFound:
        return SourceError::Kind::NotFound;
    case Kind::Invalid:
        return SourceError::Kind::Config;
    case Kind::Throttled:
    case Kind::Server:
    case Kind::Network:
        return SourceError::Kind::Network;
    case Kind::Timeout:
        return SourceError::Kind::Timeout;
    case Kind::TooLarge:
        return SourceError::Kind::TooLarge;
    case Kind::Malformed:
        return SourceError::Kind::Malformed;
    }
    return SourceError::Kind::Internal;
}

AwsError AwsError::fromReply(AwsCall::Protocol protocol, int httpStatus, const QByteArray &body)
{
    AwsError e;
    e.httpStatus = httpStatus;
    if (protocol == AwsCall::Protocol::Json11) {
        const QJsonObject o = QJsonDocument::fromJson(body).object();
        QString type = o.value(QStringLiteral("__type")).toString();
        // "com.amazonaws.servicediscovery#ServiceNotFound" -> "ServiceNotFound"; some services
        // append ":http://internal.amazon.com/..." to the code.
        type = type.section(u'#', -1).section(u':', 0, 0);
        e.code = capped(type);
        e.message = capped(o.contains(QStringLiteral("message"))
                ? o.value(QStringLiteral("message")).toString()
                : o.value(QStringLiteral("Message")).toString());
    } else {
        e.code = capped(QString::fromUtf8(xmlElementText(body, QLatin1String("Code"))));
        e.message = capped(QString::fromUtf8(xmlElementText(body, QLatin1String("Message"))));
    }
    const QString &c = e.code;
    const QString said = c.isEmpty()
        ? QStringLiteral("HTTP %1").arg(httpStatus)
        : (e.message.isEmpty() ? c : QStringLiteral("%1: %2").arg(c, e.message));
    if (throttlingCodes().contains(c) || httpStatus == 429
        || (httpStatus == 503 && (c.isEmpty() || c == u"ServiceUnavailable"))) {
        e.kind = Kind::Throttled;
        e.words = QStringLiteral("AWS is throttling the calls (%1)").arg(said);
    } else if (c == u"InvalidSignatureException" || c == u"SignatureDoesNotMatch"
        || c == u"IncompleteSignature" || c == u"IncompleteSignatureException") {
        const bool expired = e.message.contains(QStringLiteral("expired"), Qt::CaseInsensitive)
            || e.message.contains(QStringLiteral("Signature not yet current"), Qt::CaseInsensitive);
        e.kind = expired ? Kind::ClockSkew : Kind::Signature;
        e.words = expired
            ? QStringLiteral("AWS refused the request's time (%1): check this machine's clock")
                  .arg(said)
            : QStringLiteral("AWS refused the signature (%1): the secret access key does not "
                             "belong to the access key id, or something on the way changed the "
                             "request")
                  .arg(said);
    } else if (c == u"RequestExpired" || c == u"RequestTimeTooSkewed"
        || c == u"RequestInTheFuture") {
        e.kind = Kind::ClockSkew;
        e.words = QStringLiteral("AWS refused the request's time (%1): check this machine's clock")
                      .arg(said);
    } else if (c == u"UnrecognizedClientException" || c == u"InvalidClientTokenId"
        || c == u"MissingAuthenticationToken" || c == u"MissingAuthenticationTokenException"
        || c == u"ExpiredToken" || c == u"ExpiredTokenException" || c == u"InvalidAccessKeyId") {
        e.kind = Kind::Credentials;
        e.words = QStringLiteral("AWS does not accept these credentials (%1)").arg(said);
    } else if (c == u"AccessDenied" || c == u"AccessDeniedException"
        || c == u"UnauthorizedOperation" || httpStatus == 403) {
        e.kind = Kind::AccessDenied;
        e.words = QStringLiteral("AWS denied the call (%1): the identity needs the IAM action")
                      .arg(said);
    } else if (c.endsWith(QStringLiteral("NotFound"))
        || c.endsWith(QStringLiteral("NotFoundException")) || httpStatus == 404) {
        e.kind = Kind::NotFound;
        e.words = QStringLiteral("not found (%1)").arg(said);
    } else if (httpStatus >= 500) {
        e.kind = Kind::Server;
        e.words = QStringLiteral("AWS failed to answer (%1)").arg(said);
    } else if (c.isEmpty()) {
        e.kind = Kind::Malformed;
        e.words = QStringLiteral("HTTP %1 without an AWS error in the reply").arg(httpStatus);
    } else {
        e.kind = Kind::Invalid;
        e.words = QStringLiteral("AWS refused the call (%1)").arg(said);
    }
    return e;
}

} // namespace hopscope
