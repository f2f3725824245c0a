#include "envoy/EnvoyClustersParser.h"

#include "envoy/EnvoyJson.h"

#include <QHash>

#include <charconv>
#include <cstring>
#include <limits>

namespace hopscope {

using envoyjson::fromUtf8;
using envoyjson::keyIs;
using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

// ---- JSON --------------------------------------------------------------------------------

bool parseAddress(element el, EnvoyHost &host, QString *error)
{
    simdjson::dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
        *error = QStringLiteral("address is not an object");
        return false;
    }
    bool found = false;
    for (simdjson::dom::key_value_pair field : obj) {
        simdjson::dom::object inner;
        const bool isObject = field.value.get_object().get(inner) == simdjson::SUCCESS;
        if (keyIs(field.key, "socket_address", "socketAddress")) {
            if (!isObject) {
                *error = QStringLiteral("socket_address is not an object");
                return false;
            }
            host.addressKind = EnvoyHost::AddressKind::Socket;
            host.port = 0; // proto3 omits a zero port
            for (simdjson::dom::key_value_pair f : inner) {
                if (f.key == "address") {
                    std::string_view s;
                    if (f.value.get_string().get(s) != simdjson::SUCCESS) {
                        *error = QStringLiteral("socket_address.address is not a string");
                        return false;
                    }
                    host.address = fromUtf8(s);
                } else if (keyIs(f.key, "port_value", "portValue")) {
                    QString why;
                    const auto port = envoyjson::toU64(f.value, &why);
                    if (!port || *port > 65535) {
                        *error = QStringLiteral("port_value is not a port number")
                            + (why.isEmpty() ? QString() : u": " + why);
                        return false;
                    }
                    host.port = quint16(*port);
                }
            }
            found = true;
        } else if (field.key == "pipe") {
            if (!isObject) {
                *error = QStringLiteral("pipe is not an object");
                return false;
            }
            std::string_view path;
            if (inner["path"].get_string().get(path) != simdjson::SUCCESS) {
                *error = QStringLiteral("pipe address has no path");
                return false;
            }
            host.addressKind = EnvoyHost::AddressKind::Pipe;
            host.address = fromUtf8(path);
            host.port.reset();
            found = true;
        } else if (keyIs(field.key, "envoy_internal_address", "envoyInternalAddress")) {
            if (!isObject) {
                *error = QStringLiteral("envoy_internal_address is not an object");
                return false;
            }
            std::string_view name;
            std::string_view endpoint;
            if (inner["server_listener_name"].get_string().get(name) != simdjson::SUCCESS
                && inner["serverListenerName"].get_string().get(name) != simdjson::SUCCESS) {
                name = {};
            }
            if (inner["endpoint_id"].get_string().get(endpoint) != simdjson::SUCCESS
                && inner["endpointId"].get_string().get(endpoint) != simdjson::SUCCESS) {
                endpoint = {};
            }
            host.addressKind = EnvoyHost::AddressKind::Internal;
            host.address = u"envoy://" + fromUtf8(name)
                + (endpoint.empty() ? QString() : u'/' + fromUtf8(endpoint));
            host.port.reset();
            found = true;
        }
    }
    if (!found) {
        *error
            = QStringLiteral("address has neither socket_address, pipe nor envoy_internal_address");
        return false;
    }
    return true;
}

