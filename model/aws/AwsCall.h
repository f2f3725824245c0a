#pragma once

#include "core/SourceError.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

#include <utility>

namespace hopscope {

// Where AWS calls go: the region they are signed for and, when the profile's "aws.endpointUrl"
// is set (VPC endpoints, tests), the one URL every service is reached at; otherwise each
// service's regional endpoint (https://<endpoint prefix>.<region>.amazonaws.com/).
struct AwsEndpoint
{
    QByteArray region;
    QUrl url; // empty: regional endpoints

    QUrl urlFor(const QByteArray &endpointPrefix) const;
};

// One AWS API operation as hopscope calls it, on one of the two wire protocols the services it
// reads speak (docs/PROTOCOLS-2.md §3-5): JSON 1.1 (Cloud Map, ECS: POST /, the operation in
// X-Amz-Target, a JSON object body) or Query (ELBv2: POST /, a form body with Action and
// Version, XML replies). Pure value; the request is signed and sent by AwsRequest.
struct AwsCall
{
    enum class Protocol { Json11, Query };

    Protocol protocol = Protocol::Json11;
    QByteArray service; // the SigV4 signing name: "servicediscovery", "ecs", "elasticloadbalancing"
    QByteArray
        endpointPrefix; // the host's first label: "servicediscovery", "ecs", "elasticloadbalancing"
    QByteArray targetPrefix; // JSON 1.1: "Route53AutoNaming_v20170314"
    QByteArray version; // Query: "2015-12-01"
    QByteArray operation; // "DiscoverInstances", "DescribeTargetHealth"
    // JSON 1.1 paging: the token's key in the input and the reply ("NextToken"; ECS "nextToken")
    QString pageToken = QStringLiteral("NextToken");
    QJsonObject input; // JSON 1.1 body
    QList<std::pair<QByteArray, QByteArray>> params; // Query parameters after Action and Version

    static AwsCall cloudMap(const QByteArray &operation, const QJsonObject &input = {});
    static AwsCall ecs(const QByteArray &operation, const QJsonObject &input = {});
    static AwsCall elbv2(
        const QByteArray &action, const QList<std::pair<QByteArray, QByteArray>> &params = {});

    QByteArray body() const;
    QByteArray contentType() const;
    QByteArray amzTarget() const; // JSON 1.1 only; empty for Query
    QString describe() const; // "servicediscovery DiscoverInstances"

    // Pagination: the token of the next page in a reply of this call (JSON pageToken, ELBv2
    // "NextMarker"); empty on the last page. The same call asking for the page after `token`.
    QByteArray nextPageToken(const QByteArray &replyBody) const;
    AwsCall withPageToken(const QByteArray &token) const;
};

// What AWS (or the way to it) said no with, sorted into what an operator does about it.
struct AwsError
{
    enum class Kind {
        None,
        Signature, // the signature did not match: wrong secret key, or a proxy changed the request
        Credentials, // unknown access key, expired token, missing credentials
        ClockSkew, // this machine's clock is too far from AWS's
        AccessDenied, // the identity lacks the IAM action
        Throttled, // ThrottlingException, 429, 503 after the retries
        NotFound, // TargetGroupNotFound, ServiceNotFound, NamespaceNotFound, ...
        Invalid, // ValidationError, InvalidInput, InvalidParameterException, ...
        Server, // 5xx other than throttling
        Network, // refused, reset, unreachable, TLS
        Timeout, // no complete reply within the deadline
        TooLarge, // a reply above the byte cap
        Malformed, // a reply that is not what the protocol says
    };

    Kind kind = Kind::None;
    int httpStatus = 0;
    QString code; // AWS's error code ("InvalidSignatureException"), empty for transport failures
    QString message; // AWS's message, as sent (capped)
    QString words; // one line for the operator: what failed and what to do

    bool isError() const { return kind != Kind::None; }
    // Throttling and 5xx: worth another attempt after a backoff.
    bool retryable() const;
    SourceError::Kind sourceKind() const;

    // The error of a complete non-2xx reply of `protocol`: its code and message read from the
    // JSON ("__type", "message"/"Message") or XML (<Error><Code>, <Message>) body.
    static AwsError fromReply(AwsCall::Protocol protocol, int httpStatus, const QByteArray &body);
};

} // namespace hopscope
