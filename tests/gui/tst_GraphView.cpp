// Over 500 lines on purpose: one window fixture (open, grab, layout-to-window mapping) serves the
// view, the export-equals-screen check and the CLI export rows; split, each file would repeat it.
#include "../unit/topology/GraphFixture.h"
#include "GraphPane.h"
#include "GraphRenderer.h"
#include "GraphStyle.h"
#include "MainWindow.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QDir>
#include <QFontMetricsF>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QProcess>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTest>
#include <QWheelEvent>
#include <QXmlStreamReader>
#include <QtQml/qqmlextensionplugin.h>

#include <cmath>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;
using namespace hopscope::testing;

namespace {
int countNear(const QImage &image, const QRect &area, const QColor &colour, int tolerance)
{
    int n = 0;
    const QRect r = area.intersected(image.rect());
    for (int y = r.top(); y <= r.bottom(); ++y) {
        for (int x = r.left(); x <= r.right(); ++x) {
            if (distance(image.pixelColor(x, y), colour) <= tolerance) {
                ++n;
            }
        }
    }
    return n;
}
// An SVG file rendered into an image of `size` (its view box fills the image).
QImage renderSvg(const QString &path, const QSize &size)
{
    QSvgRenderer renderer(path);
    if (!renderer.isValid()) {
        return {};
    }
    QImage image(size, QImage::Format_RGB32);
    image.fill(Qt::black);
    QPainter p(&image);
    renderer.render(&p);
    return image;
}
} // namespace

// The graph view offscreen in the real main window, with a demo-like topology: boxes, chips, the
// LB node and hop badges are drawn where the layout puts them; a health change recolours only
// its chip; collapse, keyboard, zoom around the cursor, the dark palette; export to PNG, SVG,
// DOT and JSON from the window and from hopscope-cli.
class tst_GraphView : public QObject
{
    Q_OBJECT

    QString m_outDir;
    ClusterProfile m_profile;
    QString m_profilePath;

    struct Window
    {
        MainWindow w;
        QQuickWidget *quick = nullptr;
        QQuickItem *root = nullptr;
    };

