#pragma once

#include <QDockWidget>
#include <QTimer>

#include <functional>

class QTableView;
class QVBoxLayout;

namespace hopscope {

class GraphPane;
class ServiceGraphModel;
class TargetRowModel;
class TargetTableDelegate;
class TargetTableFilter;

// What the target table and the truth matrix docks share: a sortable QTableView over a
// TargetRowModel through a TargetTableFilter, health drawn by TargetTableDelegate, and the
// selection of one task kept in step with the graph and the details dock (selectTarget() from
// outside never echoes targetSelected). GUI thread.
class TargetTableRowDock : public QDockWidget
{
    Q_OBJECT
public:
    TargetTableRowDock(const QString &title, TargetRowModel *model, QWidget *parent = nullptr);

    QTableView *view() const { return m_view; }
    TargetTableFilter *filter() const { return m_filter; }
    TargetTableDelegate *delegate() const { return m_delegate; }
    // Columns as wide as their contents (the visible rows), the long ones (reasons, DNS names)
    // at most MaxColumnWidth (elided; the tooltip has the whole text). Now; model changes ask
    // for it through requestFit().
    void fitColumns();
    // fitColumns() once the event loop turns (many requests, one fit), or when next shown.
    void requestFit();
    bool isFitPending() const { return m_fitPending; }
    static constexpr int MaxColumnWidth = 420;
    // An update kept while hidden (updateWhenShown()); applyPendingUpdate() runs it now.
    bool hasPendingUpdate() const { return bool(m_pendingUpdate); }
    void applyPendingUpdate();
    // The selected task: "serviceId/addr:port" parts, empty when none.
    QString selectedService() const;
    QString selectedKey() const;

    // Brings a service's box into view in the graph and makes it the graph's current node (the
    // keyboard focus ring). The graph marks nodes, not tasks, as current.
    static void revealInGraph(
        GraphPane *graph, const ServiceGraphModel *model, const QString &serviceId);

public Q_SLOTS:
    // Selects the task's row (clears the selection when the table does not show it).
    void selectTarget(const QString &serviceId, const QString &key);

Q_SIGNALS:
    // The operator selected a task in this table.
    void targetSelected(const QString &serviceId, const QString &key);

protected:
    // Where subclasses put their filter controls, above the table.
    QVBoxLayout *filterLayout() const { return m_layout; }
    // Runs a model update now, or, while the window is shown but this dock is not (behind
    // another tab, closed), keeps it until the dock is shown or asked to select a task; a later
    // update replaces a kept one. Both tables sit behind the event log's tab by default, and a
    // fleet's 10,000 rows cost tens of ms of GUI thread per rebuild each.
    void updateWhenShown(std::function<void()> update);
    // Forgets a kept update (a new profile: it was for the old columns).
    void discardPendingUpdate() { m_pendingUpdate = nullptr; }
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void applyPalette();

    TargetRowModel *m_model;
    TargetTableFilter *m_filter;
    TargetTableDelegate *m_delegate;
    QTableView *m_view;
    QVBoxLayout *m_layout;
    bool m_syncing = false;
    bool m_fitting = false;
    bool m_userSized = false; // the operator resized a column: fitColumns() only on request
    bool m_fitPending = false; // the rows changed since the last fit
    QTimer m_fitTimer;
    std::function<void()> m_pendingUpdate;
};

} // namespace hopscope
