#include "haproxy/HaproxyJson.h"

#include <QJsonArray>

#include <algorithm>
#include <numeric>
#include <vector>

namespace hopscope {

namespace {
QJsonValue opt(const std::optional<qint64> &v)
{
    return v ? QJsonValue(double(*v)) : QJsonValue(QJsonValue::Null);
}
QJsonValue opt(const std::optional<QString> &v)
{
    return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
}
QJsonValue opt(const std::optional<quint16> &v)
{
    return v ? QJsonValue(int(*v)) : QJsonValue(QJsonValue::Null);
}

QString stateName(HaproxyServerStatus s)
{
    switch (s) {
    case HaproxyServerStatus::Up:
        return QStringLiteral("up");
    case HaproxyServerStatus::Down:
        return QStringLiteral("down");
    case HaproxyServerStatus::NoLb:
        return QStringLiteral("nolb");
    case HaproxyServerStatus::Drain:
        return QStringLiteral("drain");
    case HaproxyServerStatus::Maint:
        return QStringLiteral("maint");
    case HaproxyServerStatus::NoCheck:
        return QStringLiteral("nocheck");
    case HaproxyServerStatus::Open:
        return QStringLiteral("open");
    case HaproxyServerStatus::Stop:
        return QStringLiteral("stop");
    case HaproxyServerStatus::Full:
        return QStringLiteral("full");
    case HaproxyServerStatus::Waiting:
        return QStringLiteral("waiting");
    case HaproxyServerStatus::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QJsonObject server(const HaproxyStatServer &s, HaproxyStatProxy::Type type)
{
    QJsonObject o {
        { QStringLiteral("name"), s.name },
        { QStringLiteral("type"), HaproxyStatProxy::typeName(type) },
        { QStringLiteral("address"), opt(s.address) },
        { QStringLiteral("port"), opt(s.port) },
        { QStringLiteral("key"), s.key().isEmpty() ? QJsonValue(QJsonValue::Null) : s.key() },
        { QStringLiteral("status"), s.status },
        { QStringLiteral("state"), stateName(s.state) },
        { QStringLiteral("transitional"), s.transitional },
        { QStringLiteral("weight"), opt(s.weight) },
        { QStringLiteral("userWeight"), opt(s.userWeight) },
        { QStringLiteral("scur"), opt(s.scur) },
        { QStringLiteral("stot"), opt(s.stot) },
        { QStringLiteral("qcur"), opt(s.qcur) },
        { QStringLiteral("lastChangeSeconds"), opt(s.lastChangeSeconds) },
        { QStringLiteral("checkStatus"), s.checkStatus },
        { QStringLiteral("checkInProgress"), s.checkInProgress },
        { QStringLiteral("checkCode"), opt(s.checkCode) },
        { QStringLiteral("checkDesc"), s.checkDesc },
        { QStringLiteral("lastCheck"), s.lastCheck },
        { QStringLiteral("backup"), s.backup },
    };
    if (!s.trackedBy.isEmpty()) {
        o.insert(QStringLiteral("trackedBy"), s.trackedBy);
    }
    return o;
}
} // namespace

QJsonObject HaproxyJson::statProxy(const HaproxyStatProxy &p)
{
    return QJsonObject {
        { QStringLiteral("name"), p.name },
        { QStringLiteral("type"), HaproxyStatProxy::typeName(p.type) },
        { QStringLiteral("status"), p.status },
        { QStringLiteral("state"), stateName(p.state) },
        { QStringLiteral("scur"), opt(p.scur) },
        { QStringLiteral("weight"), opt(p.weight) },
        { QStringLiteral("mode"), p.mode },
    };
}

QString HaproxyJson::statMembersKey(const HaproxyStatProxy &p)
{
    return p.type == HaproxyStatProxy::Type::Backend ? QStringLiteral("servers")
                                                     : QStringLiteral("listeners");
}

QJsonObject HaproxyJson::statServer(const HaproxyStatServer &s, HaproxyStatProxy::Type type)
{
    return server(s, type);
}

QJsonObject HaproxyJson::stat(const HaproxyStatSnapshot &snapshot)
{
    QJsonArray proxies;
    for (const HaproxyStatProxy &p : snapshot.proxies) {
        QJsonObject o = statProxy(p);
        const bool backend = p.type == HaproxyStatProxy::Type::Backend;
        QJsonArray members;
        for (const HaproxyStatServer &s : backend ? p.servers : p.listeners) {
            members.append(server(
                s, backend ? HaproxyStatProxy::Type::Server : HaproxyStatProxy::Type::Listener));
        }
        o.insert(statMembersKey(p), members);
        proxies.append(o);
    }
    return { { QStringLiteral("proxies"), proxies },
        { QStringLiteral("columns"), snapshot.columnCount },
        { QStringLiteral("addressesVisible"), snapshot.addressesVisible } };
}

QJsonObject HaproxyJson::serverState(const HaproxyServerState &s)
{
    return QJsonObject {
        { QStringLiteral("backend"), s.backend },
        { QStringLiteral("backendId"), s.backendId },
        { QStringLiteral("name"), s.name },
        { QStringLiteral("id"), s.serverId },
        { QStringLiteral("address"), opt(s.address) },
        { QStringLiteral("port"), opt(s.port) },
        { QStringLiteral("fqdn"), opt(s.fqdn) },
        { QStringLiteral("srvRecord"), opt(s.srvRecord) },
        { QStringLiteral("key"), s.key().isEmpty() ? QJsonValue(QJsonValue::Null) : s.key() },
        { QStringLiteral("opState"), HaproxyServerState::opStateName(s.opState) },
        { QStringLiteral("adminState"), QJsonArray::fromStringList(s.adminStateNames()) },
        { QStringLiteral("adminStateBits"), int(s.adminState) },
        { QStringLiteral("userWeight"), s.userWeight },
        { QStringLiteral("initialWeight"), s.initialWeight },
        { QStringLiteral("secondsSinceChange"), double(s.secondsSinceChange) },
        { QStringLiteral("checkStatus"), HaproxyServerState::checkStatusName(s.checkStatus) },
        { QStringLiteral("checkHealth"), s.checkHealth },
    };
}

QJsonObject HaproxyJson::serversState(const HaproxyServersStateSnapshot &snapshot)
{
    QJsonArray servers;
    for (const HaproxyServerState &s : snapshot.servers) {
        servers.append(serverState(s));
    }
    return { { QStringLiteral("formatVersion"), snapshot.formatVersion },
        { QStringLiteral("servers"), servers } };
}

QJsonObject HaproxyJson::info(const HaproxyInfo &info)
{
    // Inserted in key order (the last of equal names wins, as repeated insert() would have it):
    // QJsonObject keeps its keys sorted, so inserting in input order moves the tail every time,
    // quadratic on a big dump.
    std::vector<qsizetype> order(size_t(info.fields.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
        [&](qsizetype a, qsizetype b) { return info.fields[a].first < info.fields[b].first; });
    QJsonObject fields;
    for (size_t i = 0; i < order.size(); ++i) {
        if (i + 1 < order.size()
            && info.fields[order[i]].first == info.fields[order[i + 1]].first) {
            continue;
        }
        fields.insert(info.fields[order[i]].first, info.fields[order[i]].second);
    }
    return { { QStringLiteral("name"), info.name }, { QStringLiteral("version"), info.version },
        { QStringLiteral("pid"), opt(info.pid) },
        { QStringLiteral("uptimeSeconds"), opt(info.uptimeSeconds) },
        { QStringLiteral("currentConnections"), opt(info.currentConnections) },
        { QStringLiteral("maxConnections"), opt(info.maxConnections) },
        { QStringLiteral("stopping"), info.stopping }, { QStringLiteral("node"), info.node },
        { QStringLiteral("fields"), fields } };
}

} // namespace hopscope
