#pragma once

#include "GraphStyle.h"
#include "traffic/TrafficHistory.h"

#include <QColor>
#include <QList>
#include <QPointF>
#include <QRectF>

#include <optional>

class QPainter;

namespace hopscope {

// How a sparkline looks: its ink, the marker of the last value and the ink of gaps.
struct SparklineStyle
{
    QColor line;
    QColor fill; // under the line; transparent for none
    QColor gap; // hatching where nothing is known
    QColor marker; // the last value
    qreal lineWidth = 1.5;
    qreal markerRadius = 2.5;

    // The graph's palette with one ink (GraphStyle::rateInk(), errorInk(), text, ...).
    static SparklineStyle from(const GraphStyle &style, const QColor &ink);
};

// One sparkline painter for the details dock, the target table and anything else that shows a
// short history: QtGui only, no widget. Values are scaled to their own min..max. A null value (a
// first poll, a counter reset, a missing poll, an entity not reported) is drawn as a gap: the
// line breaks and the gap is hatched, never drawn as zero. The last known value gets a marker,
// filled when it is the newest sample, hollow when a gap followed it. Stateless.
class Sparkline
{
public:
    enum class Metric { Rps, ErrorRatio, LatencyMs, ActiveConnections };

    static std::optional<double> value(const TrafficHistory::Sample &sample, Metric metric);

    // Evenly spaced values, oldest first.
    static void paint(QPainter &painter, const QRectF &rect,
        const QList<std::optional<double>> &values, const SparklineStyle &style);
    // History samples, oldest first, placed by their time (first..last sample spans the width).
    static void paint(QPainter &painter, const QRectF &rect,
        const QList<TrafficHistory::Sample> &samples, Metric metric, const SparklineStyle &style);

    // Where each value is drawn: its x always, its y unless it is a gap; what paint() draws,
    // for hit testing and tests. `xs`: the x of each value in 0..1 (empty: evenly spaced).
    struct Point
    {
        qreal x = 0;
        std::optional<qreal> y;
        bool known() const { return y.has_value(); }
        QPointF at() const { return QPointF(x, y.value_or(0)); }
    };
    static QList<Point> layout(const QRectF &rect, const QList<std::optional<double>> &values,
        const QList<qreal> &xs, const SparklineStyle &style);
    static QList<qreal> timeFractions(const QList<TrafficHistory::Sample> &samples);

private:
    static void paintLaid(QPainter &painter, const QRectF &rect, const QList<Point> &points,
        const SparklineStyle &style);
};

} // namespace hopscope
