#pragma once

#include "profile/ClusterProfile.h"
#include "topology/EdgeTraffic.h"
#include "topology/Health.h"
#include "topology/HopModel.h"
#include "topology/TaskChip.h"
#include "topology/Topology.h"

#include <QAbstractListModel>
#include <QRectF>
#include <QSet>

namespace hopscope {

struct TrafficReport;

// The nodes of the service graph (service boxes and load-balancer nodes), positioned by
// GraphLayout, plus the edges as segments between node rows (their geometry is the painting
// core's GraphScene). Built from the profile; lives on the GUI thread and is what the QML graph
// binds to. Positions are computed here, never in QML. Health travels typed (the Health enum),
// tasks as TaskChip values.
class ServiceGraphModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QSizeF contentSize READ contentSize NOTIFY contentSizeChanged)
    Q_PROPERTY(QString profileName READ profileName NOTIFY profileChanged)
    // Traffic emphasis: edges drawn by request rate (width) and error ratio (colour + icon) with
    // a traffic label; off (health emphasis): edges by hop kind and LB health only.
    Q_PROPERTY(bool trafficEmphasis READ trafficEmphasis WRITE setTrafficEmphasis NOTIFY
            trafficEmphasisChanged)
    // In traffic emphasis: the label "12.3 rps · 0.4 % · p99 38 ms" beside the icon, or the icon
    // alone.
    Q_PROPERTY(
        bool trafficLabels READ trafficLabels WRITE setTrafficLabels NOTIFY trafficEmphasisChanged)

public:
    enum Role {
        NodeIdRole = Qt::UserRole + 1,
        KindRole,     // "service" | "lb"
        TitleRole,
        SubtitleRole, // "no data yet", "1 of 2 healthy", ...
        DetailRole,   // how the service is discovered: "A serviceb.corp.internal", "declared"
        HealthRole,   // hopscope::Health (Unknown before any source answered)
        RectRole,     // QRectF in content coordinates
        TasksRole,    // list of TaskChip (typed: health enum, rectangle in the box)
        ReasonRole,   // why the node has its health, in words
        IconRole,     // health glyph (colour is never the only signal)
        CollapsedRole, // the service is drawn as one box without its task chips
        TaskCountRole,
        HealthTextRole, // the health in words, for accessible names: nodeHealthName()
    };

    struct Node
    {
        QString id;
        QString kind;
        QString title;
        QString subtitle;
        QString detail;
        Health health = Health::Unknown; // Unknown: no source answered yet
        QString reason;
        QList<TaskChip> tasks;
        QRectF rect;
        bool isLoadBalancer() const { return kind == u"lb"; }
        // What the last topology applied said of this node: its services[] index (the builder
        // keeps the profile's order, so the next one is found without a lookup) and the digest
        // of its chips (ServiceNode::chipsDigest; 0 when the chips were compared instead).
        int topologyIndex = -1;
        quint64 chipsDigest = 0;
    };

    struct EdgeSegment
    {
        int from = -1; // node rows
        int to = -1;
        QString label;
        QString pattern;
        QString sourceEdge; // "servicea>serviceb"
        // Via an LB that is down or stale: drawn as failing, its label marked with ✖ and the
        // reason in words. Healthy when nothing on the way is known to fail.
        Health failing = Health::Healthy; // the LB on the way: Down or Stale
        bool fails() const { return failing != Health::Healthy; }
        QString failReason;
        QString baseLabel; // the label without the failure mark
        // TrafficTracker::edgeKey() of the profile edges this segment stands for (several for
        // a caller -> LB leg shared by edges to several callees), and their traffic.
        QStringList trafficKeys;
        EdgeTraffic traffic;
        int edgeIndex = -1; // sourceEdge's index in the last topology's edges (profile order)
    };

    explicit ServiceGraphModel(QObject *parent = nullptr);

    void setProfile(const ClusterProfile &profile);
    // Applies a new poll's picture: dataChanged for the nodes whose health, summary or tasks
    // changed, nothing for the rest; a relayout only when a box changes size (tasks appeared
    // or disappeared), and then nodes keep their column and order.
    void setTopology(const Topology &topology);
    void clear();
    // Applies the tracker's report: each segment's traffic (typed); trafficChanged() once with
    // the segments whose traffic changed, nothing when none did. Never a reset or relayout.
    void setTraffic(const TrafficReport &report);
    bool trafficEmphasis() const { return m_trafficEmphasis; }
    void setTrafficEmphasis(bool on);
    bool trafficLabels() const { return m_trafficLabels; }
    void setTrafficLabels(bool on);

    QString profileName() const { return m_profileName; }
    QSizeF contentSize() const { return m_contentSize; }
    const QList<Node> &nodes() const { return m_nodes; }
    const QList<EdgeSegment> &segments() const { return m_segments; }
    int rowOf(const QString &nodeId) const;

    // The node health's name in the CLI/JSON contract: healthName(), "nodata" for Unknown.
    static QString nodeHealthName(Health health);

    // Collapse a service to one box (no task chips) or expand it. Kept by service id: survives
    // polls and reopening the same profile. Only the boxes below it in its column move.
    bool isCollapsed(const QString &nodeId) const { return m_collapsed.contains(nodeId); }
    Q_INVOKABLE void setCollapsed(const QString &nodeId, bool collapsed);
    Q_INVOKABLE void toggleCollapsed(const QString &nodeId) { setCollapsed(nodeId, !isCollapsed(nodeId)); }

    // Keyboard navigation: the row reached from `row` by an arrow (dx, dy in -1..1), or by Tab
    // (reading order: column by column, top to bottom); -1 when there is none.
    Q_INVOKABLE int neighbour(int row, int dx, int dy) const;
    Q_INVOKABLE int nextInTabOrder(int row, bool backwards) const;
    Q_INVOKABLE QRectF nodeRect(int row) const;
    Q_INVOKABLE QString nodeIdAt(int row) const { return row >= 0 && row < m_nodes.size() ? m_nodes[row].id : QString(); }
    Q_INVOKABLE int rowOfId(const QString &nodeId) const { return rowOf(nodeId); }

    // Full layered layout (profile opened) vs. restack (a box changed height: nodes keep their
    // column and order, the column keeps its top, only the boxes below the changed one move).
    // Public for the benchmark.
    void relayout();
    void restack();

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Wide enough for "✔ 255.255.255.255:65535 ⬡" in the small font at 9 pt and above.
    static constexpr qreal ServiceWidth = 240;
    static constexpr qreal ServiceHeight = 82; // title, subtitle, one chip row
    static constexpr int TasksPerRow = 1;
    // A chip holds one line of the small font (at least 9 pt, 12 px) with room around it.
    static constexpr qreal TaskRowHeight = 24;
    static qreal serviceHeight(int taskCount);
    static constexpr qreal CollapsedHeight = 58;
    static constexpr qreal LbWidth = 160;
    static constexpr qreal LbHeight = 56;
    // Where task chip `index` of a service box is drawn (and hit): one chip per row under the
    // title and subtitle, content coordinates.
    static constexpr qreal TaskTop = 52;
    static QRectF taskRect(const QRectF &box, int index)
    {
        return QRectF(box.left() + 8, box.top() + TaskTop + index * TaskRowHeight, box.width() - 16, TaskRowHeight - 4);
    }

