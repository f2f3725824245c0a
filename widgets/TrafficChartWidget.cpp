#include "TrafficChartWidget.h"

#include "GraphStyle.h"
#include "TrafficChart.h"

#include <QPainter>

namespace hopscope {

TrafficChartWidget::TrafficChartWidget(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("trafficChart"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setFixedHeight(sizeHint().height());
}

void TrafficChartWidget::setSamples(
    const QList<TrafficHistory::Sample> &samples, const QString &title)
{
    m_samples = samples;
    m_title = title;
    update();
}

void TrafficChartWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const GraphStyle style
        = GraphStyle::forDark(palette().color(QPalette::Window).lightness() < 128);
    TrafficChart::paint(p, QRectF(rect()), m_samples, style, GraphFonts::instance().chip, m_title);
}

} // namespace hopscope
