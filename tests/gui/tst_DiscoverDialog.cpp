#include "DiscoverDialog.h"
#include "MainWindow.h"
#include "PeersHarness.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QAction>
#include <QDir>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;

// File → New Profile from Endpoints… on the running demo cluster, as a new user with only
// endpoint addresses uses it: fill the fields, Discover, read what was found, Save As — and the
// window opens the new profile and polls it. Cancel ends a run that is waiting on a silent peer.
class tst_DiscoverDialog : public QObject
{
    Q_OBJECT

    PeersHarness m_peers;
    QTemporaryDir m_dir;

    static QAction *menuAction(MainWindow &w, const QString &text)
    {
        for (QAction *menu : w.menuBar()->actions()) {
            if (!menu->menu()) {
                continue;
            }
            for (QAction *a : menu->menu()->actions()) {
                if (a->text() == text) {
                    return a;
                }
            }
        }
        return nullptr;
    }

    static QString outputDir()
    {
        return qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_peers.isUp());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        qputenv("HOPSCOPE_AUDIT_DIR", m_dir.filePath(QStringLiteral("audit")).toUtf8());
        QVERIFY(QDir().mkpath(outputDir()));
    }

    void discoverSaveAndOpenFromTheWindow()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QAction *action = menuAction(w, QStringLiteral("New Profile from &Endpoints…"));
        QVERIFY(action);
        action->trigger();
        auto *dialog = w.findChild<DiscoverDialog *>();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));

        const QJsonObject st = m_peers.state();
        const QJsonObject h = st[QStringLiteral("haproxy")].toObject();
        QStringList envoys;
        const QJsonObject envoy = st[QStringLiteral("envoy")].toObject();
        for (auto it = envoy.begin(); it != envoy.end(); ++it) {
            envoys.append(it->toObject()[QStringLiteral("admin_url")].toString());
        }
        QStringList names;
        const QJsonObject services = st[QStringLiteral("services")].toObject();
        for (auto it = services.begin(); it != services.end(); ++it) {
            names.append(it->toObject()[QStringLiteral("dns")]
                             .toObject()[QStringLiteral("name")]
                             .toString());
        }
        const QJsonObject dns = st[QStringLiteral("dns")].toObject();
        dialog->haproxyRuntimeEdit()->setPlainText(h[QStringLiteral("runtime")].toString());
        dialog->envoyEdit()->setPlainText(envoys.join(u'\n'));
        dialog->dnsNamesEdit()->setPlainText(names.join(u'\n'));
        QTest::keyClicks(dialog->dnsServerEdit(),
            dns[QStringLiteral("addr")].toString() + u':'
                + QString::number(dns[QStringLiteral("port")].toInt()));
        QTest::keyClicks(dialog->nameEdit(), QStringLiteral("demo from the window"));
        dialog->timeoutSpin()->setValue(20);
        QVERIFY(!dialog->saveButton()->isEnabled()); // nothing to save yet

        QTest::mouseClick(dialog->discoverButton(), Qt::LeftButton);
        QVERIFY(dialog->isRunning());
        QVERIFY(dialog->cancelButton()->isEnabled());
        QVERIFY(!dialog->discoverButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->result().has_value(), 30000);
        QVERIFY(!dialog->isRunning());
        const QString report = dialog->reportText();
        const qsizetype endpoints = 1 + envoys.size() + names.size();
        QVERIFY2(report.startsWith(QStringLiteral("%1 of %1 endpoints answered: %2 services")
                                       .arg(endpoints)
                                       .arg(services.size())),
            qPrintable(report));
        QVERIFY2(report.contains(QStringLiteral(
                     "service user: merged: haproxy-1 backend be_user and dns name")),
            qPrintable(report));
        QVERIFY2(report.contains(QStringLiteral("not inferred (add these by hand):")),
            qPrintable(report));
        QVERIFY(dialog->saveButton()->isEnabled());
        QVERIFY(dialog->grab().save(outputDir() + QStringLiteral("/discover-dialog.png")));

        const QString path = m_dir.filePath(QStringLiteral("from-window.hopscope.json"));
        dialog->setSavePathFunction([path](QWidget *, const QString &suggested) {
            return suggested.endsWith(QStringLiteral("demo-from-the-window.hopscope.json"))
                ? path
                : QString();
        });
        QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
        QVERIFY2(ProfileStore::load(path).ok(), qPrintable(path));
        // The window opened it and polls its sources: the discovered tasks appear live.
        QVERIFY(w.profile());
        QCOMPARE(w.profile()->name, QStringLiteral("demo from the window"));
        QVERIFY(w.windowTitle().startsWith(QStringLiteral("demo from the window")));
        QVERIFY(w.monitor());
        QSignalSpy rounds(w.monitor(), &ClusterMonitor::roundCompleted);
        const QStringList userTasks = m_peers.tasks(QStringLiteral("user"));
        QTRY_VERIFY_WITH_TIMEOUT(
            w.monitor()->topology().target(QStringLiteral("user"), userTasks.first()), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(!w.monitor()->topology().edges.isEmpty(), 15000);
        // Every source has answered once: the picture shows health, not "no data yet".
        QTRY_VERIFY_WITH_TIMEOUT(rounds.count() >= 1, 15000);
        QVERIFY(w.grab().save(outputDir() + QStringLiteral("/discover-window.png")));
    }

    void cancelEndsARunWaitingOnASilentPeer()
    {
        // Accepts connections and never answers: the runtime API request waits for its timeout.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        DiscoverDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.haproxyRuntimeEdit()->setPlainText(
            QStringLiteral("tcp:127.0.0.1:%1").arg(silent.serverPort()));
        dialog.timeoutSpin()->setValue(60);
        QTest::mouseClick(dialog.discoverButton(), Qt::LeftButton);
        QVERIFY(dialog.isRunning());
        QTRY_VERIFY(silent.hasPendingConnections() || silent.waitForNewConnection(0));
        QTest::mouseClick(dialog.cancelButton(), Qt::LeftButton);
        QVERIFY(!dialog.isRunning());
        QVERIFY2(dialog.statusText().contains(QStringLiteral("Cancelled")),
            qPrintable(dialog.statusText()));
        QVERIFY(!dialog.result());
        QVERIFY(!dialog.saveButton()->isEnabled());
        QVERIFY(dialog.discoverButton()->isEnabled());
    }

    void badInputIsNamedBeforeAnythingIsAsked()
    {
        DiscoverDialog dialog;
        dialog.envoyEdit()->setPlainText(QStringLiteral("ftp://10.0.0.1:19000"));
        QTest::mouseClick(dialog.discoverButton(), Qt::LeftButton);
        QVERIFY(!dialog.isRunning());
        QVERIFY2(dialog.statusText().contains(
                     QStringLiteral("Envoy admin API: \"ftp://10.0.0.1:19000\" is not an http://")),
            qPrintable(dialog.statusText()));
        dialog.envoyEdit()->clear();
        dialog.dnsNamesEdit()->setPlainText(QStringLiteral("user.corp.internal"));
        QTest::mouseClick(dialog.discoverButton(), Qt::LeftButton);
        QVERIFY2(dialog.statusText().contains(QStringLiteral("DNS name needs DNS server")),
            qPrintable(dialog.statusText()));
    }
};

QTEST_MAIN(tst_DiscoverDialog)
#include "tst_DiscoverDialog.moc"
