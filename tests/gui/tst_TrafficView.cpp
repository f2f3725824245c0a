#include "../unit/topology/GraphFixture.h"
#include "GraphPane.h"
#include "GraphScene.h"
#include "GraphStyle.h"
#include "MainWindow.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QAction>
#include <QDir>
#include <QFontMetricsF>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>
#include <QtMath>
#include <QtQml/qqmlextensionplugin.h>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;
using namespace hopscope::testing;

// Traffic on the graph, on screen (the real main window, offscreen, at zoom 1): given a model
// with known traffic — a busy edge, an edge with 20 % errors and an edge whose rate is not known
// yet — the painted widths and colours differ where the model says, and the icon shows. Pixels
// are sampled across each edge's curve where the painting core's GraphScene puts it (never at
// hard-coded coordinates); the export draws the same pixels.
class tst_TrafficView : public QObject
{
    Q_OBJECT

    QString m_outDir;
    ClusterProfile m_profile;
    QString m_profilePath;
    QString m_busy, m_failing, m_unknown; // TrafficTracker::edgeKey of the three edges

    struct Window
    {
        MainWindow w;
        QQuickWidget *quick = nullptr;
        QQuickItem *root = nullptr;
        QQuickItem *layer = nullptr;
    };

    static QString key(const QString &from, const QString &to, const QString &via)
    {
        EdgeNode e;
        e.from = from;
        e.to = to;
        e.via = via;
        return TrafficTracker::edgeKey(e);
    }

    static TrafficAggregate measured(
        TrafficStatus status, std::optional<double> rps, std::optional<double> errorsPerS)
    {
        TrafficAggregate a;
        a.measured = true;
        a.from = { QStringLiteral("lb:internal-lb") };
        a.point.status = status;
        a.point.rps = rps;
        a.point.errorsPerS = errorsPerS;
        if (rps && errorsPerS && *rps > 0) {
            a.point.errorRatio = *errorsPerS / *rps;
        }
        a.point.p99Ms = rps ? std::optional<double>(38) : std::nullopt;
        return a;
    }

    TrafficReport report(double failingErrors) const
    {
        TrafficReport r;
        r.edges.insert(m_busy, measured(TrafficStatus::Ok, 800.0, 0.8)); // 0.1 %: ok
        r.edges.insert(m_failing, measured(TrafficStatus::Ok, 5.0, failingErrors));
        r.edges.insert(m_unknown, measured(TrafficStatus::FirstPoll, std::nullopt, std::nullopt));
        return r;
    }

