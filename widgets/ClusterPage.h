#pragma once

#include "profile/ClusterProfile.h"

#include <QMainWindow>

#include <functional>
#include <memory>
#include <optional>

class QDockWidget;
class QListView;
class QTimer;
class QMenu;

namespace hopscope {

class AuditLog;
class ClusterMonitor;
class DetailsDock;
class DrainDialog;
class GraphPane;
class OpenDrainWatcher;
class ServiceGraphModel;
class TargetTableDock;
class TrafficTracker;
class TruthMatrixDock;
struct Topology;

// One open cluster profile, the content of one tab of the main window: its sources
// (ClusterMonitor, TrafficTracker, audit log, open drains), its graph, and its docks (details,
// event log, target table, truth matrix) with their own selection. A QMainWindow used as a widget
// so the docks live inside the tab and their layout can be saved per profile. GUI thread.
class ClusterPage : public QMainWindow
{
    Q_OBJECT
public:
    explicit ClusterPage(QWidget *parent = nullptr);
    ~ClusterPage() override;

    // Shows `profile` (read from `path`) and, with `poll`, starts its sources. Call once, after
    // the page sits in its tab and graphPane()->load() ran (docs/QT64.md: QQuickWidget).
    void open(const ClusterProfile &profile, const QString &path, bool poll);
    // Ends the drain dialogs and stops and deletes the sources (the tab is closing).
    void stop();

    GraphPane *graphPane() const { return m_graph; }
    ServiceGraphModel *graphModel() const { return m_model; }
    ClusterMonitor *monitor() const { return m_monitor.get(); }
    DetailsDock *detailsDock() const { return m_details; }
    TargetTableDock *targetTable() const { return m_targets; }
    TruthMatrixDock *truthMatrix() const { return m_truth; }
    QDockWidget *eventLogDock() const { return m_logDock; }
    QListView *eventLogView() const { return m_logView; }
    TrafficTracker *trafficTracker() const { return m_traffic.get(); }
    const std::optional<ClusterProfile> &profile() const { return m_profile; }
    QString profilePath() const { return m_profilePath; }
    QList<QDockWidget *> docks() const;

    // For the status bar: "3 sources ok · ⚠ 1 failing", the failing sources' errors (tooltip),
    // "demo · 6 services · 7 edges", and the last message of this cluster.
    QString sourceSummary() const;
    QString sourceErrors() const { return m_sourceErrors; }
    QString profileSummary() const;
    QString statusText() const { return m_status; }

    void pollNow();
    DrainDialog *openDrain(const QString &target, bool undrain = false);
    QMenu *showTaskMenu(const QString &target, const QPoint &globalPos);
    bool exportGraph(const QString &path, QString *error);
    void reloadOpenDrains();
    bool dismissDrain(const QString &target);
    using ConfirmFunction = std::function<bool(const QString &text)>;
    void setDismissConfirmation(ConfirmFunction confirm) { m_confirmDismiss = std::move(confirm); }

    // The dock layout of this profile (QSettings, keyed by the profile's path).
    static QString layoutKey(const QString &profilePath);
    void saveLayout() const;
    bool restoreLayout();

Q_SIGNALS:
    void statusChanged(const QString &text);
    void sourcesChanged();

private:
    void showStatus(const QString &text);
    void onTopologyChanged(const Topology &topology);

    ServiceGraphModel *m_model;
    GraphPane *m_graph;
    DetailsDock *m_details;
    QDockWidget *m_logDock;
    QListView *m_logView;
    QTimer *m_logFollow; // coalesces the log's scrolls to its newest entry
    TargetTableDock *m_targets;
    TruthMatrixDock *m_truth;
    std::unique_ptr<ClusterMonitor> m_monitor;
    std::unique_ptr<TrafficTracker> m_traffic; // follows m_monitor's sources
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<OpenDrainWatcher> m_openDrains;
    std::optional<ClusterProfile> m_profile;
    QString m_profilePath;
    QString m_status;
    QString m_sourceErrors;
    ConfirmFunction m_confirmDismiss;
};

} // namespace hopscope
