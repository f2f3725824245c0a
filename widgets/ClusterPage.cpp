#include "ClusterPage.h"

#include "DetailsDock.h"
#include "DrainDialog.h"
#include "GraphPane.h"
#include "GraphRenderer.h"
#include "TargetTableDock.h"
#include "TruthMatrixDock.h"
#include "core/PollingSource.h"
#include "ops/AuditLog.h"
#include "ops/DrainDismissal.h"
#include "ops/OpenDrainMarks.h"
#include "ops/OpenDrainWatcher.h"
#include "topology/ClusterMonitor.h"
#include "topology/GraphExport.h"
#include "topology/GraphTrafficFeed.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QClipboard>
#include <QCryptographicHash>
#include <QCursor>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QListView>
#include <QTimer>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QSettings>

namespace hopscope {

namespace {
// Bumped when the set of docks changes, so an old saved layout is not applied to new docks.
constexpr int s_layoutVersion = 1;
} // namespace

ClusterPage::ClusterPage(QWidget *parent)
    : QMainWindow(parent)
    , m_model(new ServiceGraphModel(this))
    , m_graph(new GraphPane(m_model, this))
    , m_details(new DetailsDock(this))
    , m_logDock(new QDockWidget(tr("Event Log"), this))
    , m_logView(new QListView(m_logDock))
    , m_logFollow(new QTimer)
    , m_targets(new TargetTableDock(this))
    , m_truth(new TruthMatrixDock(this))
{
    setWindowFlags(Qt::Widget); // a page inside the window's tabs, not a window
    setDockNestingEnabled(true);
    setCentralWidget(m_graph);
    addDockWidget(Qt::RightDockWidgetArea, m_details);
    m_logDock->setObjectName(QStringLiteral("logDock"));
    m_logDock->setWidget(m_logView);
    m_logView->setUniformItemSizes(true);
    m_logView->setWordWrap(false);
    // The log follows its newest entry, scrolled at most every 100 ms: each scroll lays out the
    // whole list, and 500 sources failing together append 500 entries (5 % of the GUI thread).
    m_logFollow->setParent(m_logView);
    m_logFollow->setSingleShot(true);
    m_logFollow->setInterval(100);
    connect(m_logFollow, &QTimer::timeout, m_logView, &QListView::scrollToBottom);
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
    connect(m_details, &DetailsDock::dismissRequested, this, &ClusterPage::dismissDrain);
}

ClusterPage::~ClusterPage()
{
    // Drain dialogs borrow the monitor and the audit log, which die before child widgets do.
    stop();
}

QList<QDockWidget *> ClusterPage::docks() const
{
    return { m_details, m_logDock, m_targets, m_truth };
}

void ClusterPage::open(const ClusterProfile &profile, const QString &path, bool poll)
{
    m_profile = profile;
    const QFileInfo info(path);
    m_profilePath
        = info.canonicalFilePath().isEmpty() ? info.absoluteFilePath() : info.canonicalFilePath();
    m_model->setProfile(*m_profile);
    m_targets->setProfile(*m_profile);
    m_truth->setProfile(*m_profile);
    m_details->clearSelection();
    m_monitor = std::make_unique<ClusterMonitor>(*m_profile);
    m_traffic = std::make_unique<TrafficTracker>(*m_profile);
    m_traffic->attach(m_monitor.get());
    m_details->setTrafficTracker(m_traffic.get());
    m_targets->setTrafficTracker(m_traffic.get());
    connect(
        m_monitor.get(), &ClusterMonitor::topologyChanged, this, &ClusterPage::onTopologyChanged);
    new GraphTrafficFeed(m_traffic.get(), m_model); // owned by the tracker
    // The table takes each traffic report with the topology it was computed over (off the GUI
    // thread, one after every rebuild): rows and rates always match, and the rows are built once
    // per report, not once per rebuild and again per report. They follow the graph by one report.
    connect(m_traffic.get(), &TrafficTracker::reportReady, this,
        [this](const Topology &topology, const std::shared_ptr<const TrafficReport> &report) {
            m_targets->setTopology(topology, *report);
        });
    m_logView->setModel(m_monitor->eventLog());
    connect(m_monitor->eventLog(), &QAbstractItemModel::rowsInserted, m_logFollow, [this] {
        if (!m_logFollow->isActive()) {
            m_logFollow->start();
        }
    });
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
    if (poll) {
        m_monitor->start();
    }
    const QString file = QFileInfo(path).fileName();
    showStatus(poll
            ? tr("Opened %1 — polling %2 sources").arg(file).arg(m_monitor->sources().size())
            : tr("Opened %1 — not polling").arg(file));
}

void ClusterPage::stop()
{
    qDeleteAll(findChildren<DrainDialog *>());
    m_openDrains.reset();
    if (m_monitor) {
        m_monitor->stop();
    }
    m_details->setTrafficTracker(nullptr);
    m_targets->setTrafficTracker(nullptr);
    m_traffic.reset();
    m_monitor.reset();
    m_audit.reset();
}

QString ClusterPage::profileSummary() const
{
    if (!m_profile) {
        return {};
    }
    return tr("%1 · %2 services · %3 edges%4")
        .arg(m_profile->name)
        .arg(m_profile->services.size())
        .arg(m_profile->edges.size())
        .arg(m_profile->observeOnly ? tr(" · observe only") : QString());
}

void ClusterPage::pollNow()
{
    if (m_monitor) {
        m_monitor->pollNow();
    }
}

bool ClusterPage::exportGraph(const QString &path, QString *error)
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

QMenu *ClusterPage::showTaskMenu(const QString &target, const QPoint &globalPos)
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

DrainDialog *ClusterPage::openDrain(const QString &target, bool undrain)
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
            if (m_monitor) {
                m_monitor->eventLog()->append(
                    EventLog::Severity::Info, QStringLiteral("drain ") + target, m);
            }
        });
    // Each state the drain reaches is written to the audit log first; OpenDrainWatcher sees those
    // writes and re-reads the open drains, so nothing is connected here.
    dialog->show();
    return dialog;
}

