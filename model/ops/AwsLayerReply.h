#pragma once

#include "aws/AwsRequest.h"
#include "ops/DrainLayer.h"

namespace hopscope {

// What an AWS write call's result means for the drain (LayerReply): an AWS error answer (wrong
// signature, access denied, not found, invalid, throttled after every retry) means AWS did not
// apply it; no complete answer (network, deadline, a reply cut off or unreadable, a 5xx after the
// retries) means it may have been applied, so the intent stays open and undo puts it back.
inline LayerReply::Kind awsReplyKind(const AwsResult &r)
{
    switch (r.error.kind) {
    case AwsError::Kind::None:
        return LayerReply::Kind::Ok;
    case AwsError::Kind::Network:
    case AwsError::Kind::Timeout:
    case AwsError::Kind::TooLarge:
    case AwsError::Kind::Malformed:
    case AwsError::Kind::Server:
        return LayerReply::Kind::NoAnswer;
    default:
        return LayerReply::Kind::Refused;
    }
}

// " after 2 throttled attempt(s) (backoff)" when AWS throttled the call before it went through.
inline QString awsRetryWords(const AwsResult &r)
{
    return r.throttled > 0
        ? QStringLiteral(" after %1 throttled attempt(s) (backed off and retried)").arg(r.throttled)
        : QString();
}

} // namespace hopscope
