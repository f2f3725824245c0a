#pragma once

#include "topology/TargetRowModel.h"
#include "topology/Topology.h"
#include "traffic/TrafficTracker.h"

#include <optional>

namespace hopscope {

// Every target of the live topology as a table: service, address:port, FQDN, health and reason,
// request rate, LB sessions, mesh connections, DNS TTL, then one column per source of the
// profile (DNS, each load balancer, each sidecar) with what that source says, and the reason
// last. setTopology() updates it incrementally (TargetRowModel::applyRows). GUI thread.
class TargetTableModel : public TargetRowModel
{
    Q_OBJECT
public:
    enum Column {
        ServiceColumn,
        TaskColumn,
        FqdnColumn,
        HealthColumn,
        // Requests per second from TrafficTracker (RpsRole; TrafficKeyRole names the history
        // series, for a sparkline delegate on this column).
        RateColumn,
        SessionsColumn,
        ConnectionsColumn,
        TtlColumn,
        FirstSourceColumn, // then one per source, then the reason
    };

    explicit TargetTableModel(QObject *parent = nullptr);

    // A new profile: new source columns (a reset, once per opened profile).
    void setProfile(const ClusterProfile &profile);
    // A poll's picture and the rates for it: rows removed, inserted or changed, never a reset.
    void setTopology(const Topology &topology, const TrafficReport &traffic = {});
    void clear();

    const QStringList &sources() const { return m_sources; }
    int sourceColumn(const QString &source) const;
    int reasonColumn() const { return FirstSourceColumn + int(m_sources.size()); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // What one source says about one target (several observations of one source merged).
    struct Cell
    {
        bool present = false;
        Health health = Health::Unknown;
        QString text;
        bool stale = false;
        bool operator==(const Cell &o) const
        {
            return present == o.present && health == o.health && text == o.text && stale == o.stale;
        }
    };
    struct Row
    {
        QString id;
        QString serviceId;
        QString serviceName;
        QString key;
        QString fqdn;
        Health health = Health::Unknown;
        QString reason;
        bool openDrain = false;
        std::optional<double> rps;
        std::optional<qint64> sessions;
        std::optional<qint64> connections;
        std::optional<quint32> ttl;
        // The sources that said something, by source index, sorted; the others are empty (a
        // fleet has 500 source columns and a target is seen by two or three of them).
        QList<std::pair<int, Cell>> cells;
        const Cell &cell(int source) const;
        bool operator==(const Row &o) const;
    };
    const QList<Row> &rows() const { return m_rows; }

private:
    QVariant sortValue(const Row &row, int column) const;

    QStringList m_sources;
    QHash<QString, int> m_sourceIndex;
    QHash<QString, int> m_serviceOrder;
    QList<Row> m_rows;
};

} // namespace hopscope
