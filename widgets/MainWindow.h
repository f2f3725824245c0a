#pragma once

#include "profile/ClusterProfile.h"

#include <QMainWindow>

#include <functional>
#include <optional>

class QLabel;
class QListView;
class QMenu;
class QStackedWidget;
class QTabWidget;
class QUrl;

namespace hopscope {

class AboutDialog;
class ClusterMonitor;
class ClusterPage;
class CommandPalette;
class DetailsDock;
class DiscoverDialog;
class DrainDialog;
class GraphPane;
class RecentProfiles;
class ServiceGraphModel;
class TargetTableDock;
class TrafficTracker;
class TruthMatrixDock;

// The main window: one tab per open profile (ClusterPage: its sources, graph and docks), the
// menus, the command palette and the status bar, which follows the current tab. Opens profiles
// from the File menu, Open Recent, the command line and files dropped on it. GUI thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a profile in a new tab and starts polling its sources; a profile already open has its
    // tab made current instead. On problems shows them (dialog unless quiet) and leaves the tabs
    // as they are. With LivePolling::Off the declared graph is shown without polling (used by
    // tests that need a fixed picture).
    enum class LivePolling { On, Off };
    bool openProfile(
        const QString &path, bool quiet = false, LivePolling polling = LivePolling::On);
    // Reads an open profile again into its tab (it was edited); opens it when it is not open.
    bool reloadProfile(const QString &path);
    // Closes a tab: its layout is saved and its sources stop. False for no such tab.
    bool closeTab(int index);
    // Opens every local file among `urls` (dropped on the window); returns how many opened.
    int openUrls(const QList<QUrl> &urls);

    QTabWidget *tabs() const { return m_tabs; }
    int pageCount() const;
    ClusterPage *page(int index) const;
    ClusterPage *currentPage() const;
    ClusterPage *pageOf(const QString &path) const;

    // The current tab's parts (null without a tab).
    GraphPane *graphPane() const;
    ServiceGraphModel *graphModel() const;
    ClusterMonitor *monitor() const;
    DetailsDock *detailsDock() const;
    TargetTableDock *targetTable() const;
    TruthMatrixDock *truthMatrix() const;
    QListView *eventLogView() const;
    TrafficTracker *trafficTracker() const;
    const std::optional<ClusterProfile> &profile() const;
    QString currentProfilePath() const;
    QString sourceSummary() const;
    QString lastError() const { return m_lastError; }
    QLabel *sourcesLabel() const { return m_sourcesLabel; }
    QLabel *profileLabel() const { return m_profileLabel; }

    // Opens the guided drain (or undrain) of one target of the current tab, "addr:port".
    DrainDialog *openDrain(const QString &target, bool undrain = false);
    // A task chip's context menu (right-click in the graph): Drain…, Undrain…, Copy Address.
    QMenu *showTaskMenu(const QString &target, const QPoint &globalPos);
    // File → New Profile from Endpoints…: the dialog (non-modal); a saved profile is opened.
    DiscoverDialog *openDiscoverDialog();
    // File → Export: the current graph to PNG, SVG, DOT or JSON, chosen by the file's suffix.
    bool exportGraph(const QString &path, QString *error);
    // Re-reads the audit log's open drains into the current graph.
    void reloadOpenDrains();
    // Forgets the open drain of `target` after a confirmation (see ClusterPage::dismissDrain).
    bool dismissDrain(const QString &target);
    // Asks a confirmation (text); a QMessageBox unless replaced (tests).
    using ConfirmFunction = std::function<bool(const QString &text)>;
    void setDismissConfirmation(ConfirmFunction confirm);
    // Open Recent on a file that no longer exists asks whether to remove it from the list.
    void setRecentRemovalConfirmation(ConfirmFunction confirm)
    {
        m_confirmRecentRemoval = std::move(confirm);
    }
    QMenu *recentMenu() const { return m_recentMenu; }
    RecentProfiles *recentProfiles() const { return m_recent; }

    // View → Command Palette… (Ctrl+K) and Help → About.
    CommandPalette *openCommandPalette();
    AboutDialog *openAbout();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createMenus();
    void rebuildRecentMenu();
    void openRecent(const QString &path);
    void openDialog();
    void exportDialog();
    void focusTargetFilter();
    void showStatus(const QString &text);
    void onCurrentTabChanged();
    void updateSourcesLabel();
    ClusterPage *addPage(
        const ClusterProfile &profile, const QString &path, LivePolling polling, int index);
    bool loadProfile(const QString &path, bool quiet, ClusterProfile *profile);

    QStackedWidget *m_stack;
    QLabel *m_placeholder;
    QTabWidget *m_tabs;
    RecentProfiles *m_recent;
    QLabel *m_sourcesLabel;
    QLabel *m_profileLabel;
    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QAction *m_trafficAction = nullptr;
    QList<QAction *> m_dockActions; // the current tab's dock toggles, in the View menu
    CommandPalette *m_palette = nullptr;
    QString m_lastError;
    ConfirmFunction m_confirmDismiss;
    ConfirmFunction m_confirmRecentRemoval;
};

} // namespace hopscope
