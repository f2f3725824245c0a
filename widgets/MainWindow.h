#pragma once

#include "profile/ClusterProfile.h"

#include <QMainWindow>

#include <optional>

class QLabel;
class QMenu;

namespace hopscope {

class GraphPane;
class RecentProfiles;
class ServiceGraphModel;

// The main window: composes the graph pane, menus and status bar, and opens profiles. It owns
// the graph model; logic lives in model/. GUI thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a profile; on problems shows them (dialog unless quiet) and keeps the current one.
    bool openProfile(const QString &path, bool quiet = false);

    GraphPane *graphPane() const { return m_graph; }
    ServiceGraphModel *graphModel() const { return m_model; }
    const std::optional<ClusterProfile> &profile() const { return m_profile; }
    QString lastError() const { return m_lastError; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void rebuildRecentMenu();
    void openDialog();
    void showStatus(const QString &text);

    ServiceGraphModel *m_model;
    GraphPane *m_graph;
    RecentProfiles *m_recent;
    QMenu *m_recentMenu = nullptr;
    QLabel *m_profileLabel;
    std::optional<ClusterProfile> m_profile;
    QString m_profilePath;
    QString m_lastError;
};

} // namespace hopscope