std::optional<double> percentValue(element el)
{
    simdjson::dom::element v;
    if (el.type() != element_type::OBJECT || el["value"].get(v) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    return envoyjson::toDouble(v);
}

bool parseStats(element el, EnvoyHost &host, QString *error)
{
    simdjson::dom::array arr;
    if (el.get_array().get(arr) != simdjson::SUCCESS) {
        *error = QStringLiteral("stats is not an array");
        return false;
    }
    for (element stat : arr) {
        std::string_view name;
        element value;
        if (stat.type() != element_type::OBJECT) {
            *error = QStringLiteral("a stat is not an object");
            return false;
        }
        if (stat["name"].get_string().get(name) != simdjson::SUCCESS) {
            continue; // nameless stat: nothing to attach it to
        }
        quint64 v = 0; // proto3 omits zero values
        if (stat["value"].get(value) == simdjson::SUCCESS) {
            QString why;
            const auto parsed = envoyjson::toU64(value, &why);
            if (!parsed) {
                *error = QStringLiteral("stat %1: %2").arg(fromUtf8(name), why);
                return false;
            }
            v = *parsed;
        }
        if (name == "cx_active") {
            host.cxActive = v;
        } else if (name == "cx_connect_fail") {
            host.cxConnectFail = v;
        } else if (name == "cx_total") {
            host.cxTotal = v;
        } else if (name == "rq_active") {
            host.rqActive = v;
        } else if (name == "rq_error") {
            host.rqError = v;
        } else if (name == "rq_success") {
            host.rqSuccess = v;
        } else if (name == "rq_timeout") {
            host.rqTimeout = v;
        } else if (name == "rq_total") {
            host.rqTotal = v;
        }
    }
    return true;
}

void applyEdsHealth(element el, EnvoyHost &host)
{
    // config.core.v3.HealthStatus, by name or (rarely) by number.
    std::string_view name;
    if (el.get_string().get(name) != simdjson::SUCCESS) {
        int64_t n = -1;
        if (el.get_int64().get(n) != simdjson::SUCCESS) {
            return;
        }
        static constexpr const char *names[]
            = { "UNKNOWN", "HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "DEGRADED" };
        if (n < 0 || n > 5) {
            return;
        }
        name = names[n];
    }
    if (name == "UNHEALTHY" || name == "TIMEOUT") {
        host.healthFlags.set(EnvoyHealthFlag::FailedEdsHealth);
    } else if (name == "DEGRADED") {
        host.healthFlags.set(EnvoyHealthFlag::DegradedEdsHealth);
    } else if (name == "DRAINING") {
        host.healthFlags.set(EnvoyHealthFlag::EdsStatusDraining);
    }
}

bool parseHealth(element el, EnvoyHost &host, QString *error)
{
    simdjson::dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
        *error = QStringLiteral("health_status is not an object");
        return false;
    }
    struct BoolField
    {
        std::string_view snake;
        std::string_view camel;
        EnvoyHealthFlag flag;
    };
    static constexpr BoolField fields[] = {
        { "failed_active_health_check", "failedActiveHealthCheck",
            EnvoyHealthFlag::FailedActiveHc },
        { "failed_outlier_check", "failedOutlierCheck", EnvoyHealthFlag::FailedOutlierCheck },
        { "failed_active_degraded_check", "failedActiveDegradedCheck",
            EnvoyHealthFlag::DegradedActiveHc },
        { "pending_dynamic_removal", "pendingDynamicRemoval",
            EnvoyHealthFlag::PendingDynamicRemoval },
        { "pending_active_hc", "pendingActiveHc", EnvoyHealthFlag::PendingActiveHc },
        { "excluded_via_immediate_hc_fail", "excludedViaImmediateHcFail",
            EnvoyHealthFlag::ExcludedViaImmediateHcFail },
        { "active_hc_timeout", "activeHcTimeout", EnvoyHealthFlag::ActiveHcTimeout },
    };
    for (simdjson::dom::key_value_pair field : obj) {
        if (keyIs(field.key, "eds_health_status", "edsHealthStatus")) {
            applyEdsHealth(field.value, host);
            continue;
        }
        for (const auto &f : fields) {
            if (keyIs(field.key, f.snake, f.camel)) {
                bool b = false;
                if (field.value.get_bool().get(b) != simdjson::SUCCESS) {
                    *error = QStringLiteral("health_status.%1 is not a boolean")
                                 .arg(fromUtf8(field.key));
                    return false;
                }
                if (b) {
                    host.healthFlags.set(f.flag);
                }
                break;
            }
        }
    }
    return true;
}

void parseLocality(element el, EnvoyLocality &loc)
{
    if (el.type() != element_type::OBJECT) {
        return;
    }
    const simdjson::dom::object localityObject = el.get_object().value_unsafe();
    for (simdjson::dom::key_value_pair f : localityObject) {
        std::string_view s;
        if (f.value.get_string().get(s) != simdjson::SUCCESS) {
            continue;
        }
        if (f.key == "region") {
            loc.region = fromUtf8(s);
        } else if (f.key == "zone") {
            loc.zone = fromUtf8(s);
        } else if (keyIs(f.key, "sub_zone", "subZone")) {
            loc.subZone = fromUtf8(s);
        }
    }
}

bool parseU32(element el, quint32 &out, const char *what, QString *error)
{
    QString why;
    const auto v = envoyjson::toU64(el, &why);
    if (!v || *v > std::numeric_limits<quint32>::max()) {
        *error = QStringLiteral("%1 is not a 32-bit unsigned integer").arg(QLatin1String(what))
            + (why.isEmpty() ? QString() : u": " + why);
        return false;
    }
    out = quint32(*v);
    return true;
}

bool parseHost(element el, EnvoyHost &host, QString *error)
{
    simdjson::dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
        *error = QStringLiteral("is not an object");
        return false;
    }
    bool haveAddress = false;
    for (simdjson::dom::key_value_pair field : obj) {
        const std::string_view key = field.key;
        if (key == "address") {
            if (!parseAddress(field.value, host, error)) {
                return false;
            }
            haveAddress = true;
        } else if (key == "stats") {
            if (!parseStats(field.value, host, error)) {
                return false;
            }
        } else if (keyIs(key, "health_status", "healthStatus")) {
            if (!parseHealth(field.value, host, error)) {
                return false;
            }
        } else if (keyIs(key, "success_rate", "successRate")) {
            host.successRate = percentValue(field.value);
        } else if (keyIs(key, "local_origin_success_rate", "localOriginSuccessRate")) {
            host.localOriginSuccessRate = percentValue(field.value);
        } else if (key == "weight") {
            if (!parseU32(field.value, host.weight, "weight", error)) {
                return false;
            }
        } else if (key == "priority") {
            if (!parseU32(field.value, host.priority, "priority", error)) {
                return false;
            }
        } else if (key == "hostname") {
            std::string_view s;
            if (field.value.get_string().get(s) == simdjson::SUCCESS) {
                host.hostname = fromUtf8(s);
            }
        } else if (key == "locality") {
            parseLocality(field.value, host.locality);
        }
    }
    if (!haveAddress) {
        *error = QStringLiteral("has no address");
        return false;
    }
    return true;
}

