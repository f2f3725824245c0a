// The main window on the `scripts/demo --aws` profile (fixture peers_aws: the AWS API emulator
// is the cluster): every service drawn with the health its Cloud Map, ECS and ELBv2 sources
// folded to, the ALB as a load balancer node with the listener's path rules, grabbed to
// test-output/gui/main-window-aws.png for a person to look at.
#include "GraphPane.h"
#include "MainWindow.h"
#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"

#include <QDir>
#include <QProcess>
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

class tst_AwsWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
    }

    void drawsTheAwsDemo()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString profile = dir.filePath(QStringLiteral("aws-demo.hopscope.json"));
        QProcess writer;
        writer.start(QStringLiteral("python3"),
            { qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), QStringLiteral("aws-profile"),
                QStringLiteral("--aws-dir"), qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR"),
                QStringLiteral("--out"), profile });
        QVERIFY(writer.waitForFinished(30'000));
        QVERIFY2(writer.exitCode() == 0, writer.readAllStandardError().constData());

        MainWindow w;
        w.resize(1500, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(profile, true), qPrintable(w.lastError()));
        ClusterMonitor *monitor = w.monitor();
        QVERIFY(monitor);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->completedRounds() >= 1, 30'000);
        QVERIFY2(monitor->topology().errors.isEmpty(),
            qPrintable(monitor->topology().errors.value(0).message));

        // Every service in the graph with the health the topology folded for it.
        ServiceGraphModel *model = w.graphModel();
        QQuickWidget *quick = w.graphPane()->quickWidget();
        QTRY_VERIFY_WITH_TIMEOUT(quick->status() == QQuickWidget::Ready, 10'000);
        for (const ServiceNode &s : monitor->topology().services) {
            QVERIFY2(!s.targets.isEmpty(), qPrintable(s.id));
            QTRY_COMPARE_WITH_TIMEOUT(
                model->data(model->index(model->rowOf(s.id)), ServiceGraphModel::HealthRole)
                    .value<Health>(),
                monitor->topology().service(s.id)->health, 10'000);
            QTRY_VERIFY2_WITH_TIMEOUT(
                findItem(quick->rootObject(), QStringLiteral("service:") + s.id), qPrintable(s.id),
                10'000);
        }
        const QString lb = QStringLiteral("lb:") + w.profile()->loadBalancers.at(0).id;
        QTRY_VERIFY2_WITH_TIMEOUT(findItem(quick->rootObject(), lb), qPrintable(lb), 10'000);
        QVERIFY(!monitor->topology().loadBalancers.at(0).routes.isEmpty());
        // The ALB's box names what it is (not "HAProxy", as every load balancer once read).
        const QString lbSubtitle
            = model->data(model->index(model->rowOf(lb)), ServiceGraphModel::SubtitleRole).toString();
        QVERIFY2(lbSubtitle.startsWith(QStringLiteral("ELBv2")), qPrintable(lbSubtitle));
        QTRY_VERIFY_WITH_TIMEOUT(findItem(quick->rootObject(), QStringLiteral("graphLayer"))
                && findItem(quick->rootObject(), QStringLiteral("graphLayer"))
                       ->property("complete")
                       .toBool(),
            10'000);
        QTRY_VERIFY(painted(quick->rootObject()));

        const QString out = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(out));
        const QString png = out + QStringLiteral("/main-window-aws.png");
        QVERIFY2(w.grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));
    }
};

QTEST_MAIN(tst_AwsWindow)
#include "tst_AwsWindow.moc"
