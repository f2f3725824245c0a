// EnvoyClustersParser: detection and the JSON shapes (`?format=json`, istioctl). The text dump
// `cluster::host::stat::value` is parsed in EnvoyClustersParserText.cpp.
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

Parsed<EnvoyClusters> EnvoyClustersParser::parse(const QByteArray &input)
{
    if (looksLikeJson(input)) {
        return parseJson(input);
    }
    return parseText(input);
}

Parsed<EnvoyClusters> EnvoyClustersParser::parseJson(const QByteArray &input)
{
    EnvoyClusters result;
    element root;
    if (const QString why = envoyjson::parse(input, root); !why.isEmpty()) {
        return ParseError { {}, why };
    }
    element list;
    bool haveList = false;
    if (root.type() == element_type::ARRAY) {
        result.format = EnvoyClusters::Format::IstioctlJson;
        list = root;
        haveList = true;
    } else if (root.type() == element_type::OBJECT) {
        result.format = EnvoyClusters::Format::Json;
        const simdjson::dom::object rootObject = root.get_object().value_unsafe();
        for (simdjson::dom::key_value_pair field : rootObject) {
            if (keyIs(field.key, "cluster_statuses", "clusterStatuses")) {
                list = field.value;
                haveList = true;
            }
        }
    } else {
        return ParseError { {},
            QStringLiteral(
                "expected a JSON object with cluster_statuses or an array of clusters") };
    }
    if (!haveList) {
        return result; // an Envoy without clusters renders {}
    }
    simdjson::dom::array arr;
    if (list.get_array().get(arr) != simdjson::SUCCESS) {
        return ParseError { {}, QStringLiteral("cluster_statuses is not an array") };
    }
    result.clusters.reserve(qsizetype(arr.size()));
    int index = 0;
    for (element c : arr) {
        EnvoyCluster cluster;
        QString why;
        if (!parseCluster(c, cluster, index, &why)) {
            return ParseError { {}, why }; // why names the cluster and the host
        }
        result.clusters.append(std::move(cluster));
        ++index;
    }
    return result;
}

} // namespace hopscope
