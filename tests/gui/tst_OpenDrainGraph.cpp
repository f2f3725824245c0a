// A drained task stays in the graph: the window opened on a profile whose audit log holds a drain
// that was never undone shows the task as drained inside its service (even though no source lists
// it), with Undrain on the chip's context menu and in the details dock; grabbed to PNG. Dismiss…
// in the dock (confirmed) forgets the drain and the task leaves the graph.

#include "DetailsDock.h"
#include "GraphPane.h"
#include "MainWindow.h"
#include "ops/AuditLog.h"
#include "ops/DrainPlanner.h"
#include "profile/ProfileStore.h"
#include "topology/ServiceGraphModel.h"

#include <QDir>
#include <QJsonArray>
#include <QMenu>
#include <QPushButton>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include "QuickItems.h"

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::quicktest;

class tst_OpenDrainGraph : public QObject
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

    void aDrainedTaskStaysWithUndrain()
    {
        const QString path = qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/valid/demo-like.hopscope.json");
        const ProfileLoadResult loaded = ProfileStore::load(path);
        QVERIFY(loaded.ok());
        // The audit log of an earlier session: serviceB's 127.0.0.12:8000 planned and its DNS
        // record removed, never undone.
        const QString target = QStringLiteral("127.0.0.12:8000");
        AuditLog log(*loaded.profile);
        AuditEntry plan;
        plan.event = QStringLiteral("plan");
        plan.profile = loaded.profile->name;
        plan.target = target;
        plan.after = QJsonObject { { QStringLiteral("capacity"),
            QJsonArray {
                QJsonObject { { QStringLiteral("name"), QStringLiteral("serviceB") } } } } };
        plan.result = QStringLiteral("ok");
        plan.user = QStringLiteral("alice");
        QString error;
        QVERIFY2(log.append(plan, &error), qPrintable(error));
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = QStringLiteral("corp.internal");
        dns.records = { { QStringLiteral("serviceb.corp.internal."), QStringLiteral("A"),
            QStringLiteral("127.0.0.12"), 10 } };
        dns.description = QStringLiteral("DNS: remove serviceb.corp.internal. 10 IN A 127.0.0.12");
        AuditEntry step = plan;
        step.event = QStringLiteral("step");
        step.step = QStringLiteral("dns-remove");
        step.after = QJsonValue();
        step.detail = QJsonObject { { QStringLiteral("drainStep"), dns.toJson() } };
        QVERIFY2(log.append(step, &error), qPrintable(error));

        // A fresh window, not polling: only the audit log knows the task.
        MainWindow w;
        w.resize(1200, 760);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(
            w.openProfile(path, true, MainWindow::LivePolling::Off), qPrintable(w.lastError()));
        ServiceGraphModel *model = w.graphModel();
        const int row = model->rowOf(QStringLiteral("serviceb"));
        QVERIFY(row >= 0);
        const auto chip = [&]() -> TaskChip {
            for (const QVariant &t :
                model->data(model->index(row), ServiceGraphModel::TasksRole).toList()) {
                if (t.value<TaskChip>().key == target) {
                    return t.value<TaskChip>();
                }
            }
            return {};
        };
        QTRY_VERIFY2_WITH_TIMEOUT(!chip().key.isEmpty(), "the drained task has no chip", 5000);
        QCOMPARE(chip().health, Health::Drained);
        QVERIFY(chip().openDrain);
        QVERIFY2(chip().reason.contains(QStringLiteral("drained by alice")), qPrintable(chip().reason));

        // The chip's context menu offers Undrain.
        QMenu *menu = w.showTaskMenu(target, w.mapToGlobal(QPoint(100, 100)));
        QVERIFY(menu);
        bool undrainOffered = false;
        for (QAction *a : menu->actions()) {
            undrainOffered = undrainOffered
                || (a->text().startsWith(QStringLiteral("&Undrain ") + target) && a->isEnabled());
        }
        QVERIFY(undrainOffered);
        menu->close();

        // The details dock says it is an open drain, offers Undrain, not another Drain.
        w.detailsDock()->selectTarget(QStringLiteral("serviceb"), target);
        QVERIFY2(w.detailsDock()->text().contains(QStringLiteral("Open drain")),
            qPrintable(w.detailsDock()->text()));
        QPushButton *undrain = nullptr, *drain = nullptr;
        for (QPushButton *b : w.detailsDock()->findChildren<QPushButton *>()) {
            if (b->objectName() != u"dismissButton") {
                (b->text().contains(QStringLiteral("ndrain")) ? undrain : drain) = b;
            }
        }
        QVERIFY(undrain && drain);
        QVERIFY(undrain->isEnabled());
        QVERIFY(!drain->isEnabled());

        QQuickWidget *quick = w.graphPane()->quickWidget();
        QTRY_VERIFY2_WITH_TIMEOUT(
            quick->status() == QQuickWidget::Ready, qPrintable(w.graphPane()->loadError()), 10000);
        QTRY_VERIFY(painted(quick->rootObject()));
        const QString outDir
            = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(outDir));
        const QString png = outDir + QStringLiteral("/main-window-open-drain.png");
        QVERIFY2(w.grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));

        // Dismiss… (the task is gone for good): cancelled, nothing changes; confirmed, a
        // "dismissed" record is written and the drained task leaves the graph.
        auto *dismiss = w.detailsDock()->findChild<QPushButton *>(QStringLiteral("dismissButton"));
        QVERIFY(dismiss);
        QVERIFY(dismiss->isVisible() && dismiss->isEnabled());
        QString asked;
        bool answer = false;
        w.setDismissConfirmation([&](const QString &text) {
            asked = text;
            return answer;
        });
        QTest::mouseClick(dismiss, Qt::LeftButton);
        QVERIFY2(
            asked.contains(QStringLiteral("undrain")) && asked.contains(target), qPrintable(asked));
        QCOMPARE(AuditLog::verify(log.filePath()).lines, 2);
        QVERIFY(!chip().key.isEmpty());
        answer = true;
        QTest::mouseClick(dismiss, Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(
            chip().key.isEmpty(), "the dismissed drain is still in the graph", 5000);
        const AuditVerifyResult verified = AuditLog::verify(log.filePath());
        QVERIFY(verified.ok());
        QCOMPARE(verified.lines, 3);
        QVERIFY(!w.detailsDock()->text().contains(QStringLiteral("Open drain")));
    }
};

QTEST_MAIN(tst_OpenDrainGraph)
#include "tst_OpenDrainGraph.moc"
