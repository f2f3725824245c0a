#include "ClusterPage.h"
#include "DetailsDock.h"
#include "GraphPane.h"
#include "MainWindow.h"
#include "PeersHarness.h"
#include "QuickItems.h"
#include "RecentProfiles.h"
#include "TruthMatrixDock.h"
#include "core/EventLog.h"
#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QDropEvent>
#include <QFile>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPointer>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>
#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;

// Several clusters in one window: the running demo and a profile whose endpoints are dead, each
// in its own tab with its own sources; the status bar and the event log follow the current tab;
// a profile already open is focused, not opened twice; closing a tab stops its monitor; Open
// Recent with a missing file; a dropped file opens; the dock layout is remembered per profile;
// a task chip click selects the task, not its service.
class tst_ClusterTabs : public QObject
{
    Q_OBJECT

    PeersHarness m_peers;
    QTemporaryDir m_dir;
    QString m_deadProfile;
    QString m_outDir;

    // A copy of tests/data's demo-like profile with every endpoint on a port nobody listens on.
    QString writeProfile(const QString &name, const QString &title, bool dead)
    {
        QFile in(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/valid/demo-like.hopscope.json"));
        if (!in.open(QIODevice::ReadOnly)) {
            return {};
        }
        QByteArray json = in.readAll();
        json.replace("demo-like (static fixture)", title.toUtf8());
        if (dead) {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHost, 0)) {
                return {};
            }
            const QByteArray port = QByteArray::number(probe.serverPort());
            probe.close();
            for (const QByteArray old : { "15353", "9999", "8404", "19001" }) {
                const QByteArray from = QByteArray("127.0.0.1:") + old;
                const QByteArray to = QByteArray("127.0.0.1:") + port;
                json.replace(from, to);
            }
        }
        const QString path = m_dir.filePath(name);
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(json) != json.size()) {
            return {};
        }
        return path;
    }

    static QAction *viewMenuAction(MainWindow &w, const QString &text)
    {
        for (QAction *menu : w.menuBar()->actions()) {
            if (menu->menu() && menu->text() == u"&View") {
                for (QAction *a : menu->menu()->actions()) {
                    if (a->text() == text) {
                        return a;
                    }
                }
            }
        }
        return nullptr;
    }

    static bool logMentions(ClusterPage *page, const QString &words)
    {
        QAbstractItemModel *m = page->eventLogView()->model();
        for (int r = 0; m && r < m->rowCount(); ++r) {
            if (m->index(r, 0).data().toString().contains(words)) {
                return true;
            }
        }
        return false;
    }

    void save(QWidget *w, const QString &name)
    {
        QCoreApplication::sendPostedEvents(); // pending layouts (the status bar's labels)
        const QString png = m_outDir + QLatin1Char('/') + name;
        QVERIFY2(w->grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_peers.isUp(), "the peers_demo fixture did not run");
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests-tabs"));
        QSettings().clear();
        qputenv("HOPSCOPE_AUDIT_DIR", m_dir.filePath(QStringLiteral("audit")).toUtf8());
        m_deadProfile = writeProfile(
            QStringLiteral("dead.hopscope.json"), QStringLiteral("dead cluster"), true);
        QVERIFY(!m_deadProfile.isEmpty());
        m_outDir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(m_outDir));
    }

    void init() { QSettings().clear(); }

    void twoClustersStatusBarAndLogFollowTheTab()
    {
        MainWindow w;
        w.resize(1500, 950);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.findChild<QWidget *>(QStringLiteral("noProfile"))->isVisible());
        QVERIFY2(w.openProfile(m_peers.profilePath(), true), qPrintable(w.lastError()));
        QVERIFY2(w.openProfile(m_deadProfile, true), qPrintable(w.lastError()));
        QCOMPARE(w.pageCount(), 2);
        ClusterPage *demo = w.page(0);
        ClusterPage *dead = w.page(1);
        QCOMPARE(w.currentPage(), dead);
        QVERIFY(demo->monitor() != dead->monitor());
        QVERIFY(demo->graphModel() != dead->graphModel());
        QCOMPARE(w.tabs()->tabText(1), QStringLiteral("dead cluster"));

        // Opening an open profile again (another spelling of its path) focuses its tab.
        QVERIFY(w.openProfile(QFileInfo(m_peers.profilePath()).absolutePath()
            + QStringLiteral("/./demo.hopscope.json")));
        QCOMPARE(w.pageCount(), 2);
        QCOMPARE(w.currentPage(), demo);

        // Both poll, each on its own: the demo's sources answer, the dead one's fail.
        QTRY_VERIFY_WITH_TIMEOUT(dead->sourceSummary().contains(QStringLiteral("failing"))
                && !dead->sourceSummary().contains(QStringLiteral("ok")),
            20000);
        // Every one of the demo's sources: one still waiting would log "answering" later, after
        // the burst below.
        QTRY_VERIFY_WITH_TIMEOUT(demo->sourceSummary().contains(QStringLiteral("sources ok"))
                && !demo->sourceSummary().contains(QStringLiteral("waiting"))
                && !demo->sourceSummary().contains(QStringLiteral("failing")),
            20000);
        QTRY_COMPARE(w.sourcesLabel()->text(), demo->sourceSummary());
        QVERIFY(w.profileLabel()->text().startsWith(demo->profile()->name));
        QCOMPARE(w.eventLogView(), demo->eventLogView());
        QVERIFY(demo->eventLogView()->isVisible());
        QVERIFY(!dead->eventLogView()->isVisible());
        // The log follows its newest entry, even when many arrive at once (scrolls coalesced).
        QListView *log = demo->eventLogView();
        for (int i = 0; i < 200; ++i) {
            demo->monitor()->eventLog()->append(EventLog::Severity::Info, QStringLiteral("test"),
                QStringLiteral("burst entry %1").arg(i));
        }
        const auto newestShown = [log] {
            const QModelIndex last = log->model()->index(log->model()->rowCount() - 1, 0);
            return last.data().toString().contains(QStringLiteral("burst entry 199"))
                && log->viewport()->rect().intersects(log->visualRect(last));
        };
        QTRY_VERIFY(newestShown());
        QVERIFY(logMentions(demo, QFileInfo(m_peers.profilePath()).fileName()));
        QVERIFY(!logMentions(demo, QStringLiteral("dead.hopscope.json")));
        QCOMPARE(viewMenuAction(w, QStringLiteral("Event Log")),
            demo->eventLogDock()->toggleViewAction());

        w.tabs()->setCurrentIndex(1);
        QCOMPARE(w.currentPage(), dead);
        QTRY_COMPARE(w.sourcesLabel()->text(), dead->sourceSummary());
        QVERIFY(w.sourcesLabel()->text().contains(QStringLiteral("failing")));
        QVERIFY2(!w.sourcesLabel()->toolTip().isEmpty(), "the failing sources' errors");
        QVERIFY(w.profileLabel()->text().startsWith(QStringLiteral("dead cluster")));
        QVERIFY(w.windowTitle().startsWith(QStringLiteral("dead cluster")));
        QCOMPARE(w.statusBar()->currentMessage(), dead->statusText());
        QCOMPARE(w.eventLogView(), dead->eventLogView());
        QVERIFY(dead->eventLogView()->isVisible());
        QVERIFY(!demo->eventLogView()->isVisible());
        QVERIFY(logMentions(dead, QStringLiteral("dead.hopscope.json")));
        QCOMPARE(viewMenuAction(w, QStringLiteral("Event Log")),
            dead->eventLogDock()->toggleViewAction());
        // Opened behind the demo's tab, its graph is framed once shown; the grab waits for the
        // frame that shows it (an earlier grab caught the hidden view's last, unfitted frame).
        QQuickItem *deadGraph = dead->graphPane()->quickWidget()->rootObject();
        QTRY_VERIFY(deadGraph->property("fitted").toBool());
        const QSizeF deadContent = dead->graphModel()->contentSize();
        QVERIFY2(deadContent.width() * deadGraph->property("zoom").toReal()
                <= dead->graphPane()->quickWidget()->width() + 1,
            qPrintable(QStringLiteral("%1 px of graph at zoom %2 in a %3 px view")
                    .arg(deadContent.width())
                    .arg(deadGraph->property("zoom").toReal())
                    .arg(dead->graphPane()->quickWidget()->width())));
        QTRY_VERIFY(painted(deadGraph));
        save(&w, QStringLiteral("cluster-tabs-dead.png"));

        w.tabs()->setCurrentIndex(0);
        QTRY_COMPARE(w.sourcesLabel()->text(), demo->sourceSummary());
        QTRY_VERIFY(painted(demo->graphPane()->quickWidget()->rootObject()));
        save(&w, QStringLiteral("cluster-tabs-demo.png"));

        // Ctrl+W closes the current tab: its monitor is gone at once; the other tab keeps polling.
        w.tabs()->setCurrentIndex(1);
        const QPointer<ClusterMonitor> deadMonitor = dead->monitor();
        const QPointer<ClusterPage> deadPage = dead;
        QAction *close = w.findChild<QAction *>(QStringLiteral("closeTabAction"));
        QVERIFY(close && close->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_W)));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_W, Qt::ControlModifier);
        QVERIFY(deadMonitor.isNull());
        QCOMPARE(w.pageCount(), 1);
        QCOMPARE(w.currentPage(), demo);
        QTRY_VERIFY(deadPage.isNull());
        QCOMPARE(w.sourcesLabel()->text(), demo->sourceSummary());
        QVERIFY(w.windowTitle().startsWith(demo->profile()->name));
        QSignalSpy rounds(demo->monitor(), &ClusterMonitor::roundCompleted);
        QVERIFY(rounds.wait(15000));

        // The last tab closed: the window says how to open one.
        QVERIFY(w.closeTab(0));
        QCOMPARE(w.pageCount(), 0);
        QVERIFY(!w.monitor());
        QVERIFY(w.findChild<QWidget *>(QStringLiteral("noProfile"))->isVisible());
        QCOMPARE(w.profileLabel()->text(), QStringLiteral("no profile"));
    }

    // A click on a task chip shows the task in the details, not its service (the box around the
    // chip also saw the tap).
    void chipClickSelectsTheTask()
    {
        MainWindow w;
        w.resize(1500, 950);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(m_peers.profilePath(), true), qPrintable(w.lastError()));
        const QString task = m_peers.tasks(QStringLiteral("user")).value(0);
        QVERIFY(!task.isEmpty());
        QQuickWidget *quick = w.graphPane()->quickWidget();
        QQuickItem *chip = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (chip = findItem(quick->rootObject(), QStringLiteral("task:") + task)) != nullptr,
            20000);
        QTRY_VERIFY(painted(quick->rootObject()));
        QSignalSpy services(w.graphPane(), &GraphPane::nodeSelected);
        QSignalSpy tasks(w.graphPane(), &GraphPane::taskSelected);
        const QPointF centre = chip->mapToScene(QPointF(chip->width() / 2, chip->height() / 2));
        QTest::mouseClick(quick, Qt::LeftButton, {}, centre.toPoint());
        QTRY_COMPARE(tasks.size(), 1);
        QCOMPARE(tasks[0][1].toString(), task);
        QCOMPARE(services.size(), 0);
        QCOMPARE(w.detailsDock()->selectedTarget(), task);
        QVERIFY2(w.detailsDock()->text().contains(task), qPrintable(w.detailsDock()->text()));
        // A click on the box outside the chips still selects the service.
        QQuickItem *box = findItem(quick->rootObject(), QStringLiteral("service:user"));
        const QPointF title = box->mapToScene(QPointF(box->width() / 3, 8));
        QTest::mouseClick(quick, Qt::LeftButton, {}, title.toPoint());
        QTRY_COMPARE(services.size(), 1);
        QCOMPARE(services[0][0].toString(), QStringLiteral("user"));
    }

    void openRecentOffersToRemoveAMissingFile()
    {
        const QString gone
            = writeProfile(QStringLiteral("gone.hopscope.json"), QStringLiteral("gone"), true);
        QVERIFY(!gone.isEmpty());
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProfile(m_deadProfile, true, MainWindow::LivePolling::Off));
        QVERIFY(w.openProfile(gone, true, MainWindow::LivePolling::Off));
        QVERIFY(w.closeTab(1));
        QVERIFY(w.closeTab(0));
        QCOMPARE(w.recentProfiles()->paths(),
            QStringList({ QFileInfo(gone).absoluteFilePath(),
                QFileInfo(m_deadProfile).absoluteFilePath() }));
        QVERIFY(QFile::remove(gone));
        Q_EMIT w.recentMenu()->aboutToShow(); // the menu is rebuilt each time it opens

        const auto entry = [&](const QString &path) -> QAction * {
            for (QAction *a : w.recentMenu()->actions()) {
                if (a->data().toString() == QFileInfo(path).absoluteFilePath()) {
                    return a;
                }
            }
            return nullptr;
        };
        QVERIFY(entry(gone));
        QVERIFY2(entry(gone)->text().contains(QStringLiteral("(missing)")),
            qPrintable(entry(gone)->text()));
        QVERIFY(!entry(m_deadProfile)->text().contains(QStringLiteral("(missing)")));

        // Declined: the entry stays, nothing opens.
        QStringList asked;
        w.setRecentRemovalConfirmation([&](const QString &text) {
            asked.append(text);
            return false;
        });
        entry(gone)->trigger();
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked[0].contains(QStringLiteral("gone.hopscope.json")), qPrintable(asked[0]));
        QCOMPARE(w.pageCount(), 0);
        QVERIFY(entry(gone));
        // Accepted: removed from the list and the menu.
        w.setRecentRemovalConfirmation([&](const QString &) { return true; });
        entry(gone)->trigger();
        QTRY_VERIFY(!entry(gone));
        QCOMPARE(w.recentProfiles()->paths(),
            QStringList({ QFileInfo(m_deadProfile).absoluteFilePath() }));
        // An existing entry opens its profile in a tab.
        entry(m_deadProfile)->trigger();
        QCOMPARE(w.pageCount(), 1);
        QCOMPARE(w.currentProfilePath(), QFileInfo(m_deadProfile).absoluteFilePath());
    }

    void droppedFileOpensInATab()
    {
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(m_deadProfile) });
        // On the empty window.
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, {});
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, {});
        QApplication::sendEvent(&w, &drop);
        QCOMPARE(w.pageCount(), 1);
        // On the graph of an open tab (the QQuickWidget takes drags for QML).
        const QString other
            = writeProfile(QStringLiteral("dropped.hopscope.json"), QStringLiteral("dropped"), true);
        QMimeData mime2;
        mime2.setUrls({ QUrl::fromLocalFile(other) });
        QQuickWidget *quick = w.graphPane()->quickWidget();
        QDragEnterEvent enter2(QPoint(50, 50), Qt::CopyAction, &mime2, Qt::LeftButton, {});
        QApplication::sendEvent(quick, &enter2);
        QVERIFY(enter2.isAccepted());
        QDropEvent drop2(QPointF(50, 50), Qt::CopyAction, &mime2, Qt::LeftButton, {});
        QApplication::sendEvent(quick, &drop2);
        QCOMPARE(w.pageCount(), 2);
        QCOMPARE(w.currentProfilePath(), QFileInfo(other).absoluteFilePath());
    }

    void dockLayoutIsRememberedPerProfile()
    {
        const QString other
            = writeProfile(QStringLiteral("other.hopscope.json"), QStringLiteral("other"), true);
        {
            MainWindow w;
            w.resize(1400, 900);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QVERIFY(w.openProfile(m_deadProfile, true, MainWindow::LivePolling::Off));
            ClusterPage *page = w.currentPage();
            QCOMPARE(page->dockWidgetArea(page->detailsDock()), Qt::RightDockWidgetArea);
            page->addDockWidget(Qt::LeftDockWidgetArea, page->detailsDock());
            page->truthMatrix()->hide();
            QVERIFY(w.closeTab(0));
            // Another profile keeps the default layout.
            QVERIFY(w.openProfile(other, true, MainWindow::LivePolling::Off));
            QCOMPARE(w.currentPage()->dockWidgetArea(w.detailsDock()), Qt::RightDockWidgetArea);
            QVERIFY(!w.truthMatrix()->isHidden());
            // Reopened: its own layout is back.
            QVERIFY(w.openProfile(m_deadProfile, true, MainWindow::LivePolling::Off));
            page = w.currentPage();
            QCOMPARE(page->dockWidgetArea(page->detailsDock()), Qt::LeftDockWidgetArea);
            QVERIFY(page->truthMatrix()->isHidden());
            // Moved back while open; closing the window saves every tab's layout.
            page->addDockWidget(Qt::BottomDockWidgetArea, page->detailsDock());
            w.close();
        }
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProfile(m_deadProfile, true, MainWindow::LivePolling::Off));
        QCOMPARE(w.currentPage()->dockWidgetArea(w.detailsDock()), Qt::BottomDockWidgetArea);
        QVERIFY(w.openProfile(other, true, MainWindow::LivePolling::Off));
        QCOMPARE(w.currentPage()->dockWidgetArea(w.detailsDock()), Qt::RightDockWidgetArea);
    }
};

QTEST_MAIN(tst_ClusterTabs)
#include "tst_ClusterTabs.moc"
