#include "core/HttpStatus.h"

namespace hopscope {

SourceError::Kind httpStatusKind(int httpStatus)
{
    if (httpStatus >= 200 && httpStatus < 300) {
        return SourceError::Kind::None;
    }
    switch (httpStatus) {
    case 401:
    case 403:
        return SourceError::Kind::Auth;
    case 404:
    case 410:
        return SourceError::Kind::NotFound;
    case 408:
    case 504:
        return SourceError::Kind::Timeout;
    default:
        break;
    }
    if (httpStatus >= 400 && httpStatus < 600) {
        return SourceError::Kind::Refused;
    }
    // 1xx/3xx as a final answer (redirects are not followed) or a nonsense code.
    return SourceError::Kind::Refused;
}

SourceError::Kind httpErrorKind(QNetworkReply::NetworkError error, int httpStatus)
{
    if (httpStatus > 0) {
        const SourceError::Kind kind = httpStatusKind(httpStatus);
        if (kind != SourceError::Kind::None) {
            return kind;
        }
    }
    // No status, or a 2xx whose body was cut by the transport.
    switch (error) {
    case QNetworkReply::NoError:
        return SourceError::Kind::None;
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:
        return SourceError::Kind::Timeout;
    default:
        return SourceError::Kind::Network;
    }
}

} // namespace hopscope
