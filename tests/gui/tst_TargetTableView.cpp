// The target table and truth matrix docks offscreen: sorting and filtering by clicks and typing,
// the selection in step with the graph both ways, the truth matrix drawing a real disagreement
// (captured HAProxy and Envoy answers; and live, a demo backend made to fail), and screenshots
// of both on the running demo under test-output/gui/ for a person to look at.
#include "DetailsDock.h"
#include "GraphPane.h"
#include "GraphStyle.h"
#include "ClusterPage.h"
#include "MainWindow.h"
#include "TargetTableDelegate.h"
#include "TargetTableDock.h"
#include "TruthMatrixDock.h"
#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"
#include "topology/TargetTableFilter.h"
#include "topology/TargetTableModel.h"
#include "topology/TruthMatrixModel.h"

#include "../unit/topology/GraphFixture.h"
#include "../unit/topology/TruthFixture.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QProcess>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;
using namespace hopscope::testing;

class tst_TargetTableView : public QObject
{
    Q_OBJECT

    QString m_outDir;

    void save(QWidget *w, const QString &name)
    {
        const QString png = m_outDir + QLatin1Char('/') + name;
        QVERIFY2(w->grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));
    }

    static QStringList column(QTableView *view, int c)
    {
        QStringList out;
        for (int r = 0; r < view->model()->rowCount(); ++r) {
            out.append(view->model()->index(r, c).data().toString());
        }
        return out;
    }

    static void clickHeader(QTableView *view, int section)
    {
        QHeaderView *h = view->horizontalHeader();
        const QPoint at(
            h->sectionViewportPosition(section) + h->sectionSize(section) / 2, h->height() / 2);
        QTest::mouseClick(h->viewport(), Qt::LeftButton, {}, at);
    }

    static void clickRow(QTableView *view, int proxyRow)
    {
        const QRect r = view->visualRect(view->model()->index(proxyRow, 0));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, r.center());
    }

    static int proxyRowOf(QTableView *view, const QString &key)
    {
        for (int r = 0; r < view->model()->rowCount(); ++r) {
            if (view->model()->index(r, 0).data(TargetRowModel::TargetKeyRole).toString() == key) {
                return r;
            }
        }
        return -1;
    }

    // Share of pixels in `r` close to `colour` blended at the delegate's tint over the base.
    static int tintedPixels(const QImage &image, const QRect &r, QColor colour, QColor base)
    {
        const qreal a = 70 / 255.0;
        const QColor blended = QColor::fromRgbF(colour.redF() * a + base.redF() * (1 - a),
            colour.greenF() * a + base.greenF() * (1 - a),
            colour.blueF() * a + base.blueF() * (1 - a));
        int n = 0;
        for (int y = r.top(); y <= r.bottom(); ++y) {
            for (int x = r.left(); x <= r.right(); ++x) {
                if (image.rect().contains(x, y) && distance(image.pixelColor(x, y), blended) < 24) {
                    ++n;
                }
            }
        }
        return n;
    }

    static bool peers(const QStringList &args)
    {
        QProcess p;
        p.start(QStringLiteral("python3"),
            QStringList { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), args[0],
                QStringLiteral("--dir"), qEnvironmentVariable("HOPSCOPE_PEERS_DIR") }
                + args.mid(1));
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit
            && p.exitCode() == 0;
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

    void tableSortsAndFilters()
    {
        TargetTableDock dock;
        dock.resize(1200, 400);
        dock.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dock));
        dock.setProfile(truthProfile());
        TruthInputs in;
        in.list(
            QStringLiteral("user"), QStringLiteral("127.148.27.9")); // "9" < "41" as numbers only
        dock.setTopology(in.build(), {});
        QTableView *view = dock.view();
        const int n = view->model()->rowCount();
        int targets = 0;
        for (const ServiceNode &s : in.build().services) {
            targets += int(s.targets.size());
        }
        QCOMPARE(n, targets);

        clickHeader(view, TargetTableModel::TaskColumn);
        QStringList keys = column(view, TargetTableModel::TaskColumn);
        QStringList user = keys.filter(QStringLiteral("127.148.27."));
        QCOMPARE(user.first(), QStringLiteral("127.148.27.9:41665"));
        QCOMPARE(user.last(), QStringLiteral("127.148.27.51:44835"));

        // Health by severity: one click ascending (healthy first), a second descending (down
        // first).
        clickHeader(view, TargetTableModel::HealthColumn);
        clickHeader(view, TargetTableModel::HealthColumn);
        QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(view->model()->index(0, 0).data(TargetRowModel::RowHealthRole).value<Health>(),
            Health::Down);
        QCOMPARE(view->model()->index(n - 1, 0).data(TargetRowModel::RowHealthRole).value<Health>(),
            Health::Healthy);
        save(&dock, QStringLiteral("target-table-fixture.png"));

        // Typed text filters on every column (here the FQDN DNS gave and the service name).
        QTest::keyClicks(dock.textFilter(), QStringLiteral("payments.corp"));
        QTRY_COMPARE(view->model()->rowCount(), 2);
        dock.textFilter()->clear();
        QTRY_COMPARE(view->model()->rowCount(), n);

        // The state filter: only what is down.
        dock.stateFilter()->setCurrentIndex(
            int(TargetTableFilter::states().indexOf(TargetTableFilter::State::Down)));
        QVERIFY(view->model()->rowCount() >= 1);
        QVERIFY(view->model()->rowCount() < n);
        for (int r = 0; r < view->model()->rowCount(); ++r) {
            QCOMPARE(view->model()->index(r, 0).data(TargetRowModel::RowHealthRole).value<Health>(),
                Health::Down);
        }
        QVERIFY(column(view, TargetTableModel::TaskColumn)
                    .contains(QStringLiteral("127.148.27.41:41665")));
        dock.stateFilter()->setCurrentIndex(0);
        QCOMPARE(view->model()->rowCount(), n);
    }

    void selectionFollowsTheGraphBothWays()
    {
        MainWindow w;
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProfile(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
                + QStringLiteral("/profiles/valid/demo-like.hopscope.json"),
            true, MainWindow::LivePolling::Off));
        // Both tables behind the event log's tab (the default; a saved layout may differ).
        w.currentPage()->eventLogDock()->raise();
        // (A dock behind a tab stays "visible", moved out of sight: nothing of it shows.)
        QTRY_VERIFY(w.targetTable()->visibleRegion().isEmpty()
            && w.truthMatrix()->visibleRegion().isEmpty());
        // A poll's picture, as the monitor hands it to the window.
        Q_EMIT w.monitor()->topologyChanged(topologyOf(*w.profile(), demoTargets()));
        // Hidden tables keep the update instead of computing rows nobody sees (a fleet's 10,000
        // rows, twice per rebuild), and apply it when shown. The target table's comes with the
        // rebuild's traffic report, computed off the GUI thread.
        QVERIFY(w.truthMatrix()->hasPendingUpdate());
        QTRY_VERIFY(w.targetTable()->hasPendingUpdate());
        QCOMPARE(w.targetTable()->model()->rowCount(), 0);
        QCOMPARE(w.truthMatrix()->model()->rowCount(), 0);
        w.targetTable()->raise();
        QTableView *table = w.targetTable()->view();
        QTRY_COMPARE(table->model()->rowCount(), 7);
        QVERIFY(!w.targetTable()->hasPendingUpdate());

        // Graph → table: a click on serviceB's second task chip.
        QQuickWidget *quick = w.graphPane()->quickWidget();
        QTRY_VERIFY_WITH_TIMEOUT(quick->status() == QQuickWidget::Ready, 10000);
        QQuickItem *root = quick->rootObject();
        const QString key = QStringLiteral("127.0.0.12:8000");
        QTRY_VERIFY(findItem(root, QStringLiteral("service:serviceb")));
        if (root->property("lod").toBool()) {
            root->setProperty("zoom", 0.8);
        }
        QMetaObject::invokeMethod(
            root, "reveal", Q_ARG(QVariant, w.graphModel()->rowOf(QStringLiteral("serviceb"))));
        QTRY_VERIFY(findItem(root, QStringLiteral("task:") + key));
        QQuickItem *chip = findItem(root, QStringLiteral("task:") + key);
        const QPointF centre = chip->mapToScene(QPointF(chip->width() / 2, chip->height() / 2));
        QSignalSpy fromGraph(w.graphPane(), &GraphPane::taskSelected);
        QTest::mouseClick(quick, Qt::LeftButton, {}, centre.toPoint());
        QTRY_COMPARE(fromGraph.size(), 1);
        QCOMPARE(fromGraph[0][1].toString(), key);
        QTRY_COMPARE(w.targetTable()->selectedKey(), key);
        QCOMPARE(w.targetTable()->selectedService(), QStringLiteral("serviceb"));
        QCOMPARE(w.truthMatrix()->selectedKey(), key);
        const QModelIndexList selected = table->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data(TargetRowModel::TargetKeyRole).toString(), key);

        // Table → graph and details: a click on payments' row.
        const int row = proxyRowOf(table, QStringLiteral("127.0.0.31:8080"));
        QVERIFY(row >= 0);
        clickRow(table, row);
        QTRY_COMPARE(w.detailsDock()->selectedTarget(), QStringLiteral("127.0.0.31:8080"));
        QCOMPARE(root->property("currentRow").toInt(),
            w.graphModel()->rowOf(QStringLiteral("payments")));
        QCOMPARE(w.truthMatrix()->selectedKey(), QStringLiteral("127.0.0.31:8080"));
        QVERIFY(w.detailsDock()->text().contains(QStringLiteral("127.0.0.31:8080")));
        // A later poll keeps the selection on the same task.
        auto targets = demoTargets();
        targets[QStringLiteral("payments")][0].second = Health::Down;
        Q_EMIT w.monitor()->topologyChanged(topologyOf(*w.profile(), targets));
        QTRY_COMPARE(table->model()
                         ->index(proxyRowOf(table, QStringLiteral("127.0.0.31:8080")), 0)
                         .data(TargetRowModel::RowHealthRole)
                         .value<Health>(),
            Health::Down); // the table took the new poll
        QCOMPARE(w.targetTable()->selectedKey(), QStringLiteral("127.0.0.31:8080"));
        table->scrollTo(table->selectionModel()->selectedRows().first());
        QTRY_VERIFY(painted(root));
        save(&w, QStringLiteral("target-table-selection.png"));
    }

    // Captured answers: HAProxy has user1 DOWN (L7STS) while DNS lists it; the order sidecar's
    // active check fails payments .61. Both rows tinted and explained; the filter keeps them.
    // Fitting columns measures rows: a hidden dock does not fit on every update (a hidden
    // QTableView measures every row, 10,000 in a fleet) but once it is shown; the updates of one
    // event-loop turn cause one fit.
    void hiddenTableFitsWhenShown()
    {
        TruthMatrixDock dock;
        dock.resize(2100, 360);
        dock.setProfile(truthProfile());
        TruthInputs in;
        QHeaderView *header = dock.view()->horizontalHeader();
        const int why = dock.model()->whyColumn();
        const int before = header->sectionSize(why - 1);
        dock.setTopology(in.build());
        QVERIFY(dock.isFitPending());
        QCoreApplication::processEvents();
        QVERIFY(dock.isFitPending()); // hidden: nothing measured
        QCOMPARE(header->sectionSize(why - 1), before);
        dock.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dock));
        QTRY_VERIFY(!dock.isFitPending());
        QVERIFY(header->sectionSize(why - 1) != before); // fitted to the check texts
        dock.setTopology(in.build()); // the same rows: nothing changed, nothing to fit
        QVERIFY(!dock.isFitPending());
    }

    void truthMatrixShowsTheDisagreement()
    {
        TruthMatrixDock dock;
        dock.resize(2100, 360);
        dock.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dock));
        dock.setProfile(truthProfile());
        TruthInputs in;
        dock.setTopology(in.build());
        QTableView *view = dock.view();
        dock.fitColumns();
        const int n = view->model()->rowCount();
        const int r = proxyRowOf(view, QStringLiteral("127.148.27.41:41665"));
        QVERIFY(r >= 0);
        TruthMatrixModel *m = dock.model();
        QCOMPARE(view->model()->index(r, m->whyColumn()).data().toString(),
            QStringLiteral("DNS still lists it, internal-lb says DOWN (L7STS)"));
        QVERIFY(dock.summary().contains(QStringLiteral("2 of %1").arg(n)));
        QTRY_VERIFY(view->isVisible());
        const QImage image = view->viewport()->grab().toImage();
        const QColor base = view->palette().color(QPalette::Base);
        const QColor alternate = view->palette().color(QPalette::AlternateBase);
        const GraphStyle style = dock.delegate()->style();
        const auto cellRect = [&](int c) {
            return view->visualRect(view->model()->index(r, c)).adjusted(1, 1, -1, -1);
        };
        const auto tinted = [&](int c, Health h) {
            return std::max(tintedPixels(image, cellRect(c), style.healthColour(h), base),
                tintedPixels(image, cellRect(c), style.healthColour(h), alternate));
        };
        // DNS says serving (healthy tint), the LB and the check say not (down tint), the verdict
        // and the reason carry the conflict colour; cells of agreeing rows are not tinted.
        const int dnsCol = m->sourceColumn(QStringLiteral("dns"));
        const int lbCol = m->sourceColumn(QStringLiteral("lb:internal-lb"));
        QVERIFY2(tinted(dnsCol, Health::Healthy) > cellRect(dnsCol).width() * 4,
            "DNS cell not tinted serving");
        QVERIFY2(
            tinted(lbCol, Health::Down) > cellRect(lbCol).width() * 4, "LB cell not tinted down");
        QVERIFY2(tinted(m->checkColumn(), Health::Down) > cellRect(m->checkColumn()).width() * 4,
            "check cell not tinted down");
        QVERIFY2(tinted(TruthMatrixModel::VerdictColumn, Health::Conflict)
                > cellRect(TruthMatrixModel::VerdictColumn).width() * 4,
            "verdict not tinted conflict");
        const int agree = proxyRowOf(view, QStringLiteral("127.148.27.42:41665"));
        const QRect agreeCell
            = view->visualRect(view->model()->index(agree, dnsCol)).adjusted(1, 1, -1, -1);
        QCOMPARE(tintedPixels(image, agreeCell, style.healthColour(Health::Healthy), base)
                + tintedPixels(image, agreeCell, style.healthColour(Health::Healthy), alternate),
            0);
        save(&dock, QStringLiteral("truth-matrix-fixture.png"));

        QTest::mouseClick(dock.onlyDisagreements(), Qt::LeftButton);
        QTRY_COMPARE(view->model()->rowCount(), 2);
        QVERIFY(proxyRowOf(view, QStringLiteral("127.148.27.41:41665")) >= 0);
        QVERIFY(proxyRowOf(view, QStringLiteral("127.6.223.61:44787")) >= 0);
        save(&dock, QStringLiteral("truth-matrix-fixture-only-disagreements.png"));
        QTest::mouseClick(dock.onlyDisagreements(), Qt::LeftButton);
        QTRY_COMPARE(view->model()->rowCount(), n);
    }

    // The running demo: every task in the table with its sources; a user backend made to fail
    // turns into a disagreement in words (DNS still lists it, internal-lb says DOWN), and back.
    void liveDemoTableAndMatrix()
    {
        const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
        QFile stateFile(dir + QStringLiteral("/state.json"));
        QVERIFY2(stateFile.open(QIODevice::ReadOnly), qPrintable(stateFile.fileName()));
        const QJsonObject state = QJsonDocument::fromJson(stateFile.readAll()).object();
        const QJsonArray tasks
            = state[QStringLiteral("services")][QStringLiteral("user")][QStringLiteral("tasks")]
                  .toArray();
        QVERIFY(!tasks.isEmpty());
        const QString victim = tasks[0][QStringLiteral("addr")].toString() + QLatin1Char(':')
            + QString::number(tasks[0][QStringLiteral("port")].toInt());

        MainWindow w;
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(dir + QStringLiteral("/demo.hopscope.json"), true),
            qPrintable(w.lastError()));
        TargetTableModel *table = w.targetTable()->model();
        TruthMatrixModel *matrix = w.truthMatrix()->model();
        // Polls update rows in place: never a reset after the profile opened.
        QSignalSpy tableReset(table, &QAbstractItemModel::modelReset);
        QSignalSpy matrixReset(matrix, &QAbstractItemModel::modelReset);
        w.targetTable()->raise(); // a table behind another tab is brought up to date when shown
        const auto healthOf = [&](const QString &service, const QString &key) {
            const int r = table->rowOf(service, key);
            return r < 0 ? Health::Unknown
                         : table->index(r, 0).data(TargetRowModel::RowHealthRole).value<Health>();
        };
        const auto allHealthy = [&] {
            if (table->rowCount() == 0) {
                return false;
            }
            for (const TargetTableModel::Row &row : table->rows()) {
                if (row.health != Health::Healthy) {
                    return false;
                }
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allHealthy(), 20000);
        // Every task of the topology is a row, and the columns are the demo's sources.
        int targets = 0;
        for (const ServiceNode &s : w.monitor()->topology().services) {
            targets += int(s.targets.size());
        }
        QCOMPARE(table->rowCount(), targets);
        QCOMPARE(table->sources().size(),
            1 + w.profile()->loadBalancers.size() + w.profile()->proxies.size());
        // The traffic generator's requests reach user through HAProxy: a rate shows once two
        // answers were seen.
        QTRY_VERIFY_WITH_TIMEOUT(
            table->index(table->rowOf(QStringLiteral("user"), victim), TargetTableModel::RateColumn)
                .data(TargetRowModel::RpsRole)
                .isValid(),
            15000);
        w.targetTable()->raise();
        w.currentPage()->resizeDocks({ w.targetTable() }, { 420 }, Qt::Vertical);
        QTRY_VERIFY(w.targetTable()->view()->height() > 300);
        save(&w, QStringLiteral("target-table-demo.png"));

        QVERIFY(peers({ QStringLiteral("backend"), QStringLiteral("fail"), victim }));
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(QStringLiteral("user"), victim), Health::Down, 15000);
        // The matrix, behind the table's tab, catches up when shown.
        w.truthMatrix()->raise();
        const auto why = [&] {
            const int r = matrix->rowOf(QStringLiteral("user"), victim);
            return r < 0 ? QString() : matrix->index(r, matrix->whyColumn()).data().toString();
        };
        QTRY_VERIFY2_WITH_TIMEOUT(
            why().startsWith(QStringLiteral("DNS still lists it, internal-lb says DOWN")),
            qPrintable(why()), 15000);
        w.truthMatrix()->view()->sortByColumn(TruthMatrixModel::VerdictColumn, Qt::DescendingOrder);
        QCOMPARE(w.truthMatrix()
                     ->view()
                     ->model()
                     ->index(0, 0)
                     .data(TargetRowModel::TargetKeyRole)
                     .toString(),
            victim);
        // Selecting the row selects the task in the details dock and its service in the graph.
        clickRow(w.truthMatrix()->view(), 0);
        QTRY_COMPARE(w.detailsDock()->selectedTarget(), victim);
        QCOMPARE(w.graphPane()->graphItem()->property("currentRow").toInt(),
            w.graphModel()->rowOf(QStringLiteral("user")));
        QCOMPARE(w.targetTable()->selectedKey(), victim);
        QVERIFY(w.truthMatrix()->summary().contains(QStringLiteral("1 of")));
        // Raised after its rows arrived behind the tab: fitted to them, not to the header.
        QTRY_VERIFY(!w.truthMatrix()->isFitPending());
        QTableView *matrixView = w.truthMatrix()->view();
        QVERIFY(matrixView->columnWidth(matrix->whyColumn())
            > matrixView->fontMetrics().horizontalAdvance(QStringLiteral("The sources agree")));
        save(&w, QStringLiteral("truth-matrix-demo-backend-down.png"));
        QTest::mouseClick(w.truthMatrix()->onlyDisagreements(), Qt::LeftButton);
        QTRY_COMPARE(w.truthMatrix()->view()->model()->rowCount(), 1);
        save(w.truthMatrix(), QStringLiteral("truth-matrix-demo-only-disagreements.png"));

        QVERIFY(peers({ QStringLiteral("backend"), QStringLiteral("recover"), victim }));
        QTRY_COMPARE_WITH_TIMEOUT(w.truthMatrix()->view()->model()->rowCount(), 0, 15000);
        w.targetTable()->raise();
        QTRY_VERIFY_WITH_TIMEOUT(allHealthy(), 15000);
        QCOMPARE(tableReset.size(), 0);
        QCOMPARE(matrixReset.size(), 0);
    }
};

QTEST_MAIN(tst_TargetTableView)
#include "tst_TargetTableView.moc"