void ClusterPage::reloadOpenDrains()
{
    if (m_openDrains) {
        m_openDrains->refresh();
    }
}

bool ClusterPage::dismissDrain(const QString &target)
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

void ClusterPage::onTopologyChanged(const Topology &topology)
{
    m_model->setTopology(topology);
    m_details->setTopology(topology);
    // The target table follows with the rebuild's traffic report (open()).
    m_truth->setTopology(topology);
    QStringList lines;
    for (const SourceError &e : topology.errors) {
        lines.append(e.toString());
    }
    m_sourceErrors = lines.join(QLatin1Char('\n'));
    Q_EMIT sourcesChanged();
}

QString ClusterPage::sourceSummary() const
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

void ClusterPage::showStatus(const QString &text)
{
    m_status = text;
    Q_EMIT statusChanged(text);
}

QString ClusterPage::layoutKey(const QString &profilePath)
{
    // A hash of the absolute path: a path's slashes would nest QSettings groups.
    const QFileInfo file(profilePath);
    const QByteArray path
        = (file.canonicalFilePath().isEmpty() ? file.absoluteFilePath() : file.canonicalFilePath())
              .toUtf8();
    return QStringLiteral("profileLayouts/")
        + QString::fromLatin1(QCryptographicHash::hash(path, QCryptographicHash::Sha1).toHex());
}

void ClusterPage::saveLayout() const
{
    if (m_profilePath.isEmpty()) {
        return;
    }
    QSettings settings;
    settings.beginGroup(layoutKey(m_profilePath));
    settings.setValue(QStringLiteral("path"), m_profilePath);
    settings.setValue(QStringLiteral("state"), saveState(s_layoutVersion));
    settings.endGroup();
}

bool ClusterPage::restoreLayout()
{
    QSettings settings;
    settings.beginGroup(layoutKey(m_profilePath));
    const QByteArray state = settings.value(QStringLiteral("state")).toByteArray();
    settings.endGroup();
    return !state.isEmpty() && restoreState(state, s_layoutVersion);
}

} // namespace hopscope
