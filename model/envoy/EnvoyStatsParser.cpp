#include "envoy/EnvoyStatsParser.h"

#include "core/LineReader.h"

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyJson.h"

#include <QHash>

#include <charconv>
#include <cstring>

namespace hopscope {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

enum class Field { CxActive, RqActive, RqTotal, CxTotal, MembershipHealthy, MembershipTotal };

struct Suffix
{
    QByteArrayView text;
    Field field;
};

constexpr Suffix s_clusterSuffixes[] = {
    { ".upstream_cx_active", Field::CxActive },
    { ".upstream_rq_active", Field::RqActive },
    { ".upstream_rq_total", Field::RqTotal },
    { ".upstream_cx_total", Field::CxTotal },
    { ".membership_healthy", Field::MembershipHealthy },
    { ".membership_total", Field::MembershipTotal },
};
constexpr Suffix s_downstreamSuffixes[] = {
    { ".downstream_cx_active", Field::CxActive },
    { ".downstream_rq_active", Field::RqActive },
    { ".downstream_rq_total", Field::RqTotal },
    { ".downstream_cx_total", Field::CxTotal },
};

void setField(EnvoyTrafficStats &t, Field f, quint64 v)
{
    switch (f) {
    case Field::CxActive:
        t.cxActive = v;
        break;
    case Field::RqActive:
        t.rqActive = v;
        break;
    case Field::RqTotal:
        t.rqTotal = v;
        break;
    case Field::CxTotal:
        t.cxTotal = v;
        break;
    case Field::MembershipHealthy:
        t.membershipHealthy = v;
        break;
    case Field::MembershipTotal:
        t.membershipTotal = v;
        break;
    }
}

bool isPerWorker(QByteArrayView middle)
{
    // listener.<addr>.worker_<n>.downstream_cx_active duplicates the listener total per thread.
    const qsizetype dot = middle.lastIndexOf('.');
    const QByteArrayView last = dot < 0 ? middle : middle.sliced(dot + 1);
    return last.startsWith("worker_");
}

class Deriver
{
public:
    explicit Deriver(EnvoyStats &stats)
        : m_stats(stats)
    { }

    void add(QByteArrayView name, quint64 value)
    {
        if (name == "server.state") {
            m_stats.serverState = value;
        } else if (name == "server.live") {
            m_stats.serverLive = value;
        } else if (name.startsWith("cluster.")) {
            match(name.sliced(8), s_clusterSuffixes, m_stats.clusters, m_clusters, value);
        } else if (name.startsWith("listener.")) {
            match(name.sliced(9), s_downstreamSuffixes, m_stats.listeners, m_listeners, value);
        } else if (name.startsWith("http.")) {
            match(name.sliced(5), s_downstreamSuffixes, m_stats.httpManagers, m_http, value);
        }
    }

private:
    template <size_t N>
    void match(QByteArrayView rest, const Suffix (&suffixes)[N], QList<EnvoyTrafficStats> &list,
        QHash<QByteArray, int> &index, quint64 value)
    {
        for (const Suffix &s : suffixes) {
            if (rest.size() > s.text.size() && rest.endsWith(s.text)) {
                const QByteArrayView middle = rest.first(rest.size() - s.text.size());
                if (isPerWorker(middle) || middle.contains(".http.")) {
                    return;
                }
                const QByteArray key = middle.toByteArray();
                auto it = index.constFind(key);
                int at = 0;
                if (it == index.cend()) {
                    EnvoyTrafficStats t;
                    t.name = QString::fromUtf8(middle);
                    list.append(std::move(t));
                    at = int(list.size() - 1);
                    index.insert(key, at);
                } else {
                    at = *it;
                }
                setField(list[at], s.field, value);
                return;
            }
        }
    }

