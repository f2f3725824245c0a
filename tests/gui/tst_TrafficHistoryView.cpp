// The traffic history in the details dock: a TrafficTracker fed real captured answers
// (tests/data/traffic/, captured by capture_traffic.py from HAProxy 2.6 and the Envoy emulator:
// a first poll, two rates, a missing poll, a restarted HAProxy, a rate again). The dock shows the
// current values and says why a value is unknown; the sparklines' pixels show the gaps as gaps
// (no line there) and a rise where the history rises; the chart shows the rate line and the gap.
// A history round updates the rows without rebuilding them. Grabbed to PNG under
// test-output/gui/. The window test checks MainWindow hands its tracker to the dock.

#include "DetailsDock.h"
#include "DetailsDockSparkline.h"
#include "DetailsDockTraffic.h"
#include "MainWindow.h"
#include "TargetTableDelegate.h"
#include "TargetTableDock.h"
#include "TrafficChart.h"
#include "TrafficChartWidget.h"
#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyStatsParser.h"
#include "haproxy/HaproxyParsers.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"
#include "topology/TargetRowModel.h"
#include "topology/TargetTableModel.h"
#include "topology/TopologyBuilder.h"
#include "traffic/TrafficTracker.h"

#include "TrafficCaptures.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPainter>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include <algorithm>
#include <cmath>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::traffic_captures;

namespace {

const QString s_lbId = QStringLiteral("internal-lb");
const QString s_meshId = QStringLiteral("order-1-envoy");

// The captured rounds played into a tracker, one history round each, with the topology the
// monitor would build from the same answers.
class Replay
{
public:
    explicit Replay(const ClusterProfile &profile)
        : m_profile(profile)
    {
        SourceState ok;
        ok.hasData = true;
        ok.stale = false;
        m_in.lbState.insert(s_lbId, ok);
        m_in.meshState.insert(s_meshId, ok);
    }
    // Both sources answer with round `r` at its captured time.
    Topology answer(TrafficTracker &t, ManualClock &clock, int r)
    {
        clock.set(roundAt(r));
        t.addHaproxy(s_lbId, haproxy(r), clock.now());
        t.addEnvoy(s_meshId, envoy(r), clock.now());
        m_in.lb.insert(s_lbId, haproxy(r));
        m_in.mesh.insert(s_meshId, envoy(r));
        m_in.now = clock.now();
        const Topology topo = TopologyBuilder::build(m_profile, m_in);
        t.sample(topo);
        return topo;
    }
    // Neither source answers (a round between 3 and 4 that never arrived).
    Topology miss(TrafficTracker &t, ManualClock &clock, qint64 afterMs)
    {
        clock.advanceMs(afterMs);
        t.pollFailed(QStringLiteral("lb:") + s_lbId);
        t.pollFailed(QStringLiteral("mesh:") + s_meshId);
        m_in.now = clock.now();
        const Topology topo = TopologyBuilder::build(m_profile, m_in);
        t.sample(topo);
        return topo;
    }

private:
    ClusterProfile m_profile;
    TopologyInputs m_in;
};

ClusterProfile demoProfile()
{
    const ProfileLoadResult loaded
        = ProfileStore::parse(data(QStringLiteral("demo.hopscope.json")));
    if (!loaded.profile) {
        qFatal("demo.hopscope.json does not load");
    }
    return *loaded.profile;
}

bool near(QRgb a, const QColor &b, int tolerance = 60)
{
    return std::abs(qRed(a) - b.red()) + std::abs(qGreen(a) - b.green())
        + std::abs(qBlue(a) - b.blue())
        < tolerance;
}

// The topmost pixel of `ink` in column x (±1) between y0 and y1; -1 when there is none.
int topmostInk(const QImage &img, int x, int y0, int y1, const QColor &ink)
{
    for (int y = std::max(0, y0); y <= std::min(img.height() - 1, y1); ++y) {
        for (int dx = -1; dx <= 1; ++dx) {
            const int cx = std::clamp(x + dx, 0, img.width() - 1);
            if (near(img.pixel(cx, y), ink)) {
                return y;
            }
        }
    }
    return -1;
}

int inkCount(const QImage &img, int x0, int x1, int y0, int y1, const QColor &ink)
{
    int n = 0;
    for (int x = std::max(0, x0); x <= std::min(img.width() - 1, x1); ++x) {
        for (int y = std::max(0, y0); y <= std::min(img.height() - 1, y1); ++y) {
            n += near(img.pixel(x, y), ink) ? 1 : 0;
        }
    }
    return n;
}

QString outDir()
{
    const QString dir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
    QDir().mkpath(dir);
    return dir;
}

} // namespace

