#pragma once

#include "Sparkline.h"
#include "traffic/TrafficHistory.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QGridLayout;
class QLabel;

namespace hopscope {

class DetailsDockSparkline;
class TrafficChartWidget;
class TrafficTracker;

// The details dock's traffic panel: for each entry (the selected task, or the selected
// service's edges) the current request rate, error %, latency and active connections, each with
// a sparkline of the history's last 15 minutes, and the chart of one entry (click a title to
// chart it). Rows are built when the entries change; a history round only updates their texts
// and redraws (TrafficTracker::sampled). Unknown values say why (first poll, counter reset,
// missing poll), never 0. GUI thread.
class DetailsDockTraffic : public QWidget
{
    Q_OBJECT
public:
    struct Entry
    {
        QString key; // TrafficTracker::edgeKey() / targetKey()
        QString title;
        bool operator==(const Entry &o) const { return key == o.key && title == o.title; }
    };

    explicit DetailsDockTraffic(QWidget *parent = nullptr);

    void setTracker(TrafficTracker *tracker);
    void setEntries(const QList<Entry> &entries); // rebuilds the rows only when they differ
    const QList<Entry> &entries() const { return m_entries; }
    void refresh(); // values, sparklines and chart from the tracker's history
    void setChartKey(const QString &key);
    QString chartKey() const { return m_chartKey; }

    QString text() const; // what the panel says, plain (tests, accessibility)
    TrafficChartWidget *chart() const { return m_chart; }
    DetailsDockSparkline *sparkline(const QString &key, Sparkline::Metric metric) const;
    int rebuilds() const { return m_rebuilds; } // how often the rows were built (tests)

    static QString valueText(Sparkline::Metric metric, const QList<TrafficHistory::Sample> &s);
    static QString number(Sparkline::Metric metric, double value); // "4.2 rps", "0.5 %", ...
    static QString unknownText(TrafficStatus status); // "unknown (counter reset)"

private:
    struct Row
    {
        Entry entry;
        QLabel *title = nullptr;
        QList<QLabel *> values;
        QList<DetailsDockSparkline *> sparklines;
    };
    void rebuild();

    QPointer<TrafficTracker> m_tracker;
    QMetaObject::Connection m_sampled;
    QList<Entry> m_entries;
    QList<Row> m_rows;
    QString m_chartKey;
    QLabel *m_header;
    QWidget *m_rowsBox;
    QGridLayout *m_grid = nullptr;
    TrafficChartWidget *m_chart;
    int m_rebuilds = 0;
};

} // namespace hopscope