bool parseCluster(element el, EnvoyCluster &cluster, int index, QString *error)
{
    simdjson::dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
        *error = QStringLiteral("cluster %1 is not an object").arg(index + 1);
        return false;
    }
    element hosts;
    bool haveHosts = false;
    for (simdjson::dom::key_value_pair field : obj) {
        const std::string_view key = field.key;
        std::string_view s;
        if (key == "name" && field.value.get_string().get(s) == simdjson::SUCCESS) {
            cluster.name = fromUtf8(s);
        } else if (keyIs(key, "observability_name", "observabilityName")
            && field.value.get_string().get(s) == simdjson::SUCCESS) {
            cluster.observabilityName = fromUtf8(s);
        } else if (keyIs(key, "eds_service_name", "edsServiceName")
            && field.value.get_string().get(s) == simdjson::SUCCESS) {
            cluster.edsServiceName = fromUtf8(s);
        } else if (keyIs(key, "added_via_api", "addedViaApi")) {
            bool b = false;
            if (field.value.get_bool().get(b) == simdjson::SUCCESS) {
                cluster.addedViaApi = b;
            }
        } else if (keyIs(key, "success_rate_ejection_threshold", "successRateEjectionThreshold")) {
            cluster.successRateEjectionThreshold = percentValue(field.value);
        } else if (keyIs(key, "host_statuses", "hostStatuses")) {
            hosts = field.value;
            haveHosts = true;
        }
    }
    if (cluster.name.isEmpty()) {
        *error = QStringLiteral("cluster %1 has no name").arg(index + 1);
        return false;
    }
    if (!haveHosts) {
        return true; // a cluster without hosts: the repeated field is omitted
    }
    simdjson::dom::array arr;
    if (hosts.get_array().get(arr) != simdjson::SUCCESS) {
        *error = QStringLiteral("cluster '%1': host_statuses is not an array").arg(cluster.name);
        return false;
    }
    cluster.hosts.reserve(qsizetype(arr.size()));
    int hostIndex = 0;
    for (element h : arr) {
        EnvoyHost host;
        QString why;
        if (!parseHost(h, host, &why)) {
            *error = QStringLiteral("cluster '%1' host %2 %3")
                         .arg(cluster.name)
                         .arg(hostIndex + 1)
                         .arg(why);
            return false;
        }
        cluster.hosts.append(std::move(host));
        ++hostIndex;
    }
    return true;
}

// ---- text --------------------------------------------------------------------------------

