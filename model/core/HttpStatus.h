#pragma once

#include "core/SourceError.h"

#include <QNetworkReply>

namespace hopscope {

// The one mapping of an HTTP exchange's outcome onto SourceError kinds, for every HTTP source
// and client (Envoy admin, HAProxy stats page, ...):
//   2xx -> None; 401, 403 -> Auth; 404, 410 -> NotFound; 408, 504 -> Timeout;
//   any other 4xx or 5xx -> Refused (the peer answered and said no);
//   no HTTP status -> from the transport error (timeouts -> Timeout, else Network).
SourceError::Kind httpStatusKind(int httpStatus);
SourceError::Kind httpErrorKind(QNetworkReply::NetworkError error, int httpStatus);

} // namespace hopscope
