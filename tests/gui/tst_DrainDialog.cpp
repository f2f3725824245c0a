#include "DetailsDock.h"
#include "DrainDialog.h"
#include "GraphPane.h"
#include "MainWindow.h"
#include "PeersHarness.h"
#include "ops/AuditLog.h"
#include "topology/ClusterMonitor.h"
#include "traffic/TrafficTracker.h"

#include <QDir>
#include <QLineEdit>
#include <QMenu>
#include <QQuickItem>
#include <QQuickWidget>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;

// The drain dialog on the running demo cluster, as an operator uses it from the window: the
// plan, Drain, each step verified, the countdown to "safe to stop", then Undo — and what the
// servers say afterwards.
class tst_DrainDialog : public QObject
{
    Q_OBJECT

    PeersHarness m_peers;
    QTemporaryDir m_auditDir;

    QString healthOf(MainWindow &w, const QString &service, const QString &key)
    {
        const TargetNode *t = w.monitor()->topology().target(service, key);
        return t ? healthName(t->health) : QStringLiteral("(absent)");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_peers.isUp());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        qputenv("HOPSCOPE_AUDIT_DIR", m_auditDir.path().toUtf8());
        QVERIFY(QDir().mkpath(qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui")));
    }

    void drainWaitSafeAndUndoFromTheWindow()
    {
        const QString target = m_peers.tasks(QStringLiteral("user")).first();
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(m_peers.profilePath(), true), qPrintable(w.lastError()));
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(w, QStringLiteral("user"), target), QStringLiteral("healthy"), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(w.monitor()->topology().target(QStringLiteral("user"), target)->reason.contains(QStringLiteral("lb:internal-lb: UP")), 20000);

        // The traffic generator's requests reach the task through HAProxy: a rate above 0.
        const auto rate = [&]() -> std::optional<double> {
            const QList<TrafficHistory::Sample> h = w.trafficTracker()->history().series(
                TrafficTracker::targetKey(QStringLiteral("user"), target));
            return h.isEmpty() ? std::nullopt : h.last().rps;
        };
        QTRY_VERIFY_WITH_TIMEOUT(rate() && *rate() > 0, 30000);

        // Select the task as a click would, then use the keyboard shortcut path (the dock's button).
        w.detailsDock()->selectTarget(QStringLiteral("user"), target);
        DrainDialog *dialog = w.openDrain(target);
        QVERIFY(dialog);
        QStringList countdowns; // what the countdown showed, in order
        connect(dialog->controller(), &DrainController::countdownChanged, this,
            [&] { countdowns.append(dialog->countdownText()); });
        const QString plan = dialog->planText();
        QVERIFY2(plan.contains(QStringLiteral("user.corp.internal")), qPrintable(plan)); // DNS layer
        QVERIFY2(plan.contains(QStringLiteral("be_user")), qPrintable(plan));             // LB layer
        QVERIFY2(plan.contains(QStringLiteral("1 of 2")), qPrintable(plan));              // capacity left
        QVERIFY(dialog->primaryButton()->isEnabled());
        QTest::qWait(0);
        QVERIFY(dialog->grab().save(qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui/drain-plan.png")));

        QTest::mouseClick(dialog->primaryButton(), Qt::LeftButton);
        // Every step verified by observation, then the countdown reaches safe (DNS TTL 10 s).
        QTRY_VERIFY_WITH_TIMEOUT(dialog->controller()->state() == DrainController::State::Safe, 60000);
        QVERIFY2(dialog->statusText().contains(QStringLiteral("safe to stop")), qPrintable(dialog->statusText()));
        QVERIFY2(dialog->statusText().contains(QStringLiteral("verified")), qPrintable(dialog->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(healthOf(w, QStringLiteral("user"), target) == u"drained"
                                     || healthOf(w, QStringLiteral("user"), target) == u"draining", 10000);
        // Beside the sessions, the task's request rate: known during the countdown, and 0 once
        // HAProxy sends it nothing more ("0 · 0 rps").
        QVERIFY2(countdowns.join(u'\n').contains(QStringLiteral(" rps")),
            qPrintable(countdowns.join(u'\n')));
        QTRY_VERIFY_WITH_TIMEOUT(
            dialog->countdownText().contains(QStringLiteral("lb=0 · 0 rps")), 20000);
        QVERIFY(dialog->grab().save(qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui/drain-safe.png")));
        QVERIFY(w.grab().save(qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui/drain-window.png")));

        QVERIFY(dialog->undoButton()->isVisible() && dialog->undoButton()->isEnabled());
        QTest::mouseClick(dialog->undoButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->controller()->state() == DrainController::State::Undone, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(w, QStringLiteral("user"), target), QStringLiteral("healthy"), 30000);

        // Read the servers back: the A record is in BIND again, and HAProxy routes to it.
        QProcess dig;
        dig.start(QStringLiteral("dig"), {QStringLiteral("@127.0.0.1"), QStringLiteral("-p"),
                                          QString::number(m_peers.state()[QStringLiteral("dns")][QStringLiteral("port")].toInt()),
                                          QStringLiteral("+short"), QStringLiteral("user.corp.internal"), QStringLiteral("A")});
        QVERIFY(dig.waitForFinished(10000));
        QVERIFY2(QString::fromUtf8(dig.readAllStandardOutput()).contains(target.section(u':', 0, 0)), "record not restored");

        // The audit trail of the whole operation verifies.
        QProcess verify;
        verify.start(qEnvironmentVariable("HOPSCOPE_CLI"), {QStringLiteral("audit"), QStringLiteral("verify"),
                                                            AuditLog::pathForProfile(*w.profile())});
        QVERIFY(verify.waitForFinished(10000));
        QVERIFY2(verify.exitCode() == 0, qPrintable(QString::fromUtf8(verify.readAll())));
        dialog->close();
    }

    // The chip's context menu: right-click a task in the graph → Drain… opens the dialog for it.
    void rightClickingATaskOffersDrain()
    {
        const QString target = m_peers.tasks(QStringLiteral("user")).last();
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProfile(m_peers.profilePath(), true));
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(w, QStringLiteral("user"), target), QStringLiteral("healthy"), 20000);
        QQuickWidget *quick = w.graphPane()->quickWidget();
        QQuickItem *chip = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((chip = findItem(quick->rootObject(), QStringLiteral("task:") + target)) != nullptr, 10000);
        const QPoint at = chip->mapToScene(QPointF(chip->width() / 2, chip->height() / 2)).toPoint();
        QTest::mouseClick(quick, Qt::RightButton, Qt::NoModifier, at);
        QMenu *menu = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((menu = w.findChild<QMenu *>(QStringLiteral("taskMenu"))) != nullptr, 5000);
        QAction *drain = nullptr;
        for (QAction *a : menu->actions()) {
            if (a->text().contains(QStringLiteral("Drain")) && a->text().contains(target)) {
                drain = a;
            }
        }
        QVERIFY2(drain && drain->isEnabled(), "no enabled Drain action in the chip's menu");
        QCOMPARE(w.detailsDock()->selectedTarget(), target); // the click also selected the task
        drain->trigger();
        DrainDialog *dialog = w.findChild<DrainDialog *>();
        QVERIFY(dialog);
        QVERIFY2(dialog->planText().contains(target), qPrintable(dialog->planText()));
        dialog->close();
    }

    void observeOnlyProfilesCannotDrain()
    {
        QFile in(m_peers.profilePath());
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray text = in.readAll();
        text.replace("\"observeOnly\": false", "\"observeOnly\": true");
        QTemporaryDir dir;
        QFile out(dir.filePath(QStringLiteral("observe.hopscope.json")));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(text);
        out.close();
        MainWindow w;
        w.show();
        QVERIFY(w.openProfile(out.fileName(), true));
        const QString target = m_peers.tasks(QStringLiteral("user")).first();
        QTRY_COMPARE_WITH_TIMEOUT(healthOf(w, QStringLiteral("user"), target), QStringLiteral("healthy"), 20000);
        DrainDialog *dialog = w.openDrain(target);
        QVERIFY(!dialog->primaryButton()->isEnabled());
        QVERIFY2(dialog->planText().contains(QStringLiteral("observe")), qPrintable(dialog->planText()));
        dialog->close();
    }

    // A drain whose HAProxy command was sent but whose outcome never reached the log (the
    // process died, the reply was lost): the Undrain window lists that layer as "may have
    // happened" and offers to put it back.
    void undrainWindowShowsMayHaveHappenedLayers()
    {
        QTemporaryDir dir;
        AuditLog log(dir.filePath(QStringLiteral("maybe.audit.jsonl")));
        const QString target = QStringLiteral("127.0.0.41:8000");
        DrainStep lb;
        lb.kind = DrainStepKind::LbDrain;
        lb.description = QStringLiteral("load balancer internal-lb: set server be_user/user1 state drain");
        lb.loadBalancer = QStringLiteral("internal-lb");
        lb.backend = QStringLiteral("be_user");
        lb.server = QStringLiteral("user1");
        for (const char *event : {"plan", "confirm", "intent"}) {
            AuditEntry e;
            e.event = QLatin1String(event);
            e.target = target;
            if (e.event == u"intent") {
                e.step = QStringLiteral("lb-drain");
                e.detail.insert(QStringLiteral("drainStep"), lb.toJson());
            }
            QVERIFY(log.append(e));
        }
        DrainDialog dialog(nullptr, &log, target, DrainDialog::Mode::Undrain);
        QVERIFY2(dialog.primaryButton()->isEnabled(), qPrintable(dialog.planText()));
        QVERIFY2(dialog.planText().contains(QStringLiteral("may have happened")), qPrintable(dialog.planText()));
        QVERIFY2(dialog.planText().contains(QStringLiteral("be_user/user1")), qPrintable(dialog.planText()));
    }
};

QTEST_MAIN(tst_DrainDialog)
#include "tst_DrainDialog.moc"
