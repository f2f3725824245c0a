#include "GraphScene.h"
#include "GraphStyle.h"
#include "GraphPane.h"
#include "MainWindow.h"
#include "ops/AuditLog.h"
#include "ops/DrainPlanner.h"
#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QAction>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;

// Opens profiles in the real main window offscreen, grabs it, and checks that every declared
// service is drawn where the layout put it, with its border and title visible.
class tst_MainWindowGraph : public QObject
{
    Q_OBJECT

    QString m_outDir;

    void checkEveryServiceIsDrawn(MainWindow &w, const QString &pngName)
    {
        QQuickWidget *quick = w.graphPane()->quickWidget();
        QTRY_VERIFY2_WITH_TIMEOUT(quick->status() == QQuickWidget::Ready, qPrintable(w.graphPane()->loadError()), 10000);
        const ClusterProfile &profile = *w.profile();
        for (const ServiceSpec &s : profile.services) {
            QTRY_VERIFY2_WITH_TIMEOUT(findItem(quick->rootObject(), QStringLiteral("service:") + s.id),
                                      qPrintable(QStringLiteral("no box for ") + s.id), 5000);
        }
        QTest::qWait(0); // let a pending fitToView (queued) run before grabbing
        QTRY_VERIFY(quick->rootObject()->property("zoom").toReal() > 0);
        QTRY_VERIFY(painted(quick->rootObject()));
        const QImage image = w.grab().toImage();
        QVERIFY(!image.isNull());
        const QString png = m_outDir + QLatin1Char('/') + pngName;
        QVERIFY2(image.save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));