std::optional<quint64> textU64(QByteArrayView v, QString *error)
{
    quint64 out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec == std::errc::result_out_of_range) {
        *error = QStringLiteral("value overflows 64 bits");
        return std::nullopt;
    }
    if (ec != std::errc() || end != v.data() + v.size() || v.isEmpty()) {
        *error = v.startsWith('-') ? QStringLiteral("negative counter")
                                   : QStringLiteral("value is not an unsigned integer");
        return std::nullopt;
    }
    return out;
}

std::optional<double> textDouble(QByteArrayView v)
{
    bool ok = false;
    const double d = QByteArray::fromRawData(v.data(), v.size()).toDouble(&ok);
    return ok ? std::optional<double>(d) : std::nullopt;
}

bool parseHostKey(QByteArrayView key, EnvoyHost &host, QString *error)
{
    if (key.startsWith('[')) {
        const qsizetype close = key.indexOf("]:");
        if (close < 0) {
            *error = QStringLiteral("bracketed IPv6 host without ]:port");
            return false;
        }
        host.address = QString::fromLatin1(key.sliced(1, close - 1));
        key = key.sliced(close + 2);
    } else if (key.startsWith('/') || key.startsWith('@')) {
        host.addressKind = EnvoyHost::AddressKind::Pipe;
        host.address = QString::fromUtf8(key);
        return true;
    } else if (key.startsWith("envoy://")) {
        host.addressKind = EnvoyHost::AddressKind::Internal;
        host.address = QString::fromUtf8(key);
        return true;
    } else {
        const qsizetype colon = key.lastIndexOf(':');
        if (colon <= 0) {
            *error = QStringLiteral("host '%1' has no port")
                         .arg(QString::fromUtf8(key.first(std::min<qsizetype>(key.size(), 80))));
            return false;
        }
        host.address = QString::fromUtf8(key.first(colon));
        key = key.sliced(colon + 1);
    }
    quint16 port = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), port);
    if (ec != std::errc() || end != key.data() + key.size() || key.isEmpty()) {
        *error = QStringLiteral("host port '%1' is not a port number")
                     .arg(QString::fromUtf8(key.first(std::min<qsizetype>(key.size(), 20))));
        return false;
    }
    host.port = port;
    return true;
}

bool applyHostValue(EnvoyHost &host, QByteArrayView key, QByteArrayView value, QString *error)
{
    auto counter = [&](quint64 &field) {
        const auto v = textU64(value, error);
        if (v) {
            field = *v;
        }
        return bool(v);
    };
    if (key == "cx_active") {
        return counter(host.cxActive);
    }
    if (key == "cx_connect_fail") {
        return counter(host.cxConnectFail);
    }
    if (key == "cx_total") {
        return counter(host.cxTotal);
    }
    if (key == "rq_active") {
        return counter(host.rqActive);
    }
    if (key == "rq_error") {
        return counter(host.rqError);
    }
    if (key == "rq_success") {
        return counter(host.rqSuccess);
    }
    if (key == "rq_timeout") {
        return counter(host.rqTimeout);
    }
    if (key == "rq_total") {
        return counter(host.rqTotal);
    }
    if (key == "health_flags") {
        if (value == "healthy") {
            return true;
        }
        if (!value.startsWith('/')) {
            *error
                = QStringLiteral("health_flags '%1' is neither 'healthy' nor /flags")
                      .arg(QString::fromUtf8(value.first(std::min<qsizetype>(value.size(), 80))));
            return false;
        }
        for (qsizetype i = 1; i <= value.size();) {
            qsizetype next = value.indexOf('/', i);
            if (next < 0) {
                next = value.size();
            }
            const QString flag = QString::fromLatin1(value.sliced(i, next - i));
            if (const auto f = EnvoyHealthFlags::fromName(flag)) {
                host.healthFlags.set(*f);
            } else if (!flag.isEmpty()) {
                host.unknownHealthFlags.append(flag);
            }
            i = next + 1;
        }
        return true;
    }
    if (key == "weight" || key == "priority") {
        const auto v = textU64(value, error);
        if (!v || *v > std::numeric_limits<quint32>::max()) {
            if (v) {
                *error = QStringLiteral("%1 exceeds 32 bits").arg(QString::fromLatin1(key));
            }
            return false;
        }
        (key == "weight" ? host.weight : host.priority) = quint32(*v);
        return true;
    }
    if (key == "hostname") {
        host.hostname = QString::fromUtf8(value);
    } else if (key == "region") {
        host.locality.region = QString::fromUtf8(value);
    } else if (key == "zone") {
        host.locality.zone = QString::fromUtf8(value);
    } else if (key == "sub_zone") {
        host.locality.subZone = QString::fromUtf8(value);
    } else if (key == "success_rate" || key == "local_origin_success_rate") {
        const auto d = textDouble(value);
        if (!d) {
            *error = QStringLiteral("%1 '%2' is not a number")
                         .arg(QString::fromLatin1(key),
                             QString::fromUtf8(value.first(std::min<qsizetype>(value.size(), 40))));
            return false;
        }
        // -1 means "not computed" in the text dump.
        (key == "success_rate" ? host.successRate : host.localOriginSuccessRate)
            = *d < 0 ? std::nullopt : std::optional<double>(*d);
    }
    return true; // canary and keys this client does not know
}

} // namespace