Q_SIGNALS:
    void contentSizeChanged(); // (not layoutChanged: that name belongs to QAbstractItemModel)
    // The nodes' rectangles changed (a restack or a relayout); edges are redrawn from them.
    void geometryChanged();
    // Segments (segments() indices, ascending) drawn differently after a poll: a down or stale
    // LB on their way appeared, went or changed (stroke colour and width, the ✖ in the badge,
    // hence the badge's width). Nothing moved: the view repaints only where they are drawn.
    // Not emitted with geometryChanged (that redraws everything anyway).
    void edgesRestyled(const QList<int> &segments);
    void profileChanged();
    // Segments (segments() indices) whose traffic changed, ascending.
    void trafficChanged(const QList<int> &segments);
    void trafficEmphasisChanged();

private:
    qreal nodeHeight(const Node &node) const;
    // Takes each segment's failure from its profile edge; returns the segments whose drawing
    // changed (a reason alone is not drawn).
    QList<int> updateEdgeHealth(const QList<EdgeNode> &edges);
    // Emits dataChanged once per run of adjacent changed rows, with the union of their roles:
    // a Repeater scans its delegates on every dataChanged, so per-row signals do not scale.
    void emitCoalesced(const QList<QPair<int, QList<int>>> &changes);
    QList<int> restackRows(); // the rows whose rectangle moved or resized

    QString m_profileName;
    QHash<QString, QString> m_lbProduct; // load balancer id -> "HAProxy" / "ELBv2" (its subtitle)
    QHash<QString, int> m_rowById;
    QSet<QString> m_collapsed;
    QList<QList<int>> m_columns; // rows per layer, top to bottom, from the last full layout
    QList<qreal> m_columnTop;
    qreal m_margin = 32;
    QList<Node> m_nodes;
    QList<EdgeSegment> m_segments;
    QSizeF m_contentSize;
    bool m_trafficEmphasis = false;
    bool m_trafficLabels = true;
};

} // namespace hopscope
