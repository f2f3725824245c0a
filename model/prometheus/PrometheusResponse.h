#pragma once

#include "core/Parsed.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>

namespace hopscope {

// One series of an instant vector (`value`) or a range matrix (`values`), docs/PROTOCOLS.md §5.2.
// Labels are kept as a short list in the order Prometheus sent them (a handful per series; a
// linear look-up beats a hash at that size and keeps 500,000 series cheap).
struct PrometheusSeries
{
    struct Point
    {
        double time = 0; // unix seconds
        double value = 0; // NaN, +Inf and -Inf as IEEE values
        QString text; // the sample exactly as sent ("1", "NaN", "+Inf")
    };

    QString name; // __name__; empty after an aggregation dropped it
    QList<std::pair<QString, QString>> labels; // without __name__
    QList<Point> points; // one for a vector, any number for a matrix

    QString label(QStringView key) const; // empty when absent
    const Point *last() const { return points.isEmpty() ? nullptr : &points.last(); }
};

// A whole `/api/v1/query` (or query_range) answer: a result, or Prometheus's own error envelope.
// `warnings` (and `infos`, newer servers) come with either: a 2xx answer with warnings is partial.
struct PrometheusResponse
{
    enum class ResultType { Vector, Matrix, Scalar, String };

    bool success = false;
    QString errorType; // bad_data, execution, timeout, canceled, unavailable, internal, not_found
    QString error; // Prometheus's own message
    ResultType resultType = ResultType::Vector;
    QList<PrometheusSeries> series; // vector / matrix
    std::optional<PrometheusSeries::Point> scalar; // scalar / string (string: `text` only)
    QStringList warnings;
    QStringList infos;

    // The error in plain words, naming the kind: "the query is malformed (bad_data): ...".
    QString errorInWords() const;
    static QString resultTypeName(ResultType type);
};

// Parses the JSON envelope (simdjson; the input needs no padding, a copy is made when it lacks
// it). Anything that is not the documented shape is a ParseError naming the JSON path; an error
// envelope (`"status": "error"`) is a successful parse with success == false. At most
// maxSeries series are accepted (a hostile or runaway answer is refused, not half-read).
Parsed<PrometheusResponse> parsePrometheusResponse(
    const QByteArray &body, qsizetype maxSeries = 2'000'000);

// The answers of several instant queries of one poll as one response: the first that failed if
// any did (with every answer's warnings), else their series in query order, warnings and infos
// once each (every answer of a Prometheus whose remote_read fails carries the same warning), and
// the result type of the first answer that is not a vector if one is not (so a reader expecting
// vectors says so). No answers: a successful empty vector.
PrometheusResponse mergePrometheusResponses(QList<PrometheusResponse> answers);

// A sample string as Prometheus renders it: a Go float ("1", "1e+06", "0.5"), "NaN", "+Inf",
// "-Inf". nullopt for anything else.
std::optional<double> parsePrometheusSample(QStringView text);

} // namespace hopscope