        const QColor background = quick->rootObject()->property("background").value<QColor>();
        const QColor border = quick->rootObject()->property("boxBorder").value<QColor>();
        const QColor boxColor = quick->rootObject()->property("boxColor").value<QColor>();
        for (const ServiceSpec &s : profile.services) {
            QQuickItem *box = findItem(quick->rootObject(), QStringLiteral("service:") + s.id);
            const QRectF scene = box->mapRectToScene(QRectF(0, 0, box->width(), box->height()));
            const QRect inWindow(quick->mapTo(&w, scene.topLeft().toPoint()), scene.size().toSize());
            QVERIFY2(QRect(QPoint(0, 0), image.size()).contains(inWindow),
                     qPrintable(QStringLiteral("%1 is outside the window").arg(s.id)));
            // The border: some pixel along the left edge has the border colour.
            bool borderFound = false;
            for (int dy = 4; dy < inWindow.height() - 4 && !borderFound; ++dy) {
                for (int dx = -1; dx <= 2; ++dx) {
                    if (distance(image.pixelColor(inWindow.left() + dx, inWindow.top() + dy), border) < 60) {
                        borderFound = true;
                    }
                }
            }
            QVERIFY2(borderFound, qPrintable(QStringLiteral("no border drawn for ") + s.id));
            // The title: ink (pixels far from the box colour) in the top strip of the box.
            int textPixels = 0;
            for (int y = inWindow.top() + 4; y < inWindow.top() + 26; ++y) {
                for (int x = inWindow.left() + 4; x < inWindow.right() - 4; ++x) {
                    if (distance(image.pixelColor(x, y), boxColor) > 300) {
                        ++textPixels;
                    }
                }
            }
            QVERIFY2(textPixels > 20, qPrintable(QStringLiteral("no title drawn for %1 (%2 px)").arg(s.id).arg(textPixels)));
            // And the box is not the background.
            QVERIFY(distance(image.pixelColor(inWindow.center()), background) > 0
                    || distance(image.pixelColor(inWindow.left() + 6, inWindow.bottom() - 6), background) > 0);
        }
    }

    static bool peers(const QStringList &args)
    {
        QProcess p;
        p.start(QStringLiteral("python3"), QStringList{qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT")} + QStringList{args[0], QStringLiteral("--dir"), qEnvironmentVariable("HOPSCOPE_PEERS_DIR")} + args.mid(1));
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

    void grabTo(MainWindow &w, const QString &name)
    {
        const QString png = m_outDir + QLatin1Char('/') + name;
        QVERIFY2(w.grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        m_outDir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(m_outDir));
    }

    void drawsTheStaticFixture()
    {
        MainWindow w;
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProfile(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/valid/demo-like.hopscope.json"), true,
                              MainWindow::LivePolling::Off));
        checkEveryServiceIsDrawn(w, QStringLiteral("main-window-fixture.png"));
        QVERIFY(findItem(w.graphPane()->quickWidget()->rootObject(), QStringLiteral("lb:internal-lb")));
    }

    void drawsTheRunningDemoProfile()
    {
        const QString profile = qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/demo.hopscope.json");
        QVERIFY2(QFile::exists(profile), qPrintable(profile + QStringLiteral(" missing: the peers_demo fixture did not run")));
        MainWindow w;
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(profile, true, MainWindow::LivePolling::Off), qPrintable(w.lastError()));
        checkEveryServiceIsDrawn(w, QStringLiteral("main-window-demo-declared.png"));
    }

    // The live graph on the running demo cluster: tasks appear from DNS, health from HAProxy
    // and the sidecars; a backend whose health check fails turns Down within 2 polls, and only
    // its service's row changes.
    void liveDemoFollowsABackendGoingDown()
    {
        const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
        QFile stateFile(dir + QStringLiteral("/state.json"));
        QVERIFY2(stateFile.open(QIODevice::ReadOnly), qPrintable(stateFile.fileName()));
        const QJsonObject state = QJsonDocument::fromJson(stateFile.readAll()).object();
        const QJsonArray tasks = state[QStringLiteral("services")].toObject()[QStringLiteral("serviceb")].toObject()[QStringLiteral("tasks")].toArray();
        QVERIFY(tasks.size() >= 2);
        const QString victim = tasks[1].toObject()[QStringLiteral("addr")].toString() + QLatin1Char(':')
                               + QString::number(tasks[1].toObject()[QStringLiteral("port")].toInt());

        MainWindow w;
        w.resize(1400, 860);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(dir + QStringLiteral("/demo.hopscope.json"), true), qPrintable(w.lastError()));
        ServiceGraphModel *model = w.graphModel();
        const int rowB = model->rowOf(QStringLiteral("serviceb"));
        const auto health = [&](const QString &id) {
            return model->data(model->index(model->rowOf(id)), ServiceGraphModel::HealthRole).value<Health>();
        };
        // Every service is reported healthy once all sources answered.
        for (const char *id : {"servicea", "serviceb", "servicec", "user", "order", "payments"}) {
            QTRY_COMPARE_WITH_TIMEOUT(health(QString::fromLatin1(id)), Health::Healthy, 20000);
        }
        const int n = int(tasks.size());
        QCOMPARE(model->data(model->index(rowB), ServiceGraphModel::SubtitleRole).toString(),
                 QStringLiteral("%1 of %1 healthy").arg(n));
        QTRY_VERIFY_WITH_TIMEOUT(findItem(w.graphPane()->quickWidget()->rootObject(), QStringLiteral("graphLayer"))
                                     && findItem(w.graphPane()->quickWidget()->rootObject(), QStringLiteral("graphLayer"))->property("complete").toBool(),
                                 10000);
        grabTo(w, QStringLiteral("main-window-demo-live.png"));

        QSignalSpy changed(model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(model, &QAbstractItemModel::modelReset);
        QVERIFY(peers({QStringLiteral("backend"), QStringLiteral("fail"), victim}));
        // HAProxy: inter 1s fall 2 -> DOWN after ~2 s; the LB is polled every 2 s.
        QTRY_COMPARE_WITH_TIMEOUT(model->data(model->index(rowB), ServiceGraphModel::SubtitleRole).toString(),
                                  QStringLiteral("%1 of %2 healthy").arg(n - 1).arg(n), 10000);
        QCOMPARE(health(QStringLiteral("serviceb")), Health::Degraded);
        const QVariantList chips = model->data(model->index(rowB), ServiceGraphModel::TasksRole).toList();
        bool found = false;
        for (const QVariant &c : chips) {
            const TaskChip chip = c.value<TaskChip>();
            if (chip.key == victim) {
                found = true;
                QCOMPARE(chip.health, Health::Down);
                QVERIFY(chip.reason.contains(QStringLiteral("DOWN")));
            } else {
                QCOMPARE(chip.health, Health::Healthy);
            }
        }
        QVERIFY2(found, qPrintable(victim));
        QCOMPARE(reset.size(), 0); // never a reset per poll
        for (const QList<QVariant> &args : std::as_const(changed)) {
            const QModelIndex from = args[0].value<QModelIndex>();
            const QModelIndex to = args[1].value<QModelIndex>();
            const QList<int> roles = args[2].value<QList<int>>();
            // Only serviceB's health changes. Other rows may update their reasons while the
            // demo's traffic moves the sidecars' connection counts, but never their health.
            if (from.row() <= rowB && rowB <= to.row() && from.row() == to.row()) {
                continue;
            }
            QVERIFY2(!roles.contains(ServiceGraphModel::HealthRole) && !roles.contains(ServiceGraphModel::IconRole),
                     qPrintable(QStringLiteral("the health of rows %1-%2 changed").arg(from.row()).arg(to.row())));
        }
        for (int row = 0; row < model->rowCount(); ++row) {
            if (row != rowB) {
                QCOMPARE(model->data(model->index(row), ServiceGraphModel::HealthRole).value<Health>(), Health::Healthy);
            }
        }
        // And the window shows it: the victim's chip turns red (the down colour) on screen.
        QQuickWidget *quick = w.graphPane()->quickWidget();
        const auto redPixelsInChip = [&]() {
            QQuickItem *chip = findItem(quick->rootObject(), QStringLiteral("task:") + victim);
            if (!chip) {
                return 0;
            }
            const QRectF scene = chip->mapRectToScene(QRectF(0, 0, chip->width(), chip->height()));
            const QRect r(quick->mapTo(&w, scene.topLeft().toPoint()), scene.size().toSize());
            const QImage image = w.grab().toImage();
            int red = 0;
            for (int y = r.top(); y <= r.bottom(); ++y) {
                for (int x = r.left(); x <= r.right(); ++x) {
                    if (image.rect().contains(x, y) && distance(image.pixelColor(x, y), GraphStyle::light().healthColour(Health::Down)) < 60) {
                        ++red;
                    }
                }
            }
            return red;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(redPixelsInChip() > 20, "the down chip is not drawn red", 10000);
        grabTo(w, QStringLiteral("main-window-demo-backend-down.png"));
        QVERIFY(peers({QStringLiteral("backend"), QStringLiteral("recover"), victim}));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("serviceb")), Health::Healthy, 15000);
    }

    // Traffic emphasis on the live demo. A second generator (the demo's traffic.py, as
    // scripts/demo runs it) sends ~25 requests/s to user with 2.5 % answered 503 and ~25/s to
    // payments with 20 %: over the LB's 2 s poll window the edge into user shows 1-5 % (warning,
    // yellow) and order -> payments over 5 % (error, red), each with its icon. Judged from the
    // rates the proxies' own counters give, on screen.
    void liveDemoShowsTrafficWithErrors()
    {
        const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
        const QString script = QFileInfo(qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT")).absolutePath() + QStringLiteral("/traffic.py");
        QProcess traffic;
        traffic.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        traffic.start(QStringLiteral("python3"),
                      {script, QStringLiteral("--state"), dir + QStringLiteral("/state.json"), QStringLiteral("--targets"),
                       QStringLiteral("user,payments"), QStringLiteral("--rate"), QStringLiteral("50"), QStringLiteral("--errors"),
                       QStringLiteral("user=0.025"), QStringLiteral("--errors"), QStringLiteral("payments=0.2")});
        QVERIFY2(traffic.waitForStarted(5000), qPrintable(traffic.errorString()));
        const auto stop = qScopeGuard([&traffic] {
            traffic.terminate(); // SIGTERM: the generator ends its loop
            if (!traffic.waitForFinished(5000)) {
                traffic.kill();
                traffic.waitForFinished(2000);
            }
        });

        MainWindow w;
        w.resize(1400, 860);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(dir + QStringLiteral("/demo.hopscope.json"), true), qPrintable(w.lastError()));
        QAction *emphasis = w.findChild<QAction *>(QStringLiteral("trafficEmphasisAction"));
        QVERIFY(emphasis);
        emphasis->trigger();
        ServiceGraphModel *model = w.graphModel();
        QVERIFY(model->trafficEmphasis());
        const auto segmentInto = [model](const QString &to) {
            for (int i = 0; i < model->segments().size(); ++i) {
                if (model->nodes()[model->segments()[i].to].id == to) {
                    return i;
                }
            }
            return -1;
        };
        const int user = segmentInto(QStringLiteral("user"));
        const int payments = segmentInto(QStringLiteral("payments"));
        QVERIFY(user >= 0 && payments >= 0);
        const auto level = [model](int segment) { return GraphStyle::trafficLevel(model->segments()[segment].traffic); };
        const GraphStyle style = GraphStyle::light();
        const QColor warning = style.trafficLook(GraphStyle::TrafficLevel::Warning).colour;
        const QColor error = style.trafficLook(GraphStyle::TrafficLevel::Error).colour;
        QQuickWidget *quick = w.graphPane()->quickWidget();
        // Pixels of `colour` on a segment's curve and traffic label (GraphScene geometry, in
        // window pixels at the view's zoom).
        const auto colourOn = [&](const QImage &image, int segment, const QColor &colour) {
            GraphScene scene;
            scene.rebuild(*model);
            const GraphScene::Edge &e = scene.edges()[segment];
            QQuickItem *canvas = findItem(quick->rootObject(), QStringLiteral("graphCanvas"));
            int n = 0;
            for (const QRectF &r : {QRectF(e.p1, e.p2).normalized().adjusted(0, -8, 0, 8), e.trafficBadge}) {
                const QRectF sceneRect = canvas->mapRectToScene(r);
                const QRect inWindow(quick->mapTo(&w, sceneRect.topLeft().toPoint()), sceneRect.size().toSize());
                for (int y = inWindow.top(); y <= inWindow.bottom(); ++y) {
                    for (int x = inWindow.left(); x <= inWindow.right(); ++x) {
                        n += image.rect().contains(x, y) && distance(image.pixelColor(x, y), colour) < 50;
                    }
                }
            }
            return n;
        };
        QImage image;
        QString seen;
        QTRY_VERIFY2_WITH_TIMEOUT(
            (seen = QStringLiteral("user: %1 (%2), payments: %3 (%4)")
                        .arg(model->segments()[user].traffic.label(), QString::number(int(level(user))),
                             model->segments()[payments].traffic.label(), QString::number(int(level(payments)))),
             level(user) == GraphStyle::TrafficLevel::Warning && level(payments) == GraphStyle::TrafficLevel::Error
                 && painted(quick->rootObject())
                 && (image = w.grab().toImage().convertToFormat(QImage::Format_RGB32),
                     seen += QStringLiteral("; on screen: %1 warning px on user, %2 error px on payments")
                                 .arg(colourOn(image, user, warning))
                                 .arg(colourOn(image, payments, error)),
                     colourOn(image, user, warning) > 10 && colourOn(image, payments, error) > 10)),
            qPrintable(seen), 30000);
        qInfo("%s", qPrintable(seen));
        const QString png = m_outDir + QStringLiteral("/main-window-demo-live-traffic.png");
        QVERIFY(image.save(png));
        qInfo("screenshot: %s", qPrintable(png));
        // The rest of the picture has no error colour on the user edge, no warning on payments.
        QCOMPARE(colourOn(image, user, error) < colourOn(image, user, warning), true);
    }

    // A drain made elsewhere (hopscope-cli, another window) appears in an open window as the
    // audit log is written, and leaves it when undone: no reopen, no drain of our own.
    void aDrainFromAnotherWriterShowsWithoutReopening()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openProfile(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/valid/demo-like.hopscope.json"), true,
                              MainWindow::LivePolling::Off));
        const QString target = QStringLiteral("127.0.0.99:8000");
        const auto drained = [&w, &target] {
            const ServiceNode *s = w.monitor()->topology().service(QStringLiteral("serviceb"));
            const TargetNode *t = s ? w.monitor()->topology().target(s->id, target) : nullptr;
            return t && t->openDrain;
        };
        QVERIFY(!drained());
        AuditLog other(*w.profile());
        const auto append = [&other, &target](const QString &event, bool step) {
            AuditEntry e;
            e.event = event;
            e.profile = QStringLiteral("demo-like (static fixture)");
            e.target = target;
            e.result = QStringLiteral("ok");
            if (event == u"plan") {
                e.after = QJsonObject { { QStringLiteral("capacity"),
                    QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("serviceB") } } } } };
            }
            if (step) {
                DrainStep s;
                s.kind = DrainStepKind::LbDrain;
                s.description = QStringLiteral("load balancer internal-lb: set server be_serviceb/b9 state drain");
                s.loadBalancer = QStringLiteral("internal-lb");
                s.backend = QStringLiteral("be_serviceb");
                s.server = QStringLiteral("b9");
                e.step = DrainStep::kindName(s.kind);
                e.detail.insert(QStringLiteral("drainStep"), s.toJson());
            }
            QString error;
            return other.append(e, &error);
        };
        QVERIFY(append(QStringLiteral("plan"), false));
        QVERIFY(append(QStringLiteral("intent"), true));
        QVERIFY(append(QStringLiteral("step"), true));
        QTRY_VERIFY_WITH_TIMEOUT(drained(), 10000);
        QVERIFY(append(QStringLiteral("undo"), false));
        QVERIFY(append(QStringLiteral("undone"), false));
        QTRY_VERIFY_WITH_TIMEOUT(!drained(), 10000);
    }

    void aBrokenProfileKeepsTheCurrentViewAndSaysWhy()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openProfile(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/valid/demo-like.hopscope.json"), true,
                              MainWindow::LivePolling::Off));
        const int rows = w.graphModel()->rowCount();
        QVERIFY(!w.openProfile(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/invalid/several-problems.hopscope.json"), true));
        QVERIFY2(w.lastError().contains(QStringLiteral("3 problems")), qPrintable(w.lastError()));
        QCOMPARE(w.graphModel()->rowCount(), rows);
        QCOMPARE(w.profile()->name, QStringLiteral("demo-like (static fixture)"));
    }
};

QTEST_MAIN(tst_MainWindowGraph)
#include "tst_MainWindowGraph.moc"
