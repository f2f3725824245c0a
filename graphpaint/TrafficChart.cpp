#include "TrafficChart.h"

#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

namespace hopscope {

namespace {

constexpr int s_steps = 4; // horizontal grid lines above 0

QString rpsLabel(double v)
{
    return QString::number(v, 'g', 4);
}

QString errorLabel(double ratio)
{
    return QStringLiteral("%1 %").arg(QString::number(ratio * 100, 'g', 3));
}

} // namespace

qreal TrafficChart::Geometry::xOf(qint64 ms) const
{
    // Inset so the first and the newest sample's dots are not cut by the axes.
    constexpr qreal pad = 5;
    const qint64 span = std::max<qint64>(1, toMs - fromMs);
    return plot.left() + pad + (plot.width() - 2 * pad) * qreal(ms - fromMs) / qreal(span);
}

qreal TrafficChart::Geometry::yOfRps(double rps) const
{
    return plot.bottom() - plot.height() * std::clamp(rps / rpsMax, 0.0, 1.0);
}

qreal TrafficChart::Geometry::yOfError(double ratio) const
{
    return plot.bottom() - plot.height() * std::clamp(ratio / errorMax, 0.0, 1.0);
}

double TrafficChart::niceMax(double value, double floor)
{
    const double v = std::max(value, floor);
    const double raw = v / s_steps;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double f : { 1.0, 2.0, 2.5, 5.0, 10.0 }) {
        if (f * mag * s_steps >= v * (1 - 1e-12)) {
            return f * mag * s_steps;
        }
    }
    return 10 * mag * s_steps;
}

TrafficChart::Geometry TrafficChart::geometry(
    const QRectF &rect, const QList<TrafficHistory::Sample> &samples, const QFont &font)
{
    Geometry g;
    double rps = 0;
    double err = 0;
    for (const TrafficHistory::Sample &s : samples) {
        rps = std::max(rps, s.rps.value_or(0));
        err = std::max(err, s.errorRatio.value_or(0));
    }
    g.rpsMax = niceMax(rps, 1.0);
    g.errorMax = std::min(1.0, niceMax(err, 0.05));
    if (!samples.isEmpty()) {
        g.toMs = samples.last().at.toMSecsSinceEpoch();
        g.fromMs = samples.first().at.toMSecsSinceEpoch();
    }
    if (g.toMs - g.fromMs < 10'000) { // one sample, or a few: show at least 10 s
        g.fromMs = g.toMs - 10'000;
    }
    const QFontMetricsF fm(font);
    const qreal left = fm.horizontalAdvance(rpsLabel(g.rpsMax * 0.75)) + 8;
    const qreal right = fm.horizontalAdvance(errorLabel(g.errorMax * 0.75)) + 8;
    const qreal top = fm.height() * 2 + 6; // title and legend
    const qreal bottom = fm.height() + 6; // time labels
    g.plot = rect.adjusted(std::max(left, fm.horizontalAdvance(rpsLabel(g.rpsMax)) + 8), top,
        -std::max(right, fm.horizontalAdvance(errorLabel(g.errorMax)) + 8), -bottom);
    return g;
}

