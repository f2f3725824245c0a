#pragma once

#include "topology/TargetRowModel.h"
#include "topology/Topology.h"

namespace hopscope {

// "Why is traffic not reaching X?": one row per target, one column per source that has a say
// about it (the DNS answer, each load balancer's server state, each sidecar's view) and the
// active health checks, with a verdict: do the sources agree whether the target is in rotation,
// and if not, who says what, in words ("DNS still lists it, internal-lb says DOWN (L4CON)").
// The judgement (judge()) is pure; the model updates incrementally like the target table.
class TruthMatrixModel : public TargetRowModel
{
    Q_OBJECT
public:
    enum Column {
        ServiceColumn,
        TaskColumn,
        VerdictColumn,
        WhyColumn, // the reason in words, beside the verdict (never scrolled out of sight)
        FirstSourceColumn, // then one per source, then the active check
    };

    // What one column says about one target.
    enum class Says {
        NotApplicable, // this source has no say about this target (shown empty)
        Absent, // it should know the target but does not list it
        InRotation, // it sends traffic there (listed, UP, healthy host; a check passes)
        OutOfRotation, // it does not (removed, DOWN, MAINT, DRAIN; a check fails)
        Unknown, // no fresh data, or the source itself does not know yet
    };
    Q_ENUM(Says)

    struct Cell
    {
        Says says = Says::NotApplicable;
        Health health = Health::Unknown; // the source's own state for the target
        QString text; // short, in the source's words
        bool operator==(const Cell &o) const
        {
            return says == o.says && health == o.health && text == o.text;
        }
    };

    struct Row
    {
        QString id;
        QString serviceId;
        QString serviceName;
        QString key;
        Health health = Health::Unknown; // folded, from the topology
        // Per source index, then the active check at sources.size(): only the cells that say
        // something, sorted (a fleet has 500 source columns; a target concerns a few).
        QList<std::pair<int, Cell>> cells;
        const Cell &cell(int index) const;
        bool disagreement = false;
        QString why;
        bool operator==(const Row &o) const
        {
            return id == o.id && serviceName == o.serviceName && health == o.health
                && cells == o.cells && disagreement == o.disagreement && why == o.why;
        }
    };

    // Which sources have a say about a service's targets, from the profile (routes, edges,
    // sidecars) and from what the sources reported about any of its targets.
    struct Relevance
    {
        QSet<QString> sources;
        QHash<QString, QString> ownSidecarTask; // "mesh:<id>" -> the key of its own task
    };

    explicit TruthMatrixModel(QObject *parent = nullptr);

    void setProfile(const ClusterProfile &profile);
    void setTopology(const Topology &topology);
    void clear();

    // Pure: the row of one target. `sources` as sourcesOf(); the last cell is the active check.
    // sourceIndex: sources by name (the first of equal names), built here when null.
    static Row judge(const ServiceNode &service, const TargetNode &target,
        const QStringList &sources, const Relevance &relevance,
        const QHash<QString, int> *sourceIndex = nullptr);
    static QHash<QString, int> indexOf(const QStringList &sources);
    static Relevance relevance(const ClusterProfile &profile, const ServiceNode &service);
    // The profile's part of relevance() for every service id, and relevance() from it.
    static QHash<QString, Relevance> profileRelevance(const ClusterProfile &profile);
    static Relevance relevance(const Relevance &fromProfile, const ServiceNode &service);

    const QStringList &sources() const { return m_sources; }
    int sourceColumn(const QString &source) const;
    int checkColumn() const { return FirstSourceColumn + int(m_sources.size()); }
    int whyColumn() const { return WhyColumn; }
    const QList<Row> &rows() const { return m_rows; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The cell's Says, on source and check cells (Says as int).
    static constexpr int SaysRole = StaleRole + 1;

private:
    const Cell *cellAt(const Row &row, int column) const;

    QHash<QString, int> m_sourceIndex;
    QHash<QString, Relevance> m_relevance; // profileRelevance() of the profile set
    QStringList m_sources;
    QHash<QString, int> m_serviceOrder;
    QList<Row> m_rows;
};

} // namespace hopscope