class tst_TrafficHistoryView : public QObject
{
    Q_OBJECT
    QTemporaryDir m_auditDir;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        QVERIFY(m_auditDir.isValid());
        qputenv("HOPSCOPE_AUDIT_DIR", m_auditDir.path().toUtf8());
    }

    void dockShowsValuesGapsAndRises();
    void chartShowsRateAndGap();
    void windowHandsItsTrackerToTheDock();
    void targetTableDrawsRateSparklines();
};

void tst_TrafficHistoryView::dockShowsValuesGapsAndRises()
{
    const ClusterProfile profile = demoProfile();
    ManualClock clock(roundAt(1));
    TrafficTracker tracker(profile, nullptr, clock);
    Replay replay(profile);
    DetailsDock dock;
    dock.resize(380, 900);
    dock.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dock));
    dock.setTrafficTracker(&tracker);

    Topology topo = replay.answer(tracker, clock, 1); // first poll: no rate yet
    dock.setTopology(topo);
    const ServiceNode *user = topo.service(QStringLiteral("user"));
    QVERIFY(user && !user->targets.isEmpty());
    dock.selectTarget(QStringLiteral("user"), user->targets.first().key);
    QVERIFY2(dock.text().contains(QStringLiteral("requests: unknown (first poll)")),
        qPrintable(dock.text()));
    const int builds = dock.traffic()->rebuilds();

    // Rounds 2 and 3 carry rates; then a missing poll, the restarted HAProxy, a rate again.
    for (int r : { 2, 3 }) {
        topo = replay.answer(tracker, clock, r);
        dock.setTopology(topo);
    }
    topo = replay.miss(
        tracker, clock, roundAt(4).toMSecsSinceEpoch() / 2 - roundAt(3).toMSecsSinceEpoch() / 2);
    dock.setTopology(topo);
    QVERIFY2(dock.text().contains(QStringLiteral("requests: unknown (no answer)")),
        qPrintable(dock.text()));
    topo = replay.answer(tracker, clock, 4);
    dock.setTopology(topo);
    QVERIFY2(dock.text().contains(QStringLiteral("requests: unknown (counter reset)")),
        qPrintable(dock.text()));
    topo = replay.answer(tracker, clock, 5);
    dock.setTopology(topo);
    QCOMPARE(dock.traffic()->rebuilds(), builds); // the rows were updated, not rebuilt

    // Pick the user task whose captured rates differ most (a rise to look for).
    user = topo.service(QStringLiteral("user"));
    QVERIFY(user);
    QString key;
    QString task;
    double spread = 0;
    for (const TargetNode &n : user->targets) {
        const QString k = TrafficTracker::targetKey(QStringLiteral("user"), n.key);
        double lo = 1e300;
        double hi = -1e300;
        for (const TrafficHistory::Sample &s : tracker.history().series(k)) {
            if (s.rps) {
                lo = std::min(lo, *s.rps);
                hi = std::max(hi, *s.rps);
            }
        }
        if (hi - lo > spread) {
            spread = hi - lo;
            key = k;
            task = n.key;
        }
    }
    QVERIFY2(spread > 0, "no user task's captured rate changes between rounds");
    dock.selectTarget(QStringLiteral("user"), task);
    const QList<TrafficHistory::Sample> series = tracker.history().series(key);
    QCOMPARE(series.size(), 6);
    QVERIFY(series.last().rps && series.last().activeConnections);

    // The values shown are the newest round's.
    const QString text = dock.text();
    const auto shows = [&](Sparkline::Metric m, const QString &name) {
        const std::optional<double> v = Sparkline::value(series.last(), m);
        return !v || text.contains(name + QStringLiteral(": ") + DetailsDockTraffic::number(m, *v));
    };
    QVERIFY2(shows(Sparkline::Metric::Rps, QStringLiteral("requests")), qPrintable(text));
    QVERIFY2(shows(Sparkline::Metric::ErrorRatio, QStringLiteral("errors")), qPrintable(text));
    QVERIFY2(shows(Sparkline::Metric::LatencyMs, QStringLiteral("latency")), qPrintable(text));
    QVERIFY2(shows(Sparkline::Metric::ActiveConnections, QStringLiteral("connections")),
        qPrintable(text));
    QVERIFY2(text.contains(task), qPrintable(text));

    // The rate's sparkline, as drawn.
    DetailsDockSparkline *spark = dock.traffic()->sparkline(key, Sparkline::Metric::Rps);
    QVERIFY(spark && spark->isVisible());
    QTest::qWait(0);
    const QImage img = spark->grab().toImage();
    QVERIFY(dock.grab().save(outDir() + QStringLiteral("/traffic-dock-task.png")));
    const qreal dpr = img.devicePixelRatio();
    const SparklineStyle style = spark->sparkStyle();
    QList<std::optional<double>> values;
    for (const TrafficHistory::Sample &s : series) {
        values.append(s.rps);
    }
    const QList<Sparkline::Point> pts
        = Sparkline::layout(spark->sparkRect(), values, Sparkline::timeFractions(series), style);
    const int top = int(spark->sparkRect().top() * dpr);
    const int bottom = int(spark->sparkRect().bottom() * dpr);
    // A gap where the history is null (missing poll, counter reset): no line in those columns,
    // not even at the bottom (0 would be drawn there or below the lowest rate).
    QVERIFY(!pts[3].known() && !pts[4].known());
    const int gap0 = int((pts[2].x + pts[3].x) / 2 * dpr) + 2;
    const int gap1 = int((pts[4].x + pts[5].x) / 2 * dpr) - 2;
    QVERIFY(gap1 > gap0);
    QCOMPARE(inkCount(img, gap0, gap1, top, bottom, style.line), 0);
    // Where the rate is known, the line is there; the larger rate is drawn higher.
    int lo = -1;
    int hi = -1;
    for (int i = 0; i < series.size(); ++i) {
        if (!series[i].rps) {
            continue;
        }
        if (lo < 0 || *series[i].rps < *series[lo].rps) {
            lo = i;
        }
        if (hi < 0 || *series[i].rps > *series[hi].rps) {
            hi = i;
        }
    }
    const int yLo = topmostInk(img, int(pts[lo].x * dpr), top, bottom, style.line);
    const int yHi = topmostInk(img, int(pts[hi].x * dpr), top, bottom, style.line);
    QVERIFY2(yLo >= 0 && yHi >= 0, "no line where the rate is known");
    QVERIFY2(yLo - yHi > (bottom - top) / 2,
        qPrintable(QStringLiteral("rise %1 → %2 rps drawn from y %3 to %4")
                       .arg(*series[lo].rps)
                       .arg(*series[hi].rps)
                       .arg(yLo)
                       .arg(yHi)));
    // The first poll (no rate) is a gap at the start too.
    QVERIFY(!pts[0].known());
    QCOMPARE(
        inkCount(img, 0, int((pts[0].x + pts[1].x) / 2 * dpr) - 2, top, bottom, style.line), 0);

    // A service: its edges, each with its own rows; the edge through HAProxy has a rate.
    dock.selectService(QStringLiteral("user"));
    QString edge;
    for (const EdgeNode &e : topo.edges) {
        if (e.to == u"user" && e.via.startsWith(u"lb:")) {
            edge = TrafficTracker::edgeKey(e);
        }
    }
    QVERIFY(!edge.isEmpty());
    const QList<TrafficHistory::Sample> edgeSeries = tracker.history().series(edge);
    QVERIFY(!edgeSeries.isEmpty() && edgeSeries.last().rps);
    QVERIFY2(dock.text().contains(QStringLiteral("requests: ")
                 + DetailsDockTraffic::number(Sparkline::Metric::Rps, *edgeSeries.last().rps)),
        qPrintable(dock.text()));
    QVERIFY(dock.traffic()->sparkline(edge, Sparkline::Metric::Rps));
    QCOMPARE(dock.traffic()->chartKey(), edge);
    QTest::qWait(0);
    QVERIFY(dock.grab().save(outDir() + QStringLiteral("/traffic-dock-service.png")));
}

