#include "envoy/EnvoyJson.h"

#include <charconv>
#include <cmath>

namespace hopscope::envoyjson {

namespace {
// After a document above this size the thread's parser is replaced before the next smaller one,
// so that one huge dump does not pin its buffers for the rest of the run.
constexpr qsizetype s_reuseLimit = qsizetype(32) * 1024 * 1024;
} // namespace

QString parse(const QByteArray &input, simdjson::dom::element &root)
{
    thread_local simdjson::dom::parser t_parser;
    if (t_parser.capacity() > size_t(s_reuseLimit) && input.size() <= s_reuseLimit) {
        t_parser = simdjson::dom::parser(); // give back what the last huge document took
    }
    const bool padded = input.capacity() - input.size() >= qsizetype(simdjson::SIMDJSON_PADDING);
    auto result = t_parser.parse(input.constData(), size_t(input.size()), !padded);
    if (result.error() != simdjson::SUCCESS) {
        return QStringLiteral("invalid JSON: %1")
            .arg(QLatin1String(simdjson::error_message(result.error())));
    }
    root = result.value_unsafe();
    return {};
}

QString fromUtf8(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

std::optional<quint64> toU64(simdjson::dom::element value, QString *error)
{
    using T = simdjson::dom::element_type;
    switch (value.type()) {
    case T::UINT64:
        return quint64(value.get_uint64().value_unsafe());
    case T::INT64: {
        const qint64 v = value.get_int64().value_unsafe();
        if (v < 0) {
            *error = QStringLiteral("negative counter %1").arg(v);
            return std::nullopt;
        }
        return quint64(v);
    }
    case T::STRING: {
        const std::string_view s = value.get_string().value_unsafe();
        quint64 v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc::result_out_of_range) {
            *error
                = QStringLiteral("counter \"%1\" overflows 64 bits").arg(fromUtf8(s.substr(0, 40)));
            return std::nullopt;
        }
        if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
            *error = QStringLiteral("counter \"%1\" is not an unsigned integer")
                         .arg(fromUtf8(s.substr(0, 40)));
            return std::nullopt;
        }
        return v;
    }
    case T::DOUBLE:
        *error
            = QStringLiteral("counter %1 is not an integer").arg(value.get_double().value_unsafe());
        return std::nullopt;
    default:
        *error = QStringLiteral("counter is neither a number nor a string");
        return std::nullopt;
    }
}

std::optional<double> toDouble(simdjson::dom::element value)
{
    using T = simdjson::dom::element_type;
    switch (value.type()) {
    case T::UINT64:
        return double(value.get_uint64().value_unsafe());
    case T::INT64:
        return double(value.get_int64().value_unsafe());
    case T::DOUBLE:
        return value.get_double().value_unsafe();
    case T::STRING: {
        bool ok = false;
        const std::string_view s = value.get_string().value_unsafe();
        const double d = QByteArray(s.data(), qsizetype(s.size())).toDouble(&ok);
        if (ok && std::isfinite(d)) {
            return d;
        }
        return std::nullopt;
    }
    default:
        return std::nullopt;
    }
}

} // namespace hopscope::envoyjson
