#include "TruthMatrixDock.h"

#include "TargetTableDelegate.h"
#include "topology/TargetTableFilter.h"
#include "topology/TruthMatrixModel.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace hopscope {

TruthMatrixDock::TruthMatrixDock(QWidget *parent)
    : TargetTableRowDock(tr("Truth Matrix"), new TruthMatrixModel, parent)
    , m_only(new QCheckBox(tr("Only disagreements")))
    , m_summary(new QLabel)
{
    m_model = static_cast<TruthMatrixModel *>(filter()->sourceModel());
    setObjectName(QStringLiteral("truthMatrixDock"));
    view()->setObjectName(QStringLiteral("truthMatrix"));
    m_only->setObjectName(QStringLiteral("truthOnlyDisagreements"));
    m_summary->setObjectName(QStringLiteral("truthSummary"));
    delegate()->setTintDisagreements(true);
    auto *row = new QHBoxLayout;
    row->addWidget(m_only);
    row->addStretch(1);
    row->addWidget(m_summary);
    filterLayout()->insertLayout(0, row);
    connect(m_only, &QCheckBox::toggled, this, [this](bool on) {
        filter()->setState(
            on ? TargetTableFilter::State::Disagreeing : TargetTableFilter::State::All);
    });
    updateSummary();
}

void TruthMatrixDock::setProfile(const ClusterProfile &profile)
{
    discardPendingUpdate();
    m_model->setProfile(profile);
    updateSummary();
}

void TruthMatrixDock::setTopology(const Topology &topology)
{
    updateWhenShown([this, topology] {
        m_model->setTopology(topology);
        updateSummary();
    });
}

QString TruthMatrixDock::summary() const
{
    return m_summary->text();
}

void TruthMatrixDock::updateSummary()
{
    int disagreeing = 0;
    for (const TruthMatrixModel::Row &r : m_model->rows()) {
        disagreeing += r.disagreement ? 1 : 0;
    }
    const int n = int(m_model->rows().size());
    m_summary->setText(disagreeing == 0
            ? tr("%n task(s): the sources agree", nullptr, n)
            : tr("≠ %1 of %2 tasks: sources disagree").arg(disagreeing).arg(n));
}

} // namespace hopscope