void tst_TrafficHistoryView::chartShowsRateAndGap()
{
    const ClusterProfile profile = demoProfile();
    ManualClock clock(roundAt(1));
    TrafficTracker tracker(profile, nullptr, clock);
    Replay replay(profile);
    Topology topo;
    for (int r : { 1, 2, 3 }) {
        topo = replay.answer(tracker, clock, r);
    }
    replay.miss(tracker, clock, 2000);
    for (int r : { 4, 5 }) {
        topo = replay.answer(tracker, clock, r);
    }
    QString edge;
    for (const EdgeNode &e : topo.edges) {
        if (e.to == u"user" && e.via.startsWith(u"lb:")) {
            edge = TrafficTracker::edgeKey(e);
        }
    }
    const QList<TrafficHistory::Sample> series = tracker.history().series(edge);
    QCOMPARE(series.size(), 6);

    DetailsDock dock;
    dock.resize(380, 900);
    dock.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dock));
    dock.setTrafficTracker(&tracker);
    dock.setTopology(topo);
    dock.selectService(QStringLiteral("user"));
    dock.traffic()->setChartKey(edge);
    TrafficChartWidget *chart = dock.traffic()->chart();
    QVERIFY(chart->isVisible());
    QCOMPARE(chart->samples().size(), series.size());
    QTest::qWait(0);
    const QImage img = chart->grab().toImage();
    QVERIFY(img.save(outDir() + QStringLiteral("/traffic-chart-dock.png")));
    const qreal dpr = img.devicePixelRatio();
    const GraphStyle style
        = GraphStyle::forDark(chart->palette().color(QPalette::Window).lightness() < 128);
    const TrafficChart::Geometry g
        = TrafficChart::geometry(QRectF(chart->rect()), series, GraphFonts::instance().chip);
    const int top = int(g.plot.top() * dpr) + 2;
    const int bottom = int(g.plot.bottom() * dpr) - 2;
    // The rate line passes through each known sample's point; none in the gap's columns.
    int known = 0;
    for (const TrafficHistory::Sample &s : series) {
        if (s.rps) {
            ++known;
            const int x = int(g.xOf(s.at.toMSecsSinceEpoch()) * dpr);
            const int y = topmostInk(img, x, top, bottom, style.rateInk());
            QVERIFY2(y >= 0, "no rate line at a known sample");
            QVERIFY2(std::abs(y - g.yOfRps(*s.rps) * dpr) <= 4 * dpr,
                qPrintable(QStringLiteral("rate %1 drawn at y %2, axis says %3")
                               .arg(*s.rps)
                               .arg(y)
                               .arg(g.yOfRps(*s.rps) * dpr)));
        }
    }
    QCOMPARE(known, 3);
    const int gap0
        = int((g.xOf(series[2].at.toMSecsSinceEpoch()) + g.xOf(series[3].at.toMSecsSinceEpoch()))
              / 2 * dpr)
        + 2;
    const int gap1
        = int((g.xOf(series[4].at.toMSecsSinceEpoch()) + g.xOf(series[5].at.toMSecsSinceEpoch()))
              / 2 * dpr)
        - 2;
    QCOMPARE(inkCount(img, gap0, gap1, top, bottom, style.rateInk()), 0);
    QVERIFY2(inkCount(img, gap0, gap1, top, bottom, style.muted) > 0, "the gap is not hatched");

    // Larger, as a popup would show it.
    QImage big(640, 300, QImage::Format_ARGB32_Premultiplied);
    big.fill(Qt::transparent);
    QPainter p(&big);
    TrafficChart::paint(p, QRectF(big.rect()), series, style, GraphFonts::instance().chip,
        QStringLiteral("user via internal-lb (captured rounds 1–5)"));
    p.end();
    QVERIFY(big.save(outDir() + QStringLiteral("/traffic-chart.png")));
}

