// EnvoyClustersParser::parseText: the `cluster::host::stat::value` text dump of `/clusters`
// (IPv6 hosts with `::`, pipe paths). The JSON shapes are in EnvoyClustersParser.cpp.
#include "envoy/EnvoyClustersParser.h"

#include "core/LineReader.h"

#include <QHash>

#include <charconv>
#include <cstring>
#include <limits>

namespace hopscope {

namespace {

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

Parsed<EnvoyClusters> EnvoyClustersParser::parseText(QByteArrayView input)
{
    EnvoyClusters result;
    result.format = EnvoyClusters::Format::Text;
    if (const void *nul = std::memchr(input.data(), 0, size_t(input.size()))) {
        return ParseError { {},
            QStringLiteral("binary data (NUL byte at offset %1), not an Envoy /clusters dump")
                .arg(static_cast<const char *>(nul) - input.data()) };
    }
    auto fail = [](qsizetype line, const QString &why) {
        return ParseError { QStringLiteral("line %1").arg(line), why };
    };

    if (!input.trimmed().isEmpty() && !input.endsWith('\n')) {
        // Envoy ends every line with a newline: without one the last fact may be cut short.
        return ParseError { {},
            QStringLiteral("input ends in the middle of a line (truncated dump?)") };
    }
    QHash<QByteArrayView, int> clusterIndex;
    QList<QHash<QByteArrayView, int>> hostIndex;
    int current = -1;
    QByteArrayView currentName;
    int currentHost = -1;
    QByteArrayView currentHostKey;
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    while (reader.next(&line, &terminated)) {
        const qsizetype lineNo = reader.lineNo();
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
                result.clusters.append(std::move(cluster));
                current = int(result.clusters.size() - 1);
                clusterIndex.insert(name, current);
                hostIndex.append(QHash<QByteArrayView, int>());
            } else {
                current = *it;
            }
            currentName = name;
            currentHost = -1;
        }
        EnvoyCluster &cluster = result.clusters[current];

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
    if (result.clusters.isEmpty() && reader.lineNo() > 0 && !input.trimmed().isEmpty()) {
        // Only a version_info line: an Envoy with no clusters. Anything else already failed.
        return result;
    }
    if (input.trimmed().isEmpty()) {
        return ParseError { {}, QStringLiteral("empty input") };
    }
    return result;
}

} // namespace hopscope
