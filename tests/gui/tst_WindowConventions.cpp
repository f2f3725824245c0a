#include "AboutDialog.h"
#include "ClusterPage.h"
#include "CommandPalette.h"
#include "GraphPane.h"
#include "MainWindow.h"
#include "TargetTableDock.h"
#include "topology/ServiceGraphModel.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QQuickItem>
#include <QQuickWidget>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QtQml/qqmlextensionplugin.h>

#include <ares.h>
#include <ldns/ldns.h>
#include <libssh/libssh.h>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;

// The window's conventions, offscreen on the static fixture profile (nothing polled): the command
// palette finds and triggers any menu action, standard shortcuts, Find focuses the table filter,
// About names the libraries' versions, and every tab's graph follows the system palette.
class tst_WindowConventions : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_profile;
    QString m_outDir;

    void save(QWidget *w, const QString &name)
    {
        const QString png = m_outDir + QLatin1Char('/') + name;
        QVERIFY2(w->grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));
    }

    static void collect(const QList<QAction *> &actions, QList<QAction *> *into)
    {
        for (QAction *a : actions) {
            if (a->menu()) {
                collect(a->menu()->actions(), into);
            } else if (!a->isSeparator() && a->isVisible()) {
                into->append(a);
            }
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests-conventions"));
        QSettings().clear();
        qputenv("HOPSCOPE_AUDIT_DIR", m_dir.filePath(QStringLiteral("audit")).toUtf8());
        m_profile = qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/valid/demo-like.hopscope.json");
        m_outDir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QVERIFY(QDir().mkpath(m_outDir));
    }

    void matchScoreIsSubstringThenFuzzy()
    {
        const QString text = QStringLiteral("View › Traffic Emphasis");
        QVERIFY(CommandPalette::matchScore(QString(), text) == 0);
        QVERIFY(CommandPalette::matchScore(QStringLiteral("traffic"), text) > 0);
        QVERIFY(CommandPalette::matchScore(QStringLiteral("trfc emph"), text) > 0);
        QCOMPARE(CommandPalette::matchScore(QStringLiteral("drain"), text), -1);
        // A whole word beats a subsequence.
        QVERIFY(CommandPalette::matchScore(QStringLiteral("emphasis"), text)
            > CommandPalette::matchScore(QStringLiteral("emphss"), text));
    }

    void paletteFindsAndTriggersActions()
    {
        MainWindow w;
        w.resize(1300, 850);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProfile(m_profile, true, MainWindow::LivePolling::Off));
        QVERIFY(!w.graphModel()->trafficEmphasis());
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));

        QTest::keyClick(w.focusWidget() ? w.focusWidget() : &w, Qt::Key_K, Qt::ControlModifier);
        auto *palette = w.findChild<CommandPalette *>();
        QVERIFY(palette);
        QTRY_VERIFY(palette->isVisible());
        // With no query: every action of the menus (not the palette's own), the current tab's
        // dock toggles included.
        QList<QAction *> all;
        collect(w.menuBar()->actions(), &all);
        QCOMPARE(palette->matches().size(), all.size() - 1);
        QVERIFY(palette->matches().contains(QStringLiteral("View › Truth Matrix")));
        QVERIFY(palette->matches().contains(QStringLiteral("File › Close Tab")));

        QTest::keyClicks(palette->input(), QStringLiteral("trafic emph"));
        QCOMPARE(palette->matches().value(0), QStringLiteral("View › Traffic Emphasis"));
        const QString shortcut
            = QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T).toString(QKeySequence::NativeText);
        QCOMPARE(palette->list()->topLevelItem(0)->text(1), shortcut);
        save(palette, QStringLiteral("command-palette.png"));
        QTest::keyClick(palette->input(), Qt::Key_Return);
        QVERIFY(!palette->isVisible());
        QVERIFY(w.graphModel()->trafficEmphasis());

        // Arrow keys move the choice; nothing matching: nothing triggered.
        w.openCommandPalette();
        QCOMPARE(palette->input()->text(), QString());
        QTest::keyClicks(palette->input(), QStringLiteral("zzqx"));
        QVERIFY(palette->matches().isEmpty());
        QVERIFY(!palette->triggerCurrent());
        palette->input()->clear();
        QTest::keyClicks(palette->input(), QStringLiteral("tab"));
        const QStringList tabs = palette->matches();
        QVERIFY2(tabs.contains(QStringLiteral("File › Close Tab")), qPrintable(tabs.join(u',')));
        const int closeRow = int(tabs.indexOf(QStringLiteral("File › Close Tab")));
        for (int i = 0; i < closeRow; ++i) {
            QTest::keyClick(palette->input(), Qt::Key_Down);
        }
        QCOMPARE(palette->list()->currentItem()->text(0), QStringLiteral("File › Close Tab"));
        QTest::keyClick(palette->input(), Qt::Key_Return);
        QCOMPARE(w.pageCount(), 0);
    }

    void standardShortcutsAndFind()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QList<QAction *> all;
        collect(w.menuBar()->actions(), &all);
        const auto shortcutOf = [&](const QString &text) {
            for (QAction *a : all) {
                if (a->text() == text) {
                    return a->shortcut();
                }
            }
            return QKeySequence();
        };
        QCOMPARE(shortcutOf(QStringLiteral("&Open Profile…")), QKeySequence(QKeySequence::Open));
        QCOMPARE(shortcutOf(QStringLiteral("&Quit")), QKeySequence(QKeySequence::Quit));
        QCOMPARE(shortcutOf(QStringLiteral("&Find Target")), QKeySequence(QKeySequence::Find));
        QCOMPARE(shortcutOf(QStringLiteral("&Poll Now")), QKeySequence(QKeySequence::Refresh));
        QCOMPARE(shortcutOf(QStringLiteral("&Next Tab")), QKeySequence(QKeySequence::NextChild));
        QCOMPARE(shortcutOf(QStringLiteral("Command &Palette…")), QKeySequence(Qt::CTRL | Qt::Key_K));
        // No two actions share a shortcut.
        QSet<QString> seen;
        for (QAction *a : all) {
            for (const QKeySequence &k : a->shortcuts()) {
                QVERIFY2(!seen.contains(k.toString()), qPrintable(k.toString()));
                seen.insert(k.toString());
            }
        }

        QVERIFY(w.openProfile(m_profile, true, MainWindow::LivePolling::Off));
        w.graphPane()->quickWidget()->setFocus();
        w.findChild<QAction *>(QStringLiteral("findAction"))->trigger();
        QCOMPARE(w.focusWidget(), w.targetTable()->textFilter());
        QVERIFY(w.targetTable()->isVisible());
        // Next/previous tab wrap around.
        const QString copy = m_dir.filePath(QStringLiteral("copy.hopscope.json"));
        QVERIFY(QFile::copy(m_profile, copy));
        QVERIFY(w.openProfile(copy, true, MainWindow::LivePolling::Off));
        QCOMPARE(w.tabs()->currentIndex(), 1);
        for (QAction *a : all) {
            if (a->text() == u"&Next Tab") {
                a->trigger();
            }
        }
        QCOMPARE(w.tabs()->currentIndex(), 0);
    }

    void aboutNamesTheLibraryVersions()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        AboutDialog *about = w.openAbout();
        QVERIFY(QTest::qWaitForWindowExposed(about));
        const QString text = about->text();
        for (const QString &expected :
            { QString::fromLatin1(qVersion()), QString::fromLatin1(ares_version(nullptr)),
                QString::fromLatin1(ldns_version()), QString::fromLatin1(ssh_version(0)) }) {
            QVERIFY2(text.contains(expected), qPrintable(expected + QStringLiteral(" in ") + text));
        }
        QStringList names;
        for (const auto &[name, version] : AboutDialog::componentVersions()) {
            names.append(name);
            QVERIFY2(QRegularExpression(QStringLiteral("^\\d+\\.\\d+")).match(version).hasMatch(),
                qPrintable(name + QStringLiteral(": ") + version));
        }
        for (const char *name : { "hopscope", "Qt", "c-ares", "ldns", "simdjson", "libssh" }) {
            QVERIFY2(names.contains(QLatin1String(name)), name);
        }
        save(about, QStringLiteral("about-dialog.png"));
    }

    // The system switching to dark (the application palette changes) turns every tab's graph
    // dark, the hidden tab's too, and back.
    void everyTabFollowsTheSystemPalette()
    {
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QString copy = m_dir.filePath(QStringLiteral("second.hopscope.json"));
        QFile::remove(copy);
        QVERIFY(QFile::copy(m_profile, copy));
        QVERIFY(w.openProfile(m_profile, true, MainWindow::LivePolling::Off));
        QVERIFY(w.openProfile(copy, true, MainWindow::LivePolling::Off));
        const auto dark = [&](int i) {
            QQuickItem *root = w.page(i)->graphPane()->quickWidget()->rootObject();
            return root && root->property("dark").toBool();
        };
        QTRY_VERIFY(w.page(0)->graphPane()->quickWidget()->rootObject());
        QTRY_VERIFY(w.page(1)->graphPane()->quickWidget()->rootObject());
        QVERIFY(!dark(0) && !dark(1));
        const QPalette light = QApplication::palette();
        QPalette night(QColor(0x35, 0x38, 0x3e), QColor(0x20, 0x22, 0x26)); // button, window
        night.setColor(QPalette::Base, QColor(0x18, 0x1a, 0x1e));
        night.setColor(QPalette::AlternateBase, QColor(0x24, 0x26, 0x2b));
        night.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xb3));
        QApplication::setPalette(night);
        QTRY_VERIFY(dark(0) && dark(1));
        save(&w, QStringLiteral("cluster-tabs-dark.png"));
        QApplication::setPalette(light);
        QTRY_VERIFY(!dark(0) && !dark(1));
    }
};

QTEST_MAIN(tst_WindowConventions)
#include "tst_WindowConventions.moc"