void tst_TrafficHistoryView::windowHandsItsTrackerToTheDock()
{
    const QString path = QDir(m_auditDir.path()).filePath(QStringLiteral("demo.hopscope.json"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data(QStringLiteral("demo.hopscope.json")));
    }
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY2(w.openProfile(path, true, MainWindow::LivePolling::Off), qPrintable(w.lastError()));
    TrafficTracker *tracker = w.trafficTracker();
    QVERIFY(tracker);
    const ClusterProfile profile = *w.profile();
    ManualClock clock(roundAt(1));
    Replay replay(profile);
    // The window's tracker reads its own clock for the sample time; rates come from the
    // answers' times.
    Topology topo = replay.answer(*tracker, clock, 1);
    const ServiceNode *user = topo.service(QStringLiteral("user"));
    QVERIFY(user && !user->targets.isEmpty());
    const QString task = user->targets.first().key;
    w.detailsDock()->selectTarget(QStringLiteral("user"), task);
    QVERIFY2(w.detailsDock()->text().contains(QStringLiteral("requests: unknown (first poll)")),
        qPrintable(w.detailsDock()->text()));
    topo = replay.answer(*tracker, clock, 2); // the dock follows the tracker's rounds
    const QList<TrafficHistory::Sample> s
        = tracker->history().series(TrafficTracker::targetKey(QStringLiteral("user"), task));
    QVERIFY(!s.isEmpty() && s.last().rps);
    QVERIFY2(w.detailsDock()->text().contains(
                 DetailsDockTraffic::number(Sparkline::Metric::Rps, *s.last().rps)),
        qPrintable(w.detailsDock()->text()));
}

