#pragma once

#include "TargetTableRowDock.h"

class QComboBox;
class QLineEdit;

namespace hopscope {

struct ClusterProfile;
struct Topology;
struct TrafficReport;
class TargetTableModel;
class TrafficTracker;

// View → Targets: every target of the open profile in a sortable table (TargetTableModel),
// filtered by text and by state, its selection in step with the graph. GUI thread.
class TargetTableDock : public TargetTableRowDock
{
    Q_OBJECT
public:
    explicit TargetTableDock(QWidget *parent = nullptr);

    TargetTableModel *model() const { return m_model; }
    QLineEdit *textFilter() const { return m_text; }
    QComboBox *stateFilter() const { return m_state; }

    void setProfile(const ClusterProfile &profile);
    void setTopology(const Topology &topology, const TrafficReport &traffic);
    // Draws each task's request-rate history as a sparkline beside its rate, redrawn on every
    // history round; null: none.
    void setTrafficTracker(TrafficTracker *tracker);

private:
    TargetTableModel *m_model;
    QLineEdit *m_text;
    QComboBox *m_state;
    QMetaObject::Connection m_sampled;
};

} // namespace hopscope
