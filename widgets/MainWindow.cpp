#include "MainWindow.h"

#include "DetailsDock.h"
#include "DiscoverDialog.h"
#include "DrainDialog.h"
#include "GraphPane.h"
#include "GraphRenderer.h"
#include "ProfileEditor.h"
#include "RecentProfiles.h"
#include "TargetTableDock.h"
#include "TruthMatrixDock.h"
#include "core/PollingSource.h"
#include "ops/AuditLog.h"
#include "ops/DrainDismissal.h"
#include "ops/OpenDrainMarks.h"
#include "ops/OpenDrainWatcher.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"
#include "topology/GraphExport.h"
#include "topology/GraphTrafficFeed.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QCursor>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QKeySequence>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSaveFile>
#include <QSettings>
#include <QStatusBar>

namespace hopscope {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_model(new ServiceGraphModel(this))
    , m_graph(new GraphPane(m_model, this))
    , m_recent(new RecentProfiles(this))
    , m_details(new DetailsDock(this))
    , m_logDock(new QDockWidget(tr("Event Log"), this))
    , m_logView(new QListView(m_logDock))
    , m_targets(new TargetTableDock(this))
    , m_truth(new TruthMatrixDock(this))
    , m_sourcesLabel(new QLabel(this))
    , m_profileLabel(new QLabel(this))
{
    setWindowTitle(QStringLiteral("hopscope"));
    setCentralWidget(m_graph);
    addDockWidget(Qt::RightDockWidgetArea, m_details);
    m_logDock->setObjectName(QStringLiteral("logDock"));
    m_logDock->setWidget(m_logView);
    m_logView->setUniformItemSizes(true);
    m_logView->setWordWrap(false);
    addDockWidget(Qt::BottomDockWidgetArea, m_logDock);
    // The target table and the truth matrix, tabbed with the event log.
    addDockWidget(Qt::BottomDockWidgetArea, m_targets);
    addDockWidget(Qt::BottomDockWidgetArea, m_truth);
    tabifyDockWidget(m_logDock, m_targets);
    tabifyDockWidget(m_targets, m_truth);
    m_logDock->raise();
    m_details->setMinimumWidth(300);
    resizeDocks({ m_logDock }, { 120 }, Qt::Vertical);
    resizeDocks({ m_targets }, { 220 }, Qt::Vertical);
    resizeDocks({ m_details }, { 340 }, Qt::Horizontal);
    statusBar()->addPermanentWidget(m_sourcesLabel);
    statusBar()->addPermanentWidget(m_profileLabel);
    m_profileLabel->setText(tr("no profile"));
    createMenus();
    connect(m_recent, &RecentProfiles::changed, this, &MainWindow::rebuildRecentMenu);
    connect(m_graph, &GraphPane::nodeSelected, m_details, &DetailsDock::selectService);
    connect(m_graph, &GraphPane::taskSelected, m_details, &DetailsDock::selectTarget);
    // A task selected in the target table or the truth matrix is selected in the other, the
    // graph and the details dock.
    for (TargetTableRowDock *dock : { static_cast<TargetTableRowDock *>(m_targets),
             static_cast<TargetTableRowDock *>(m_truth) }) {
        connect(m_graph, &GraphPane::taskSelected, dock, &TargetTableRowDock::selectTarget);
        connect(dock, &TargetTableRowDock::targetSelected, this,
            [this](const QString &serviceId, const QString &key) {
                m_details->selectTarget(serviceId, key);
                m_targets->selectTarget(serviceId, key);
                m_truth->selectTarget(serviceId, key);
                TargetTableRowDock::revealInGraph(m_graph, m_model, serviceId);
            });
    }
    connect(m_graph, &GraphPane::taskContextRequested, this,
        [this](const QString &, const QString &key) { showTaskMenu(key, QCursor::pos()); });
    connect(
        m_details, &DetailsDock::drainRequested, this, [this](const QString &t) { openDrain(t); });
    connect(m_details, &DetailsDock::undrainRequested, this,
        [this](const QString &t) { openDrain(t, true); });
    connect(m_details, &DetailsDock::dismissRequested, this, &MainWindow::dismissDrain);

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) {
        resize(1200, 760);
    }
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());

    // The widget tree is complete: now the QML may load (docs/QT64.md).
    m_graph->load();
    showStatus(tr("Ready"));
}

