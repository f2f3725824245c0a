#include "TargetRowModel.h"

#include <QHostAddress>

namespace hopscope {

QStringList TargetRowModel::sourcesOf(const ClusterProfile &profile)
{
    QStringList sources;
    for (const ServiceSpec &s : profile.services) {
        if (s.dns) {
            sources.append(QStringLiteral("dns"));
            break;
        }
    }
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        sources.append(QStringLiteral("lb:") + lb.id);
    }
    for (const ProxySpec &px : profile.proxies) {
        sources.append(QStringLiteral("mesh:") + px.id);
    }
    return sources;
}

QString TargetRowModel::sourceTitle(const QString &source)
{
    if (source == u"dns") {
        return tr("DNS");
    }
    return source.mid(source.indexOf(u':') + 1);
}

QString TargetRowModel::sourceKind(const QString &source)
{
    if (source == u"dns") {
        return tr("DNS answer");
    }
    return source.startsWith(u"lb:") ? tr("load balancer %1").arg(sourceTitle(source))
                                     : tr("sidecar %1").arg(sourceTitle(source));
}

int TargetRowModel::severity(Health health)
{
    switch (health) {
    case Health::Healthy:
        return 0;
    case Health::Degraded:
        return 1;
    case Health::Draining:
        return 2;
    case Health::Drained:
        return 3;
    case Health::Maintenance:
        return 4;
    case Health::Unknown:
        return 5;
    case Health::Stale:
        return 6;
    case Health::Conflict:
        return 7;
    case Health::Down:
        return 8;
    }
    return 5;
}

QString TargetRowModel::addressSortKey(const QString &key)
{
    const int colon = int(key.lastIndexOf(u':'));
    QString host = key.left(colon);
    if (host.startsWith(u'[')) {
        host = host.mid(1, host.size() - 2);
    }
    const QHostAddress address(host);
    const QString port
        = QStringLiteral("%1").arg(key.mid(colon + 1).toUInt(), 5, 10, QLatin1Char('0'));
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        return QStringLiteral("4 %1 ").arg(address.toIPv4Address(), 10, 10, QLatin1Char('0'))
            + port;
    }
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        const Q_IPV6ADDR a = address.toIPv6Address();
        QString hex;
        for (int i = 0; i < 16; ++i) {
            hex += QStringLiteral("%1").arg(uint(a[i]), 2, 16, QLatin1Char('0'));
        }
        return QStringLiteral("6 ") + hex + QLatin1Char(' ') + port;
    }
    return QStringLiteral("9 ") + key;
}

int TargetRowModel::rowOf(const QString &serviceId, const QString &key) const
{
    return m_rowById.value(rowId(serviceId, key), -1);
}

void TargetRowModel::indexIds(const QStringList &ids)
{
    m_rowById.clear();
    for (int i = 0; i < int(ids.size()); ++i) {
        m_rowById.insert(ids[i], i);
    }
}

} // namespace hopscope
