#pragma once

#include "profile/ClusterProfile.h"
#include "topology/HopModel.h"

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
    Q_PROPERTY(QSizeF contentSize READ contentSize NOTIFY layoutChanged)
    Q_PROPERTY(QString profileName READ profileName NOTIFY profileChanged)

public:
    enum Role {
        NodeIdRole = Qt::UserRole + 1,
        KindRole,     // "service" | "lb"
        TitleRole,
        SubtitleRole, // "no data yet", "3 tasks", ...
        HealthRole,   // "nodata", "healthy", ...
        RectRole,     // QRectF in content coordinates
        TasksRole,    // QStringList of task labels
    };

    struct Node
    {
        QString id;
        QString kind;
        QString title;
        QString subtitle;
        QString health;
        QStringList tasks;
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

    static constexpr qreal ServiceWidth = 200;
    static constexpr qreal ServiceHeight = 86;
    static constexpr qreal LbWidth = 150;
    static constexpr qreal LbHeight = 56;

Q_SIGNALS:
    void edgesChanged();
    void layoutChanged();
    void profileChanged();

private:
    void relayout();

    QString m_profileName;
    QList<Node> m_nodes;
    QList<EdgeSegment> m_segments;
    QSizeF m_contentSize;
};

} // namespace hopscope
