#include "../unit/topology/GraphFixture.h"
#include "GraphPane.h"
#include "GraphScene.h"
#include "GraphStyle.h"
#include "MainWindow.h"
#include "topology/ServiceGraphModel.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtMath>
#include <QtQml/qqmlextensionplugin.h>

#include <algorithm>
#include <cmath>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;
using namespace hopscope::testing;

// An edge's failure drawn on a graph larger than the view (the real main window, offscreen, at
// zoom 1): when the LB on an edge's way goes down and comes back, the painted view repaints
// only the tiles that edge (its curve and its badge, before and after the ✖) and the LB's box
// cross, never the whole graph; the pixels that change lie there; the stroke and the badge
// turn red; and the screen is still exactly what the export of the whole graph draws.
class tst_GraphEdgeRepaint : public QObject
{
    Q_OBJECT

    static constexpr int Layers = 6;
    static constexpr int PerLayer = 10;

    QString m_outDir;
    QTemporaryDir m_dir;
    QString m_profilePath;
    ClusterProfile m_profile;

    struct Window
    {
        MainWindow w;
        QQuickWidget *quick = nullptr;
        QQuickItem *root = nullptr;
        QQuickItem *layer = nullptr;
    };

    static QString serviceId(int layer, int index)
    {
        return QStringLiteral("l%1s%2").arg(layer).arg(index);
    }

    // Services in layers, each calling two of the next layer by DNS or mesh, and one call
    // (near the top left) through the one load balancer.
    QJsonObject generatedProfile() const
    {
        QJsonArray services;
        for (int l = 0; l < Layers; ++l) {
            for (int i = 0; i < PerLayer; ++i) {
                services.append(QJsonObject { { QStringLiteral("id"), serviceId(l, i) },
                    { QStringLiteral("name"), QStringLiteral("service %1.%2").arg(l).arg(i) } });
            }
        }
        QJsonArray edges;
        for (int l = 0; l + 1 < Layers; ++l) {
            for (int i = 0; i < PerLayer; ++i) {
                for (int k = 0; k < 2; ++k) {
                    const int to = (i + k * 3) % PerLayer;
                    if (l == 0 && i == 1 && to == 2) {
                        continue; // the LB's edge below
                    }
                    edges.append(QJsonObject { { QStringLiteral("from"), serviceId(l, i) },
                        { QStringLiteral("to"), serviceId(l + 1, to) },
                        { QStringLiteral("via"),
                            (i + k) % 2 ? QStringLiteral("mesh") : QStringLiteral("dns") } });
                }
            }
        }
        edges.append(QJsonObject { { QStringLiteral("from"), serviceId(0, 1) },
            { QStringLiteral("to"), serviceId(1, 2) },
            { QStringLiteral("via"), QStringLiteral("lb:edge-lb") } });
        const QJsonObject lb { { QStringLiteral("id"), QStringLiteral("edge-lb") },
            { QStringLiteral("kind"), QStringLiteral("haproxy") },
            { QStringLiteral("runtime"), QStringLiteral("tcp:127.0.0.1:9999") },
            { QStringLiteral("statsUrl"), QStringLiteral("http://127.0.0.1:8404/stats;csv") },
            { QStringLiteral("routes"),
                QJsonArray {
                    QJsonObject { { QStringLiteral("pathPrefix"), QStringLiteral("/api/") },
                        { QStringLiteral("backend"), QStringLiteral("be_l1s2") },
                        { QStringLiteral("service"), serviceId(1, 2) } } } } };
        return QJsonObject { { QStringLiteral("schema"), 1 },
            { QStringLiteral("name"), QStringLiteral("edge repaint (generated)") },
            { QStringLiteral("services"), services },
            { QStringLiteral("loadBalancers"), QJsonArray { lb } },
            { QStringLiteral("edges"), edges } };
    }

