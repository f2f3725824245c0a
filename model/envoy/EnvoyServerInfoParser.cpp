#include "envoy/EnvoyServerInfoParser.h"

#include "envoy/EnvoyJson.h"

#include <QRegularExpression>

#include <cmath>

namespace hopscope {

using envoyjson::fromUtf8;
using envoyjson::keyIs;
using simdjson::dom::element;
using simdjson::dom::element_type;

std::optional<qint64> EnvoyServerInfoParser::durationSeconds(QByteArrayView text)
{
    if (!text.endsWith('s') || text.size() < 2) {
        return std::nullopt;
    }
    bool ok = false;
    const double seconds = QByteArray::fromRawData(text.data(), text.size() - 1).toDouble(&ok);
    if (!ok || !std::isfinite(seconds) || seconds < 0 || seconds > 9.2e15) {
        return std::nullopt;
    }
    return qint64(seconds);
}

namespace {
std::optional<qint64> durationOf(element el)
{
    std::string_view s;
    if (el.get_string().get(s) == simdjson::SUCCESS) {
        return EnvoyServerInfoParser::durationSeconds(
            QByteArrayView(s.data(), qsizetype(s.size())));
    }
    if (el.type() == element_type::OBJECT) { // {"seconds": "12", "nanos": 0} in some renderings
        element sec;
        QString why;
        if (el["seconds"].get(sec) == simdjson::SUCCESS) {
            if (const auto v = envoyjson::toU64(sec, &why); v && *v < quint64(1) << 62) {
                return qint64(*v);
            }
        }
    }
    return std::nullopt;
}

QString stringOf(element el)
{
    std::string_view s;
    return el.get_string().get(s) == simdjson::SUCCESS ? fromUtf8(s) : QString();
}
} // namespace

Parsed<EnvoyServerInfo> EnvoyServerInfoParser::parse(const QByteArray &input)
{
    EnvoyServerInfo result;
    element root;
    if (const QString why = envoyjson::parse(input, root); !why.isEmpty()) {
        return ParseError { {}, why };
    }
    if (root.type() != element_type::OBJECT) {
        return ParseError { {}, QStringLiteral("server_info is not a JSON object") };
    }
    EnvoyServerInfo &info = result;
    bool haveState = false;
    const simdjson::dom::object rootObject = root.get_object().value_unsafe();
    for (simdjson::dom::key_value_pair field : rootObject) {
        const std::string_view key = field.key;
        if (key == "state") {
            std::string_view s;
            int64_t n = -1;
            if (field.value.get_string().get(s) == simdjson::SUCCESS) {
                info.stateName = fromUtf8(s);
            } else if (field.value.get_int64().get(n) == simdjson::SUCCESS && n >= 0 && n <= 3) {
                static constexpr const char *names[]
                    = { "LIVE", "DRAINING", "PRE_INITIALIZING", "INITIALIZING" };
                info.stateName = QLatin1String(names[n]);
            } else {
                return ParseError { {},
                    QStringLiteral("server_info.state is neither a state name nor a number") };
            }
            info.state = EnvoyServerInfo::stateFromName(info.stateName);
            haveState = true;
        } else if (key == "version") {
            info.version = stringOf(field.value);
        } else if (keyIs(key, "hot_restart_version", "hotRestartVersion")) {
            info.hotRestartVersion = stringOf(field.value);
        } else if (keyIs(key, "uptime_current_epoch", "uptimeCurrentEpoch")) {
            info.uptimeSeconds = durationOf(field.value).value_or(0);
        } else if (keyIs(key, "uptime_all_epochs", "uptimeAllEpochs")) {
            info.uptimeAllEpochsSeconds = durationOf(field.value).value_or(0);
        } else if (keyIs(key, "command_line_options", "commandLineOptions")) {
            if (field.value.type() != element_type::OBJECT) {
                continue;
            }
            const simdjson::dom::object options = field.value.get_object().value_unsafe();
            for (simdjson::dom::key_value_pair o : options) {
                if (keyIs(o.key, "drain_time", "drainTime")) {
                    info.drainTimeSeconds = durationOf(o.value);
                } else if (keyIs(o.key, "drain_strategy", "drainStrategy")) {
                    info.drainStrategy = stringOf(o.value);
                } else if (keyIs(o.key, "restart_epoch", "restartEpoch")) {
                    QString why;
                    if (const auto v = envoyjson::toU64(o.value, &why);
                        v && *v < (quint64(1) << 62)) {
                        info.restartEpoch = qint64(*v);
                    }
                }
            }
        } else if (key == "node") {
            if (field.value.type() != element_type::OBJECT) {
                continue;
            }
            const simdjson::dom::object node = field.value.get_object().value_unsafe();
            for (simdjson::dom::key_value_pair n : node) {
                if (n.key == "id") {
                    info.nodeId = stringOf(n.value);
                } else if (n.key == "cluster") {
                    info.nodeCluster = stringOf(n.value);
                } else if (n.key == "locality" && n.value.type() == element_type::OBJECT) {
                    element v;
                    if (n.value["region"].get(v) == simdjson::SUCCESS) {
                        info.nodeLocality.region = stringOf(v);
                    }
                    if (n.value["zone"].get(v) == simdjson::SUCCESS) {
                        info.nodeLocality.zone = stringOf(v);
                    }
                    if (n.value["sub_zone"].get(v) == simdjson::SUCCESS
                        || n.value["subZone"].get(v) == simdjson::SUCCESS) {
                        info.nodeLocality.subZone = stringOf(v);
                    }
                }
            }
        }
    }
    if (!haveState) {
        // /server_info prints primitive fields always, so a missing state means this is not it.
        return ParseError { {}, QStringLiteral("server_info has no state field") };
    }
    static const QRegularExpression s_semver(QStringLiteral("/(\\d+\\.\\d+\\.\\d+)(?:-[^/]*)?/"));
    const auto m = s_semver.match(info.version);
    if (m.hasMatch()) {
        info.semver = m.captured(1);
    }
    return result;
}

} // namespace hopscope
