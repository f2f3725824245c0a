#include "TargetTableFilter.h"

#include "topology/TargetRowModel.h"

namespace hopscope {

TargetTableFilter::TargetTableFilter(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(TargetRowModel::SortRole);
    setDynamicSortFilter(true);
}

void TargetTableFilter::setText(const QString &text)
{
    if (text == m_text) {
        return;
    }
    m_text = text;
    invalidateFilter();
}

void TargetTableFilter::setState(State state)
{
    if (state == m_state) {
        return;
    }
    m_state = state;
    invalidateFilter();
}

QList<TargetTableFilter::State> TargetTableFilter::states()
{
    return { State::All, State::NotHealthy, State::Draining, State::Down, State::Stale,
        State::Disagreeing };
}

QString TargetTableFilter::stateName(State state)
{
    switch (state) {
    case State::All:
        return tr("All");
    case State::NotHealthy:
        return tr("Not healthy");
    case State::Draining:
        return tr("Draining or drained");
    case State::Down:
        return tr("Down");
    case State::Stale:
        return tr("Stale or unknown");
    case State::Disagreeing:
        return tr("Sources disagree");
    }
    return {};
}

bool TargetTableFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *model = sourceModel();
    const QModelIndex first = model->index(sourceRow, 0, sourceParent);
    const Health health = first.data(TargetRowModel::RowHealthRole).value<Health>();
    bool stateOk = true;
    switch (m_state) {
    case State::All:
        break;
    case State::NotHealthy:
        stateOk = health != Health::Healthy;
        break;
    case State::Draining:
        stateOk = health == Health::Draining || health == Health::Drained;
        break;
    case State::Down:
        stateOk = health == Health::Down;
        break;
    case State::Stale:
        stateOk = health == Health::Stale || health == Health::Unknown;
        break;
    case State::Disagreeing:
        stateOk = first.data(TargetRowModel::DisagreesRole).toBool();
        break;
    }
    if (!stateOk) {
        return false;
    }
    if (m_text.isEmpty()) {
        return true;
    }
    for (int c = 0; c < model->columnCount(sourceParent); ++c) {
        if (model->index(sourceRow, c, sourceParent)
                .data(Qt::DisplayRole)
                .toString()
                .contains(m_text, Qt::CaseInsensitive)) {
            return true;
        }
    }
    return false;
}

} // namespace hopscope
