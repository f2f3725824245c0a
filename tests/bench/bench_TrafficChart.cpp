// Paint cost of the traffic history views (issue 14 §4): the painted TrafficChart and the
// Sparkline painter on a full 15-minute history at the 2 s poll interval (450 samples, with a
// counter reset and a missing-poll gap), into QImages at the sizes the details dock uses, plus a
// row of a service's 12 edges × 4 sparklines. Software raster, offscreen. RESULTS.md records it.
#include "GraphStyle.h"
#include "Sparkline.h"
#include "TrafficChart.h"

#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QTest>

#include <cmath>

using namespace hopscope;

namespace {

QList<TrafficHistory::Sample> history(int n)
{
    QList<TrafficHistory::Sample> out;
    const QDateTime start = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
    for (int i = 0; i < n; ++i) {
        TrafficHistory::Sample s;
        s.at = start.addMSecs(qint64(i) * 2000);
        s.status = TrafficStatus::Ok;
        if (i == 0) {
            s.status = TrafficStatus::FirstPoll;
        } else if (i >= 200 && i < 204) {
            s.status = i == 200 ? TrafficStatus::MissingPoll : TrafficStatus::CounterReset;
        } else {
            s.rps = 40 + 25 * std::sin(i / 20.0) + (i % 7);
            s.errorRatio = 0.02 + 0.015 * std::cos(i / 33.0);
            s.latencyMs = 30 + (i % 11);
            s.activeConnections = 5 + (i % 4);
        }
        out.append(s);
    }
    return out;
}

} // namespace

class bench_TrafficChart : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void chart450();
    void sparkline450();
    void serviceEdges12x4();
};

void bench_TrafficChart::chart450()
{
    const QList<TrafficHistory::Sample> s = history(450);
    QImage img(340, 190, QImage::Format_ARGB32_Premultiplied);
    const GraphStyle style = GraphStyle::light();
    const QFont font = GraphFonts::instance().chip;
    QBENCHMARK
    {
        QPainter p(&img);
        TrafficChart::paint(p, QRectF(img.rect()), s, style, font, QStringLiteral("a → b (lb:x)"));
    }
}

void bench_TrafficChart::sparkline450()
{
    const QList<TrafficHistory::Sample> s = history(450);
    QImage img(120, 24, QImage::Format_ARGB32_Premultiplied);
    const SparklineStyle style
        = SparklineStyle::from(GraphStyle::light(), GraphStyle::light().rateInk());
    QBENCHMARK
    {
        img.fill(Qt::white);
        QPainter p(&img);
        Sparkline::paint(p, QRectF(img.rect()), s, Sparkline::Metric::Rps, style);
    }
}

void bench_TrafficChart::serviceEdges12x4()
{
    const QList<TrafficHistory::Sample> s = history(450);
    QImage img(120, 24, QImage::Format_ARGB32_Premultiplied);
    const GraphStyle g = GraphStyle::light();
    const SparklineStyle style = SparklineStyle::from(g, g.rateInk());
    QBENCHMARK
    {
        for (int edge = 0; edge < 12; ++edge) {
            for (const auto m : { Sparkline::Metric::Rps, Sparkline::Metric::ErrorRatio,
                     Sparkline::Metric::LatencyMs, Sparkline::Metric::ActiveConnections }) {
                img.fill(Qt::white);
                QPainter p(&img);
                Sparkline::paint(p, QRectF(img.rect()), s, m, style);
            }
        }
    }
}

QTEST_MAIN(bench_TrafficChart)
#include "bench_TrafficChart.moc"
