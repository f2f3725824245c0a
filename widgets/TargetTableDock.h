#pragma once

#include "TargetTableRowDock.h"

class QComboBox;
class QLineEdit;

namespace hopscope {

struct ClusterProfile;
struct Topology;
struct TrafficReport;
class TargetTableModel;

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

private:
    TargetTableModel *m_model;
    QLineEdit *m_text;
    QComboBox *m_state;
};

} // namespace hopscope
