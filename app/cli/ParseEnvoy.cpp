#include "cli/Commands.h"

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyServerInfoParser.h"
#include "envoy/EnvoyStatsParser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <limits>

namespace hopscope::cli {

namespace {

QJsonValue u64(quint64 v)
{
    // QJsonValue keeps qint64 exact; beyond that only a double is possible.
    if (v <= quint64(std::numeric_limits<qint64>::max())) {
        return QJsonValue(qint64(v));
    }
    return QJsonValue(double(v));
}

QJsonValue optU64(const std::optional<quint64> &v)
{
    return v ? u64(*v) : QJsonValue(QJsonValue::Null);
}

QJsonValue optDouble(const std::optional<double> &v)
{
    return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
}

QJsonObject localityJson(const EnvoyLocality &l)
{
    QJsonObject o;
    o.insert(QStringLiteral("region"), l.region);
    o.insert(QStringLiteral("zone"), l.zone);
    o.insert(QStringLiteral("subZone"), l.subZone);
    return o;
}

QString addressKindName(EnvoyHost::AddressKind kind)
{
    switch (kind) {
    case EnvoyHost::AddressKind::Socket:
        return QStringLiteral("socket");
    case EnvoyHost::AddressKind::Pipe:
        return QStringLiteral("pipe");
    case EnvoyHost::AddressKind::Internal:
        return QStringLiteral("internal");
    }
    return {};
}

QJsonObject clustersJson(const EnvoyClusters &clusters)
{
    QJsonArray list;
    for (const EnvoyCluster &c : clusters.clusters) {
        QJsonArray hosts;
        for (const EnvoyHost &h : c.hosts) {
            QJsonObject stats;
            stats.insert(QStringLiteral("cx_active"), u64(h.cxActive));
            stats.insert(QStringLiteral("cx_connect_fail"), u64(h.cxConnectFail));
            stats.insert(QStringLiteral("cx_total"), u64(h.cxTotal));
            stats.insert(QStringLiteral("rq_active"), u64(h.rqActive));
            stats.insert(QStringLiteral("rq_error"), u64(h.rqError));
            stats.insert(QStringLiteral("rq_success"), u64(h.rqSuccess));
            stats.insert(QStringLiteral("rq_timeout"), u64(h.rqTimeout));
            stats.insert(QStringLiteral("rq_total"), u64(h.rqTotal));
            QJsonObject host;
            host.insert(QStringLiteral("address"), h.address);
            host.insert(QStringLiteral("port"),
                h.port ? QJsonValue(int(*h.port)) : QJsonValue(QJsonValue::Null));
            host.insert(QStringLiteral("addressKind"), addressKindName(h.addressKind));
            host.insert(QStringLiteral("hostname"), h.hostname);
            host.insert(QStringLiteral("healthy"), h.isHealthy());
            host.insert(QStringLiteral("degraded"), h.isDegraded());
            host.insert(
                QStringLiteral("healthFlags"), QJsonArray::fromStringList(h.healthFlags.names()));
            if (!h.unknownHealthFlags.isEmpty()) {
                host.insert(QStringLiteral("unknownHealthFlags"),
                    QJsonArray::fromStringList(h.unknownHealthFlags));
            }
            host.insert(QStringLiteral("weight"), qint64(h.weight));
            host.insert(QStringLiteral("priority"), qint64(h.priority));
            host.insert(QStringLiteral("successRate"), optDouble(h.successRate));
            host.insert(QStringLiteral("locality"), localityJson(h.locality));
            host.insert(QStringLiteral("stats"), stats);
            hosts.append(host);
        }
        QJsonObject cluster;
        cluster.insert(QStringLiteral("name"), c.name);
        cluster.insert(QStringLiteral("addedViaApi"), c.addedViaApi);
        if (!c.edsServiceName.isEmpty()) {
            cluster.insert(QStringLiteral("edsServiceName"), c.edsServiceName);
        }
        cluster.insert(QStringLiteral("successRateEjectionThreshold"),
            optDouble(c.successRateEjectionThreshold));
        cluster.insert(QStringLiteral("hosts"), hosts);
        list.append(cluster);
    }
    QJsonObject root;
    root.insert(QStringLiteral("format"), EnvoyClusters::formatName(clusters.format));
    root.insert(QStringLiteral("clusters"), list);
    return root;
}

QJsonObject serverInfoJson(const EnvoyServerInfo &info)
{
    QJsonObject node;
    node.insert(QStringLiteral("id"), info.nodeId);
    node.insert(QStringLiteral("cluster"), info.nodeCluster);
    node.insert(QStringLiteral("locality"), localityJson(info.nodeLocality));
    QJsonObject root;
    root.insert(QStringLiteral("state"), info.stateName);
    root.insert(QStringLiteral("version"), info.version);
    root.insert(QStringLiteral("semver"), info.semver);
    root.insert(QStringLiteral("uptimeSeconds"), info.uptimeSeconds);
    root.insert(QStringLiteral("uptimeAllEpochsSeconds"), info.uptimeAllEpochsSeconds);
    root.insert(QStringLiteral("hotRestartVersion"), info.hotRestartVersion);
    root.insert(QStringLiteral("drainTimeSeconds"),
        info.drainTimeSeconds ? QJsonValue(*info.drainTimeSeconds) : QJsonValue(QJsonValue::Null));
    root.insert(QStringLiteral("drainStrategy"), info.drainStrategy);
    root.insert(QStringLiteral("node"), node);
    return root;
}

QJsonArray trafficJson(const QList<EnvoyTrafficStats> &list, bool withMembership)
{
    QJsonArray out;
    for (const EnvoyTrafficStats &t : list) {
        QJsonObject o;
        o.insert(QStringLiteral("name"), t.name);
        o.insert(QStringLiteral("cxActive"), optU64(t.cxActive));
        o.insert(QStringLiteral("cxTotal"), optU64(t.cxTotal));
        o.insert(QStringLiteral("rqActive"), optU64(t.rqActive));
        o.insert(QStringLiteral("rqTotal"), optU64(t.rqTotal));
        if (withMembership) {
            o.insert(QStringLiteral("membershipHealthy"), optU64(t.membershipHealthy));
            o.insert(QStringLiteral("membershipTotal"), optU64(t.membershipTotal));
        }
        out.append(o);
    }
    return out;
}

QJsonObject statsJson(const EnvoyStats &stats)
{
    QJsonObject values;
    for (const auto &v : stats.values) {
        values.insert(v.name, u64(v.value));
    }
    QJsonObject root;
    root.insert(QStringLiteral("stats"), values);
    root.insert(QStringLiteral("clusters"), trafficJson(stats.clusters, true));
    root.insert(QStringLiteral("listeners"), trafficJson(stats.listeners, false));
    root.insert(QStringLiteral("httpConnectionManagers"), trafficJson(stats.httpManagers, false));
    root.insert(QStringLiteral("serverState"), optU64(stats.serverState));
    return root;
}

template <class T, class ToJson>
int emit(const EnvoyParsed<T> &parsed, ToJson toJson, const QString &kind, CliContext &ctx)
{
    if (!parsed.ok()) {
        ctx.err << "hopscope-cli parse " << kind << ": " << parsed.error << '\n';
        return ExitProblems;
    }
    ctx.out << QString::fromUtf8(
        QJsonDocument(toJson(parsed.value)).toJson(QJsonDocument::Indented));
    return ExitOk;
}

} // namespace

int parseEnvoyDump(const QString &kind, const QByteArray &input, CliContext &ctx)
{
    // simdjson reads a few bytes past the end: give it padding so it does not copy the input.
    QByteArray padded;
    padded.reserve(input.size() + 64);
    padded.append(input);
    if (kind == u"envoy-clusters") {
        return emit(EnvoyClustersParser::parse(padded), clustersJson, kind, ctx);
    }
    if (kind == u"envoy-server-info") {
        return emit(EnvoyServerInfoParser::parse(padded), serverInfoJson, kind, ctx);
    }
    if (kind == u"envoy-stats") {
        return emit(EnvoyStatsParser::parse(padded), statsJson, kind, ctx);
    }
    ctx.err << "hopscope-cli parse: unknown KIND '" << kind
            << "' (envoy-clusters, envoy-server-info, envoy-stats)\n";
    return ExitUsage;
}

} // namespace hopscope::cli