void TrafficChart::paint(QPainter &painter, const QRectF &rect,
    const QList<TrafficHistory::Sample> &samples, const GraphStyle &style, const QFont &font,
    const QString &title)
{
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setFont(font);
    painter.fillRect(rect, style.box);
    const QFontMetricsF fm(font);
    const Geometry g = geometry(rect, samples, font);
    const QColor rateInk = style.rateInk();
    const QColor errorInk = style.errorInk();
    const QPen ratePen(rateInk, 2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    const QPen errorPen(errorInk, 1.5, Qt::DashLine, Qt::FlatCap, Qt::RoundJoin);

    // Title and legend: the line style tells the series apart, not the colour alone.
    qreal x = rect.left() + 4;
    const qreal titleBase = rect.top() + fm.ascent() + 2;
    painter.setPen(style.text);
    painter.drawText(QPointF(x, titleBase),
        fm.elidedText(
            title.isEmpty() ? QObject::tr("Traffic") : title, Qt::ElideMiddle, rect.width() - 8));
    const qreal legendY = titleBase + fm.height();
    const qreal mid = legendY - fm.ascent() / 2 + 1;
    const auto legend = [&](const QPen &pen, const QString &text) {
        painter.setPen(pen);
        painter.drawLine(QPointF(x, mid), QPointF(x + 18, mid));
        x += 22;
        painter.setPen(style.muted);
        painter.drawText(QPointF(x, legendY), text);
        x += fm.horizontalAdvance(text) + 12;
    };
    // The long labels when they fit, else the short ones (the axes' colours say the side).
    QString rateText = QObject::tr("req/s (left)");
    QString errorText = QObject::tr("errors % (right)");
    const QString gapText = QObject::tr("no rate");
    const qreal legendWidth = 22 * 2 + 18 + 12 * 2 + fm.horizontalAdvance(gapText);
    if (legendWidth + fm.horizontalAdvance(rateText + errorText) > rect.width() - 8) {
        rateText = QObject::tr("req/s");
        errorText = QObject::tr("errors %");
    }
    legend(ratePen, rateText);
    legend(errorPen, errorText);
    {
        const QRectF swatch(x, mid - 5, 14, 10);
        QColor wash = style.muted;
        wash.setAlphaF(GraphStyle::HatchAlpha);
        painter.fillRect(swatch, QBrush(wash));
        painter.fillRect(swatch, QBrush(style.muted, Qt::BDiagPattern));
        x += 18;
        painter.setPen(style.muted);
        painter.drawText(QPointF(x, legendY), gapText);
    }

    // Grid and the two y axes.
    painter.setPen(QPen(style.border, 1));
    painter.drawRect(g.plot);
    QColor grid = style.border;
    grid.setAlphaF(0.5);
    for (int i = 0; i <= s_steps; ++i) {
        const double f = double(i) / s_steps;
        const qreal y = g.plot.bottom() - g.plot.height() * f;
        if (i > 0 && i < s_steps) {
            painter.setPen(QPen(grid, 1, Qt::DotLine));
            painter.drawLine(QPointF(g.plot.left(), y), QPointF(g.plot.right(), y));
        }
        painter.setPen(rateInk);
        const QString l = rpsLabel(g.rpsMax * f);
        painter.drawText(
            QPointF(g.plot.left() - 4 - fm.horizontalAdvance(l), y + fm.ascent() / 2 - 1), l);
        painter.setPen(errorInk);
        painter.drawText(
            QPointF(g.plot.right() + 4, y + fm.ascent() / 2 - 1), errorLabel(g.errorMax * f));
    }

    // Time labels: round steps, no more than fit.
    const qint64 span = g.toMs - g.fromMs;
    const QString sample = QStringLiteral("00:00:00");
    const int fit = std::max(1, int(g.plot.width() / (fm.horizontalAdvance(sample) + 16)));
    static constexpr std::array<qint64, 10> steps { 5'000, 10'000, 15'000, 30'000, 60'000, 120'000,
        300'000, 600'000, 900'000, 1'800'000 };
    qint64 step = steps.back();
    for (const qint64 s : steps) {
        if (span / s < fit) {
            step = s;
            break;
        }
    }
    const QString format = step < 60'000 ? QStringLiteral("HH:mm:ss") : QStringLiteral("HH:mm");
    painter.setPen(style.muted);
    for (qint64 t = (g.fromMs / step + 1) * step; t <= g.toMs; t += step) {
        const qreal tx = g.xOf(t);
        painter.setPen(QPen(grid, 1, Qt::DotLine));
        painter.drawLine(QPointF(tx, g.plot.top()), QPointF(tx, g.plot.bottom()));
        painter.setPen(style.muted);
        const QString l = QDateTime::fromMSecsSinceEpoch(t).toString(format);
        const qreal w = fm.horizontalAdvance(l);
        painter.drawText(QPointF(std::clamp(tx - w / 2, rect.left(), rect.right() - w),
                             g.plot.bottom() + fm.ascent() + 3),
            l);
    }

    // Gaps: where no rate is known, hatched from half-way after the last known sample to
    // half-way before the next (to the plot's edge when the history starts or ends unknown).
    painter.setClipRect(g.plot.adjusted(1, 1, -1, -1));
    const qsizetype n = samples.size();
    const auto xAt = [&](qsizetype i) { return g.xOf(samples[i].at.toMSecsSinceEpoch()); };
    QColor wash = style.muted;
    wash.setAlphaF(GraphStyle::HatchAlpha);
    for (qsizetype i = 0; i < n; ++i) {
        if (samples[i].rps) {
            continue;
        }
        qsizetype j = i;
        while (j + 1 < n && !samples[j + 1].rps) {
            ++j;
        }
        const qreal left = i > 0 ? (xAt(i - 1) + xAt(i)) / 2 : g.plot.left();
        const qreal right = j + 1 < n ? (xAt(j) + xAt(j + 1)) / 2 : g.plot.right();
        const QRectF band(QPointF(left, g.plot.top()), QPointF(right, g.plot.bottom()));
        painter.fillRect(band, wash);
        painter.fillRect(band, QBrush(style.muted, Qt::BDiagPattern));
        i = j;
    }

    // The series: a line through each run of known values; a lone value is a dot.
    const auto series = [&](auto value, auto yOf, const QPen &pen) {
        for (qsizetype i = 0; i < n; ++i) {
            if (!value(samples[i])) {
                continue;
            }
            qsizetype j = i;
            while (j + 1 < n && value(samples[j + 1])) {
                ++j;
            }
            if (i == j) {
                painter.setPen(Qt::NoPen);
                painter.setBrush(pen.color());
                painter.drawEllipse(QPointF(xAt(i), yOf(*value(samples[i]))), 2.5, 2.5);
                painter.setBrush(Qt::NoBrush);
            } else {
                QPainterPath path(QPointF(xAt(i), yOf(*value(samples[i]))));
                for (qsizetype k = i + 1; k <= j; ++k) {
                    path.lineTo(QPointF(xAt(k), yOf(*value(samples[k]))));
                }
                painter.setPen(pen);
                painter.drawPath(path);
            }
            i = j;
        }
    };
    series([](const TrafficHistory::Sample &s) { return s.errorRatio; },
        [&](double v) { return g.yOfError(v); }, errorPen);
    series([](const TrafficHistory::Sample &s) { return s.rps; },
        [&](double v) { return g.yOfRps(v); }, ratePen);
    if (n == 0) {
        painter.setPen(style.muted);
        painter.drawText(g.plot, Qt::AlignCenter, QObject::tr("no traffic history yet"));
    }
    painter.restore();
}

} // namespace hopscope
