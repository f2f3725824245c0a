#include "TargetTableDock.h"

#include "TargetTableDelegate.h"
#include "topology/TargetTableFilter.h"
#include "topology/TargetTableModel.h"
#include "traffic/TrafficTracker.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

namespace hopscope {

TargetTableDock::TargetTableDock(QWidget *parent)
    : TargetTableRowDock(tr("Targets"), new TargetTableModel, parent)
    , m_text(new QLineEdit)
    , m_state(new QComboBox)
{
    m_model = static_cast<TargetTableModel *>(filter()->sourceModel());
    setObjectName(QStringLiteral("targetTableDock"));
    view()->setObjectName(QStringLiteral("targetTable"));
    m_text->setObjectName(QStringLiteral("targetFilterText"));
    m_text->setPlaceholderText(tr("Filter by service, address, FQDN, reason…"));
    m_text->setClearButtonEnabled(true);
    m_state->setObjectName(QStringLiteral("targetStateFilter"));
    m_state->setToolTip(tr("Show only targets in this state"));
    for (TargetTableFilter::State s : TargetTableFilter::states()) {
        m_state->addItem(TargetTableFilter::stateName(s), QVariant::fromValue(s));
    }
    auto *row = new QHBoxLayout;
    row->addWidget(m_text, 1);
    row->addWidget(m_state);
    filterLayout()->insertLayout(0, row);
    connect(m_text, &QLineEdit::textChanged, filter(), &TargetTableFilter::setText);
    connect(m_state, &QComboBox::currentIndexChanged, this, [this](int) {
        filter()->setState(m_state->currentData().value<TargetTableFilter::State>());
    });
}

void TargetTableDock::setProfile(const ClusterProfile &profile)
{
    discardPendingUpdate();
    m_model->setProfile(profile);
}

void TargetTableDock::setTrafficTracker(TrafficTracker *tracker)
{
    disconnect(m_sampled);
    delegate()->setRateHistory(
        tracker ? &tracker->history() : nullptr, TargetTableModel::RateColumn);
    if (tracker) {
        m_sampled = connect(tracker, &TrafficTracker::sampled, view()->viewport(),
            [this] { view()->viewport()->update(); });
    }
    view()->viewport()->update();
}

void TargetTableDock::setTopology(const Topology &topology, const TrafficReport &traffic)
{
    updateWhenShown([this, topology, traffic] { m_model->setTopology(topology, traffic); });
}

} // namespace hopscope
