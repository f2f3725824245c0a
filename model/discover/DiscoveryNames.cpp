#include "DiscoveryNames.h"

#include <QRegularExpression>
#include <QStringList>

namespace hopscope::discovery {

QString sanitizeId(const QString &text, const QString &fallback)
{
    QString id;
    id.reserve(text.size());
    for (const QChar c : text) {
        const bool ok
            = (c.unicode() < 128 && c.isLetterOrNumber()) || c == u'.' || c == u'_' || c == u'-';
        id.append(ok ? c : QLatin1Char('-'));
    }
    while (!id.isEmpty() && !(id.front().unicode() < 128 && id.front().isLetterOrNumber())) {
        id.remove(0, 1);
    }
    id.truncate(63);
    while (id.endsWith(u'-')) {
        id.chop(1);
    }
    return id.isEmpty() ? fallback : id;
}

QString serviceIdFromDnsName(const QString &name)
{
    const QStringList labels = name.split(u'.', Qt::SkipEmptyParts);
    for (const QString &l : labels) {
        if (!l.startsWith(u'_')) {
            return sanitizeId(l, QStringLiteral("service"));
        }
    }
    return sanitizeId(name, QStringLiteral("service"));
}

QString serviceFromEnvoyCluster(const QString &cluster)
{
    // Istio: DIRECTION|PORT|SUBSET|FQDN.
    const QStringList bars = cluster.split(u'|');
    if (bars.size() == 4 && (bars[0] == u"outbound" || bars[0] == u"inbound")) {
        const QString host = bars[3].section(u'.', 0, 0);
        if (!host.isEmpty()) {
            return host;
        }
    }
    // Consul Connect: SERVICE.NAMESPACE.DATACENTER.internal.TRUST-DOMAIN.consul
    if (cluster.endsWith(QLatin1String(".consul"))
        && cluster.contains(QLatin1String(".internal."))) {
        return cluster.section(u'.', 0, 0);
    }
    return cluster;
}

bool isLocalAppCluster(const EnvoyCluster &cluster)
{
    return cluster.name == u"local_app" || cluster.name.startsWith(u"inbound|")
        || cluster.name.endsWith(u"local_app");
}

bool isInfrastructureCluster(const QString &cluster)
{
    static const QStringList names {
        QStringLiteral("local_agent"), // Consul's xDS
        QStringLiteral("xds_cluster"),
        QStringLiteral("xds-grpc"),
        QStringLiteral("sds-grpc"),
        QStringLiteral("self_admin"),
        QStringLiteral("admin"),
        QStringLiteral("prometheus_stats"),
        QStringLiteral("agent"),
        QStringLiteral("zipkin"),
        QStringLiteral("BlackHoleCluster"),
        QStringLiteral("PassthroughCluster"),
        QStringLiteral("InboundPassthroughClusterIpv4"),
        QStringLiteral("InboundPassthroughClusterIpv6"),
    };
    return names.contains(cluster);
}

QString taskKey(const QString &address, quint16 port)
{
    const QString host = address.contains(u':') ? u'[' + address + u']' : address;
    return host + u':' + QString::number(port);
}

} // namespace hopscope::discovery
