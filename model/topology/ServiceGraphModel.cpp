#include "ServiceGraphModel.h"

#include "topology/GraphLayout.h"

#include <QSet>

#include <algorithm>

namespace hopscope {

ServiceGraphModel::ServiceGraphModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int ServiceGraphModel::rowOf(const QString &nodeId) const
{
    for (int i = 0; i < m_nodes.size(); ++i) {
        if (m_nodes[i].id == nodeId) {
            return i;
        }
    }
    return -1;
}

void ServiceGraphModel::clear()
{
    beginResetModel();
    m_nodes.clear();
    m_segments.clear();
    m_contentSize = {};
    m_profileName.clear();
    endResetModel();
    Q_EMIT edgesChanged();
    Q_EMIT layoutChanged();
    Q_EMIT profileChanged();
}

void ServiceGraphModel::setProfile(const ClusterProfile &profile)
{
    // Opening a profile is the one place a reset is right: everything is new.
    beginResetModel();
    m_profileName = profile.name;
    m_nodes.clear();
    m_segments.clear();
    for (const ServiceSpec &s : profile.services) {
        Node node;
        node.id = s.id;
        node.kind = QStringLiteral("service");
        node.title = s.name.isEmpty() ? s.id : s.name;
        node.subtitle = s.dns ? QStringLiteral("%1 %2").arg(dnsRecordTypeName(s.dns->type), s.dns->name)
                              : QStringLiteral("declared");
        node.health = QStringLiteral("nodata");
        node.tasks = {QStringLiteral("no data yet")};
        node.rect = QRectF(0, 0, ServiceWidth, ServiceHeight);
        m_nodes.append(node);
    }
    for (const EdgeSpec &e : profile.edges) {
        const HopCount hops = HopModel::classify(e);
        const int from = rowOf(e.from);
        const int to = rowOf(e.to);
        if (from < 0 || to < 0) {
            continue; // the validator already refused such profiles
        }
        const QString edgeId = e.from + QLatin1Char('>') + e.to;
        if (e.via == EdgeSpec::Via::LoadBalancer) {
            const QString lbNode = QStringLiteral("lb:") + e.loadBalancer;
            int lbRow = rowOf(lbNode);
            if (lbRow < 0) {
                Node node;
                node.id = lbNode;
                node.kind = QStringLiteral("lb");
                node.title = e.loadBalancer;
                node.subtitle = QStringLiteral("load balancer");
                node.health = QStringLiteral("nodata");
                node.rect = QRectF(0, 0, LbWidth, LbHeight);
                m_nodes.append(node);
                lbRow = int(m_nodes.size()) - 1;
            }
            QStringList routes;
            if (const LoadBalancerSpec *lb = profile.loadBalancer(e.loadBalancer)) {
                for (const RouteSpec &r : lb->routes) {
                    if (r.service == e.to) {
                        routes.append(r.pathPrefix + QLatin1Char('*'));
                    }
                }
            }
            // Several callees behind one LB share the caller -> LB leg: draw it once.
            const bool legExists = std::any_of(m_segments.cbegin(), m_segments.cend(), [&](const EdgeSegment &s) {
                return s.from == from && s.to == lbRow;
            });
            if (!legExists) {
                m_segments.append({from, lbRow, hops.label(), hops.patternName(), edgeId});
            }
            m_segments.append({lbRow, to, routes.join(QStringLiteral(", ")), hops.patternName(), edgeId});
        } else {
            m_segments.append({from, to, hops.label(), hops.patternName(), edgeId});
        }
    }
    relayout();
    endResetModel();
    Q_EMIT edgesChanged();
    Q_EMIT layoutChanged();
    Q_EMIT profileChanged();
}

void ServiceGraphModel::relayout()
{
    QList<GraphLayout::Node> nodes;
    nodes.reserve(m_nodes.size());
    for (const Node &n : std::as_const(m_nodes)) {
        nodes.append({n.id, n.rect.size()});
    }
    QList<GraphLayout::Edge> edges;
    for (const EdgeSegment &s : std::as_const(m_segments)) {
        edges.append({s.from, s.to});
    }
    const GraphLayout::Result r = GraphLayout::layout(nodes, edges);
    for (int i = 0; i < m_nodes.size(); ++i) {
        m_nodes[i].rect.moveTopLeft(r.positions[i]);
    }
    m_contentSize = r.bounds;
}

QVariantList ServiceGraphModel::edges() const
{
    QVariantList list;
    list.reserve(m_segments.size());
    for (const EdgeSegment &s : m_segments) {
        const QRectF a = m_nodes[s.from].rect;
        const QRectF b = m_nodes[s.to].rect;
        // Leave the right side of the caller, enter the left side of the callee; a callee in
        // an earlier column (a back edge) is reached from its right side instead.
        const bool forward = b.left() >= a.right();
        const QPointF p1 = forward ? QPointF(a.right(), a.center().y()) : QPointF(a.left(), a.center().y());
        const QPointF p2 = forward ? QPointF(b.left(), b.center().y()) : QPointF(b.right(), b.center().y());
        list.append(QVariantMap{{QStringLiteral("x1"), p1.x()},
                                {QStringLiteral("y1"), p1.y()},
                                {QStringLiteral("x2"), p2.x()},
                                {QStringLiteral("y2"), p2.y()},
                                {QStringLiteral("label"), s.label},
                                {QStringLiteral("pattern"), s.pattern},
                                {QStringLiteral("edge"), s.sourceEdge}});
    }
    return list;
}

int ServiceGraphModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_nodes.size());
}

QVariant ServiceGraphModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Node &n = m_nodes[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole:
        return n.title;
    case NodeIdRole:
        return n.id;
    case KindRole:
        return n.kind;
    case SubtitleRole:
        return n.subtitle;
    case HealthRole:
        return n.health;
    case RectRole:
        return n.rect;
    case TasksRole:
        return n.tasks;
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceGraphModel::roleNames() const
{
    return {{NodeIdRole, "nodeId"}, {KindRole, "kind"},     {TitleRole, "title"},
            {SubtitleRole, "subtitle"}, {HealthRole, "health"}, {RectRole, "rect"},
            {TasksRole, "tasks"}};
}

} // namespace hopscope
