#include "Sparkline.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace hopscope {

namespace {

// A run of known points with at most 2 per pixel column (its lowest and highest, in their order;
// the run's first and last point stay): the same picture at a fraction of the cost, since a
// 15-minute history at 2 s (450 samples) in a 120 px sparkline has ~4 samples per column.
QList<QPointF> decimated(const QList<Sparkline::Point> &points, qsizetype from, qsizetype to)
{
    QList<QPointF> out;
    out.reserve(std::min<qsizetype>(to - from + 1, 512));
    qsizetype k = from;
    while (k <= to) {
        const qreal column = std::floor(points[k].x);
        qsizetype end = k;
        qsizetype lo = k;
        qsizetype hi = k;
        while (end + 1 <= to && std::floor(points[end + 1].x) == column) {
            ++end;
            if (*points[end].y < *points[lo].y) {
                lo = end;
            }
            if (*points[end].y > *points[hi].y) {
                hi = end;
            }
        }
        // The run's ends stay exact; inside it a column is its extremes in their order.
        const qsizetype first = k == from ? k : std::min(lo, hi);
        const qsizetype last = end == to ? end : std::max(lo, hi);
        const qsizetype picks[4] = { first, std::min(lo, hi), std::max(lo, hi), last };
        qsizetype taken = -1;
        for (const qsizetype p : picks) {
            if (p > taken) {
                out.append(points[p].at());
                taken = p;
            }
        }
        k = end + 1;
    }
    return out;
}

} // namespace

SparklineStyle SparklineStyle::from(const GraphStyle &style, const QColor &ink)
{
    SparklineStyle s;
    s.line = ink;
    s.fill = ink;
    s.fill.setAlphaF(0.14);
    s.gap = style.muted;
    s.gap.setAlphaF(GraphStyle::HatchAlpha + 0.12);
    s.marker = ink;
    return s;
}

std::optional<double> Sparkline::value(const TrafficHistory::Sample &sample, Metric metric)
{
    switch (metric) {
    case Metric::Rps:
        return sample.rps;
    case Metric::ErrorRatio:
        return sample.errorRatio;
    case Metric::LatencyMs:
        return sample.latencyMs;
    case Metric::ActiveConnections:
        return sample.activeConnections;
    }
    return std::nullopt;
}

QList<qreal> Sparkline::timeFractions(const QList<TrafficHistory::Sample> &samples)
{
    QList<qreal> xs;
    if (samples.size() < 2) {
        return xs;
    }
    const qint64 first = samples.first().at.toMSecsSinceEpoch();
    const qint64 span = samples.last().at.toMSecsSinceEpoch() - first;
    if (span <= 0) {
        return xs;
    }
    xs.reserve(samples.size());
    for (const TrafficHistory::Sample &s : samples) {
        xs.append(std::clamp(qreal(s.at.toMSecsSinceEpoch() - first) / qreal(span), 0.0, 1.0));
    }
    return xs;
}

QList<Sparkline::Point> Sparkline::layout(const QRectF &rect,
    const QList<std::optional<double>> &values, const QList<qreal> &xs, const SparklineStyle &style)
{
    QList<Point> out;
    out.reserve(values.size());
    // Room for the marker on every side.
    const qreal m = style.markerRadius + style.lineWidth / 2;
    const QRectF r = rect.adjusted(m, m, -m, -m);
    std::optional<double> lo;
    std::optional<double> hi;
    for (const auto &v : values) {
        if (v && std::isfinite(*v)) {
            lo = std::min(lo.value_or(*v), *v);
            hi = std::max(hi.value_or(*v), *v);
        }
    }
    const bool flat = lo && (*hi - *lo) <= std::abs(*hi) * 1e-9;
    const qsizetype n = values.size();
    for (qsizetype i = 0; i < n; ++i) {
        const qreal fx = xs.size() == n ? xs[i] : (n > 1 ? qreal(i) / qreal(n - 1) : 1.0);
        Point p { r.left() + fx * r.width(), std::nullopt };
        const auto &v = values[i];
        if (v && std::isfinite(*v) && r.height() > 0) {
            // A flat series sits in the middle (or at the bottom when it is all zero).
            const qreal fy = flat ? (*hi == 0 ? 0.0 : 0.5) : (*v - *lo) / (*hi - *lo);
            p.y = r.bottom() - fy * r.height();
        }
        out.append(p);
    }
    return out;
}

