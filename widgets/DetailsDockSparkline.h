#pragma once

#include "Sparkline.h"
#include "traffic/TrafficHistory.h"

#include <QWidget>

namespace hopscope {

// One metric's sparkline in the details dock's traffic panel: holds the samples it was last
// given and paints them with the one Sparkline painter. GUI thread.
class DetailsDockSparkline : public QWidget
{
    Q_OBJECT
public:
    DetailsDockSparkline(Sparkline::Metric metric, QWidget *parent = nullptr);

    void setSamples(const QList<TrafficHistory::Sample> &samples);
    const QList<TrafficHistory::Sample> &samples() const { return m_samples; }
    Sparkline::Metric metric() const { return m_metric; }
    // What paintEvent() uses: the area in widget pixels and the style (tests read both).
    QRectF sparkRect() const;
    SparklineStyle sparkStyle() const;

    QSize sizeHint() const override { return { 120, 24 }; }
    QSize minimumSizeHint() const override { return { 48, 18 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    Sparkline::Metric m_metric;
    QList<TrafficHistory::Sample> m_samples;
};

} // namespace hopscope
