#include "prometheus/PrometheusResponse.h"

// simdjson through the Envoy parsers' helper (thread-owned DOM parser, padding, one-line errors):
// a fleet answer is one series per server and metric, megabytes at 50,000 targets, where
// QJsonDocument would build a QVariant-like tree several times the size of the input.
#include "envoy/EnvoyJson.h"

#include <cmath>
#include <limits>

namespace hopscope {

namespace {

using envoyjson::fromUtf8;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Label names and values, metric names and sample texts repeat from one series to the next (the
// same instance, job, metric and state; the 20 servers of one backend): a series takes the
// previous one's QString (implicitly shared) when the bytes are the same instead of allocating
// it again, which at 50,000 series per answer was most of the parse. The views point into the
// DOM of this parse only (a Walk lives for one parse).
struct Reused
{
    std::string_view bytes;
    QString text;
    bool set = false;

    const QString &get(std::string_view s)
    {
        if (!set || s != bytes) {
            bytes = s;
            text = fromUtf8(s);
            set = true;
        }
        return text;
    }
};

struct SampleCache
{
    Reused text;
    double value = 0; // parsed from text.text
};

struct Walk
{
    ParseError error;
    bool failed = false;
    Reused name;
    QList<std::pair<Reused, Reused>> labels; // by position in the series' "metric" object
    SampleCache sample;

    bool fail(const QString &where, const QString &what)
    {
        if (!failed) {
            error = { where, what };
            failed = true;
        }
        return false;
    }
};

QString typeName(element e)
{
    switch (e.type()) {
    case element_type::ARRAY:
        return QStringLiteral("an array");
    case element_type::OBJECT:
        return QStringLiteral("an object");
    case element_type::STRING:
        return QStringLiteral("a string");
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
        return QStringLiteral("a number");
    case element_type::BOOL:
        return QStringLiteral("true or false");
    case element_type::NULL_VALUE:
        return QStringLiteral("null");
    }
    return QStringLiteral("something else");
}

bool stringList(element e, const QString &where, QStringList *out, Walk &w)
{
    if (!e.is_array()) {
        return w.fail(where, QStringLiteral("expected an array of strings, got ") + typeName(e));
    }
    qsizetype i = 0;
    const array items = e.get_array().value_unsafe();
    for (element item : items) {
        if (!item.is_string()) {
            return w.fail(QStringLiteral("%1[%2]").arg(where).arg(i),
                QStringLiteral("expected a string, got ") + typeName(item));
        }
        out->append(fromUtf8(item.get_string().value_unsafe()));
        ++i;
    }
    return true;
}

// [<unix time>, "<sample>"]; numeric == false for a string result. `where` is built only when
// something is wrong (a function: at 50,000 series the paths themselves cost).
template<typename Where>
bool point(element e, const Where &where, bool numeric, PrometheusSeries::Point *out, Walk &w,
    SampleCache *cache = nullptr)
{
    if (!e.is_array()) {
        return w.fail(where(), QStringLiteral("expected [time, \"value\"], got ") + typeName(e));
    }
    const array a = e.get_array().value_unsafe();
    if (a.size() != 2) {
        return w.fail(where(),
            QStringLiteral("expected [time, \"value\"], got %1 elements").arg(qsizetype(a.size())));
    }
    const element t = a.at(0).value_unsafe();
    const element v = a.at(1).value_unsafe();
    if (t.is_double() || t.is_int64() || t.is_uint64()) {
        out->time = t.get_double().value_unsafe();
    } else {
        return w.fail(where() + QStringLiteral("[0]"),
            QStringLiteral("expected a unix time, got ") + typeName(t));
    }
    if (!v.is_string()) {
        // Prometheus always renders samples as strings; a bare number is not its format.
        return w.fail(where() + QStringLiteral("[1]"),
            QStringLiteral("expected the sample as a string, got ") + typeName(v));
    }
    const std::string_view raw = v.get_string().value_unsafe();
    if (numeric && cache && cache->text.set && raw == cache->text.bytes) {
        out->text = cache->text.text; // the previous series' sample: same text, same value
        out->value = cache->value;
        return true;
    }
    out->text = fromUtf8(raw);
    if (numeric) {
        const auto value = parsePrometheusSample(out->text);
        if (!value) {
            return w.fail(where() + QStringLiteral("[1]"),
                QStringLiteral("\"%1\" is not a number, NaN or ±Inf").arg(out->text.left(40)));
        }
        out->value = *value;
        if (cache) {
            cache->text.bytes = raw;
            cache->text.text = out->text;
            cache->text.set = true;
            cache->value = *value;
        }
    } else {
        out->value = std::numeric_limits<double>::quiet_NaN();
    }
    return true;
}

bool series(element e, qsizetype index, bool matrix, PrometheusSeries *out, Walk &w)
{
    const auto where = [index] { return QStringLiteral("data.result[%1]").arg(index); };
    if (!e.is_object()) {
        return w.fail(where(), QStringLiteral("expected an object, got ") + typeName(e));
    }
    const object o = e.get_object().value_unsafe();
    element metric;
    if (o["metric"].get(metric) != simdjson::SUCCESS) {
        return w.fail(where(), QStringLiteral("has no \"metric\""));
    }
    if (!metric.is_object()) {
        return w.fail(where() + QStringLiteral(".metric"),
            QStringLiteral("expected an object, got ") + typeName(metric));
    }
    const object labels = metric.get_object().value_unsafe();
    qsizetype position = 0;
    for (auto field : labels) {
        if (!field.value.is_string()) {
            return w.fail(where() + QStringLiteral(".metric.") + fromUtf8(field.key).left(60),
                QStringLiteral("expected a string, got ") + typeName(field.value));
        }
        const std::string_view value = field.value.get_string().value_unsafe();
        if (field.key == "__name__") {
            out->name = w.name.get(value);
            continue;
        }
        if (position == w.labels.size()) {
            w.labels.append(std::pair<Reused, Reused>());
        }
        auto &[key, text] = w.labels[position++];
        out->labels.append({ key.get(field.key), text.get(value) });
    }
    element points;
    if (!matrix) {
        if (o["value"].get(points) == simdjson::SUCCESS) {
            PrometheusSeries::Point p;
            if (!point(
                    points, [&]() -> QString { return where() + QStringLiteral(".value"); }, true, &p, w,
                    &w.sample)) {
                return false;
            }
            out->points.append(p);
        } else if (o["histogram"].get(points) != simdjson::SUCCESS) {
            return w.fail(where(), QStringLiteral("has neither \"value\" nor \"histogram\""));
        } // a native histogram sample: kept as a series without points (not read here)
        return true;
    }
    if (o["values"].get(points) == simdjson::SUCCESS) {
        if (!points.is_array()) {
            return w.fail(where() + QStringLiteral(".values"),
                QStringLiteral("expected an array, got ") + typeName(points));
        }
        qsizetype i = 0;
        const array list = points.get_array().value_unsafe();
        for (element pe : list) {
            PrometheusSeries::Point p;
            if (!point(
                    pe, [&]() -> QString { return QStringLiteral("%1.values[%2]").arg(where()).arg(i); }, true,
                    &p, w)) {
                return false;
            }
            out->points.append(p);
            ++i;
        }
    } else if (o["histograms"].get(points) != simdjson::SUCCESS) {
        return w.fail(where(), QStringLiteral("has neither \"values\" nor \"histograms\""));
    }
    return true;
}

} // namespace

QString PrometheusSeries::label(QStringView key) const
{
    for (const auto &[k, v] : labels) {
        if (k == key) {
            return v;
        }
    }
    return {};
}

std::optional<double> parsePrometheusSample(QStringView text)
{
    if (text == u"NaN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (text == u"+Inf" || text == u"Inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (text == u"-Inf") {
        return -std::numeric_limits<double>::infinity();
    }
    if (text.isEmpty() || text.size() > 64) {
        return std::nullopt;
    }
    // Only what Go's strconv.FormatFloat(v, 'f'/'e', -1, 64) prints: digits, sign, '.', 'e'.
    for (const QChar c : text) {
        if (!(c.isDigit() || c == u'-' || c == u'+' || c == u'.' || c == u'e' || c == u'E')) {
            return std::nullopt;
        }
    }
    bool ok = false;
    const double v = text.toDouble(&ok);
    if (!ok || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

QString PrometheusResponse::resultTypeName(ResultType type)
{
    switch (type) {
    case ResultType::Vector:
        return QStringLiteral("vector");
    case ResultType::Matrix:
        return QStringLiteral("matrix");
    case ResultType::Scalar:
        return QStringLiteral("scalar");
    case ResultType::String:
        return QStringLiteral("string");
    }
    return {};
}

QString PrometheusResponse::errorInWords() const
{
    if (success) {
        return {};
    }
    QString what;
    if (errorType == u"bad_data") {
        what = QStringLiteral("Prometheus rejected the query as malformed");
    } else if (errorType == u"execution") {
        what = QStringLiteral("Prometheus could not evaluate the query");
    } else if (errorType == u"timeout") {
        what = QStringLiteral("the query ran out of time on the Prometheus server");
    } else if (errorType == u"canceled") {
        what = QStringLiteral("Prometheus cancelled the query");
    } else if (errorType == u"unavailable") {
        what = QStringLiteral("Prometheus is unavailable");
    } else if (errorType == u"internal") {
        what = QStringLiteral("Prometheus failed internally");
    } else if (errorType == u"not_found") {
        what = QStringLiteral("Prometheus does not serve this API");
    } else {
        what = QStringLiteral("Prometheus answered with an error");
    }
    return QStringLiteral("%1 (%2): %3")
        .arg(what, errorType.isEmpty() ? QStringLiteral("no errorType") : errorType.left(40),
            error.isEmpty() ? QStringLiteral("no message") : error.left(300));
}

PrometheusResponse mergePrometheusResponses(QList<PrometheusResponse> answers)
{
    PrometheusResponse merged;
    merged.success = true;
    const auto addOnce = [](QStringList &to, const QStringList &from) {
        for (const QString &s : from) {
            if (!to.contains(s)) {
                to.append(s);
            }
        }
    };
    bool typed = false;
    for (PrometheusResponse &a : answers) {
        addOnce(merged.warnings, a.warnings);
        addOnce(merged.infos, a.infos);
        if (!merged.success) {
            continue; // the first failure is kept; the rest only add their warnings
        }
        if (!a.success) {
            merged.success = false;
            merged.errorType = a.errorType;
            merged.error = a.error;
            merged.series.clear();
            continue;
        }
        if (!typed && a.resultType != PrometheusResponse::ResultType::Vector) {
            merged.resultType = a.resultType;
            merged.scalar = a.scalar;
            typed = true;
        }
        if (merged.series.isEmpty()) {
            merged.series = std::move(a.series);
        } else {
            merged.series.append(std::move(a.series));
        }
    }
    return merged;
}

Parsed<PrometheusResponse> parsePrometheusResponse(const QByteArray &body, qsizetype maxSeries)
{
    if (body.trimmed().isEmpty()) {
        return Parsed<PrometheusResponse>::failure(QStringLiteral("empty answer"));
    }
    element root;
    if (const QString e = envoyjson::parse(body, root); !e.isEmpty()) {
        return Parsed<PrometheusResponse>::failure(e);
    }
    if (!root.is_object()) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("expected a JSON object, got ") + typeName(root));
    }
    const object o = root.get_object().value_unsafe();
    PrometheusResponse r;
    Walk w;
    element e;
    if (o["status"].get(e) != simdjson::SUCCESS || !e.is_string()) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("missing or not a string"), QStringLiteral("status"));
    }
    const std::string_view status = e.get_string().value_unsafe();
    if (status != "success" && status != "error") {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("\"%1\" is neither success nor error").arg(fromUtf8(status).left(40)),
            QStringLiteral("status"));
    }
    r.success = status == "success";
    if (o["warnings"].get(e) == simdjson::SUCCESS && !e.is_null()) {
        stringList(e, QStringLiteral("warnings"), &r.warnings, w);
    }
    if (o["infos"].get(e) == simdjson::SUCCESS && !e.is_null()) {
        stringList(e, QStringLiteral("infos"), &r.infos, w);
    }
    if (w.failed) {
        return w.error;
    }
    if (!r.success) {
        if (o["errorType"].get(e) == simdjson::SUCCESS && e.is_string()) {
            r.errorType = fromUtf8(e.get_string().value_unsafe());
        }
        if (o["error"].get(e) == simdjson::SUCCESS && e.is_string()) {
            r.error = fromUtf8(e.get_string().value_unsafe());
        }
        return r;
    }
    element data;
    if (o["data"].get(data) != simdjson::SUCCESS || !data.is_object()) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("missing or not an object"), QStringLiteral("data"));
    }
    const object d = data.get_object().value_unsafe();
    if (d["resultType"].get(e) != simdjson::SUCCESS || !e.is_string()) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("missing or not a string"), QStringLiteral("data.resultType"));
    }
    const std::string_view type = e.get_string().value_unsafe();
    if (type == "vector") {
        r.resultType = PrometheusResponse::ResultType::Vector;
    } else if (type == "matrix") {
        r.resultType = PrometheusResponse::ResultType::Matrix;
    } else if (type == "scalar") {
        r.resultType = PrometheusResponse::ResultType::Scalar;
    } else if (type == "string") {
        r.resultType = PrometheusResponse::ResultType::String;
    } else {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("\"%1\" is not vector, matrix, scalar or string")
                .arg(fromUtf8(type).left(40)),
            QStringLiteral("data.resultType"));
    }
    element result;
    if (d["result"].get(result) != simdjson::SUCCESS) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("is missing"), QStringLiteral("data.result"));
    }
    if (r.resultType == PrometheusResponse::ResultType::Scalar
        || r.resultType == PrometheusResponse::ResultType::String) {
        PrometheusSeries::Point p;
        if (!point(
                result, [] { return QStringLiteral("data.result"); },
                r.resultType == PrometheusResponse::ResultType::Scalar, &p, w)) {
            return w.error;
        }
        r.scalar = p;
        return r;
    }
    if (!result.is_array()) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("expected an array, got ") + typeName(result),
            QStringLiteral("data.result"));
    }
    const array items = result.get_array().value_unsafe();
    if (qsizetype(items.size()) > maxSeries) {
        return Parsed<PrometheusResponse>::failure(
            QStringLiteral("%1 series, more than the %2 accepted")
                .arg(qsizetype(items.size()))
                .arg(maxSeries),
            QStringLiteral("data.result"));
    }
    r.series.reserve(qsizetype(items.size()));
    qsizetype i = 0;
    const bool matrix = r.resultType == PrometheusResponse::ResultType::Matrix;
    for (element item : items) {
        PrometheusSeries s;
        if (!series(item, i, matrix, &s, w)) {
            return w.error;
        }
        r.series.append(std::move(s));
        ++i;
    }
    return r;
}

} // namespace hopscope