bool EnvoyClustersParser::looksLikeJson(QByteArrayView input)
{
    for (const char c : input) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        return c == '{' || c == '[';
    }
    return false;
}

EnvoyParsed<EnvoyClusters> EnvoyClustersParser::parse(const QByteArray &input)
{
    if (looksLikeJson(input)) {
        return parseJson(input);
    }
    return parseText(input);
}

EnvoyParsed<EnvoyClusters> EnvoyClustersParser::parseJson(const QByteArray &input)
{
    EnvoyParsed<EnvoyClusters> out;
    element root;
    out.error = envoyjson::parse(input, root);
    if (!out.ok()) {
        return out;
    }
    element list;
    bool haveList = false;
    if (root.type() == element_type::ARRAY) {
        out.value.format = EnvoyClusters::Format::IstioctlJson;
        list = root;
        haveList = true;
    } else if (root.type() == element_type::OBJECT) {
        out.value.format = EnvoyClusters::Format::Json;
        const simdjson::dom::object rootObject = root.get_object().value_unsafe();
        for (simdjson::dom::key_value_pair field : rootObject) {
            if (keyIs(field.key, "cluster_statuses", "clusterStatuses")) {
                list = field.value;
                haveList = true;
            }
        }
    } else {
        out.error = QStringLiteral(
            "expected a JSON object with cluster_statuses or an array of clusters");
        return out;
    }
    if (!haveList) {
        return out; // an Envoy without clusters renders {}
    }
    simdjson::dom::array arr;
    if (list.get_array().get(arr) != simdjson::SUCCESS) {
        out.error = QStringLiteral("cluster_statuses is not an array");
        return out;
    }
    out.value.clusters.reserve(qsizetype(arr.size()));
    int index = 0;
    for (element c : arr) {
        EnvoyCluster cluster;
        if (!parseCluster(c, cluster, index, &out.error)) {
            out.value.clusters.clear();
            return out;
        }
        out.value.clusters.append(std::move(cluster));
        ++index;
    }
    return out;
}

