#pragma once

#include "traffic/TrafficHistory.h"

#include <QWidget>

namespace hopscope {

// The traffic chart of the selected task or edge (TrafficChart, painted): rate and error ratio
// over the history's 15 minutes with time labels and gaps. Shown in the details dock. GUI thread.
class TrafficChartWidget : public QWidget
{
    Q_OBJECT
public:
    explicit TrafficChartWidget(QWidget *parent = nullptr);

    void setSamples(const QList<TrafficHistory::Sample> &samples, const QString &title);
    const QList<TrafficHistory::Sample> &samples() const { return m_samples; }
    QString title() const { return m_title; }

    QSize sizeHint() const override { return { 320, 190 }; }
    QSize minimumSizeHint() const override { return { 220, 150 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<TrafficHistory::Sample> m_samples;
    QString m_title;
};

} // namespace hopscope
