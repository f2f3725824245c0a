#pragma once

#include "TargetTableRowDock.h"

class QCheckBox;
class QLabel;

namespace hopscope {

struct ClusterProfile;
struct Topology;
class TruthMatrixModel;

// View → Truth Matrix: per task, what the DNS answer, each load balancer, each sidecar and the
// active checks say, with the disagreements tinted and explained in words (TruthMatrixModel);
// "Only disagreements" answers "why is traffic not reaching X?" at a glance. GUI thread.
class TruthMatrixDock : public TargetTableRowDock
{
    Q_OBJECT
public:
    explicit TruthMatrixDock(QWidget *parent = nullptr);

    TruthMatrixModel *model() const { return m_model; }
    QCheckBox *onlyDisagreements() const { return m_only; }
    QString summary() const; // "2 of 9 tasks: sources disagree"

    void setProfile(const ClusterProfile &profile);
    void setTopology(const Topology &topology);

private:
    void updateSummary();

    TruthMatrixModel *m_model;
    QCheckBox *m_only;
    QLabel *m_summary;
};

} // namespace hopscope