MainWindow::~MainWindow()
{
    // Drain dialogs borrow the monitor and the audit log, which die before child widgets do.
    qDeleteAll(findChildren<DrainDialog *>());
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Profile…"), this, &MainWindow::openDialog);
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("New Profile from &Endpoints…"), this, &MainWindow::openDiscoverDialog);
    // The profile editor (its own window); a saved profile is (re)opened here.
    const auto reopen = [this](const QString &saved) { openProfile(saved); };
    file->addAction(
            tr("&New Profile…"), this, [reopen, this] { ProfileEditor::open(this, {}, reopen); })
        ->setObjectName(QStringLiteral("actionNewProfile"));
    file->addAction(tr("E&dit Profile…"), this,
            [reopen, this] { ProfileEditor::open(this, m_profilePath, reopen); })
        ->setObjectName(QStringLiteral("actionEditProfile"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    QAction *exportAction = file->addAction(tr("&Export…"), this, &MainWindow::exportDialog);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *fit = view->addAction(tr("&Fit to View"), m_graph, &GraphPane::fitToView);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    QAction *refresh = view->addAction(tr("&Poll Now"), this, [this] {
        if (m_monitor) {
            m_monitor->pollNow();
        }
    });
    refresh->setShortcut(QKeySequence::Refresh);
    // Health or traffic emphasis of the graph's edges (also switched in the legend strip).
    QAction *traffic = view->addAction(tr("&Traffic Emphasis"));
    traffic->setObjectName(QStringLiteral("trafficEmphasisAction"));
    traffic->setCheckable(true);
    traffic->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    connect(traffic, &QAction::toggled, m_model, &ServiceGraphModel::setTrafficEmphasis);
    connect(m_model, &ServiceGraphModel::trafficEmphasisChanged, traffic,
        [this, traffic] { traffic->setChecked(m_model->trafficEmphasis()); });
    view->addSeparator();
    view->addAction(m_details->toggleViewAction());
    view->addAction(m_logDock->toggleViewAction());
    view->addAction(m_targets->toggleViewAction());
    view->addAction(m_truth->toggleViewAction());

    QMenu *cluster = menuBar()->addMenu(tr("&Cluster"));
    QAction *drain = cluster->addAction(tr("&Drain Selected Task…"), this, [this] {
        if (m_details->selectedTarget().isEmpty()) {
            showStatus(tr("Select a task in the graph first"));
            return;
        }
        openDrain(m_details->selectedTarget());
    });
    drain->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    cluster->addAction(tr("&Undrain Selected Task…"), this, [this] {
        if (!m_details->selectedTarget().isEmpty()) {
            openDrain(m_details->selectedTarget(), true);
        }
    });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About hopscope"), this, [this] {
        QMessageBox::about(this, tr("About hopscope"),
            tr("<b>hopscope</b> %1<br>See and operate the networking between your "
               "services: DNS discovery, load balancers and the service mesh.")
                .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::exportDialog()
{
    if (!m_profile) {
        showStatus(tr("Nothing to export: open a profile first"));
        return;
    }
    const QString base = QFileInfo(m_profilePath).absolutePath() + QLatin1Char('/')
        + QFileInfo(m_profilePath).completeBaseName().section(QLatin1Char('.'), 0, 0);
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Export Graph"), base + QStringLiteral(".png"),
            tr("PNG image (*.png);;SVG drawing (*.svg);;Graphviz DOT (*.dot *.gv);;JSON (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    QString error;
    if (exportGraph(path, &error)) {
        showStatus(tr("Exported %1").arg(QDir::toNativeSeparators(path)));
    } else {
        QMessageBox::warning(this, tr("Export failed"), error);
    }
}

bool MainWindow::exportGraph(const QString &path, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const GraphStyle colours
        = GraphStyle::forDark(palette().color(QPalette::Window).lightness() < 128);
    if (suffix == u"png") {
        return GraphRenderer::savePng(*m_model, path, colours, error);
    }
    if (suffix == u"svg") {
        return GraphRenderer::saveSvg(*m_model, path, colours, error);
    }
    QByteArray bytes;
    if (suffix == u"dot" || suffix == u"gv") {
        bytes = GraphExport::toDot(*m_model, GraphRenderer::dotLook(colours));
    } else if (suffix == u"json") {
        const Topology *topology = m_monitor ? &m_monitor->topology() : nullptr;
        bytes = QJsonDocument(GraphExport::toJson(*m_model, topology))
                    .toJson(QJsonDocument::Indented);
    } else {
        *error = tr("Unknown export format '%1': use .png, .svg, .dot or .json").arg(suffix);
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
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
    const QString start
        = m_profilePath.isEmpty() ? QDir::homePath() : QFileInfo(m_profilePath).absolutePath();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Cluster Profile"), start,
        tr("hopscope profiles (*.hopscope.json);;JSON (*.json);;All files (*)"));
    if (!path.isEmpty()) {
        openProfile(path);
    }
}

DiscoverDialog *MainWindow::openDiscoverDialog()
{
    auto *dialog = new DiscoverDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &DiscoverDialog::profileSaved, this,
        [this](const QString &path) { openProfile(path); });
    dialog->show();
    return dialog;
}

bool MainWindow::openProfile(const QString &path, bool quiet, LivePolling polling)
{
    const ProfileLoadResult result = ProfileStore::load(path);
    if (!result.ok()) {
        QStringList lines;
        for (const ProfileProblem &p : result.problems) {
            lines.append(p.toString());
        }
        const QString file = QFileInfo(path).fileName();
        m_lastError = lines.size() == 1
            ? tr("%1 has 1 problem").arg(file)
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
    // Open drain dialogs belong to the old profile's monitor and audit log: end them first.
    qDeleteAll(findChildren<DrainDialog *>());
    m_traffic.reset();
    m_monitor.reset();
    m_model->setProfile(*m_profile);
    m_targets->setProfile(*m_profile);
    m_truth->setProfile(*m_profile);
    m_details->clearSelection();
    m_monitor = std::make_unique<ClusterMonitor>(*m_profile);
    m_traffic = std::make_unique<TrafficTracker>(*m_profile);
    m_traffic->attach(m_monitor.get());
    m_details->setTrafficTracker(m_traffic.get());
    m_targets->setTrafficTracker(m_traffic.get());
    new GraphTrafficFeed(m_traffic.get(), m_monitor.get(), m_model); // owned by the tracker
    connect(
        m_monitor.get(), &ClusterMonitor::topologyChanged, this, &MainWindow::onTopologyChanged);
    m_logView->setModel(m_monitor->eventLog());
    connect(m_monitor->eventLog(), &QAbstractItemModel::rowsInserted, m_logView,
        &QListView::scrollToBottom);
    m_audit = std::make_unique<AuditLog>(*m_profile);
    // Drains not undone (from earlier runs, other windows or the CLI) stay visible, and follow
    // the log as other processes write it; read off the GUI thread.
    m_openDrains = std::make_unique<OpenDrainWatcher>(m_audit->filePath());
    connect(m_openDrains.get(), &OpenDrainWatcher::openDrainsRead, this,
        [this](const QList<OpenDrain> &drains, const QString &error) {
            if (!m_monitor) {
                return;
            }
            if (!error.isEmpty()) {
                m_monitor->eventLog()->append(EventLog::Severity::Warning, QStringLiteral("audit"),
                    tr("open drains not shown: %1").arg(error));
            }
            m_monitor->setOpenDrains(drainMarks(drains));
        });
    reloadOpenDrains();
    m_details->setDrainEnabled(!m_profile->observeOnly);
    m_monitor->eventLog()->append(EventLog::Severity::Info, QStringLiteral("profile"),
        tr("opened %1 (%2 sources)").arg(m_profilePath).arg(m_monitor->sources().size()));
    onTopologyChanged(m_monitor->topology());
    if (polling == LivePolling::On) {
        m_monitor->start();
    }
    m_recent->add(m_profilePath);
    setWindowTitle(tr("%1 — hopscope").arg(m_profile->name));
    m_profileLabel->setText(tr("%1 · %2 services · %3 edges%4")
                                .arg(m_profile->name)
                                .arg(m_profile->services.size())
                                .arg(m_profile->edges.size())
                                .arg(m_profile->observeOnly ? tr(" · observe only") : QString()));
    showStatus(polling == LivePolling::On
            ? tr("Opened %1 — polling %2 sources")
                  .arg(QFileInfo(path).fileName())
                  .arg(m_monitor->sources().size())
            : tr("Opened %1 — not polling").arg(QFileInfo(path).fileName()));
    return true;
}

QMenu *MainWindow::showTaskMenu(const QString &target, const QPoint &globalPos)
{
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("taskMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const bool canOperate = m_profile && !m_profile->observeOnly;
    QAction *drain = menu->addAction(
        tr("&Drain %1…").arg(target), this, [this, target] { openDrain(target); });
    QAction *undrain = menu->addAction(
        tr("&Undrain %1…").arg(target), this, [this, target] { openDrain(target, true); });
    drain->setEnabled(canOperate);
    undrain->setEnabled(canOperate);
    if (!canOperate) {
        drain->setToolTip(tr("This profile is observe-only"));
    }
    menu->addSeparator();
    menu->addAction(
        tr("&Copy Address"), this, [target] { QGuiApplication::clipboard()->setText(target); });
    menu->popup(globalPos);
    return menu;
}

DrainDialog *MainWindow::openDrain(const QString &target, bool undrain)
{
    if (!m_monitor || !m_audit) {
        return nullptr;
    }
    auto *dialog = new DrainDialog(m_monitor.get(), m_audit.get(), target,
        undrain ? DrainDialog::Mode::Undrain : DrainDialog::Mode::Drain, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setTrafficTracker(m_traffic.get()); // the countdown's request rate
    connect(dialog->controller(), &DrainController::messageChanged, this,
        [this, target](const QString &m) {
            m_monitor->eventLog()->append(
                EventLog::Severity::Info, QStringLiteral("drain ") + target, m);
        });
    // Each state the drain reaches is written to the audit log first; OpenDrainWatcher sees those
    // writes and re-reads the open drains, so nothing is connected here.
    dialog->show();
    return dialog;
}

void MainWindow::reloadOpenDrains()
{
    if (m_openDrains) {
        m_openDrains->refresh();
    }
}

bool MainWindow::dismissDrain(const QString &target)
{
    if (!m_monitor || !m_audit || !m_profile || m_profile->observeOnly) {
        return false;
    }
    QString message;
    const auto drain = DrainDismissal::find(*m_audit, target, &message);
    if (!drain) {
        if (message.isEmpty()) {
            message = tr("the audit log shows no open drain of %1").arg(target);
        }
        m_monitor->eventLog()->append(
            EventLog::Severity::Warning, QStringLiteral("dismiss ") + target, message);
        showStatus(message);
        reloadOpenDrains();
        return false;
    }
    const QString question = DrainDismissal::confirmationText(*drain);
    const bool confirmed = m_confirmDismiss
        ? m_confirmDismiss(question)
        : QMessageBox::question(this, tr("Dismiss open drain"), question,
              QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
            == QMessageBox::Yes;
    if (!confirmed) {
        return false;
    }
    const bool ok = DrainDismissal::dismiss(*m_audit, m_profile->name, target, {}, &message);
    m_monitor->eventLog()->append(ok ? EventLog::Severity::Info : EventLog::Severity::Warning,
        QStringLiteral("dismiss ") + target, message);
    showStatus(message);
    reloadOpenDrains(); // the dismissed drain leaves the graph
    return ok;
}

void MainWindow::onTopologyChanged(const Topology &topology)
{
    m_model->setTopology(topology);
    m_details->setTopology(topology);
    m_targets->setTopology(topology, m_traffic ? m_traffic->report(topology) : TrafficReport {});
    m_truth->setTopology(topology);
    m_sourcesLabel->setText(sourceSummary());
    m_sourcesLabel->setToolTip(topology.errors.isEmpty() ? QString() : [&] {
        QStringList lines;
        for (const SourceError &e : topology.errors) {
            lines.append(e.toString());
        }
        return lines.join(QLatin1Char('\n'));
    }());
}

QString MainWindow::sourceSummary() const
{
    if (!m_monitor) {
        return {};
    }
    int ok = 0, failing = 0, pending = 0;
    for (const PollingSource *s : m_monitor->sources()) {
        switch (s->status()) {
        case PollingSource::Status::Ok:
            ++ok;
            break;
        case PollingSource::Status::Failing:
            ++failing;
            break;
        default:
            ++pending;
            break;
        }
    }
    QStringList parts;
    if (ok) {
        parts.append(tr("%1 sources ok").arg(ok));
    }
    if (failing) {
        parts.append(tr("⚠ %1 failing").arg(failing));
    }
    if (pending) {
        parts.append(tr("%1 waiting").arg(pending));
    }
    return parts.join(QStringLiteral(" · "));
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