    // One healthy target per service; the LB and the edges through it as `lbHealth`.
    Topology topology(Health lbHealth) const
    {
        QMap<QString, QList<QPair<QString, Health>>> targets;
        int n = 0;
        for (const ServiceSpec &s : m_profile.services) {
            ++n;
            targets[s.id] = { { QStringLiteral("10.0.%1.%2:8080").arg(n / 200).arg(n % 200 + 1),
                Health::Healthy } };
        }
        Topology t = topologyOf(m_profile, targets);
        for (LoadBalancerNode &lb : t.loadBalancers) {
            lb.health = lbHealth;
            lb.reason = lbHealth == Health::Down ? QStringLiteral("unreachable: connection refused")
                                                 : QStringLiteral("answering");
        }
        for (const EdgeSpec &spec : m_profile.edges) {
            EdgeNode e;
            e.from = spec.from;
            e.to = spec.to;
            e.via = spec.viaText();
            e.health = spec.via == EdgeSpec::Via::LoadBalancer ? lbHealth : Health::Healthy;
            e.reason = spec.via == EdgeSpec::Via::LoadBalancer && lbHealth == Health::Down
                ? QStringLiteral("edge-lb: unreachable: connection refused")
                : QString();
            t.edges.append(e);
        }
        return t;
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
        win.w.graphModel()->setTopology(topology(Health::Healthy));
        win.w.graphPane()->fitToView(); // the opening's queued fit first, then zoom 1
        QTest::qWait(0);
        win.root->setProperty("zoom", 1.0);
        QMetaObject::invokeMethod(
            win.root, "panBy", Q_ARG(QVariant, -100000), Q_ARG(QVariant, -100000));
        QTRY_VERIFY(painted(win.root));
    }

    // Framebuffer pixel - content pixel at zoom 1 (the layer lands tiles on whole pixels).
    static QPoint offset(Window &win)
    {
        const QRectF viewport = win.layer->property("viewport").toRectF();
        const QRectF scene
            = win.layer->mapRectToScene(QRectF(0, 0, win.layer->width(), win.layer->height()));
        return QPoint(qCeil(scene.left()), qCeil(scene.top()))
            - QPoint(qRound(viewport.left()), qRound(viewport.top()));
    }

    // The layer's whole pixels on the framebuffer.
    static QRect layerOnScreen(Window &win)
    {
        const QRectF scene
            = win.layer->mapRectToScene(QRectF(0, 0, win.layer->width(), win.layer->height()));
        return QRect(QPoint(qCeil(scene.left()), qCeil(scene.top())),
            QPoint(qFloor(scene.right()) - 1, qFloor(scene.bottom()) - 1));
    }

