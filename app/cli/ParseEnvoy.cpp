#include "cli/Commands.h"
#include "cli/JsonStream.h"

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyServerInfoParser.h"
#include "envoy/EnvoyStatsParser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

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

QJsonObject hostJson(const EnvoyHost &h)
{
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
    host.insert(
        QStringLiteral("port"), h.port ? QJsonValue(int(*h.port)) : QJsonValue(QJsonValue::Null));
    host.insert(QStringLiteral("addressKind"), addressKindName(h.addressKind));
    host.insert(QStringLiteral("hostname"), h.hostname);
    host.insert(QStringLiteral("healthy"), h.isHealthy());
    host.insert(QStringLiteral("degraded"), h.isDegraded());
    host.insert(QStringLiteral("healthFlags"), QJsonArray::fromStringList(h.healthFlags.names()));
    if (!h.unknownHealthFlags.isEmpty()) {
        host.insert(
            QStringLiteral("unknownHealthFlags"), QJsonArray::fromStringList(h.unknownHealthFlags));
    }
    host.insert(QStringLiteral("weight"), qint64(h.weight));
    host.insert(QStringLiteral("priority"), qint64(h.priority));
    host.insert(QStringLiteral("successRate"), optDouble(h.successRate));
    host.insert(QStringLiteral("locality"), localityJson(h.locality));
    host.insert(QStringLiteral("stats"), stats);
    return host;
}

// The documents are written element by element through JsonStream (same keys, same layout as
// QJsonDocument::Indented): the output of a 200 MB dump is never held whole.
void streamClusters(const EnvoyClusters &clusters, JsonStream &json)
{
    json.beginObject();
    json.key(QStringLiteral("clusters"));
    json.beginArray();
    for (const EnvoyCluster &c : clusters.clusters) {
        QJsonObject cluster;
        cluster.insert(QStringLiteral("name"), c.name);
        cluster.insert(QStringLiteral("addedViaApi"), c.addedViaApi);
        if (!c.edsServiceName.isEmpty()) {
            cluster.insert(QStringLiteral("edsServiceName"), c.edsServiceName);
        }
        cluster.insert(QStringLiteral("successRateEjectionThreshold"),
            optDouble(c.successRateEjectionThreshold));
        json.objectWith(cluster, QStringLiteral("hosts"), [&] {
            json.beginArray();
            for (const EnvoyHost &h : c.hosts) {
                json.value(hostJson(h));
            }
            json.end();
        });
    }
    json.end();
    json.key(QStringLiteral("format"));
    json.value(EnvoyClusters::formatName(clusters.format));
    json.end();
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

void streamTraffic(const QList<EnvoyTrafficStats> &list, bool withMembership, JsonStream &json)
{
    json.beginArray();
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
        json.value(o);
    }
    json.end();
}

void streamStats(const EnvoyStats &stats, JsonStream &json)
{
    json.beginObject();
    json.key(QStringLiteral("clusters"));
    streamTraffic(stats.clusters, true, json);
    json.key(QStringLiteral("httpConnectionManagers"));
    streamTraffic(stats.httpManagers, false, json);
    json.key(QStringLiteral("listeners"));
    streamTraffic(stats.listeners, false, json);
    json.key(QStringLiteral("serverState"));
    json.value(optU64(stats.serverState));
    json.key(QStringLiteral("stats"));
    // As a QJsonObject would hold them: sorted by name, the last of equal names wins. (Inserting
    // them into one, in input order, moved the object's tail on every insert: quadratic.)
    const auto &v = stats.values;
    std::vector<qsizetype> order(size_t(v.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
        [&](qsizetype a, qsizetype b) { return v[a].name < v[b].name; });
    json.beginObject();
    for (size_t i = 0; i < order.size(); ++i) {
        if (i + 1 < order.size() && v[order[i]].name == v[order[i + 1]].name) {
            continue;
        }
        json.key(v[order[i]].name);
        json.value(u64(v[order[i]].value));
    }
    json.end();
    json.end();
}

template <class T, class Stream>
int emit(const Parsed<T> &parsed, Stream stream, const QString &kind, CliContext &ctx)
{
    if (!parsed.ok()) {
        ctx.err << "hopscope-cli parse " << kind << ": " << parsed.errorText() << '\n';
        return ExitProblems;
    }
    JsonStream json(ctx.out);
    stream(parsed.value(), json);
    return ExitOk;
}

void streamServerInfo(const EnvoyServerInfo &info, JsonStream &json)
{
    json.value(serverInfoJson(info));
}

} // namespace

int parseEnvoyDump(const QString &kind, const QByteArray &input, CliContext &ctx)
{
    // simdjson reads a few bytes past the end: readParseInput() leaves that padding in the
    // buffer's capacity, so the input is not copied (the parsers copy it only when it lacks it).
    const QByteArray &padded = input;
    if (kind == u"envoy-clusters") {
        return emit(EnvoyClustersParser::parse(padded), streamClusters, kind, ctx);
    }
    if (kind == u"envoy-server-info") {
        return emit(EnvoyServerInfoParser::parse(padded), streamServerInfo, kind, ctx);
    }
    if (kind == u"envoy-stats") {
        return emit(EnvoyStatsParser::parse(padded), streamStats, kind, ctx);
    }
    ctx.err << "hopscope-cli parse: unknown KIND '" << kind
            << "' (envoy-clusters, envoy-server-info, envoy-stats)\n";
    return ExitUsage;
}

} // namespace hopscope::cli