void Sparkline::paint(QPainter &painter, const QRectF &rect,
    const QList<std::optional<double>> &values, const SparklineStyle &style)
{
    paintLaid(painter, rect, layout(rect, values, {}, style), style);
}

void Sparkline::paint(QPainter &painter, const QRectF &rect,
    const QList<TrafficHistory::Sample> &samples, Metric metric, const SparklineStyle &style)
{
    QList<std::optional<double>> values;
    values.reserve(samples.size());
    for (const TrafficHistory::Sample &s : samples) {
        values.append(value(s, metric));
    }
    paintLaid(painter, rect, layout(rect, values, timeFractions(samples), style), style);
}

void Sparkline::paintLaid(
    QPainter &painter, const QRectF &rect, const QList<Point> &points, const SparklineStyle &style)
{
    if (points.isEmpty() || rect.isEmpty()) {
        return;
    }
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setClipRect(rect);
    const qsizetype n = points.size();

    // Gaps: a hatched band over each run of unknown values, from half-way after the last known
    // point to half-way before the next one (to the edge when the run starts or ends the line).
    const QPen hatch(style.gap, 1);
    for (qsizetype i = 0; i < n; ++i) {
        if (points[i].known()) {
            continue;
        }
        qsizetype j = i;
        while (j + 1 < n && !points[j + 1].known()) {
            ++j;
        }
        const qreal left = i > 0 ? (points[i - 1].x + points[i].x) / 2 : rect.left();
        const qreal right = j + 1 < n ? (points[j].x + points[j + 1].x) / 2 : rect.right();
        const QRectF band(QPointF(left, rect.top()), QPointF(right, rect.bottom()));
        if (band.width() > 0) {
            QColor wash = style.gap;
            wash.setAlphaF(style.gap.alphaF() / 3);
            painter.fillRect(band, wash);
            painter.save();
            painter.setClipRect(band, Qt::IntersectClip);
            painter.setPen(hatch);
            const qreal h = band.height();
            for (qreal x = band.left() - h; x < band.right(); x += GraphStyle::HatchStep / 2) {
                painter.drawLine(QPointF(x, band.bottom()), QPointF(x + h, band.top()));
            }
            painter.restore();
        }
        i = j;
    }

    // Runs of known values: area, line; a lone value is a dot.
    const QPen pen(style.line, style.lineWidth, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    for (qsizetype i = 0; i < n; ++i) {
        if (!points[i].known()) {
            continue;
        }
        qsizetype j = i;
        while (j + 1 < n && points[j + 1].known()) {
            ++j;
        }
        if (j == i) {
            painter.setPen(Qt::NoPen);
            painter.setBrush(style.line);
            painter.drawEllipse(points[i].at(), style.lineWidth, style.lineWidth);
        } else {
            const QList<QPointF> run = decimated(points, i, j);
            QPainterPath line(run.first());
            for (qsizetype k = 1; k < run.size(); ++k) {
                line.lineTo(run[k]);
            }
            if (style.fill.alpha() > 0) {
                QPainterPath area = line;
                area.lineTo(run.last().x(), rect.bottom());
                area.lineTo(run.first().x(), rect.bottom());
                area.closeSubpath();
                painter.fillPath(area, style.fill);
            }
            painter.setPen(pen);
            painter.setBrush(Qt::NoBrush);
            painter.drawPath(line);
        }
        i = j;
    }

    // The last known value: filled when it is the newest sample, hollow when a gap followed.
    for (qsizetype i = n - 1; i >= 0; --i) {
        if (points[i].known()) {
            painter.setPen(QPen(style.marker, 1.2));
            painter.setBrush(i == n - 1 ? QBrush(style.marker) : QBrush(Qt::NoBrush));
            painter.drawEllipse(points[i].at(), style.markerRadius, style.markerRadius);
            break;
        }
    }
    painter.restore();
}

} // namespace hopscope
