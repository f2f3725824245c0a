#pragma once

#include "profile/ClusterProfile.h"
#include "topology/HopModel.h"
#include "topology/Topology.h"

#include <QAbstractListModel>
#include <QRectF>
#include <QVariantList>

namespace hopscope {

// The nodes of the service graph (service boxes and load-balancer nodes), positioned by
// GraphLayout, plus the edges as drawable segments. Built from the profile; lives on the GUI
// thread and is what the QML graph binds to. Positions are computed here, never in QML.
class ServiceGraphModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QVariantList edges READ edges NOTIFY edgesChanged)
    Q_PROPERTY(QSizeF contentSize READ contentSize NOTIFY contentSizeChanged)
    Q_PROPERTY(QString profileName READ profileName NOTIFY profileChanged)

public:
    enum Role {
        NodeIdRole = Qt::UserRole + 1,
        KindRole,     // "service" | "lb"
        TitleRole,
        SubtitleRole, // "no data yet", "1 of 2 healthy", ...
        DetailRole,   // how the service is discovered: "A serviceb.corp.internal", "declared"
        HealthRole,   // "nodata", "healthy", ...
        RectRole,     // QRectF in content coordinates
        TasksRole,    // list of {key, label, health, icon, reason, sidecar} maps
        ReasonRole,   // why the node has its health, in words
        IconRole,     // health glyph (colour is never the only signal)
    };

    struct Node
    {
        QString id;
        QString kind;
        QString title;
        QString subtitle;
        QString detail;
        QString health; // healthName(), or "nodata" before any source answered
        QString icon;
        QString reason;
        QVariantList tasks;
        QRectF rect;
    };

    struct EdgeSegment
    {
        int from = -1; // node rows
        int to = -1;
        QString label;
        QString pattern;
        QString sourceEdge; // "servicea>serviceb"
    };

    explicit ServiceGraphModel(QObject *parent = nullptr);

    void setProfile(const ClusterProfile &profile);
    // Applies a new poll's picture: dataChanged for the nodes whose health, summary or tasks
    // changed, nothing for the rest; a relayout only when a box changes size (tasks appeared
    // or disappeared), and then nodes keep their column and order.
    void setTopology(const Topology &topology);
    void clear();

    QString profileName() const { return m_profileName; }
    QSizeF contentSize() const { return m_contentSize; }
    const QList<Node> &nodes() const { return m_nodes; }
    const QList<EdgeSegment> &segments() const { return m_segments; }
    int rowOf(const QString &nodeId) const;

    QVariantList edges() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    static constexpr qreal ServiceWidth = 230;
    static constexpr qreal ServiceHeight = 78;
    static constexpr int TasksPerRow = 1;
    static constexpr qreal TaskRowHeight = 22;
    static qreal serviceHeight(int taskCount);
    static constexpr qreal LbWidth = 150;
    static constexpr qreal LbHeight = 56;

Q_SIGNALS:
    void edgesChanged();
    void contentSizeChanged(); // (not layoutChanged: that name belongs to QAbstractItemModel)
    void profileChanged();

private:
    void relayout();

    QString m_profileName;
    QList<Node> m_nodes;
    QList<EdgeSegment> m_segments;
    QSizeF m_contentSize;
};

} // namespace hopscope