    void open(Window &win, const QPalette *palette = nullptr)
    {
        if (palette) {
            win.w.setPalette(*palette);
        }
        win.w.resize(1600, 1000);
        win.w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&win.w));
        QVERIFY(win.w.openProfile(m_profilePath, true, MainWindow::LivePolling::Off));
        win.quick = win.w.graphPane()->quickWidget();
        QTRY_VERIFY_WITH_TIMEOUT(win.quick->status() == QQuickWidget::Ready, 10000);
        win.root = win.quick->rootObject();
        win.w.graphModel()->setTopology(topologyOf(m_profile, demoTargets()));
        QTRY_VERIFY(findItem(win.root, QStringLiteral("task:127.0.0.12:8000")));
        win.w.graphPane()->fitToView();
        QTest::qWait(0);
        QTRY_VERIFY(painted(win.root));
    }

    // Where the layout says a node is, in window pixels.
    QRect layoutRectInWindow(Window &win, const QString &id)
    {
        QQuickItem *canvas = findItem(win.root, QStringLiteral("graphCanvas"));
        const QRectF r = win.w.graphModel()->nodes()[win.w.graphModel()->rowOf(id)].rect;
        const QRectF scene = canvas->mapRectToScene(r);
        return QRect(win.quick->mapTo(&win.w, scene.topLeft().toPoint()), scene.size().toSize());
    }

    QRect itemRectInWindow(Window &win, QQuickItem *item)
    {
        const QRectF scene = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        return QRect(win.quick->mapTo(&win.w, scene.topLeft().toPoint()), scene.size().toSize());
    }

    QImage grab(Window &win, const QString &name)
    {
        const QImage image = win.w.grab().toImage().convertToFormat(QImage::Format_RGB32);
        const QString png = m_outDir + QLatin1Char('/') + name;
        image.save(png);
        qInfo("screenshot: %s", qPrintable(png));
        return image;
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
        m_profilePath = qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/valid/demo-like.hopscope.json");
    }

    void drawsBoxesChipsLbAndBadgesWhereTheLayoutSays()
    {
        Window win;
        open(win);
        const QImage image = grab(win, QStringLiteral("graph-view-demo-like.png"));
        const QColor boxColor = win.root->property("boxColor").value<QColor>();
        const QColor healthy = GraphStyle::light().healthColour(Health::Healthy);
        for (const ServiceSpec &s : m_profile.services) {
            const QRect expected = layoutRectInWindow(win, s.id);
            QQuickItem *box = findItem(win.root, QStringLiteral("service:") + s.id);
            QVERIFY2(box, qPrintable(s.id));
            QCOMPARE(itemRectInWindow(win, box), expected);
            // Healthy border on the left edge, box fill inside.
            QVERIFY2(countNear(image, QRect(expected.left() - 1, expected.top() + 8, 4, expected.height() - 16), healthy, 60) > 5,
                     qPrintable(s.id));
            QVERIFY(countNear(image, expected.adjusted(4, 4, -4, -4), boxColor, 4) > 100);
            for (const auto &[key, health] : demoTargets().value(s.id)) {
                QQuickItem *chip = findItem(box, QStringLiteral("task:") + key);
                QVERIFY2(chip, qPrintable(key));
                const QRect chipRect = itemRectInWindow(win, chip);
                QVERIFY2(expected.contains(chipRect), qPrintable(key));
                // The chip is tinted with the healthy colour and carries ink (icon + address).
                const int tinted = countNear(image, chipRect, healthy, 90);
                QVERIFY2(tinted > 20, qPrintable(QStringLiteral("%1: %2 px").arg(key).arg(tinted)));
            }
        }
        // The LB node: its box where the layout says, bordered.
        QQuickItem *lb = findItem(win.root, QStringLiteral("lb:internal-lb"));
        QVERIFY(lb);
        QCOMPARE(itemRectInWindow(win, lb), layoutRectInWindow(win, QStringLiteral("lb:internal-lb")));
        QVERIFY(countNear(image, layoutRectInWindow(win, QStringLiteral("lb:internal-lb")), healthy, 60) > 20);
        // Hop badges at the middle of each edge: a pill of box colour with text ink.
        ServiceGraphModel *model = win.w.graphModel();
        for (const auto &seg : model->segments()) {
            const QRect a = layoutRectInWindow(win, model->nodes()[seg.from].id);
            const QRect b = layoutRectInWindow(win, model->nodes()[seg.to].id);
            const QPoint mid((a.right() + b.left()) / 2, (a.center().y() + b.center().y()) / 2);
            const QRect badge(mid - QPoint(14, 5), QSize(28, 10));
            const QColor text = win.root->property("textColor").value<QColor>();
            QVERIFY2(countNear(image, badge, boxColor, 4) > 20, qPrintable(seg.label));
            QVERIFY2(countNear(image, badge, text, 200) > 3, qPrintable(seg.label));
        }
    }

    void oneHealthChangeRecoloursOnlyThatChip()
    {
        Window win;
        open(win);
        const QImage before = grab(win, QStringLiteral("graph-view-before-change.png"));
        QHash<QString, QRect> chips;
        const auto initial = demoTargets();
        for (auto it = initial.cbegin(); it != initial.cend(); ++it) {
            for (const auto &t : it.value()) {
                chips.insert(t.first, itemRectInWindow(win, findItem(win.root, QStringLiteral("task:") + t.first)));
            }
        }
        auto targets = demoTargets();
        targets[QStringLiteral("serviceb")][1].second = Health::Down;
        QSignalSpy changed(win.w.graphModel(), &QAbstractItemModel::dataChanged);
        win.w.graphModel()->setTopology(topologyOf(m_profile, targets));
        QCOMPARE(changed.size(), 1);
        const QString victim = QStringLiteral("127.0.0.12:8000");
        const QColor down(0xd1, 0x3c, 0x3c);
        QImage after;
        QTRY_VERIFY((after = win.w.grab().toImage().convertToFormat(QImage::Format_RGB32),
                     painted(win.root) && countNear(after, chips[victim], down, 60) > 20));
        after.save(m_outDir + QStringLiteral("/graph-view-after-change.png"));
        for (auto it = chips.cbegin(); it != chips.cend(); ++it) {
            const QRect r = it.value().adjusted(1, 1, -1, -1);
            int differing = 0;
            for (int y = r.top(); y <= r.bottom(); ++y) {
                for (int x = r.left(); x <= r.right(); ++x) {
                    differing += before.pixel(x, y) != after.pixel(x, y);
                }
            }
            if (it.key() == victim) {
                QVERIFY2(differing > 50, qPrintable(QString::number(differing)));
            } else {
                QVERIFY2(differing == 0, qPrintable(QStringLiteral("%1 changed %2 px").arg(it.key()).arg(differing)));
            }
        }
    }

    void collapseToggleAndKeyboard()
    {
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        const int b = model->rowOf(QStringLiteral("serviceb"));
        QQuickItem *toggle = findItem(win.root, QStringLiteral("collapse:serviceb"));
        QVERIFY(toggle);
        const QPointF centre = toggle->mapToScene(QPointF(toggle->width() / 2, toggle->height() / 2));
        QTest::mouseClick(win.quick, Qt::LeftButton, {}, centre.toPoint());
        QTRY_VERIFY(model->isCollapsed(QStringLiteral("serviceb")));
        QTRY_VERIFY(!findItem(win.root, QStringLiteral("task:127.0.0.12:8000")));
        QTRY_COMPARE(findItem(win.root, QStringLiteral("service:serviceb"))->height(), ServiceGraphModel::CollapsedHeight);
        QTRY_VERIFY(painted(win.root));
        grab(win, QStringLiteral("graph-view-collapsed.png"));
        // A poll keeps it collapsed.
        model->setTopology(topologyOf(m_profile, demoTargets()));
        QVERIFY(model->isCollapsed(QStringLiteral("serviceb")));

        // Keyboard: Tab to the first box, arrows to its neighbour, Space expands, Enter selects.
        win.quick->setFocus();
        win.root->forceActiveFocus();
        QSignalSpy selected(win.w.graphPane(), &GraphPane::nodeSelected);
        QTest::keyClick(win.quick, Qt::Key_Tab);
        QTRY_VERIFY(win.root->property("currentRow").toInt() >= 0);
        const int first = win.root->property("currentRow").toInt();
        QTest::keyClick(win.quick, Qt::Key_Right);
        QCOMPARE(win.root->property("currentRow").toInt(), model->neighbour(first, 1, 0));
        win.root->setProperty("currentRow", b);
        QTest::keyClick(win.quick, Qt::Key_Space);
        QVERIFY(!model->isCollapsed(QStringLiteral("serviceb")));
        QTest::keyClick(win.quick, Qt::Key_Return);
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected[0][0].toString(), QStringLiteral("serviceb"));
        QVERIFY(findItem(win.root, QStringLiteral("focusRing"))->isVisible());
        QTRY_VERIFY(painted(win.root));
        grab(win, QStringLiteral("graph-view-keyboard-focus.png"));
        const qreal zoom = win.root->property("zoom").toReal();
        QTest::keyClick(win.quick, Qt::Key_Plus);
        QCOMPARE(win.root->property("zoom").toReal(), std::min(3.0, zoom * 1.25));
        QTest::keyClick(win.quick, Qt::Key_Minus);
        QTest::keyClick(win.quick, Qt::Key_Minus);
        QVERIFY(win.root->property("zoom").toReal() < zoom);
        QTest::keyClick(win.quick, Qt::Key_0);
        QCOMPARE(win.root->property("zoom").toReal(), zoom);
    }

    void wheelZoomsAroundTheCursor()
    {
        Window win;
        open(win);
        const QPoint cursor = layoutRectInWindow(win, QStringLiteral("user")).center() - win.quick->mapTo(&win.w, QPoint(0, 0));
        const auto contentAt = [&](QPoint p) {
            const QRectF vp = win.root->property("viewport").toRectF();
            const qreal z = win.root->property("zoom").toReal();
            return QPointF(vp.x() + p.x() / z, vp.y() + p.y() / z);
        };
        const QPointF before = contentAt(cursor);
        const qreal zoom = win.root->property("zoom").toReal();
        for (int i = 0; i < 3; ++i) {
            QWheelEvent wheel(cursor, win.quick->mapToGlobal(cursor), QPoint(), QPoint(0, 120), Qt::NoButton,
                              Qt::NoModifier, Qt::NoScrollPhase, false);
            QCoreApplication::sendEvent(win.quick, &wheel);
        }
        QTRY_VERIFY(win.root->property("zoom").toReal() > zoom * 1.4);
        const QPointF after = contentAt(cursor);
        // On an axis where the zoomed graph is larger than the view, the point under the cursor
        // stays put; on an axis where it fits, the graph is centred instead.
        const qreal z = win.root->property("zoom").toReal();
        const QSizeF content = win.w.graphModel()->contentSize() * z;
        QVERIFY(content.width() > win.quick->width());
        QVERIFY2(std::abs(before.x() - after.x()) < 2.0, qPrintable(QStringLiteral("x %1 -> %2").arg(before.x()).arg(after.x())));
        if (content.height() > win.quick->height()) {
            QVERIFY2(std::abs(before.y() - after.y()) < 2.0, qPrintable(QStringLiteral("y %1 -> %2").arg(before.y()).arg(after.y())));
        }
        QTRY_VERIFY(painted(win.root));
        grab(win, QStringLiteral("graph-view-zoomed.png"));
    }

    // Issue 14: zoomed out (the overview) traffic emphasis draws a measured pair's line in
    // its error-ratio colour, wider by its rate; in health emphasis the same line is the thin
    // grey one.
    void overviewShowsTraffic()
    {
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        const EdgeSpec *spec = nullptr;
        for (const EdgeSpec &e : std::as_const(m_profile.edges)) {
            if (e.via == EdgeSpec::Via::Mesh) {
                spec = &e;
                break;
            }
        }
        QVERIFY2(spec, "the demo-like profile has a mesh edge");
        EdgeNode e;
        e.from = spec->from;
        e.to = spec->to;
        e.via = spec->viaText();
        TrafficAggregate a;
        a.measured = true;
        a.point.status = TrafficStatus::Ok;
        a.point.rps = 5000;
        a.point.errorsPerS = 1000;
        a.point.errorRatio = 0.2;
        TrafficReport report;
        report.edges.insert(TrafficTracker::edgeKey(e), a);
        model->setTraffic(report);
        win.root->setProperty("zoom", 0.3); // below the level of detail (0.45)
        QMetaObject::invokeMethod(win.root, "panBy", Q_ARG(QVariant, -100000), Q_ARG(QVariant, -100000));
        QTRY_VERIFY(painted(win.root));
        // The overview's lines are drawn at 80 % opacity over the background.
        const QColor down = GraphStyle::light().healthColour(Health::Down);
        const QColor bg = GraphStyle::light().background;
        const QColor red(int(down.red() * 0.8 + bg.red() * 0.2), int(down.green() * 0.8 + bg.green() * 0.2),
                         int(down.blue() * 0.8 + bg.blue() * 0.2));
        const auto redOnLine = [&](const QImage &image) {
            const QRect fromRect = layoutRectInWindow(win, spec->from);
            const QRect toRect = layoutRectInWindow(win, spec->to);
            const QPointF p1(fromRect.right(), fromRect.center().y());
            const QPointF p2(toRect.left(), toRect.center().y());
            int n = 0;
            for (int i = 20; i <= 80; ++i) {
                const QPoint at = (p1 + (p2 - p1) * (i / 100.0)).toPoint();
                n += countNear(image, QRect(at - QPoint(3, 3), QSize(7, 7)), red, 24) > 0;
            }
            return n;
        };
        const int health = redOnLine(grab(win, QStringLiteral("overview-health.png")));
        model->setTrafficEmphasis(true);
        QTRY_VERIFY(painted(win.root));
        const int traffic = redOnLine(grab(win, QStringLiteral("overview-traffic.png")));
        qInfo("red along the mesh pair's line: health %d, traffic %d of 61 points", health, traffic);
        QCOMPARE(health, 0);
        QVERIFY(traffic > 40);
    }

    void darkPaletteIsReadable()
    {
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x20, 0x22, 0x26));
        dark.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
        dark.setColor(QPalette::Base, QColor(0x18, 0x1a, 0x1e));
        dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
        Window win;
        open(win, &dark);
        QTRY_VERIFY(win.root->property("dark").toBool());
        QTRY_VERIFY(painted(win.root));
        const QImage image = grab(win, QStringLiteral("graph-view-dark.png"));
        const QColor boxColor = win.root->property("boxColor").value<QColor>();
        const QColor text = win.root->property("textColor").value<QColor>();
        QVERIFY(boxColor.lightness() < 80);
        for (const ServiceSpec &s : m_profile.services) {
            const QRect r = layoutRectInWindow(win, s.id);
            QVERIFY(countNear(image, r.adjusted(4, 4, -4, -4), boxColor, 6) > 100);
            // Light title ink on the dark box.
            QVERIFY2(countNear(image, QRect(r.left() + 30, r.top() + 6, r.width() - 60, 20), text, 120) > 10, qPrintable(s.id));
        }
        QString error;
        const QString png = m_outDir + QStringLiteral("/export-dark.png");
        QVERIFY2(win.w.exportGraph(png, &error), qPrintable(error));
        QImage exported(png);
        QCOMPARE(exported.pixelColor(2, 2), GraphStyle::forDark(true).background);
    }

    void exportsFromTheWindow()
    {
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        QString error;
        // PNG: the whole graph at 1:1, box fill where each service is, background elsewhere.
        const QString png = m_outDir + QStringLiteral("/export.png");
        QVERIFY2(win.w.exportGraph(png, &error), qPrintable(error));
        const QImage image(png);
        QCOMPARE(image.size(), QSize(qCeil(model->contentSize().width()), qCeil(model->contentSize().height())));
        const GraphStyle light = GraphStyle::light();
        QCOMPARE(image.pixelColor(2, 2), light.background);
        for (const auto &n : model->nodes()) {
            const QRect r = n.rect.toAlignedRect();
            QVERIFY2(countNear(image, r.adjusted(6, 6, -6, -6), light.box, 4) > 100, qPrintable(n.id));
            QVERIFY2(countNear(image, r.adjusted(-2, 8, -r.width() + 3, -8), light.healthColour(Health::Healthy), 150) > 5, qPrintable(n.id));
        }
        // SVG: well-formed, drawn by the same painter: rendered back at 1:1 it shows the box fill
        // where each node is and the health colour on its border; every title is a <text>.
        const QString svg = m_outDir + QStringLiteral("/export.svg");
        QVERIFY2(win.w.exportGraph(svg, &error), qPrintable(error));
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&f);
        QStringList texts;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement() && xml.name() == u"text") {
                texts.append(xml.readElementText(QXmlStreamReader::IncludeChildElements));
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        for (const ServiceSpec &s : m_profile.services) {
            QVERIFY2(std::any_of(texts.cbegin(), texts.cend(), [&](const QString &t) { return t.contains(s.name); }),
                     qPrintable(s.name));
        }
        const QImage fromSvg = renderSvg(svg, image.size());
        QVERIFY(!fromSvg.isNull());
        fromSvg.save(m_outDir + QStringLiteral("/export-svg-rendered.png"));
        QCOMPARE(fromSvg.pixelColor(2, 2), light.background);
        for (const auto &n : model->nodes()) {
            const QRect r = n.rect.toAlignedRect();
            QVERIFY2(countNear(fromSvg, r.adjusted(6, 6, -6, -6), light.box, 4) > 100, qPrintable(n.id));
            QVERIFY2(countNear(fromSvg, r.adjusted(-2, 8, -r.width() + 3, -8), light.healthColour(Health::Healthy), 150) > 5,
                     qPrintable(n.id));
        }
        // DOT and JSON; an unknown suffix is refused with a reason.
        QVERIFY2(win.w.exportGraph(m_outDir + QStringLiteral("/export.dot"), &error), qPrintable(error));
        QVERIFY2(win.w.exportGraph(m_outDir + QStringLiteral("/export.json"), &error), qPrintable(error));
        QVERIFY(!win.w.exportGraph(m_outDir + QStringLiteral("/export.bmpx"), &error));
        QVERIFY(error.contains(QStringLiteral("bmpx")));
        QVERIFY(!win.w.exportGraph(QStringLiteral("/nonexistent-dir/x.dot"), &error));
        QVERIFY(error.contains(QStringLiteral("Cannot write")));
    }

    // One painter: the PNG export at zoom 1 and the screen at zoom 1 are the same pixels, over
    // every pixel of the graph on screen (boxes, chips, the LB pill, edges, badges, a down
    // chip and a failing LB's red edges included).
    void exportAtZoomOneIsWhatTheScreenShows()
    {
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        // A down task and a down LB, so red chips and red ✖ edges are compared too.
        auto targets = demoTargets();
        targets[QStringLiteral("serviceb")][1].second = Health::Down;
        Topology t = topologyOf(m_profile, targets);
        for (LoadBalancerNode &lb : t.loadBalancers) {
            lb.health = Health::Down;
        }
        for (const EdgeSpec &spec : m_profile.edges) {
            EdgeNode e;
            e.from = spec.from;
            e.to = spec.to;
            e.via = spec.viaText();
            e.health = spec.via == EdgeSpec::Via::LoadBalancer ? Health::Down : Health::Healthy;
            e.reason = QStringLiteral("the LB is down");
            t.edges.append(e);
        }
        model->setTopology(t);
        win.root->setProperty("zoom", 1.0);
        QMetaObject::invokeMethod(win.root, "panBy", Q_ARG(QVariant, -100000), Q_ARG(QVariant, -100000));
        QTRY_VERIFY(painted(win.root));
        QQuickItem *layer = findItem(win.root, QStringLiteral("graphLayer"));
        QCOMPARE(layer->property("renderScale").toReal(), 1.0);
        QRect compared;
        QImage exported;
        QPoint offset; // screen pixel - content pixel
        // The screen grabbed and the export, compared pixel by pixel over what both show.
        const auto differing = [&](const QString &name) {
            const QImage screen = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32);
            screen.save(m_outDir + QStringLiteral("/zoom1-screen-") + name + QStringLiteral(".png"));
            QString error;
            const QString png = m_outDir + QStringLiteral("/zoom1-export-") + name + QStringLiteral(".png");
            if (!win.w.exportGraph(png, &error)) {
                return -1;
            }
            exported = QImage(png).convertToFormat(QImage::Format_RGB32);
            // Where content pixel (0,0) is on screen: the layer lands tiles on whole pixels.
            const QRectF viewport = layer->property("viewport").toRectF();
            const QPoint origin(qRound(viewport.left()), qRound(viewport.top()));
            // The layer's whole pixels (its right edge meets the legend's border).
            const QRectF scene = layer->mapRectToScene(QRectF(0, 0, layer->width(), layer->height()));
            const QRect onScreen(QPoint(qCeil(scene.left()), qCeil(scene.top())),
                                 QPoint(qFloor(scene.right()) - 1, qFloor(scene.bottom()) - 1));
            offset = onScreen.topLeft() - origin;
            compared = QRect(offset, exported.size()).intersected(onScreen).intersected(screen.rect());
            int count = 0;
            QImage diff(compared.size(), QImage::Format_RGB32);
            diff.fill(Qt::white);
            for (int y = compared.top(); y <= compared.bottom(); ++y) {
                for (int x = compared.left(); x <= compared.right(); ++x) {
                    if (screen.pixel(x, y) != exported.pixel(QPoint(x, y) - offset)) {
                        ++count;
                        diff.setPixel(x - compared.left(), y - compared.top(), qRgb(255, 0, 0));
                    }
                }
            }
            if (count) {
                diff.save(m_outDir + QStringLiteral("/zoom1-diff-") + name + QStringLiteral(".png"));
            }
            return count;
        };
        QCOMPARE(differing(QStringLiteral("fresh")), 0);
        QVERIFY2(compared.width() > 600 && compared.height() > 200,
                 qPrintable(QStringLiteral("%1x%2").arg(compared.width()).arg(compared.height())));
        // A poll repaints only the changed chip in place (a patch of a cached tile): still the
        // export's pixels.
        const QImage before = win.quick->grabFramebuffer();
        targets[QStringLiteral("serviceb")][0].second = Health::Draining;
        Topology t2 = topologyOf(m_profile, targets);
        t2.loadBalancers = t.loadBalancers;
        t2.edges = t.edges;
        model->setTopology(t2);
        QTRY_VERIFY(win.quick->grabFramebuffer() != before && painted(win.root));
        QCOMPARE(differing(QStringLiteral("patched")), 0);
        // The comparison covered the LB pill and a red (down) chip.
        const QRect lb = model->nodes()[model->rowOf(QStringLiteral("lb:internal-lb"))].rect.toAlignedRect();
        QVERIFY(compared.contains(lb.translated(offset)));
        QVERIFY(countNear(exported, lb, GraphStyle::light().healthColour(Health::Down), 40) > 20);
    }

    void overviewPatchIsWhatTheExportShows_data()
    {
        QTest::addColumn<qreal>("zoom");
        QTest::newRow("0.3") << 0.3;
        // So far out that a box's 1 px border reaches into its neighbour's: the patch must
        // draw the neighbours again too, in the tile's order.
        QTest::newRow("0.04") << 0.04;
    }

    // Zoomed out with traffic emphasis (lines of every width and colour), a health change
    // patches the overview's tiles by filling the changed boxes again over them, without the
    // lines under them: the screen after that patch is still the export's pixels, everywhere.
    void overviewPatchIsWhatTheExportShows()
    {
        QFETCH(qreal, zoom);
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        TrafficReport report;
        int i = 0;
        for (const EdgeSpec &spec : std::as_const(m_profile.edges)) {
            EdgeNode e;
            e.from = spec.from;
            e.to = spec.to;
            e.via = spec.viaText();
            TrafficAggregate a;
            a.measured = true;
            a.point.status = TrafficStatus::Ok;
            a.point.rps = std::pow(10.0, i % 5); // 1 to 10,000 rps: lines 1 to 4 px wide
            a.point.errorRatio = (i % 3) * 0.05; // 0, 5, 10 %: every colour
            a.point.errorsPerS = *a.point.rps * *a.point.errorRatio;
            report.edges.insert(TrafficTracker::edgeKey(e), a);
            ++i;
        }
        model->setTraffic(report);
        model->setTrafficEmphasis(true);
        win.root->setProperty("zoom", zoom);
        QMetaObject::invokeMethod(
            win.root, "panBy", Q_ARG(QVariant, -100000), Q_ARG(QVariant, -100000));
        QTRY_VERIFY(painted(win.root));
        QQuickItem *layer = findItem(win.root, QStringLiteral("graphLayer"));
        const qreal scale = layer->property("renderScale").toReal();
        QVERIFY2(scale < 0.45, "the overview");
        const QString tag = QString::number(zoom);
        QImage exported;
        QPoint offset;
        const auto differing = [&](const QString &name) {
            const QImage screen
                = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32);
            screen.save(m_outDir + QStringLiteral("/overview-screen-%1-%2.png").arg(tag, name));
            exported = GraphRenderer::toImage(*model, GraphStyle::light(), scale);
            exported.save(m_outDir + QStringLiteral("/overview-export-%1-%2.png").arg(tag, name));
            const QRectF viewport = layer->property("viewport").toRectF();
            const QPoint origin(qRound(viewport.left() * scale), qRound(viewport.top() * scale));
            const QRectF scene
                = layer->mapRectToScene(QRectF(0, 0, layer->width(), layer->height()));
            const QRect onScreen(QPoint(qCeil(scene.left()), qCeil(scene.top())),
                QPoint(qFloor(scene.right()) - 1, qFloor(scene.bottom()) - 1));
            offset = onScreen.topLeft() - origin;
            const QRect compared
                = QRect(offset, exported.size()).intersected(onScreen).intersected(screen.rect());
            if (compared.width() < exported.width() - 2
                || compared.height() < exported.height() - 2) {
                return -1; // the whole graph is on screen at these zooms
            }
            int count = 0;
            for (int y = compared.top(); y <= compared.bottom(); ++y) {
                for (int x = compared.left(); x <= compared.right(); ++x) {
                    count += screen.pixel(x, y) != exported.pixel(QPoint(x, y) - offset);
                }
            }
            return count;
        };
        QCOMPARE(differing(QStringLiteral("fresh")), 0);
        // Two tasks down: their boxes' borders and dots turn red on screen, by a patch.
        const QImage before = win.quick->grabFramebuffer();
        auto targets = demoTargets();
        targets[QStringLiteral("serviceb")][1].second = Health::Down;
        targets[QStringLiteral("user")][0].second = Health::Down;
        model->setTopology(topologyOf(m_profile, targets));
        QTRY_VERIFY(win.quick->grabFramebuffer() != before && painted(win.root));
        QCOMPARE(differing(QStringLiteral("patched")), 0);
        const QRect b = QRectF(
            model->nodes()[model->rowOf(QStringLiteral("serviceb"))].rect.topLeft() * scale,
            model->nodes()[model->rowOf(QStringLiteral("serviceb"))].rect.size() * scale)
                            .toAlignedRect();
        QVERIFY(countNear(exported, b.adjusted(-1, -1, 1, 1),
                    GraphStyle::light().healthColour(Health::Down), 10)
            > 0);
    }

    // Readable at a glance: at 100 % every font the graph draws with is at least the platform's
    // smallest readable font and never under 9 pt (12 px at 96 dpi), chips and badges included;
    // the legend folds away and the graph's area never lies under it.
    void labelsAreReadableAndTheLegendNeverCoversTheGraph()
    {
        const GraphFonts &f = GraphFonts::instance();
        const int minimum = qCeil(9.0 * 96 / 72);
        qInfo("smallest label: %d px", f.smallPx);
        for (const QFont *font : { &f.title, &f.subtitle, &f.detail, &f.chip, &f.chipBold,
                 &f.chipItalic, &f.toggle, &f.lbTitle, &f.lbSub, &f.badge }) {
            QVERIFY2(font->pixelSize() >= minimum, qPrintable(QString::number(font->pixelSize())));
        }
        // The chip holds its label.
        QVERIFY(QFontMetricsF(f.chip).height() <= ServiceGraphModel::TaskRowHeight - 4);
        Window win;
        open(win);
        QQuickItem *legend = findItem(win.root, QStringLiteral("legend"));
        QQuickItem *area = win.root->property("graphAreaItem").value<QQuickItem *>();
        QVERIFY(legend && area && legend->isVisible());
        const auto sceneRect = [](QQuickItem *item) { return item->mapRectToScene(QRectF(0, 0, item->width(), item->height())); };
        QVERIFY(!sceneRect(legend).intersects(sceneRect(area)));
        const qreal expandedHeight = legend->height();
        QVERIFY(expandedHeight > 0);
        win.root->setProperty("legendExpanded", false);
        QTRY_VERIFY(legend->height() < expandedHeight);
        QVERIFY(!sceneRect(legend).intersects(sceneRect(area)));
        QTRY_VERIFY(painted(win.root));
        grab(win, QStringLiteral("graph-view-legend-folded.png"));
    }

    // A profile that fits opens fitted: the whole graph inside the graph's area (no call to
    // fitToView here), and it stays so when the legend folds (the area grows).
    void aProfileOpensFittedToTheView()
    {
        Window win;
        win.w.resize(1600, 1000);
        win.w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&win.w));
        QVERIFY(win.w.openProfile(m_profilePath, true, MainWindow::LivePolling::Off));
        win.quick = win.w.graphPane()->quickWidget();
        QTRY_VERIFY_WITH_TIMEOUT(win.quick->status() == QQuickWidget::Ready, 10000);
        win.root = win.quick->rootObject();
        QQuickItem *canvas = findItem(win.root, QStringLiteral("graphCanvas"));
        QQuickItem *area = win.root->property("graphAreaItem").value<QQuickItem *>();
        QVERIFY(canvas && area);
        const auto fits = [&] {
            const QRectF shown = canvas->mapRectToScene(QRectF(0, 0, canvas->width(), canvas->height()));
            const QRectF inside = area->mapRectToScene(QRectF(0, 0, area->width(), area->height()));
            return canvas->width() > 0 && inside.adjusted(-0.5, -0.5, 0.5, 0.5).contains(shown)
                && (qFuzzyCompare(win.root->property("zoom").toReal(), 1.0)
                    || shown.width() > inside.width() - 2 || shown.height() > inside.height() - 2);
        };
        QTRY_VERIFY(fits());
        win.root->setProperty("legendExpanded", false);
        QTRY_VERIFY(fits());
        win.root->setProperty("legendExpanded", true);
        QTRY_VERIFY(fits());
    }

    void exportsFromTheCli_data()
    {
        QTest::addColumn<QString>("format");
        QTest::newRow("png") << QStringLiteral("png");
        QTest::newRow("svg") << QStringLiteral("svg");
        QTest::newRow("dot") << QStringLiteral("dot");
        QTest::newRow("json") << QStringLiteral("json");
    }
    void exportsFromTheCli()
    {
        QFETCH(QString, format);
        const QString out = m_outDir + QStringLiteral("/cli-export.") + format;
        QFile::remove(out);
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("QT_QPA_PLATFORM")); // the CLI must go headless by itself
        env.remove(QStringLiteral("DISPLAY"));
        cli.setProcessEnvironment(env);
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"), {QStringLiteral("export"), m_profilePath, QStringLiteral("--polls"),
                                                         QStringLiteral("0"), QStringLiteral("--format"), format,
                                                         QStringLiteral("-o"), out});
        QVERIFY(cli.waitForFinished(60000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        ServiceGraphModel declared;
        declared.setProfile(m_profile);
        if (format == u"png") {
            const QImage image(out);
            QCOMPARE(image.size(), QSize(qCeil(declared.contentSize().width()), qCeil(declared.contentSize().height())));
            for (const auto &n : declared.nodes()) {
                QVERIFY(countNear(image, n.rect.toAlignedRect().adjusted(6, 6, -6, -6), Qt::white, 4) > 100);
            }
        } else if (format == u"svg") {
            QFile f(out);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QXmlStreamReader xml(&f);
            while (!xml.atEnd()) {
                xml.readNext();
            }
            QVERIFY(!xml.hasError());
            // Drawn by the same painter as the PNG: rendered back, the box fill is where each
            // node is.
            const QImage image = renderSvg(out, QSize(qCeil(declared.contentSize().width()), qCeil(declared.contentSize().height())));
            for (const auto &n : declared.nodes()) {
                QVERIFY2(countNear(image, n.rect.toAlignedRect().adjusted(6, 6, -6, -6), Qt::white, 4) > 100, qPrintable(n.id));
            }
        } else if (format == u"dot") {
            const QString dot = QStandardPaths::findExecutable(QStringLiteral("dot"));
            QVERIFY2(!dot.isEmpty(), "graphviz 'dot' is not installed (scripts/bootstrap installs it)");
            QProcess p;
            p.start(dot, {QStringLiteral("-Tsvg"), out});
            QVERIFY(p.waitForFinished(30000));
            QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        } else {
            QFile f(out);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
            QCOMPARE(o[QStringLiteral("profile")].toString(), m_profile.name);
            QCOMPARE(o[QStringLiteral("layout")].toObject()[QStringLiteral("nodes")].toArray().size(), declared.rowCount());
        }
    }

    void cliExportRefusesBadArguments_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QString p = qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/valid/demo-like.hopscope.json");
        QTest::newRow("unknown format") << QStringList{p, QStringLiteral("--format"), QStringLiteral("gif"), QStringLiteral("-o"), QStringLiteral("/tmp/x")} << 2 << QStringLiteral("--format is one of");
        QTest::newRow("no output") << QStringList{p, QStringLiteral("--format"), QStringLiteral("dot")} << 2 << QStringLiteral("usage");
        QTest::newRow("bad polls") << QStringList{p, QStringLiteral("--polls"), QStringLiteral("-3"), QStringLiteral("--format"), QStringLiteral("dot"), QStringLiteral("-o"), QStringLiteral("/tmp/x")} << 2 << QStringLiteral("--polls");
        QTest::newRow("unwritable output") << QStringList{p, QStringLiteral("--polls"), QStringLiteral("0"), QStringLiteral("--format"), QStringLiteral("png"), QStringLiteral("-o"), QStringLiteral("/nonexistent-dir/x.png")} << 1 << QStringLiteral("cannot write");
        QTest::newRow("missing profile") << QStringList{QStringLiteral("/nonexistent.hopscope.json"), QStringLiteral("--format"), QStringLiteral("dot"), QStringLiteral("-o"), QStringLiteral("/tmp/x")} << 1 << QStringLiteral("/nonexistent.hopscope.json: cannot open");
    }
    void cliExportRefusesBadArguments()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        QProcess cli;
        cli.start(qEnvironmentVariable("HOPSCOPE_CLI"), QStringList{QStringLiteral("export")} + args);
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
        QCOMPARE(cli.exitCode(), exitCode);
        const QString err = QString::fromUtf8(cli.readAllStandardError());
        QVERIFY2(err.contains(message), qPrintable(err));
    }
};

QTEST_MAIN(tst_GraphView)
#include "tst_GraphView.moc"
