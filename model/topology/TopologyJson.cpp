#include "TopologyJson.h"

#include <QJsonArray>

namespace hopscope {

namespace {
QJsonValue timeOrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
}

template<typename T>
QJsonValue optionalNumber(const std::optional<T> &v)
{
    return v ? QJsonValue(double(*v)) : QJsonValue(QJsonValue::Null);
}

QJsonObject observationToJson(const Observation &o)
{
    QJsonObject j{{QStringLiteral("health"), healthName(o.health)},
                  {QStringLiteral("text"), o.text},
                  {QStringLiteral("stale"), o.stale},
                  {QStringLiteral("when"), timeOrNull(o.when)}};
    if (o.listedInDns) {
        j[QStringLiteral("listed")] = true;
    }
    if (o.removedFromDns) {
        j[QStringLiteral("removedAt")] = timeOrNull(o.dnsRemovedAt);
        j[QStringLiteral("holdUntil")] = timeOrNull(o.dnsHoldUntil);
    }
    return j;
}
} // namespace

QJsonObject TopologyJson::errorToJson(const SourceError &e)
{
    return {{QStringLiteral("source"), e.source},
            {QStringLiteral("kind"), SourceError::kindName(e.kind)},
            {QStringLiteral("message"), e.message},
            {QStringLiteral("detail"), e.detail.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(e.detail)},
            {QStringLiteral("when"), timeOrNull(e.when)}};
}

QJsonObject TopologyJson::toJson(const Topology &t)
{
    QJsonArray services;
    for (const ServiceNode &s : t.services) {
        QJsonArray targets;
        for (const TargetNode &n : s.targets) {
            // Sources grouped by kind, as the contract names them: dns, lb, mesh. A kind seen
            // by several sources (two sidecars) nests them by source id.
            QJsonObject sources;
            for (const Observation &o : n.observations) {
                const QString kind = o.source.section(u':', 0, 0);
                const QString id = o.source.section(u':', 1);
                QJsonObject obs = observationToJson(o);
                if (!id.isEmpty()) {
                    obs[QStringLiteral("id")] = id;
                }
                if (kind == u"dns") {
                    sources[kind] = obs;
                } else {
                    QJsonObject group = sources.value(kind).toObject();
                    group[id] = obs;
                    sources[kind] = group;
                }
            }
            QJsonObject target{{QStringLiteral("key"), n.key},
                               {QStringLiteral("address"), n.address},
                               {QStringLiteral("port"), n.port},
                               {QStringLiteral("fqdn"), n.fqdn.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(n.fqdn)},
                               {QStringLiteral("health"), healthName(n.health)},
                               {QStringLiteral("reason"), n.reason},
                               {QStringLiteral("sidecar"), n.sidecar.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(n.sidecar)},
                               {QStringLiteral("dnsTtl"), optionalNumber(n.dnsTtl)},
                               {QStringLiteral("dnsRemovedAt"), timeOrNull(n.dnsRemovedAt)},
                               {QStringLiteral("dnsHoldUntil"), timeOrNull(n.dnsHoldUntil)},
                               {QStringLiteral("lbSessions"), optionalNumber(n.lbSessions)},
                               {QStringLiteral("meshActiveConnections"), optionalNumber(n.meshActiveConnections)},
                               {QStringLiteral("sources"), sources}};
            if (n.address.isEmpty() && !n.lbServer.isEmpty()) {
                // Added key: a server known by name only (read through Prometheus).
                target[QStringLiteral("server")] = n.lbServer;
            }
            if (n.openDrain) {
                // Added key: an open drain from the audit log (health reads "drained").
                target[QStringLiteral("drain")]
                    = QJsonObject { { QStringLiteral("by"), n.drainedBy },
                          { QStringLiteral("since"), timeOrNull(n.drainedSince) } };
            }
            targets.append(target);
        }
        services.append(QJsonObject { { QStringLiteral("id"), s.id },
            { QStringLiteral("name"), s.name },
            { QStringLiteral("dns"),
                s.dnsName.isEmpty()
                    ? QJsonValue(QJsonValue::Null)
                    : QJsonValue(QJsonObject { { QStringLiteral("name"), s.dnsName },
                        { QStringLiteral("type"), s.dnsType } }) },
            { QStringLiteral("health"), healthName(s.health) },
            { QStringLiteral("summary"), s.summary }, { QStringLiteral("healthy"), s.healthyCount },
            { QStringLiteral("drained"), s.drainedCount },
            { QStringLiteral("dnsError"),
                s.dnsError.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s.dnsError) },
            { QStringLiteral("targets"), targets } });
    }
    QJsonArray lbs;
    for (const LoadBalancerNode &lb : t.loadBalancers) {
        lbs.append(QJsonObject{{QStringLiteral("id"), lb.id},
                               {QStringLiteral("health"), healthName(lb.health)},
                               {QStringLiteral("reason"), lb.reason},
                               {QStringLiteral("version"), lb.version},
                               {QStringLiteral("routes"), QJsonArray::fromStringList(lb.routes)}});
    }
    QJsonArray sidecars;
    for (const SidecarNode &sc : t.sidecars) {
        sidecars.append(QJsonObject{{QStringLiteral("id"), sc.id},
                                    {QStringLiteral("service"), sc.service},
                                    {QStringLiteral("task"), sc.task},
                                    {QStringLiteral("health"), healthName(sc.health)},
                                    {QStringLiteral("reason"), sc.reason},
                                    {QStringLiteral("version"), sc.version}});
    }
    QJsonArray edges;
    for (const EdgeNode &e : t.edges) {
        QJsonObject edge { { QStringLiteral("from"), e.from }, { QStringLiteral("to"), e.to },
            { QStringLiteral("pattern"), e.hops.patternName() }, { QStringLiteral("via"), e.via },
            { QStringLiteral("networkHops"), e.hops.networkHops },
            { QStringLiteral("proxyHops"), e.hops.proxyHops },
            { QStringLiteral("label"), e.hops.label() },
            { QStringLiteral("routes"), QJsonArray::fromStringList(e.routes) },
            { QStringLiteral("hairpin"), e.hairpin } };
        if (e.via.startsWith(u"lb:")) {
            // Added key: the health of the LB on the way, and why (down when it is unreachable).
            edge[QStringLiteral("health")] = healthName(e.health);
            edge[QStringLiteral("reason")] = e.reason;
        }
        edges.append(edge);
    }
    QJsonArray paths;
    for (const PathNode &p : t.paths) {
        paths.append(QJsonObject{{QStringLiteral("services"), QJsonArray::fromStringList(p.services)},
                                 {QStringLiteral("networkHops"), p.networkHops},
                                 {QStringLiteral("proxyHops"), p.proxyHops},
                                 {QStringLiteral("hairpin"), p.hairpin}});
    }
    QJsonArray errors;
    for (const SourceError &e : t.errors) {
        errors.append(errorToJson(e));
    }
    return {{QStringLiteral("profile"), t.profileName},
            {QStringLiteral("builtAt"), timeOrNull(t.builtAt)},
            {QStringLiteral("services"), services},
            {QStringLiteral("loadBalancers"), lbs},
            {QStringLiteral("sidecars"), sidecars},
            {QStringLiteral("edges"), edges},
            {QStringLiteral("paths"), paths},
            {QStringLiteral("errors"), errors}};
}

} // namespace hopscope