// The target table's Req/s column carries the same history as a sparkline beside the number:
// rate ink where the task's history has rates, none for a task without history.
void tst_TrafficHistoryView::targetTableDrawsRateSparklines()
{
    const ClusterProfile profile = demoProfile();
    ManualClock clock(roundAt(1));
    TrafficTracker tracker(profile, nullptr, clock);
    Replay replay(profile);
    TargetTableDock dock;
    dock.resize(1400, 700);
    dock.setProfile(profile);
    dock.setTrafficTracker(&tracker);
    Topology topo;
    for (int r : { 1, 2, 3 }) {
        topo = replay.answer(tracker, clock, r);
    }
    dock.setTopology(topo, tracker.report(topo));
    dock.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dock));
    dock.fitColumns();
    QTableView *view = dock.view();
    QAbstractItemModel *model = view->model();
    int withRate = -1;
    int without = -1;
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex i = model->index(row, TargetTableModel::RateColumn);
        const QString key = i.data(TargetRowModel::TrafficKeyRole).toString();
        int known = 0;
        for (const TrafficHistory::Sample &sm : tracker.history().series(key)) {
            known += sm.rps ? 1 : 0;
        }
        if (known >= 2 && withRate < 0) {
            withRate = row;
        } else if (tracker.history().series(key).isEmpty() && without < 0) {
            without = row;
        }
    }
    QVERIFY2(withRate >= 0, "no task with a rate history");
    view->scrollTo(model->index(withRate, TargetTableModel::RateColumn));
    QCoreApplication::processEvents();
    const QImage img = view->viewport()->grab().toImage();
    img.save(outDir() + QStringLiteral("/target-table-sparklines.png"));
    const QColor ink = GraphStyle::light().rateInk();
    const auto sparkInk = [&](int row) {
        const QModelIndex i = model->index(row, TargetTableModel::RateColumn);
        QStyleOptionViewItem option;
        option.rect = view->visualRect(i);
        const QRectF r = dock.delegate()->sparklineRect(option, i);
        if (r.isEmpty()) {
            return -1;
        }
        const qreal dpr = img.devicePixelRatio();
        return inkCount(img, int(r.left() * dpr), int(r.right() * dpr), int(r.top() * dpr),
            int(r.bottom() * dpr), ink);
    };
    QVERIFY2(sparkInk(withRate) > 10, qPrintable(QString::number(sparkInk(withRate))));
    if (without >= 0) {
        view->scrollTo(model->index(without, TargetTableModel::RateColumn));
        QCoreApplication::processEvents();
        const QImage again = view->viewport()->grab().toImage();
        const QModelIndex i = model->index(without, TargetTableModel::RateColumn);
        QStyleOptionViewItem option;
        option.rect = view->visualRect(i);
        const QRectF r = dock.delegate()->sparklineRect(option, i);
        QVERIFY(r.isEmpty()
            || inkCount(again, int(r.left()), int(r.right()), int(r.top()), int(r.bottom()), ink)
                == 0);
    }
}

QTEST_MAIN(tst_TrafficHistoryView)
#include "tst_TrafficHistoryView.moc"
