#pragma once

#include "profile/ClusterProfile.h"
#include "topology/Health.h"

#include <QAbstractTableModel>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

namespace hopscope {

// What the target table and the truth matrix share: one row per target (service, address:port)
// of the live topology, the roles their views and filters read, the profile's sources as
// columns, and the incremental update (rows removed, inserted and changed, never a reset per
// poll). GUI thread; QtCore only (the views add the colours).
class TargetRowModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role {
        HealthRole = Qt::UserRole + 1, // hopscope::Health of this cell, when the cell shows one
        SortRole, // a value that sorts right: numbers as numbers, health by severity
        ServiceIdRole, // every cell
        TargetKeyRole, // every cell: "addr:port"
        TrafficKeyRole, // every cell: TrafficTracker::targetKey(), for a rate or sparkline
        RowHealthRole, // every cell: the target's folded health (the state filter)
        DisagreesRole, // every cell: sources disagree about this target (truth matrix)
        RpsRole, // the rate column: requests per second (double), null when not measured
        StaleRole, // a source cell whose data is old
    };

    using QAbstractTableModel::QAbstractTableModel;

    // The profile's sources, in column order: "dns" (when a service is DNS-discovered), each
    // load balancer "lb:<id>", each sidecar "mesh:<id>".
    static QStringList sourcesOf(const ClusterProfile &profile);
    static QString sourceTitle(const QString &source); // "DNS", "internal-lb", "order-1-envoy"
    static QString sourceKind(const QString &source); // "DNS answer", "load balancer", "sidecar"

    // Worse sorts higher: healthy 0 … down 8 (unknown, stale and conflict above maintenance).
    static int severity(Health health);
    static QString rowId(const QString &serviceId, const QString &key)
    {
        return serviceId + QLatin1Char('/') + key;
    }
    // "127.0.0.9:80" before "127.0.0.10:80": addresses and ports compared as numbers.
    static QString addressSortKey(const QString &key);
    // The row of a target, -1 when the table does not have it.
    int rowOf(const QString &serviceId, const QString &key) const;

protected:
    // Rows must be ordered by (service's profile index, key) before and after, so the rows that
    // stay are a subsequence of `next`. Row needs `id` and operator==.
    template <typename Row>
    void applyRows(QList<Row> &rows, const QList<Row> &next, int lastColumn);

    void indexIds(const QStringList &ids);
    QHash<QString, int> m_rowById;
};

template <typename Row>
void TargetRowModel::applyRows(QList<Row> &rows, const QList<Row> &next, int lastColumn)
{
    QSet<QString> nextIds;
    for (const Row &r : next) {
        nextIds.insert(r.id);
    }
    // 1. Targets gone: runs removed from the bottom up.
    for (int i = int(rows.size()) - 1; i >= 0;) {
        if (nextIds.contains(rows[i].id)) {
            --i;
            continue;
        }
        int first = i;
        while (first > 0 && !nextIds.contains(rows[first - 1].id)) {
            --first;
        }
        beginRemoveRows({}, first, i);
        rows.remove(first, i - first + 1);
        endRemoveRows();
        i = first - 1;
    }
    // 2. New targets: the rows left are a subsequence of `next`, so each run of new ids ends at
    //    the next row that stayed.
    for (int j = 0; j < int(next.size());) {
        if (j < int(rows.size()) && rows[j].id == next[j].id) {
            ++j;
            continue;
        }
        const QString anchor = j < int(rows.size()) ? rows[j].id : QString();
        int end = j;
        while (end < int(next.size()) && (anchor.isNull() || next[end].id != anchor)) {
            ++end;
        }
        beginInsertRows({}, j, end - 1);
        for (int k = j; k < end; ++k) {
            rows.insert(k, next[k]);
        }
        endInsertRows();
        j = end;
    }
    // 3. Targets whose picture changed: one dataChanged per run of adjacent changed rows.
    int runStart = -1;
    for (int i = 0; i <= int(rows.size()); ++i) {
        const bool changed = i < int(rows.size()) && !(rows[i] == next[i]);
        if (changed) {
            rows[i] = next[i];
            if (runStart < 0) {
                runStart = i;
            }
        } else if (runStart >= 0) {
            Q_EMIT dataChanged(index(runStart, 0), index(i - 1, lastColumn));
            runStart = -1;
        }
    }
    QStringList ids;
    ids.reserve(rows.size());
    for (const Row &r : rows) {
        ids.append(r.id);
    }
    indexIds(ids);
}

} // namespace hopscope
