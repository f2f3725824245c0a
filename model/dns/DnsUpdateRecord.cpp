#include "dns/DnsUpdateRecord.h"

namespace hopscope {

QString DnsUpdateRecord::absoluteName(QString name)
{
    if (!name.endsWith(u'.')) {
        name += u'.';
    }
    return name.toLower();
}

QString DnsUpdateRecord::toString() const
{
    return QStringLiteral("%1 %2 IN %3 %4").arg(absoluteName(owner)).arg(ttl).arg(type, rdata);
}

QJsonObject DnsUpdateRecord::toJson() const
{
    return QJsonObject { { QStringLiteral("owner"), absoluteName(owner) },
        { QStringLiteral("type"), type }, { QStringLiteral("rdata"), rdata },
        { QStringLiteral("ttl"), qint64(ttl) } };
}

std::optional<DnsUpdateRecord> DnsUpdateRecord::fromJson(const QJsonObject &o)
{
    DnsUpdateRecord r;
    r.owner = o.value(QStringLiteral("owner")).toString();
    r.type = o.value(QStringLiteral("type")).toString();
    r.rdata = o.value(QStringLiteral("rdata")).toString();
    const qint64 ttl = o.value(QStringLiteral("ttl")).toInteger(-1);
    if (r.owner.isEmpty() || r.type.isEmpty() || r.rdata.isEmpty() || ttl < 0 || ttl > 0x7fffffff) {
        return std::nullopt;
    }
    r.ttl = quint32(ttl);
    return r;
}

} // namespace hopscope