EnvoyParsed<EnvoyClusters> EnvoyClustersParser::parseText(QByteArrayView input)
{
    EnvoyParsed<EnvoyClusters> out;
    out.value.format = EnvoyClusters::Format::Text;
    if (const void *nul = std::memchr(input.data(), 0, size_t(input.size()))) {
        out.error
            = QStringLiteral("binary data (NUL byte at offset %1), not an Envoy /clusters dump")
                  .arg(static_cast<const char *>(nul) - input.data());
        return out;
    }
    auto fail = [&out](qsizetype line, const QString &why) {
        out.error = QStringLiteral("line %1: %2").arg(line).arg(why);
        out.value.clusters.clear();
        return out;
    };

    if (!input.trimmed().isEmpty() && !input.endsWith('\n')) {
        // Envoy ends every line with a newline: without one the last fact may be cut short.
        out.error = QStringLiteral("input ends in the middle of a line (truncated dump?)");
        return out;
    }
    QHash<QByteArrayView, int> clusterIndex;
    QList<QHash<QByteArrayView, int>> hostIndex;
    int current = -1;
    QByteArrayView currentName;
    int currentHost = -1;
    QByteArrayView currentHostKey;
    qsizetype lineNo = 0;
    for (qsizetype pos = 0; pos < input.size();) {
        qsizetype eol = input.indexOf('\n', pos);
        if (eol < 0) {
            eol = input.size();
        }
        QByteArrayView line = input.sliced(pos, eol - pos);
        pos = eol + 1;
        ++lineNo;
        if (line.endsWith('\r')) {
            line.chop(1);
        }
        if (line.trimmed().isEmpty()) {
            continue;
        }
        const qsizetype sep = line.indexOf("::");
        if (sep <= 0) {
            return fail(lineNo, QStringLiteral("expected '<cluster>::<key>::<value>'"));
        }
        const QByteArrayView name = line.first(sep);
        const QByteArrayView rest = line.sliced(sep + 2);
        if (name == "version_info" && !rest.contains("::")) {
            continue; // very old builds: version_info::<cds version|static>
        }
        if (current < 0 || name != currentName) {
            const auto it = clusterIndex.constFind(name);
            if (it == clusterIndex.cend()) {
                EnvoyCluster cluster;
                cluster.name = QString::fromUtf8(name);
                out.value.clusters.append(std::move(cluster));
                current = int(out.value.clusters.size() - 1);
                clusterIndex.insert(name, current);
                hostIndex.append(QHash<QByteArrayView, int>());
            } else {
                current = *it;
            }
            currentName = name;
            currentHost = -1;
        }
        EnvoyCluster &cluster = out.value.clusters[current];

        auto valueAfter = [&rest](QByteArrayView prefix) { return rest.sliced(prefix.size()); };
        if (rest.startsWith("observability_name::")) {
            cluster.observabilityName = QString::fromUtf8(valueAfter("observability_name::"));
            continue;
        }
        if (rest.startsWith("added_via_api::")) {
            cluster.addedViaApi = valueAfter("added_via_api::") == "true";
            continue;
        }
        if (rest.startsWith("eds_service_name::")) {
            cluster.edsServiceName = QString::fromUtf8(valueAfter("eds_service_name::"));
            continue;
        }
        if (rest.startsWith("outlier::")) {
            if (rest.startsWith("outlier::success_rate_ejection_threshold::")) {
                const auto d = textDouble(valueAfter("outlier::success_rate_ejection_threshold::"));
                cluster.successRateEjectionThreshold = d && *d >= 0 ? d : std::nullopt;
            }
            continue;
        }
        if (rest.startsWith("default_priority::") || rest.startsWith("high_priority::")) {
            continue;
        }
        const qsizetype valueSep = rest.lastIndexOf("::");
        if (valueSep < 0) {
            continue; // a cluster-level key this client does not know
        }
        const QByteArrayView value = rest.sliced(valueSep + 2);
        const QByteArrayView hostAndKey = rest.first(valueSep);
        const qsizetype keySep = hostAndKey.lastIndexOf("::");
        if (keySep < 0) {
            continue; // <cluster>::<unknown key>::<value>
        }
        const QByteArrayView hostKey = hostAndKey.first(keySep);
        const QByteArrayView key = hostAndKey.sliced(keySep + 2);
        if (hostKey.isEmpty()) {
            return fail(lineNo, QStringLiteral("empty host in cluster '%1'").arg(cluster.name));
        }
        if (currentHost < 0 || hostKey != currentHostKey) {
            auto &hosts = hostIndex[current];
            const auto it = hosts.constFind(hostKey);
            if (it == hosts.cend()) {
                EnvoyHost host;
                QString why;
                if (!parseHostKey(hostKey, host, &why)) {
                    return fail(lineNo, why);
                }
                cluster.hosts.append(std::move(host));
                currentHost = int(cluster.hosts.size() - 1);
                hosts.insert(hostKey, currentHost);
            } else {
                currentHost = *it;
            }
            currentHostKey = hostKey;
        }
        QString why;
        if (!applyHostValue(cluster.hosts[currentHost], key, value, &why)) {
            return fail(lineNo,
                QString::fromUtf8(key.first(std::min<qsizetype>(key.size(), 40))) + u": " + why);
        }
    }
    if (out.value.clusters.isEmpty() && lineNo > 0 && !input.trimmed().isEmpty()) {
        // Only a version_info line: an Envoy with no clusters. Anything else already failed.
        return out;
    }
    if (input.trimmed().isEmpty()) {
        out.error = QStringLiteral("empty input");
    }
    return out;
}

} // namespace hopscope
