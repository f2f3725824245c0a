#include "SourceError.h"

namespace hopscope {

QString SourceError::kindName(Kind kind)
{
    switch (kind) {
    case Kind::None:
        return QStringLiteral("none");
    case Kind::Timeout:
        return QStringLiteral("timeout");
    case Kind::Network:
        return QStringLiteral("network");
    case Kind::Refused:
        return QStringLiteral("refused");
    case Kind::NotFound:
        return QStringLiteral("not-found");
    case Kind::Malformed:
        return QStringLiteral("malformed");
    case Kind::TooLarge:
        return QStringLiteral("too-large");
    case Kind::Auth:
        return QStringLiteral("auth");
    case Kind::Config:
        return QStringLiteral("config");
    case Kind::Internal:
        return QStringLiteral("internal");
    }
    return QStringLiteral("unknown");
}

QString SourceError::toString() const
{
    QString text = source.isEmpty() ? message : source + QStringLiteral(": ") + message;
    if (!detail.isEmpty()) {
        text += QStringLiteral(" (") + detail + QLatin1Char(')');
    }
    return text;
}

} // namespace hopscope