    EnvoyStats &m_stats;
    QHash<QByteArray, int> m_clusters;
    QHash<QByteArray, int> m_listeners;
    QHash<QByteArray, int> m_http;
};

// {"histograms":{"supported_quantiles":[...],"computed_quantiles":[{"name","values":[{"interval",
// "cumulative"}...]}]}}: the quantile format the source asks for (no histogram_buckets). Other
// layouts (buckets, detailed) are skipped: the quantiles are an addition, never a parse error.
void parseHistograms(element histograms, QList<EnvoyHistogramQuantiles> *out)
{
    element supported;
    element computed;
    if (histograms.type() != element_type::OBJECT
        || histograms["supported_quantiles"].get(supported) != simdjson::SUCCESS
        || histograms["computed_quantiles"].get(computed) != simdjson::SUCCESS
        || supported.type() != element_type::ARRAY || computed.type() != element_type::ARRAY) {
        return;
    }
    QList<double> quantiles;
    const simdjson::dom::array supportedList = supported.get_array().value_unsafe();
    for (element q : supportedList) {
        const auto v = envoyjson::toDouble(q);
        if (!v) {
            return;
        }
        quantiles.append(*v);
    }
    const auto number = [](element parent, const char *key) -> std::optional<double> {
        element v;
        if (parent[key].get(v) != simdjson::SUCCESS || v.type() == element_type::NULL_VALUE) {
            return std::nullopt;
        }
        return envoyjson::toDouble(v);
    };
    const simdjson::dom::array computedList = computed.get_array().value_unsafe();
    for (element h : computedList) {
        std::string_view name;
        element values;
        if (h.type() != element_type::OBJECT
            || h["name"].get_string().get(name) != simdjson::SUCCESS
            || h["values"].get(values) != simdjson::SUCCESS
            || values.type() != element_type::ARRAY) {
            continue;
        }
        EnvoyHistogramQuantiles hq;
        hq.name = envoyjson::fromUtf8(name.substr(0, 512));
        hq.quantiles = quantiles;
        const simdjson::dom::array valueList = values.get_array().value_unsafe();
        for (element v : valueList) {
            if (v.type() != element_type::OBJECT) {
                break;
            }
            hq.interval.append(number(v, "interval"));
            hq.cumulative.append(number(v, "cumulative"));
        }
        if (hq.interval.size() == quantiles.size()) {
            out->append(std::move(hq));
        }
    }
}

Parsed<EnvoyStats> parseJson(const QByteArray &input)
{
    EnvoyStats result;
    element root;
    if (const QString why = envoyjson::parse(input, root); !why.isEmpty()) {
        return ParseError { {}, why };
    }
    element list;
    if (root.type() != element_type::OBJECT || root["stats"].get(list) != simdjson::SUCCESS
        || list.type() != element_type::ARRAY) {
        return ParseError { {}, QStringLiteral("expected a JSON object with a \"stats\" array") };
    }
    Deriver deriver(result);
    int index = 0;
    const simdjson::dom::array statList = list.get_array().value_unsafe();
    for (element stat : statList) {
        ++index;
        if (stat.type() != element_type::OBJECT) {
            return ParseError { {}, QStringLiteral("stats[%1] is not an object").arg(index - 1) };
        }
        std::string_view name;
        element value;
        if (stat["name"].get_string().get(name) != simdjson::SUCCESS) {
            element histograms;
            if (stat["histograms"].get(histograms) == simdjson::SUCCESS) {
                parseHistograms(histograms, &result.histograms);
            }
            continue;
        }
        if (stat["value"].get(value) != simdjson::SUCCESS) {
            continue;
        }
        if (value.type() == element_type::STRING) {
            // A text readout ("server.version"), or a counter an older build rendered as a string.
            const std::string_view s = value.get_string().value_unsafe();
            if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) {
                continue;
            }
        }
        QString why;
        const auto v = envoyjson::toU64(value, &why);
        if (!v) {
            return ParseError { {},
                QStringLiteral("stat %1: %2").arg(envoyjson::fromUtf8(name.substr(0, 200)), why) };
        }
        const QByteArrayView nameView(name.data(), qsizetype(name.size()));
        result.values.append(EnvoyStats::Value { QString::fromUtf8(nameView), *v });
        deriver.add(nameView, *v);
    }
    return result;
}

Parsed<EnvoyStats> parseText(QByteArrayView input)
{
    EnvoyStats result;
    if (input.trimmed().isEmpty()) {
        return ParseError { {}, QStringLiteral("empty input") };
    }
    if (const void *nul = std::memchr(input.data(), 0, size_t(input.size()))) {
        return ParseError { {},
            QStringLiteral("binary data (NUL byte at offset %1), not an Envoy /stats dump")
                .arg(static_cast<const char *>(nul) - input.data()) };
    }
    if (!input.endsWith('\n')) {
        return ParseError { {},
            QStringLiteral("input ends in the middle of a line (truncated dump?)") };
    }
    Deriver deriver(result);
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    while (reader.next(&line, &terminated)) {
        const qsizetype lineNo = reader.lineNo();
        if (line.isEmpty()) {
            continue;
        }
        const qsizetype sep = line.indexOf(": ");
        if (sep <= 0) {
            return ParseError { QStringLiteral("line %1").arg(lineNo),
                QStringLiteral("expected '<name>: <value>'") };
        }
        const QByteArrayView name = line.first(sep);
        const QByteArrayView value = line.sliced(sep + 2);
        if (value.startsWith('"') || value.startsWith('P') || value == "No recorded values") {
            continue; // text readout or histogram
        }
        quint64 v = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || end != value.data() + value.size()) {
            return ParseError { QStringLiteral("line %1").arg(lineNo),
                QStringLiteral("%1: %2")
                    .arg(QString::fromUtf8(name.first(std::min<qsizetype>(name.size(), 200))))
                    .arg(ec == std::errc::result_out_of_range
                            ? QStringLiteral("value overflows 64 bits")
                            : value.startsWith('-')
                            ? QStringLiteral("negative value")
                            : QStringLiteral("value is not an unsigned integer")) };
        }
        result.values.append(EnvoyStats::Value { QString::fromUtf8(name), v });
        deriver.add(name, v);
    }
    return result;
}

} // namespace

Parsed<EnvoyStats> EnvoyStatsParser::parse(const QByteArray &input)
{
    if (EnvoyClustersParser::looksLikeJson(input)) {
        return parseJson(input);
    }
    return parseText(input);
}

QString EnvoyStatsParser::pollFilter()
{
    return QStringLiteral(
        "^(cluster\\..+\\.(upstream_cx_active|upstream_cx_total|upstream_rq_active|upstream_rq_"
        "total|upstream_rq_5xx|upstream_rq_5[0-9][0-9]|upstream_rq_time|"
        "membership_healthy|membership_total)|listener\\..+\\.downstream_cx_(active|total)|"
        "http\\..+\\.downstream_(cx_active|cx_total|rq_active|rq_total)|server\\.(state|live|"
        "uptime))$");
}

} // namespace hopscope