    void open(Window &win)
    {
        win.w.resize(1600, 1000);
        win.w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&win.w));
        QVERIFY(win.w.openProfile(m_profilePath, true, MainWindow::LivePolling::Off));
        win.quick = win.w.graphPane()->quickWidget();
        QTRY_VERIFY_WITH_TIMEOUT(win.quick->status() == QQuickWidget::Ready, 10000);
        win.root = win.quick->rootObject();
        win.layer = findItem(win.root, QStringLiteral("graphLayer"));
        QVERIFY(win.layer);
        win.w.graphModel()->setTopology(topologyOf(m_profile, demoTargets()));
        QTRY_VERIFY(findItem(win.root, QStringLiteral("task:127.0.0.12:8000")));
        win.w.graphPane()->fitToView(); // the opening's queued fit first, then zoom 1
        QTest::qWait(0);
        win.root->setProperty("zoom", 1.0);
        QMetaObject::invokeMethod(
            win.root, "panBy", Q_ARG(QVariant, -100000), Q_ARG(QVariant, -100000));
        QTRY_VERIFY(painted(win.root));
    }

    // Content point -> framebuffer pixel at zoom 1 (the layer lands tiles on whole pixels).
    static QPoint toScreen(Window &win, const QPointF &content)
    {
        const QRectF viewport = win.layer->property("viewport").toRectF();
        const QRectF scene
            = win.layer->mapRectToScene(QRectF(0, 0, win.layer->width(), win.layer->height()));
        const QPoint offset = QPoint(qCeil(scene.left()), qCeil(scene.top()))
            - QPoint(qRound(viewport.left()), qRound(viewport.top()));
        return QPoint(qFloor(content.x()), qFloor(content.y())) + offset;
    }

    // The framebuffer once the layer shows every tile exactly (a null image if it never does).
    QImage screen(Window &win, const QString &name)
    {
        if (!QTest::qWaitFor([&] { return painted(win.root); }, 10000)) {
            return {};
        }
        const QImage image = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32);
        image.save(m_outDir + QLatin1Char('/') + name);
        qInfo("screenshot: %s/%s", qPrintable(m_outDir), qPrintable(name));
        return image;
    }

    struct Sample
    {
        QPointF at; // content coordinates, on the curve
        QPointF normal;
    };

    // Points on segment `index`'s curve (GraphScene geometry) where a scan across the curve
    // (±ScanReach px) meets nothing else: no box, no hop badge, no traffic icon pill (labels
    // off), and no other edge within ScanReach + 4 px.
    static constexpr int ScanReach = 14;
    // health: the hop badges of every edge are drawn (health emphasis); else only those of
    // edges without measured traffic (traffic emphasis puts the icon pill in their place).
    static QList<Sample> samplesOf(const GraphScene &scene, int index, bool health)
    {
        const GraphScene::Edge &e = scene.edges()[index];
        const qreal lineH = QFontMetricsF(GraphFonts::instance().badge).height();
        QList<QRectF> blocked;
        for (const auto &node : scene.model()->nodes()) {
            blocked.append(node.rect.adjusted(-2, -2, 2, 2));
        }
        for (const GraphScene::Edge &o : scene.edges()) {
            if (health || !scene.model()->segments()[o.segment].traffic.measured) {
                blocked.append(o.badge.adjusted(-2, -2, 2, 2));
            }
            blocked.append(QRectF(
                o.trafficBadge.center() - QPointF(22, lineH / 2 + 4), QSizeF(44, lineH + 8)));
        }
        QList<Sample> out;
        for (qreal t = 0.05; t <= 0.95; t += 0.01) {
            const QPointF p = e.at(t);
            if (QLineF(p, e.p2).length() < 24) {
                continue; // the arrow head
            }
            const QPointF d = e.at(t + 0.005) - e.at(t - 0.005);
            const qreal len = std::hypot(d.x(), d.y());
            const QPointF n(-d.y() / len, d.x() / len);
            bool clear = true;
            for (int k = -ScanReach; k <= ScanReach && clear; ++k) {
                const QPointF q = p + n * k;
                clear = std::none_of(blocked.cbegin(), blocked.cend(),
                    [&](const QRectF &r) { return r.contains(q); });
            }
            for (int other = 0; clear && other < scene.edges().size(); ++other) {
                const GraphScene::Edge &o = scene.edges()[other];
                for (qreal u = 0; other != index && clear && u <= 1.0; u += 0.005) {
                    clear = QLineF(o.at(u), p).length() > ScanReach + 4;
                }
            }
            if (clear) {
                out.append({ p, n });
            }
        }
        return out;
    }

    // The widest run of ink (pixels far from the background) across the curve, over the samples
    // (dashed and dotted edges: the widest is a dash), and the colour at the curve's centre there.
    struct Stroke
    {
        int width = 0;
        QColor centre;
        int samples = 0;
    };
    static Stroke strokeOf(
        Window &win, const QImage &image, const QList<Sample> &samples, const QColor &background)
    {
        Stroke s;
        s.samples = int(samples.size());
        for (const Sample &sample : samples) {
            int ink = 0;
            for (int k = -ScanReach; k <= ScanReach; ++k) {
                const QPoint px = toScreen(win, sample.at + sample.normal * k);
                if (image.rect().contains(px) && distance(image.pixelColor(px), background) > 90) {
                    ++ink;
                }
            }
            if (ink > s.width) {
                s.width = ink;
                s.centre = image.pixelColor(toScreen(win, sample.at));
            }
        }
        return s;
    }

    // Pixels near `colour` in a 9x9 box around the icon of an edge's traffic label with labels
    // off (the icon alone, centred on the curve's middle; the pill's border lies outside).
    static int iconPixels(
        Window &win, const QImage &image, const GraphScene::Edge &e, const QColor &colour)
    {
        const QPoint c = toScreen(win, e.trafficBadge.center());
        int n = 0;
        for (int y = c.y() - 4; y <= c.y() + 4; ++y) {
            for (int x = c.x() - 4; x <= c.x() + 4; ++x) {
                n += image.rect().contains(x, y) && distance(image.pixelColor(x, y), colour) < 90;
            }
        }
        return n;
    }

    int segmentOf(const ServiceGraphModel &model, const QString &from, const QString &to) const
    {
        for (int i = 0; i < model.segments().size(); ++i) {
            const auto &s = model.segments()[i];
            if (model.nodes()[s.from].id == from && model.nodes()[s.to].id == to) {
                return i;
            }
        }
        return -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        m_outDir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(m_outDir));
        m_profile = demoLikeProfile();
        m_profilePath = qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/valid/demo-like.hopscope.json");
        m_busy = key(QStringLiteral("servicea"), QStringLiteral("serviceb"), QStringLiteral("dns"));
        m_failing = key(
            QStringLiteral("serviceb"), QStringLiteral("user"), QStringLiteral("lb:internal-lb"));
        m_unknown
            = key(QStringLiteral("servicea"), QStringLiteral("servicec"), QStringLiteral("dns"));
    }

    void widthsColoursAndIconsFollowTheModel()
    {
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        model->setTraffic(report(1.0)); // serviceb -> user: 1 of 5 requests fail, 20 %
        const int busy = segmentOf(*model, QStringLiteral("servicea"), QStringLiteral("serviceb"));
        const int failing
            = segmentOf(*model, QStringLiteral("lb:internal-lb"), QStringLiteral("user"));
        const int unknown
            = segmentOf(*model, QStringLiteral("servicea"), QStringLiteral("servicec"));
        QVERIFY(busy >= 0 && failing >= 0 && unknown >= 0);
        QVERIFY(model->segments()[busy].traffic.known());
        QVERIFY(!model->segments()[unknown].traffic.known());
        GraphScene scene;
        scene.rebuild(*model);
        const QList<Sample> busySamples = samplesOf(scene, busy, false);
        const QList<Sample> failingSamples = samplesOf(scene, failing, false);
        const QList<Sample> unknownSamples = samplesOf(scene, unknown, false);
        const QList<Sample> unknownHealthSamples = samplesOf(scene, unknown, true);
        QVERIFY(!unknownHealthSamples.isEmpty());
        QVERIFY2(
            busySamples.size() >= 3 && failingSamples.size() >= 3 && unknownSamples.size() >= 3,
            qPrintable(QStringLiteral("%1 %2 %3")
                           .arg(busySamples.size())
                           .arg(failingSamples.size())
                           .arg(unknownSamples.size())));
        const GraphStyle style = GraphStyle::light();

        // Health emphasis (the default): traffic is not drawn, every edge the same thin grey.
        const QImage health = screen(win, QStringLiteral("traffic-view-health.png"));
        QVERIFY(!health.isNull());
        const Stroke hUnknown = strokeOf(win, health, unknownHealthSamples, style.background);
        const QColor errorColour = style.trafficLook(GraphStyle::TrafficLevel::Error).colour;
        const auto errorPixels = [&](const QImage &image) {
            // The graph's area only (the legend below it names the colours too).
            const QRect area
                = win.layer->mapRectToScene(QRectF(0, 0, win.layer->width(), win.layer->height()))
                      .toAlignedRect()
                      .intersected(image.rect());
            int n = 0;
            for (int y = area.top(); y <= area.bottom(); ++y) {
                for (int x = area.left(); x <= area.right(); ++x) {
                    n += distance(image.pixelColor(x, y), errorColour) < 40;
                }
            }
            return n;
        };
        QCOMPARE(errorPixels(health), 0); // nothing is down: no error colour anywhere

        // Traffic emphasis, from the View menu's action; labels off first (the icon alone),
        // so the scans across the curves meet no label.
        model->setTrafficLabels(false);
        QAction *action = win.w.findChild<QAction *>(QStringLiteral("trafficEmphasisAction"));
        QVERIFY(action && action->isCheckable() && !action->shortcut().isEmpty());
        action->trigger();
        QVERIFY(model->trafficEmphasis());
        QVERIFY(!painted(win.root)); // every tile is drawn again
        const QImage traffic = screen(win, QStringLiteral("traffic-view-icons.png"));
        QVERIFY(!traffic.isNull());
        const Stroke tBusy = strokeOf(win, traffic, busySamples, style.background);
        const Stroke tFailing = strokeOf(win, traffic, failingSamples, style.background);
        const Stroke tUnknown = strokeOf(win, traffic, unknownSamples, style.background);
        const QString widths
            = QStringLiteral("widths busy %1, failing %2, unknown %3 (health: %4); "
                             "colours %5 %6 %7")
                  .arg(tBusy.width)
                  .arg(tFailing.width)
                  .arg(tUnknown.width)
                  .arg(hUnknown.width)
                  .arg(tBusy.centre.name(), tFailing.centre.name(), tUnknown.centre.name());
        qInfo("%s", qPrintable(widths));
        // 800 rps is several times the width of an unknown rate; 5 rps in between; the unknown
        // edge keeps the normal thin width (never drawn as zero, never wider).
        QVERIFY2(tBusy.width >= tUnknown.width + 3, qPrintable(widths));
        QVERIFY2(tBusy.width > tFailing.width, qPrintable(widths));
        QVERIFY2(std::abs(tUnknown.width - hUnknown.width) <= 1, qPrintable(widths));
        QVERIFY(errorPixels(traffic) > 50);
        // Colour by error ratio: the busy edge (0.1 %) ok, 20 % errors the error colour, the
        // unknown rate muted (neither ok nor error).
        const QColor ok = style.trafficLook(GraphStyle::TrafficLevel::Ok).colour;
        const QColor error = style.trafficLook(GraphStyle::TrafficLevel::Error).colour;
        QVERIFY2(distance(tBusy.centre, ok) < 60, qPrintable(widths));
        QVERIFY2(distance(tFailing.centre, error) < 60, qPrintable(widths));
        QVERIFY2(distance(tUnknown.centre, ok) > 100 && distance(tUnknown.centre, error) > 100,
            qPrintable(widths));
        // The icon, in its level's colour (colour is never alone).
        const GraphScene::Edge &busyEdge = scene.edges()[busy];
        const GraphScene::Edge &failingEdge = scene.edges()[failing];
        const GraphScene::Edge &unknownEdge = scene.edges()[unknown];
        QVERIFY2(iconPixels(win, traffic, busyEdge, ok) >= 4, "no ✔ on the busy edge");
        QVERIFY2(iconPixels(win, traffic, failingEdge, error) >= 4, "no ✖ on the failing edge");
        QVERIFY2(
            iconPixels(win, traffic, unknownEdge, style.muted) >= 3, "no ? on the unknown edge");
        QCOMPARE(iconPixels(win, traffic, failingEdge, ok), 0);
        QCOMPARE(iconPixels(win, traffic, busyEdge, error), 0);

        // The export draws the same pixels as the screen.
        QString exportError;
        const QString png = m_outDir + QStringLiteral("/traffic-view-export.png");
        QVERIFY2(win.w.exportGraph(png, &exportError), qPrintable(exportError));
        const QImage exported = QImage(png).convertToFormat(QImage::Format_RGB32);
        for (const QList<Sample> *samples : { &busySamples, &failingSamples, &unknownSamples }) {
            for (const Sample &sample : *samples) {
                for (int k = -8; k <= 8; k += 2) {
                    const QPointF c = sample.at + sample.normal * k;
                    QCOMPARE(traffic.pixel(toScreen(win, c)),
                        exported.pixel(qFloor(c.x()), qFloor(c.y())));
                }
            }
        }

        // A poll that ends the errors recolours that edge on screen (the layer repaints the
        // tiles the edge crosses; no new geometry).
        model->setTraffic(report(0.0));
        QVERIFY(!painted(win.root));
        const QImage recovered = screen(win, QStringLiteral("traffic-view-recovered.png"));
        QVERIFY(!recovered.isNull());
        const Stroke rFailing = strokeOf(win, recovered, failingSamples, style.background);
        QVERIFY2(distance(rFailing.centre, ok) < 60, qPrintable(rFailing.centre.name()));
        QVERIFY(iconPixels(win, recovered, failingEdge, ok) >= 4);

        // Labels on: the rate in words under each hop badge ("800.0 rps · 0.1 %", "no rate yet").
        model->setTrafficLabels(true);
        const QImage labelled = screen(win, QStringLiteral("traffic-view-labels.png"));
        QVERIFY(!labelled.isNull());
        for (const GraphScene::Edge *e : { &busyEdge, &failingEdge, &unknownEdge }) {
            const QRect room(
                toScreen(win, e->trafficBadge.topLeft()), e->trafficBadge.size().toSize());
            int ink = 0, before = 0;
            for (int y = room.top(); y <= room.bottom(); ++y) {
                for (int x = room.left(); x <= room.right(); ++x) {
                    ink += distance(labelled.pixelColor(x, y), style.text) < 120;
                    before += distance(recovered.pixelColor(x, y), style.text) < 120;
                }
            }
            QVERIFY2(ink > before + 40,
                qPrintable(
                    QStringLiteral("%1 text pixels (%2 without labels)").arg(ink).arg(before)));
        }
    }
};

QTEST_MAIN(tst_TrafficView)
#include "tst_TrafficView.moc"
