#include "DetailsDockTraffic.h"

#include "DetailsDockSparkline.h"
#include "TrafficChartWidget.h"
#include "traffic/TrafficTracker.h"

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <cmath>

namespace hopscope {

namespace {

const QList<Sparkline::Metric> &metrics()
{
    static const QList<Sparkline::Metric> all { Sparkline::Metric::Rps,
        Sparkline::Metric::ErrorRatio, Sparkline::Metric::LatencyMs,
        Sparkline::Metric::ActiveConnections };
    return all;
}

QString metricName(Sparkline::Metric m)
{
    switch (m) {
    case Sparkline::Metric::Rps:
        return QObject::tr("requests");
    case Sparkline::Metric::ErrorRatio:
        return QObject::tr("errors");
    case Sparkline::Metric::LatencyMs:
        return QObject::tr("latency");
    case Sparkline::Metric::ActiveConnections:
        return QObject::tr("connections");
    }
    return {};
}

QString metricTip(Sparkline::Metric m)
{
    switch (m) {
    case Sparkline::Metric::Rps:
        return QObject::tr("Requests per second between the last two polls");
    case Sparkline::Metric::ErrorRatio:
        return QObject::tr("5xx and connection/response errors over requests");
    case Sparkline::Metric::LatencyMs:
        return QObject::tr("p99 where the proxy gives quantiles (Envoy), else the average "
                           "(HAProxy)");
    case Sparkline::Metric::ActiveConnections:
        return QObject::tr("Connections open now (HAProxy current sessions, Envoy active "
                           "upstream connections)");
    }
    return {};
}

} // namespace

DetailsDockTraffic::DetailsDockTraffic(QWidget *parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_rowsBox(new QWidget(this))
    , m_chart(new TrafficChartWidget(this))
{
    setObjectName(QStringLiteral("detailsTraffic"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    m_header->setText(tr("<b>Traffic</b> — last 15 minutes, from the proxies' counters"));
    m_header->setWordWrap(true);
    layout->addWidget(m_header);
    layout->addWidget(m_rowsBox);
    layout->addWidget(m_chart);
    layout->addStretch(1);
}

void DetailsDockTraffic::setTracker(TrafficTracker *tracker)
{
    if (m_tracker == tracker) {
        return;
    }
    disconnect(m_sampled);
    m_tracker = tracker;
    if (tracker) {
        m_sampled = connect(tracker, &TrafficTracker::sampled, this, &DetailsDockTraffic::refresh);
    }
    refresh();
}

void DetailsDockTraffic::setEntries(const QList<Entry> &entries)
{
    if (entries == m_entries) {
        return;
    }
    m_entries = entries;
    bool keep = false;
    for (const Entry &e : entries) {
        keep |= e.key == m_chartKey;
    }
    if (!keep) {
        m_chartKey = entries.isEmpty() ? QString() : entries.first().key;
    }
    rebuild();
    refresh();
}

void DetailsDockTraffic::setChartKey(const QString &key)
{
    m_chartKey = key;
    for (const Row &r : std::as_const(m_rows)) {
        QFont f = r.title->font();
        f.setBold(r.entry.key == key);
        r.title->setFont(f);
    }
    refresh();
}

void DetailsDockTraffic::rebuild()
{
    ++m_rebuilds;
    m_rows.clear();
    delete m_grid;
    qDeleteAll(m_rowsBox->findChildren<QWidget *>(QString(), Qt::FindDirectChildrenOnly));
    m_grid = new QGridLayout(m_rowsBox);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setHorizontalSpacing(8);
    m_grid->setVerticalSpacing(2);
    m_grid->setColumnStretch(2, 1);
    int line = 0;
    for (const Entry &e : std::as_const(m_entries)) {
        Row row;
        row.entry = e;
        row.title = new QLabel(m_rowsBox);
        row.title->setTextFormat(Qt::RichText);
        row.title->setText(QStringLiteral("<a href=\"%1\">%2</a>")
                               .arg(e.key.toHtmlEscaped(), e.title.toHtmlEscaped()));
        row.title->setToolTip(tr("Show %1 in the chart").arg(e.title));
        QFont f = row.title->font();
        f.setBold(e.key == m_chartKey);
        row.title->setFont(f);
        connect(row.title, &QLabel::linkActivated, this, &DetailsDockTraffic::setChartKey);
        m_grid->addWidget(row.title, line++, 0, 1, 3);
        for (const Sparkline::Metric m : metrics()) {
            auto *name = new QLabel(metricName(m), m_rowsBox);
            name->setToolTip(metricTip(m));
            auto *value = new QLabel(m_rowsBox);
            value->setTextInteractionFlags(Qt::TextSelectableByMouse);
            auto *spark = new DetailsDockSparkline(m, m_rowsBox);
            spark->setObjectName(QStringLiteral("sparkline:%1:%2").arg(e.key).arg(int(m)));
            spark->setToolTip(metricTip(m));
            m_grid->addWidget(name, line, 0);
            m_grid->addWidget(value, line, 1);
            m_grid->addWidget(spark, line, 2);
            row.values.append(value);
            row.sparklines.append(spark);
            ++line;
        }
        m_rows.append(row);
    }
}

void DetailsDockTraffic::refresh()
{
    QList<TrafficHistory::Sample> charted;
    QString chartTitle;
    for (const Row &r : std::as_const(m_rows)) {
        const QList<TrafficHistory::Sample> s = m_tracker ? m_tracker->history().series(r.entry.key)
                                                          : QList<TrafficHistory::Sample> {};
        for (int i = 0; i < r.values.size(); ++i) {
            r.values[i]->setText(valueText(metrics()[i], s));
            r.sparklines[i]->setSamples(s);
        }
        if (r.entry.key == m_chartKey) {
            charted = s;
            chartTitle = r.entry.title;
        }
    }
    m_chart->setSamples(charted, chartTitle);
    m_chart->setVisible(!m_chartKey.isEmpty());
}

QString DetailsDockTraffic::number(Sparkline::Metric metric, double v)
{
    const auto fixed = [](double x) {
        if (x == 0) {
            return QStringLiteral("0");
        }
        return QString::number(x, 'f', std::abs(x) < 100 ? 1 : 0);
    };
    switch (metric) {
    case Sparkline::Metric::Rps:
        return tr("%1 rps").arg(fixed(v));
    case Sparkline::Metric::ErrorRatio:
        return tr("%1 %").arg(fixed(v * 100));
    case Sparkline::Metric::LatencyMs:
        return tr("%1 ms").arg(fixed(v));
    case Sparkline::Metric::ActiveConnections:
        return QString::number(v, 'f', 0);
    }
    return {};
}

QString DetailsDockTraffic::unknownText(TrafficStatus status)
{
    switch (status) {
    case TrafficStatus::FirstPoll:
        return tr("unknown (first poll)");
    case TrafficStatus::CounterReset:
        return tr("unknown (counter reset)");
    case TrafficStatus::MissingPoll:
        return tr("unknown (no answer)");
    case TrafficStatus::NotReported:
        return tr("unknown (not reported)");
    case TrafficStatus::Ok:
        break;
    }
    return tr("unknown");
}

QString DetailsDockTraffic::valueText(
    Sparkline::Metric metric, const QList<TrafficHistory::Sample> &s)
{
    if (s.isEmpty()) {
        return tr("unknown (no history yet)");
    }
    const TrafficHistory::Sample &last = s.last();
    if (const std::optional<double> v = Sparkline::value(last, metric)) {
        return number(metric, *v);
    }
    if (last.status == TrafficStatus::Ok && last.rps && *last.rps == 0) {
        return tr("— (no requests)"); // an error ratio or a latency of nothing
    }
    return unknownText(last.status == TrafficStatus::Ok ? TrafficStatus::NotReported : last.status);
}

QString DetailsDockTraffic::text() const
{
    QStringList lines;
    for (const Row &r : m_rows) {
        lines.append(r.entry.title);
        for (int i = 0; i < r.values.size(); ++i) {
            lines.append(
                QStringLiteral("  %1: %2").arg(metricName(metrics()[i]), r.values[i]->text()));
        }
    }
    return lines.join(QLatin1Char('\n'));
}

DetailsDockSparkline *DetailsDockTraffic::sparkline(
    const QString &key, Sparkline::Metric metric) const
{
    for (const Row &r : m_rows) {
        if (r.entry.key == key) {
            return r.sparklines.value(metrics().indexOf(metric));
        }
    }
    return nullptr;
}

} // namespace hopscope
