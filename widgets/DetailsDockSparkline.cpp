#include "DetailsDockSparkline.h"

#include <QPainter>

namespace hopscope {

DetailsDockSparkline::DetailsDockSparkline(Sparkline::Metric metric, QWidget *parent)
    : QWidget(parent)
    , m_metric(metric)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void DetailsDockSparkline::setSamples(const QList<TrafficHistory::Sample> &samples)
{
    m_samples = samples;
    update();
}

QRectF DetailsDockSparkline::sparkRect() const
{
    return QRectF(rect()).adjusted(1, 1, -1, -1);
}

SparklineStyle DetailsDockSparkline::sparkStyle() const
{
    const GraphStyle g = GraphStyle::forDark(palette().color(QPalette::Window).lightness() < 128);
    switch (m_metric) {
    case Sparkline::Metric::Rps:
        return SparklineStyle::from(g, g.rateInk());
    case Sparkline::Metric::ErrorRatio:
        return SparklineStyle::from(g, g.errorInk());
    case Sparkline::Metric::LatencyMs:
    case Sparkline::Metric::ActiveConnections:
        break;
    }
    return SparklineStyle::from(g, g.text);
}

void DetailsDockSparkline::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    Sparkline::paint(p, sparkRect(), m_samples, m_metric, sparkStyle());
}

} // namespace hopscope
