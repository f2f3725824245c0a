#include "MainWindow.h"

#include "GraphPane.h"
#include "RecentProfiles.h"
#include "profile/ProfileStore.h"
#include "topology/ServiceGraphModel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

namespace hopscope {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_model(new ServiceGraphModel(this))
    , m_graph(new GraphPane(m_model, this))
    , m_recent(new RecentProfiles(this))
    , m_profileLabel(new QLabel(this))
{
    setWindowTitle(QStringLiteral("hopscope"));
    setCentralWidget(m_graph);
    statusBar()->addPermanentWidget(m_profileLabel);
    m_profileLabel->setText(tr("no profile"));
    createMenus();
    connect(m_recent, &RecentProfiles::changed, this, &MainWindow::rebuildRecentMenu);
    connect(m_graph, &GraphPane::nodeSelected, this, [this](const QString &id) {
        showStatus(tr("Selected %1").arg(id));
    });

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) {
        resize(1200, 760);
    }
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());

    // The widget tree is complete: now the QML may load (QT64.md).
    m_graph->load();
    showStatus(tr("Ready"));
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Profile…"), this, &MainWindow::openDialog);
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *fit = view->addAction(tr("&Fit to View"), m_graph, &GraphPane::fitToView);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About hopscope"), this, [this] {
        QMessageBox::about(this, tr("About hopscope"),
                           tr("<b>hopscope</b> %1<br>See and operate the networking between your "
                              "services: DNS discovery, load balancers and the service mesh.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList paths = m_recent->paths();
    for (const QString &path : paths) {
        m_recentMenu->addAction(QFileInfo(path).fileName() + QStringLiteral("  —  ")
                                    + QDir::toNativeSeparators(QFileInfo(path).absolutePath()),
                                this, [this, path] { openProfile(path); });
    }
    if (paths.isEmpty()) {
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    } else {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear List"), m_recent, &RecentProfiles::clear);
    }
}

void MainWindow::openDialog()
{
    const QString start = m_profilePath.isEmpty() ? QDir::homePath() : QFileInfo(m_profilePath).absolutePath();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Cluster Profile"), start,
                                                      tr("hopscope profiles (*.hopscope.json);;JSON (*.json);;All files (*)"));
    if (!path.isEmpty()) {
        openProfile(path);
    }
}

bool MainWindow::openProfile(const QString &path, bool quiet)
{
    const ProfileLoadResult result = ProfileStore::load(path);
    if (!result.ok()) {
        QStringList lines;
        for (const ProfileProblem &p : result.problems) {
            lines.append(p.toString());
        }
        const QString file = QFileInfo(path).fileName();
        m_lastError = lines.size() == 1 ? tr("%1 has 1 problem").arg(file)
                                        : tr("%1 has %2 problems").arg(file, QString::number(lines.size()));
        showStatus(m_lastError);
        if (!quiet) {
            QMessageBox box(QMessageBox::Warning, tr("Cannot open profile"),
                            m_lastError + tr("; the current view is unchanged."), QMessageBox::Ok, this);
            box.setDetailedText(lines.join(QLatin1Char('\n')));
            box.setInformativeText(lines.mid(0, 8).join(QLatin1Char('\n'))
                                   + (lines.size() > 8 ? QStringLiteral("\n…") : QString()));
            box.exec();
        }
        return false;
    }
    m_lastError.clear();
    m_profile = result.profile;
    m_profilePath = QFileInfo(path).absoluteFilePath();
    m_model->setProfile(*m_profile);
    m_recent->add(m_profilePath);
    setWindowTitle(tr("%1 — hopscope").arg(m_profile->name));
    m_profileLabel->setText(tr("%1 · %2 services · %3 edges%4")
                                .arg(m_profile->name)
                                .arg(m_profile->services.size())
                                .arg(m_profile->edges.size())
                                .arg(m_profile->observeOnly ? tr(" · observe only") : QString()));
    showStatus(tr("Opened %1 — no data yet: sources are not polled in this version").arg(QFileInfo(path).fileName()));
    return true;
}

void MainWindow::showStatus(const QString &text)
{
    statusBar()->showMessage(text);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

} // namespace hopscope
