#include "DnsTypes.h"

namespace hopscope {

QString DnsRecord::key() const
{
    QString addr = address.isNull() ? QStringLiteral("?") : address.toString();
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        addr = QLatin1Char('[') + addr + QLatin1Char(']');
    }
    QString k = addr + QLatin1Char(':') + QString::number(port);
    if (!target.isEmpty()) {
        k += QLatin1Char('/') + target;
    }
    return k;
}

QString DnsResult::statusName(Status status)
{
    switch (status) {
    case Status::Ok:
        return QStringLiteral("NOERROR");
    case Status::NoData:
        return QStringLiteral("NODATA");
    case Status::NxDomain:
        return QStringLiteral("NXDOMAIN");
    case Status::ServFail:
        return QStringLiteral("SERVFAIL");
    case Status::Refused:
        return QStringLiteral("REFUSED");
    case Status::Timeout:
        return QStringLiteral("timeout");
    case Status::Malformed:
        return QStringLiteral("malformed answer");
    case Status::Network:
        return QStringLiteral("network error");
    case Status::Cancelled:
        return QStringLiteral("cancelled");
    case Status::Other:
        break;
    }
    return QStringLiteral("error");
}

SourceError::Kind DnsResult::errorKind() const
{
    switch (status) {
    case Status::Ok:
        return SourceError::Kind::None;
    case Status::NoData:
    case Status::NxDomain:
        return SourceError::Kind::NotFound;
    case Status::Refused:
        return SourceError::Kind::Refused;
    case Status::Timeout:
        return SourceError::Kind::Timeout;
    case Status::Malformed:
        return SourceError::Kind::Malformed;
    case Status::ServFail:
    case Status::Network:
        return SourceError::Kind::Network;
    case Status::Cancelled:
    case Status::Other:
        break;
    }
    return SourceError::Kind::Internal;
}

SourceError DnsResult::toError() const
{
    SourceError e;
    e.kind = errorKind();
    if (e.kind == SourceError::Kind::None) {
        return e;
    }
    e.source = QStringLiteral("dns ") + server;
    e.message = QStringLiteral("%1 %2: %3 from %4")
                    .arg(name, dnsRecordTypeName(type), statusName(status), server);
    if (isNegative() && negativeTtl >= 0) {
        e.message += QStringLiteral(" (negative-cached for %1 s)").arg(negativeTtl);
    }
    e.detail = detail;
    e.when = QDateTime::currentDateTimeUtc();
    return e;
}

const DnsServiceState *DnsDiscoverySnapshot::service(const QString &id) const
{
    for (const DnsServiceState &s : services) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

} // namespace hopscope
