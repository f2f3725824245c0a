// MainWindow's menus (File, View, Cluster, Help) and File → Open Recent, beside MainWindow.cpp:
// what each action does is MainWindow's (or the current tab's); this file says where it sits,
// its shortcut and its object name (the command palette and the GUI tests find actions by them).
#include "MainWindow.h"

#include "ClusterPage.h"
#include "DetailsDock.h"
#include "GraphPane.h"
#include "ProfileEditor.h"
#include "RecentProfiles.h"
#include "topology/ServiceGraphModel.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QTabWidget>

#include <algorithm>

namespace hopscope {

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Profile…"), this, &MainWindow::openDialog);
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("New Profile from &Endpoints…"), this, &MainWindow::openDiscoverDialog);
    // The profile editor (its own window); a saved profile is (re)opened here.
    const auto reopen = [this](const QString &saved) { reloadProfile(saved); };
    file->addAction(
            tr("&New Profile…"), this, [reopen, this] { ProfileEditor::open(this, {}, reopen); })
        ->setObjectName(QStringLiteral("actionNewProfile"));
    file->addAction(tr("E&dit Profile…"), this,
            [reopen, this] { ProfileEditor::open(this, currentProfilePath(), reopen); })
        ->setObjectName(QStringLiteral("actionEditProfile"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    // Rebuilt as it opens: a file may have gone (or come back) since the list last changed.
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    QAction *exportAction = file->addAction(tr("&Export…"), this, &MainWindow::exportDialog);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    QAction *close
        = file->addAction(tr("&Close Tab"), this, [this] { closeTab(m_tabs->currentIndex()); });
    close->setObjectName(QStringLiteral("closeTabAction"));
    QList<QKeySequence> closeKeys = QKeySequence::keyBindings(QKeySequence::Close);
    if (!closeKeys.contains(QKeySequence(Qt::CTRL | Qt::Key_W))) {
        closeKeys.prepend(QKeySequence(Qt::CTRL | Qt::Key_W));
    }
    close->setShortcuts(closeKeys);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_viewMenu = view;
    QAction *palette
        = view->addAction(tr("Command &Palette…"), this, &MainWindow::openCommandPalette);
    palette->setObjectName(QStringLiteral("commandPaletteAction"));
    palette->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    QAction *find = view->addAction(tr("&Find Target"), this, &MainWindow::focusTargetFilter);
    find->setObjectName(QStringLiteral("findAction"));
    find->setShortcut(QKeySequence::Find);
    QAction *fit = view->addAction(tr("&Fit to View"), this, [this] {
        if (GraphPane *g = graphPane()) {
            g->fitToView();
        }
    });
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    QAction *refresh = view->addAction(tr("&Poll Now"), this, [this] {
        if (ClusterPage *p = currentPage()) {
            p->pollNow();
        }
    });
    refresh->setShortcut(QKeySequence::Refresh);
    // Health or traffic emphasis of the current tab's edges (also switched in the legend strip).
    m_trafficAction = view->addAction(tr("&Traffic Emphasis"));
    m_trafficAction->setObjectName(QStringLiteral("trafficEmphasisAction"));
    m_trafficAction->setCheckable(true);
    m_trafficAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    connect(m_trafficAction, &QAction::toggled, this, [this](bool on) {
        if (ServiceGraphModel *m = graphModel()) {
            m->setTrafficEmphasis(on);
        }
    });
    QAction *next = view->addAction(tr("&Next Tab"), this, [this] {
        m_tabs->setCurrentIndex((m_tabs->currentIndex() + 1) % std::max(1, m_tabs->count()));
    });
    next->setShortcut(QKeySequence::NextChild);
    QAction *previous = view->addAction(tr("P&revious Tab"), this, [this] {
        m_tabs->setCurrentIndex(
            (m_tabs->currentIndex() + m_tabs->count() - 1) % std::max(1, m_tabs->count()));
    });
    previous->setShortcut(QKeySequence::PreviousChild);
    view->addSeparator(); // the current tab's dock toggles follow (onCurrentTabChanged)

    QMenu *cluster = menuBar()->addMenu(tr("&Cluster"));
    QAction *drain = cluster->addAction(tr("&Drain Selected Task…"), this, [this] {
        if (!detailsDock() || detailsDock()->selectedTarget().isEmpty()) {
            showStatus(tr("Select a task in the graph first"));
            return;
        }
        openDrain(detailsDock()->selectedTarget());
    });
    drain->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    cluster->addAction(tr("&Undrain Selected Task…"), this, [this] {
        if (detailsDock() && !detailsDock()->selectedTarget().isEmpty()) {
            openDrain(detailsDock()->selectedTarget(), true);
        }
    });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About hopscope"), this, &MainWindow::openAbout);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList paths = m_recent->paths();
    for (const QString &path : paths) {
        const QFileInfo info(path);
        QString text = info.fileName() + QStringLiteral("  —  ")
            + QDir::toNativeSeparators(info.absolutePath());
        if (!info.exists()) {
            text = tr("%1 (missing)").arg(text);
        }
        QAction *a = m_recentMenu->addAction(text, this, [this, path] { openRecent(path); });
        a->setData(path);
    }
    if (paths.isEmpty()) {
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    } else {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear List"), m_recent, &RecentProfiles::clear);
    }
}

void MainWindow::openRecent(const QString &path)
{
    if (QFileInfo::exists(path)) {
        openProfile(path);
        return;
    }
    const QString question = tr("%1 no longer exists. Remove it from the recent profiles?")
                                 .arg(QDir::toNativeSeparators(path));
    const bool remove = m_confirmRecentRemoval
        ? m_confirmRecentRemoval(question)
        : QMessageBox::question(this, tr("Profile not found"), question,
              QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes)
            == QMessageBox::Yes;
    if (remove) {
        m_recent->remove(path);
        showStatus(tr("Removed %1 from the recent profiles").arg(QFileInfo(path).fileName()));
    } else {
        showStatus(tr("%1 not found").arg(QDir::toNativeSeparators(path)));
    }
}

} // namespace hopscope
