#pragma once

#include "topology/Health.h"

#include <QSortFilterProxyModel>

namespace hopscope {

// Sorts and filters a TargetRowModel (the target table or the truth matrix): by text (any
// cell, case-insensitive) and by state (the target's folded health, or "sources disagree").
// Sorting reads TargetRowModel::SortRole: numbers as numbers, health by severity.
class TargetTableFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class State {
        All,
        NotHealthy, // anything but healthy (degraded included)
        Draining, // draining or drained
        Down,
        Stale, // stale or unknown: the data cannot be trusted
        Disagreeing, // sources disagree (the truth matrix's "only disagreements")
    };
    Q_ENUM(State)

    explicit TargetTableFilter(QObject *parent = nullptr);

    void setText(const QString &text);
    QString text() const { return m_text; }
    void setState(State state);
    State state() const { return m_state; }
    static QString stateName(State state); // "all", "not healthy", … for the combo box
    static QList<State> states();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    State m_state = State::All;
};

} // namespace hopscope
