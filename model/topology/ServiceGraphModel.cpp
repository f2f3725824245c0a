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
    Q_EMIT contentSizeChanged();
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
        node.subtitle = QStringLiteral("no data yet");
        node.detail = s.dns ? QStringLiteral("%1 %2").arg(dnsRecordTypeName(s.dns->type), s.dns->name)
                            : QStringLiteral("not DNS-discovered");
        node.health = QStringLiteral("nodata");
        node.icon = healthIcon(Health::Unknown);
        node.reason = QStringLiteral("no data yet");
        node.rect = QRectF(0, 0, ServiceWidth, serviceHeight(0));
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
                node.icon = healthIcon(Health::Unknown);
                node.reason = QStringLiteral("no data yet");
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
    Q_EMIT contentSizeChanged();
    Q_EMIT profileChanged();
}

qreal ServiceGraphModel::serviceHeight(int taskCount)
{
    const int rows = std::max(1, (taskCount + TasksPerRow - 1) / TasksPerRow);
    return ServiceHeight + (rows - 1) * TaskRowHeight;
}

namespace {
QString nodeHealthName(Health h)
{
    return h == Health::Unknown ? QStringLiteral("nodata") : healthName(h);
}
} // namespace

void ServiceGraphModel::setTopology(const Topology &topology)
{
    bool resized = false;
    for (int row = 0; row < m_nodes.size(); ++row) {
        Node &node = m_nodes[row];
        QString health, subtitle, reason, icon;
        QVariantList tasks;
        if (node.kind == u"service") {
            const ServiceNode *s = topology.service(node.id);
            if (!s) {
                continue;
            }
            health = nodeHealthName(s->health);
            icon = healthIcon(s->health);
            subtitle = s->summary;
            reason = s->dnsError.isEmpty() ? s->summary : s->summary + QStringLiteral(" — DNS: ") + s->dnsError;
            for (const TargetNode &t : s->targets) {
                tasks.append(QVariantMap{{QStringLiteral("key"), t.key},
                                         {QStringLiteral("label"), t.key},
                                         {QStringLiteral("health"), healthName(t.health)},
                                         {QStringLiteral("icon"), healthIcon(t.health)},
                                         {QStringLiteral("reason"), t.reason},
                                         {QStringLiteral("sidecar"), !t.sidecar.isEmpty()}});
            }
        } else {
            const QString lbId = node.id.mid(3);
            for (const LoadBalancerNode &lb : topology.loadBalancers) {
                if (lb.id == lbId) {
                    health = nodeHealthName(lb.health);
                    icon = healthIcon(lb.health);
                    subtitle = lb.health == Health::Unknown ? QStringLiteral("load balancer · no data yet")
                                                            : QStringLiteral("HAProxy ") + lb.version;
                    reason = lb.reason;
                }
            }
            if (health.isEmpty()) {
                continue;
            }
        }
        QList<int> roles;
        if (health != node.health) {
            node.health = health;
            node.icon = icon;
            roles << HealthRole << IconRole;
        }
        if (subtitle != node.subtitle) {
            node.subtitle = subtitle;
            roles << SubtitleRole;
        }
        if (reason != node.reason) {
            node.reason = reason;
            roles << ReasonRole;
        }
        if (tasks != node.tasks) {
            if (node.kind == u"service") {
                const qreal h = serviceHeight(int(tasks.size()));
                if (!qFuzzyCompare(h, node.rect.height())) {
                    node.rect.setHeight(h);
                    resized = true;
                }
            }
            node.tasks = tasks;
            roles << TasksRole;
        }
        if (!roles.isEmpty()) {
            const QModelIndex idx = index(row);
            Q_EMIT dataChanged(idx, idx, roles);
        }
    }
    if (resized) {
        relayout();
        const QModelIndex first = index(0);
        const QModelIndex last = index(int(m_nodes.size()) - 1);
        Q_EMIT dataChanged(first, last, {RectRole});
        Q_EMIT edgesChanged();
        Q_EMIT contentSizeChanged();
    }
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
    case DetailRole:
        return n.detail;
    case HealthRole:
        return n.health;
    case RectRole:
        return n.rect;
    case TasksRole:
        return n.tasks;
    case ReasonRole:
        return n.reason;
    case IconRole:
        return n.icon;
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceGraphModel::roleNames() const
{
    return {{NodeIdRole, "nodeId"}, {KindRole, "kind"},     {TitleRole, "title"},
            {SubtitleRole, "subtitle"}, {HealthRole, "health"}, {RectRole, "rect"},
            {TasksRole, "tasks"}, {ReasonRole, "reason"}, {IconRole, "icon"},
            {DetailRole, "detail"}};
}

} // namespace hopscope
