#pragma once

#include "GraphStyle.h"
#include "traffic/TrafficHistory.h"

#include <QFont>
#include <QList>
#include <QRectF>
#include <QString>

class QPainter;

namespace hopscope {

// The small traffic chart of a selected task or edge: request rate (solid, left axis from 0) and
// error ratio (dashed, right axis in %) over time, with time labels on the x axis and gaps (no
// rate known: first poll, counter reset, missing poll) hatched and left open, never drawn as 0.
// Painted with QPainter into any device (a widget, a QImage for tests and benchmarks); QtGui
// only, stateless.
class TrafficChart
{
public:
    struct Geometry
    {
        QRectF plot; // the area inside the axes
        qint64 fromMs = 0; // the time at plot.left() (ms since the epoch)
        qint64 toMs = 0; // the time at plot.right()
        double rpsMax = 1; // the rate at plot.top()
        double errorMax = 0.05; // the error ratio at plot.top()
        qreal xOf(qint64 ms) const;
        qreal yOfRps(double rps) const;
        qreal yOfError(double ratio) const;
    };

    static Geometry geometry(
        const QRectF &rect, const QList<TrafficHistory::Sample> &samples, const QFont &font);
    static void paint(QPainter &painter, const QRectF &rect,
        const QList<TrafficHistory::Sample> &samples, const GraphStyle &style, const QFont &font,
        const QString &title = {});

    // A round axis maximum ≥ value with steps of 1, 2, 2.5 or 5 × 10^k (4 steps).
    static double niceMax(double value, double floor);
};

} // namespace hopscope