    // Pixels where the screen and the export of the whole graph differ, over what both show.
    int differsFromExport(Window &win, const QString &name)
    {
        const QImage screen = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32);
        screen.save(m_outDir + QStringLiteral("/edge-repaint-screen-%1.png").arg(name));
        QString error;
        const QString png = m_outDir + QStringLiteral("/edge-repaint-export-%1.png").arg(name);
        if (!win.w.exportGraph(png, &error)) {
            qWarning("export: %s", qPrintable(error));
            return -1;
        }
        const QImage exported = QImage(png).convertToFormat(QImage::Format_RGB32);
        const QPoint off = offset(win);
        const QRect compared = QRect(off, exported.size())
                                   .intersected(layerOnScreen(win))
                                   .intersected(screen.rect());
        if (compared.width() < 800 || compared.height() < 500) {
            qWarning("compared only %dx%d", compared.width(), compared.height());
            return -1;
        }
        int count = 0;
        QRect bad;
        for (int y = compared.top(); y <= compared.bottom(); ++y) {
            for (int x = compared.left(); x <= compared.right(); ++x) {
                if (screen.pixel(x, y) != exported.pixel(QPoint(x, y) - off)) {
                    ++count;
                    bad |= QRect(x, y, 1, 1);
                }
            }
        }
        if (count) {
            qWarning("%s: %d px differ from the export within (%d,%d %dx%d), content (%d,%d)",
                qPrintable(name), count, bad.x(), bad.y(), bad.width(), bad.height(),
                bad.x() - off.x(), bad.y() - off.y());
        }
        return count;
    }

    static int countNear(
        const QImage &image, const QRect &area, const QColor &colour, int tolerance)
    {
        int n = 0;
        const QRect r = area.intersected(image.rect());
        for (int y = r.top(); y <= r.bottom(); ++y) {
            for (int x = r.left(); x <= r.right(); ++x) {
                n += distance(image.pixelColor(x, y), colour) <= tolerance;
            }
        }
        return n;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        m_outDir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(m_outDir));
        QVERIFY(m_dir.isValid());
        m_profilePath = m_dir.filePath(QStringLiteral("edge-repaint.hopscope.json"));
        QFile f(m_profilePath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(generatedProfile()).toJson());
        f.close();
        const ProfileLoadResult r = ProfileStore::load(m_profilePath);
        QVERIFY(r.ok());
        m_profile = *r.profile;
    }

    void anLbGoingDownRepaintsOnlyItsEdgesTiles()
    {
        Window win;
        open(win);
        ServiceGraphModel *model = win.w.graphModel();
        constexpr int tile = 256; // GraphLayer::TileSize
        QCOMPARE(win.layer->property("renderScale").toReal(), 1.0);
        QCOMPARE(win.quick->quickWindow()->effectiveDevicePixelRatio(), 1.0);

        // The segments through the LB, and what the scene draws of them before and after.
        QList<int> lbSegments;
        const int lbRow = model->rowOf(QStringLiteral("lb:edge-lb"));
        for (int i = 0; i < model->segments().size(); ++i) {
            const auto &s = model->segments()[i];
            if (s.from == lbRow || s.to == lbRow) {
                lbSegments.append(i);
            }
        }
        QCOMPARE(lbSegments.size(), 2);
        // The LB in the middle of the view (the rest of the graph around it, on every side).
        const QPointF lbCentre = model->nodeRect(lbRow).center();
        const QPointF viewCentre = win.layer->property("viewport").toRectF().center();
        QMetaObject::invokeMethod(win.root, "panBy", Q_ARG(QVariant, lbCentre.x() - viewCentre.x()),
            Q_ARG(QVariant, lbCentre.y() - viewCentre.y()));
        QTRY_VERIFY(painted(win.root));
        GraphScene sceneBefore;
        sceneBefore.rebuild(*model);

        // What the change may touch (content coordinates): the LB's box and its edges' curves
        // and badges, before and after; the tiles meeting that, of those on screen.
        const QRectF viewport = win.layer->property("viewport").toRectF();
        const QRectF shownContent
            = viewport.intersected(QRectF(QPointF(0, 0), model->contentSize()));
        const QRect shownTiles(
            QPoint(int(shownContent.left()) / tile, int(shownContent.top()) / tile),
            QPoint(int(std::ceil(shownContent.right()) - 1) / tile,
                int(std::ceil(shownContent.bottom()) - 1) / tile));
        const auto tilesMeeting = [&](const QList<QRectF> &areas) {
            QSet<QPair<int, int>> tiles;
            for (const QRectF &a : areas) {
                const QRectF r = a.adjusted(-4, -4, 4, 4);
                for (int ty = int(r.top()) / tile; ty <= int(r.bottom()) / tile; ++ty) {
                    for (int tx = int(r.left()) / tile; tx <= int(r.right()) / tile; ++tx) {
                        if (shownTiles.contains(tx, ty)) {
                            tiles.insert({ tx, ty });
                        }
                    }
                }
            }
            return tiles;
        };
        const auto changeAreas = [&](const GraphScene &after) {
            QList<QRectF> areas { model->nodeRect(lbRow) };
            for (int s : std::as_const(lbSegments)) {
                areas << sceneBefore.edges()[s].bounds << sceneBefore.edges()[s].badge
                      << after.edges()[s].badge;
            }
            return areas;
        };
        const int shown = shownTiles.width() * shownTiles.height();

        const QImage before = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32);
        before.save(m_outDir + QStringLiteral("/edge-repaint-before.png"));
        QCOMPARE(differsFromExport(win, QStringLiteral("healthy")), 0);
        const int repainted0 = win.layer->property("repaintedTiles").toInt();

        model->setTopology(topology(Health::Down));
        for (int s : std::as_const(lbSegments)) {
            QVERIFY2(model->segments()[s].fails(), qPrintable(model->segments()[s].label));
        }
        QImage after;
        QTRY_VERIFY((after = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32),
            after != before && painted(win.root)));
        after.save(m_outDir + QStringLiteral("/edge-repaint-down.png"));
        GraphScene sceneAfter;
        sceneAfter.rebuild(*model);
        const QList<QRectF> areas = changeAreas(sceneAfter);
        const QSet<QPair<int, int>> allowed = tilesMeeting(areas);
        const int repainted = win.layer->property("repaintedTiles").toInt() - repainted0;
        qInfo("LB down: %d tiles repainted; %lld tiles under its edges; %d tiles on screen",
            repainted, qint64(allowed.size()), shown);
        QVERIFY2(allowed.size() * 2 < shown, "the graph is larger than what the change touches");
        QVERIFY2(repainted >= 1 && repainted <= allowed.size(),
            qPrintable(QStringLiteral("%1 tiles repainted, %2 under the edges, %3 on screen")
                           .arg(repainted)
                           .arg(allowed.size())
                           .arg(shown)));

        // The pixels that changed lie where the LB and its edges are drawn.
        const QPoint off = offset(win);
        QRegion where;
        for (const QRectF &a : areas) {
            where += a.adjusted(-4, -4, 4, 4).toAlignedRect().translated(off);
        }
        int changed = 0, outside = 0;
        const QRect screenArea = layerOnScreen(win);
        for (int y = screenArea.top(); y <= screenArea.bottom(); ++y) {
            for (int x = screenArea.left(); x <= screenArea.right(); ++x) {
                if (before.pixel(x, y) != after.pixel(x, y)) {
                    ++changed;
                    outside += !where.contains(QPoint(x, y));
                }
            }
        }
        QVERIFY2(changed > 100 && outside == 0,
            qPrintable(QStringLiteral("%1 px changed, %2 outside").arg(changed).arg(outside)));

        // The strokes and the badges turned red (colour is not alone: the badge says ✖).
        const QColor red = GraphStyle::light().healthColour(Health::Down);
        for (int s : std::as_const(lbSegments)) {
            const QRect badge = sceneAfter.edges()[s].badge.toAlignedRect().translated(off);
            QVERIFY2(countNear(before, badge, red, 60) == 0, qPrintable(QString::number(s)));
            QVERIFY2(countNear(after, badge, red, 60) > 10,
                qPrintable(QStringLiteral("%1: %2 red px on the badge")
                               .arg(s)
                               .arg(countNear(after, badge, red, 60))));
            QVERIFY(model->segments()[s].label.startsWith(healthIcon(Health::Down)));
            // Along the curve, on screen, away from the badge and the boxes: red.
            const GraphScene::Edge &g = sceneAfter.edges()[s];
            int samples = 0, redOnCurve = 0;
            for (int k = 1; k < 20; ++k) {
                const QPointF c = g.at(k / 20.0);
                const QRectF near(c - QPointF(4, 4), QSizeF(8, 8));
                const bool underBox = std::any_of(model->nodes().cbegin(), model->nodes().cend(),
                    [&](const ServiceGraphModel::Node &n) { return n.rect.intersects(near); });
                const QPoint p = c.toPoint() + off;
                if (underBox || g.badge.intersects(near) || !screenArea.contains(p)) {
                    continue;
                }
                ++samples;
                redOnCurve += countNear(after, QRect(p - QPoint(3, 3), QSize(7, 7)), red, 90) > 0;
            }
            QVERIFY2(samples >= 5 && redOnCurve == samples,
                qPrintable(QStringLiteral("%1: red at %2 of %3 places on the curve")
                               .arg(s)
                               .arg(redOnCurve)
                               .arg(samples)));
        }
        QCOMPARE(differsFromExport(win, QStringLiteral("down")), 0);

        // The LB answers again: the same tiles at most, the red gone, the export's pixels.
        const int repainted1 = win.layer->property("repaintedTiles").toInt();
        model->setTopology(topology(Health::Healthy));
        QImage healed;
        QTRY_VERIFY((healed = win.quick->grabFramebuffer().convertToFormat(QImage::Format_RGB32),
            healed != after && painted(win.root)));
        healed.save(m_outDir + QStringLiteral("/edge-repaint-healed.png"));
        const int repaintedAgain = win.layer->property("repaintedTiles").toInt() - repainted1;
        QVERIFY2(repaintedAgain >= 1 && repaintedAgain <= allowed.size(),
            qPrintable(QString::number(repaintedAgain)));
        QCOMPARE(differsFromExport(win, QStringLiteral("healed")), 0);
        int redLeft = 0;
        for (const QRectF &a : areas) {
            redLeft += countNear(healed, a.toAlignedRect().translated(off), red, 60);
        }
        QCOMPARE(redLeft, 0);
        QCOMPARE(healed, before);
    }
};

QTEST_MAIN(tst_GraphEdgeRepaint)
#include "tst_GraphEdgeRepaint.moc"
