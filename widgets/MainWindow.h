#pragma once

#include "profile/ClusterProfile.h"

#include <QMainWindow>

#include <functional>
#include <memory>
#include <optional>

class QLabel;
class QListView;
class QDockWidget;
class QMenu;

namespace hopscope {

class AuditLog;
class ClusterMonitor;
class DetailsDock;
class DiscoverDialog;
class OpenDrainWatcher;
class GraphPane;
struct Topology;
class RecentProfiles;
class ServiceGraphModel;
class TargetTableDock;
class TrafficTracker;
class TruthMatrixDock;

// The main window: composes the graph pane, menus and status bar, and opens profiles. It owns
// the graph model; logic lives in model/. GUI thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a profile and starts polling its sources; on problems shows them (dialog unless
    // quiet) and keeps the current profile. With LivePolling::Off the declared graph is shown
    // without polling (used by tests that need a fixed picture).
    enum class LivePolling { On, Off };
    bool openProfile(
        const QString &path, bool quiet = false, LivePolling polling = LivePolling::On);

    GraphPane *graphPane() const { return m_graph; }
    ServiceGraphModel *graphModel() const { return m_model; }
    ClusterMonitor *monitor() const { return m_monitor.get(); }
    DetailsDock *detailsDock() const { return m_details; }
    TargetTableDock *targetTable() const { return m_targets; }
    TruthMatrixDock *truthMatrix() const { return m_truth; }
    // Rates and their history for the open profile (null before one is open).
    TrafficTracker *trafficTracker() const { return m_traffic.get(); }
    QString sourceSummary() const;
    // Opens the guided drain (or undrain) of one target, "addr:port", non-modal.
    class DrainDialog *openDrain(const QString &target, bool undrain = false);
    // A task chip's context menu (right-click in the graph): Drain…, Undrain…, Copy Address.
    QMenu *showTaskMenu(const QString &target, const QPoint &globalPos);
    const std::optional<ClusterProfile> &profile() const { return m_profile; }
    QString lastError() const { return m_lastError; }
    // File → New Profile from Endpoints…: the dialog (non-modal); a saved profile is opened.
    DiscoverDialog *openDiscoverDialog();
    // File → Export: the whole graph to PNG, SVG, DOT or JSON, chosen by the file's suffix.
    bool exportGraph(const QString &path, QString *error);
    // Re-reads the audit log's open drains into the graph (drained tasks stay until undone).
    void reloadOpenDrains();
    // Forgets the open drain of `target` after a confirmation (DrainDismissal: a "dismissed"
    // record, nothing sent to the cluster), then re-reads the open drains. False when not
    // confirmed or refused (the reason goes to the event log and the status bar).
    bool dismissDrain(const QString &target);
    // Asks the confirmation (text) of dismissDrain; a QMessageBox unless replaced (tests).
    using ConfirmFunction = std::function<bool(const QString &text)>;
    void setDismissConfirmation(ConfirmFunction confirm) { m_confirmDismiss = std::move(confirm); }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void rebuildRecentMenu();
    void openDialog();
    void exportDialog();
    void showStatus(const QString &text);
    void onTopologyChanged(const Topology &topology);

    ServiceGraphModel *m_model;
    GraphPane *m_graph;
    RecentProfiles *m_recent;
    DetailsDock *m_details;
    QDockWidget *m_logDock;
    QListView *m_logView;
    TargetTableDock *m_targets;
    TruthMatrixDock *m_truth;
    QLabel *m_sourcesLabel;
    std::unique_ptr<ClusterMonitor> m_monitor;
    std::unique_ptr<TrafficTracker> m_traffic; // follows m_monitor's sources
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<OpenDrainWatcher> m_openDrains;
    QMenu *m_recentMenu = nullptr;
    QLabel *m_profileLabel;
    std::optional<ClusterProfile> m_profile;
    QString m_profilePath;
    QString m_lastError;
    ConfirmFunction m_confirmDismiss;
};

} // namespace hopscope
