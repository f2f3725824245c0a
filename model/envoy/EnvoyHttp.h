#pragma once

// Internal: how a failed admin HTTP exchange maps onto SourceError kinds.

#include "core/SourceError.h"

#include <QNetworkReply>

namespace hopscope::envoyhttp {

inline SourceError::Kind kindFor(QNetworkReply::NetworkError error, int httpStatus)
{
    if (httpStatus == 404) {
        return SourceError::Kind::NotFound;
    }
    if (httpStatus == 401 || httpStatus == 403) {
        return SourceError::Kind::Refused;
    }
    if (httpStatus >= 400) {
        return SourceError::Kind::Refused;
    }
    switch (error) {
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:
        return SourceError::Kind::Timeout;
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::UnknownNetworkError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::ProxyConnectionRefusedError:
        return SourceError::Kind::Network;
    default:
        return SourceError::Kind::Network;
    }
}

} // namespace hopscope::envoyhttp
