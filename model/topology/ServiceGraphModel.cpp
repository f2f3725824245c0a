// Over 500 lines because the QML-facing model keeps its incremental updates (health per box,
// traffic per edge, layout only when the shape changes) in one place; layout is GraphLayout's,
// geometry GraphScene's.
#include "ServiceGraphModel.h"

#include "topology/GraphLayout.h"
#include "traffic/TrafficTracker.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <optional>
#include <cmath>

namespace hopscope {

ServiceGraphModel::ServiceGraphModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int ServiceGraphModel::rowOf(const QString &nodeId) const
{
    return m_rowById.value(nodeId, -1);
}

void ServiceGraphModel::clear()
{
    beginResetModel();
    m_nodes.clear();
    m_segments.clear();
    m_rowById.clear();
    m_columns.clear();
    m_columnTop.clear();
    m_contentSize = {};
    m_profileName.clear();
    endResetModel();
    Q_EMIT geometryChanged();
    Q_EMIT contentSizeChanged();
    Q_EMIT profileChanged();
}

void ServiceGraphModel::setProfile(const ClusterProfile &profile)
{
    // Opening a profile is the one place a reset is right: everything is new. Collapsed
    // services are remembered by id, so reopening the same profile keeps them collapsed.
    beginResetModel();
    m_profileName = profile.name;
    m_lbProduct.clear();
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        m_lbProduct.insert(lb.id, lb.isElbv2() ? QStringLiteral("ELBv2") : QStringLiteral("HAProxy"));
    }
    m_nodes.clear();
    m_segments.clear();
    m_rowById.clear();
    m_nodes.reserve(profile.services.size() + profile.loadBalancers.size());
    for (const ServiceSpec &s : profile.services) {
        Node node;
        node.id = s.id;
        node.kind = QStringLiteral("service");
        node.title = s.name.isEmpty() ? s.id : s.name;
        node.subtitle = QStringLiteral("no data yet");
        node.detail = s.dns ? QStringLiteral("%1 %2").arg(dnsRecordTypeName(s.dns->type), s.dns->name)
                            : QStringLiteral("not DNS-discovered");
        node.reason = QStringLiteral("no data yet");
        node.rect = QRectF(0, 0, ServiceWidth, 0);
        node.rect.setHeight(nodeHeight(node));
        m_rowById.insert(node.id, int(m_nodes.size()));
        m_nodes.append(node);
    }
    QHash<QPair<int, int>, int> legs; // caller -> LB leg: its segment
    const auto segment = [](int from, int to, const QString &label, const QString &pattern,
                             const QString &edgeId) {
        EdgeSegment s;
        s.from = from;
        s.to = to;
        s.label = label;
        s.pattern = pattern;
        s.sourceEdge = edgeId;
        s.baseLabel = label;
        return s;
    };
    for (const EdgeSpec &e : profile.edges) {
        const HopCount hops = HopModel::classify(e);
        const int from = rowOf(e.from);
        const int to = rowOf(e.to);
        if (from < 0 || to < 0) {
            continue; // the validator already refused such profiles
        }
        const QString edgeId = e.from + QLatin1Char('>') + e.to;
        EdgeNode edgeNode;
        edgeNode.from = e.from;
        edgeNode.to = e.to;
        edgeNode.via = e.viaText();
        const QString trafficKey = TrafficTracker::edgeKey(edgeNode);
        if (e.via == EdgeSpec::Via::LoadBalancer) {
            const QString lbNode = QStringLiteral("lb:") + e.loadBalancer;
            int lbRow = rowOf(lbNode);
            if (lbRow < 0) {
                Node node;
                node.id = lbNode;
                node.kind = QStringLiteral("lb");
                node.title = e.loadBalancer;
                node.subtitle = QStringLiteral("load balancer");
                node.reason = QStringLiteral("no data yet");
                node.rect = QRectF(0, 0, LbWidth, LbHeight);
                lbRow = int(m_nodes.size());
                m_rowById.insert(lbNode, lbRow);
                m_nodes.append(node);
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
            if (!legs.contains({from, lbRow})) {
                legs.insert({ from, lbRow }, int(m_segments.size()));
                m_segments.append(segment(from, lbRow, hops.label(), hops.patternName(), edgeId));
            }
            m_segments[legs.value({ from, lbRow })].trafficKeys.append(trafficKey);
            m_segments.append(
                segment(lbRow, to, routes.join(QStringLiteral(", ")), hops.patternName(), edgeId));
            m_segments.last().trafficKeys.append(trafficKey);
        } else {
            m_segments.append(segment(from, to, hops.label(), hops.patternName(), edgeId));
            m_segments.last().trafficKeys.append(trafficKey);
        }
    }
    relayout();
    endResetModel();
    Q_EMIT geometryChanged();
    Q_EMIT contentSizeChanged();
    Q_EMIT profileChanged();
}

qreal ServiceGraphModel::serviceHeight(int taskCount)
{
    const int rows = std::max(1, (taskCount + TasksPerRow - 1) / TasksPerRow);
    return ServiceHeight + (rows - 1) * TaskRowHeight;
}

qreal ServiceGraphModel::nodeHeight(const Node &node) const
{
    if (node.kind != u"service") {
        return LbHeight;
    }
    if (m_collapsed.contains(node.id)) {
        return CollapsedHeight;
    }
    return serviceHeight(int(node.tasks.size()));
}

QString ServiceGraphModel::nodeHealthName(Health h)
{
    return h == Health::Unknown ? QStringLiteral("nodata") : healthName(h);
}

namespace {
// Whether the chips show these targets as they are. Compared field by field rather than
// hashed: hashing every target's key and reason was most of a poll's apply at 10,000 targets,
// where a comparison of unchanged strings stops at their sizes or a short memcmp.
bool chipsShow(const QList<TaskChip> &chips, const QList<TargetNode> &targets)
{
    return chips.size() == targets.size()
        && std::equal(chips.cbegin(), chips.cend(), targets.cbegin(),
            [](const TaskChip &c, const TargetNode &t) {
                return c.health == t.health && c.openDrain == t.openDrain
                    && c.sidecar == !t.sidecar.isEmpty() && c.key == t.key && c.reason == t.reason;
            });
}
} // namespace

void ServiceGraphModel::setTopology(const Topology &topology)
{
    // Each node's service is where it was in the last topology (one id comparison); the hash
    // is built only when that fails (a new profile, the first poll).
    QHash<QString, const ServiceNode *> byId;
    const auto serviceOf = [&](Node &node) -> const ServiceNode * {
        const int i = node.topologyIndex;
        if (i >= 0 && i < topology.services.size() && topology.services.at(i).id == node.id) {
            return &topology.services.at(i);
        }
        if (byId.isEmpty()) {
            byId.reserve(topology.services.size());
            for (const ServiceNode &s : topology.services) {
                byId.insert(s.id, &s);
            }
        }
        const ServiceNode *s = byId.value(node.id);
        node.topologyIndex = s ? int(s - topology.services.constData()) : -1;
        return s;
    };
    const QList<int> restyled = updateEdgeHealth(topology.edges);
    bool resized = false;
    QList<QPair<int, QList<int>>> changes;
    for (int row = 0; row < m_nodes.size(); ++row) {
        Node &node = m_nodes[row];
        std::optional<Health> health;
        QString subtitle, reason;
        QList<int> roles;
        if (node.kind == u"service") {
            const ServiceNode *s = serviceOf(node);
            if (!s) {
                continue;
            }
            health = s->health;
            subtitle = s->summary;
            reason = s->dnsError.isEmpty() ? s->summary
                                           : s->summary + QStringLiteral(" — DNS: ") + s->dnsError;
            // Chips are rebuilt only for services whose targets changed: most do not per poll.
            // The builder's digest says so without touching 50,000 targets' strings here.
            const bool same = s->chipsDigest != 0 ? s->chipsDigest == node.chipsDigest
                                                  : chipsShow(node.tasks, s->targets);
            node.chipsDigest = s->chipsDigest;
            if (!same) {
                QList<TaskChip> tasks;
                tasks.reserve(s->targets.size());
                const QRectF box(QPointF(0, 0), node.rect.size());
                for (const TargetNode &t : s->targets) {
                    tasks.append({ t.key, t.key, t.health, t.reason, !t.sidecar.isEmpty(),
                        t.openDrain, taskRect(box, int(tasks.size())) });
                }
                if (tasks != node.tasks) {
                    const bool countChanged = tasks.size() != node.tasks.size();
                    node.tasks = tasks;
                    roles << TasksRole;
                    if (countChanged) {
                        roles << TaskCountRole;
                        if (!qFuzzyCompare(nodeHeight(node), node.rect.height())) {
                            resized = true;
                        }
                    }
                }
            }
        } else {
            const QString lbId = node.id.mid(3);
            for (const LoadBalancerNode &lb : topology.loadBalancers) {
                if (lb.id == lbId) {
                    health = lb.health;
                    subtitle = lb.health == Health::Unknown
                        ? QStringLiteral("load balancer · no data yet")
                        : QString(m_lbProduct.value(lb.id, QStringLiteral("load balancer"))
                            + u' ' + lb.version)
                              .trimmed();
                    reason = lb.reason;
                }
            }
            if (!health) {
                continue;
            }
        }
        if (*health != node.health) {
            node.health = *health;
            roles << HealthRole << IconRole << HealthTextRole;
        }
        if (subtitle != node.subtitle) {
            node.subtitle = subtitle;
            roles << SubtitleRole;
        }
        if (reason != node.reason) {
            node.reason = reason;
            roles << ReasonRole;
        }
        if (!roles.isEmpty()) {
            changes.append({row, roles});
        }
    }
    if (resized) {
        // Targets appeared or disappeared: the box grows or shrinks in place; only the boxes
        // below it in its column move. No full relayout, so nothing else reshuffles.
        const QList<int> moved = restackRows();
        for (int row : moved) {
            auto it = std::find_if(changes.begin(), changes.end(), [row](const auto &c) { return c.first == row; });
            if (it == changes.end()) {
                changes.append({row, {RectRole}});
            } else {
                it->second << RectRole;
            }
        }
        std::sort(changes.begin(), changes.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    }
    emitCoalesced(changes);
    if (resized) {
        Q_EMIT geometryChanged();
        Q_EMIT contentSizeChanged();
    } else if (!restyled.isEmpty()) {
        Q_EMIT edgesRestyled(restyled); // repainted where those edges are, nothing else
    }
}

void ServiceGraphModel::setTraffic(const TrafficReport &report)
{
    QList<int> changed;
    QList<EdgeTraffic> parts;
    for (int i = 0; i < m_segments.size(); ++i) {
        EdgeSegment &s = m_segments[i];
        EdgeTraffic traffic;
        if (s.trafficKeys.size() == 1) { // most segments: one profile edge, nothing to sum
            const auto it = report.edges.constFind(s.trafficKeys.first());
            if (it != report.edges.cend()) {
                traffic = EdgeTraffic::from(*it);
            }
        } else {
            parts.clear();
            for (const QString &key : std::as_const(s.trafficKeys)) {
                const auto it = report.edges.constFind(key);
                if (it != report.edges.cend()) {
                    parts.append(EdgeTraffic::from(*it));
                }
            }
            traffic = EdgeTraffic::combine(parts);
        }
        if (traffic != s.traffic) {
            s.traffic = traffic;
            changed.append(i);
        }
    }
    if (!changed.isEmpty()) {
        Q_EMIT trafficChanged(changed);
    }
}

void ServiceGraphModel::setTrafficEmphasis(bool on)
{
    if (on != m_trafficEmphasis) {
        m_trafficEmphasis = on;
        Q_EMIT trafficEmphasisChanged();
    }
}

void ServiceGraphModel::setTrafficLabels(bool on)
{
    if (on != m_trafficLabels) {
        m_trafficLabels = on;
        Q_EMIT trafficEmphasisChanged();
    }
}

QList<int> ServiceGraphModel::updateEdgeHealth(const QList<EdgeNode> &edges)
{
    // Each segment's edge is where it was in the last topology (edges come in profile order):
    // its ends compared in place; the "from>to" hash is built only when that fails.
    QHash<QString, const EdgeNode *> byId;
    const auto edgeOf = [&](EdgeSegment &s) -> const EdgeNode * {
        const int i = s.edgeIndex;
        if (i >= 0 && i < edges.size()) {
            const EdgeNode &e = edges.at(i);
            const QStringView id(s.sourceEdge);
            if (id.size() == e.from.size() + 1 + e.to.size() && id.at(e.from.size()) == u'>'
                && id.left(e.from.size()) == e.from && id.sliced(e.from.size() + 1) == e.to) {
                return &e;
            }
        }
        if (byId.isEmpty()) {
            byId.reserve(edges.size());
            for (const EdgeNode &e : edges) {
                byId.insert(e.from + QLatin1Char('>') + e.to, &e);
            }
        }
        const EdgeNode *e = byId.value(s.sourceEdge);
        s.edgeIndex = e ? int(e - edges.constData()) : -1;
        return e;
    };
    QList<int> changed;
    for (int i = 0; i < m_segments.size(); ++i) {
        EdgeSegment &s = m_segments[i];
        const EdgeNode *e = edgeOf(s);
        const bool fails = e && (e->health == Health::Down || e->health == Health::Stale);
        const Health failing = fails ? e->health : Health::Healthy;
        s.failReason = fails ? e->reason : QString(); // (changes with every poll of a dead LB)
        if (failing != s.failing) {
            s.failing = failing;
            s.label = fails && !s.baseLabel.isEmpty()
                ? healthIcon(e->health) + QLatin1Char(' ') + s.baseLabel
                : s.baseLabel;
            changed.append(i);
        }
    }
    return changed;
}

void ServiceGraphModel::emitCoalesced(const QList<QPair<int, QList<int>>> &changes)
{
    int i = 0;
    while (i < changes.size()) {
        int j = i;
        QList<int> roles = changes[i].second;
        while (j + 1 < changes.size() && changes[j + 1].first == changes[j].first + 1) {
            ++j;
            for (int r : changes[j].second) {
                if (!roles.contains(r)) {
                    roles.append(r);
                }
            }
        }
        std::sort(roles.begin(), roles.end());
        roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
        Q_EMIT dataChanged(index(changes[i].first), index(changes[j].first), roles);
        i = j + 1;
    }
}

void ServiceGraphModel::setCollapsed(const QString &nodeId, bool collapsed)
{
    const int row = rowOf(nodeId);
    if (collapsed == m_collapsed.contains(nodeId) || (row >= 0 && m_nodes[row].kind != u"service")) {
        return;
    }
    if (collapsed) {
        m_collapsed.insert(nodeId);
    } else {
        m_collapsed.remove(nodeId);
    }
    if (row < 0) {
        return; // remembered for when a profile with that service opens
    }
    QList<QPair<int, QList<int>>> changes;
    const QList<int> moved = restackRows();
    for (int r : moved) {
        changes.append({r, r == row ? QList<int>{RectRole, CollapsedRole} : QList<int>{RectRole}});
    }
    if (!moved.contains(row)) {
        changes.append({row, {CollapsedRole}});
    }
    std::sort(changes.begin(), changes.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    emitCoalesced(changes);
    Q_EMIT geometryChanged();
    Q_EMIT contentSizeChanged();
}

void ServiceGraphModel::relayout()
{
    QList<GraphLayout::Node> nodes;
    nodes.reserve(m_nodes.size());
    for (Node &n : m_nodes) {
        n.rect.setHeight(nodeHeight(n));
        nodes.append({n.id, n.rect.size()});
    }
    QList<GraphLayout::Edge> edges;
    edges.reserve(m_segments.size());
    for (const EdgeSegment &s : std::as_const(m_segments)) {
        edges.append({s.from, s.to});
    }
    const GraphLayout::Options options;
    m_margin = options.margin;
    const GraphLayout::Result r = GraphLayout::layout(nodes, edges, options);
    for (int i = 0; i < m_nodes.size(); ++i) {
        m_nodes[i].rect.moveTopLeft(r.positions[i]);
    }
    m_contentSize = r.bounds;
    // Remember each column's order and top: later height changes restack against them.
    const int layerCount = r.layers.isEmpty() ? 0 : *std::max_element(r.layers.cbegin(), r.layers.cend()) + 1;
    m_columns = QList<QList<int>>(layerCount);
    for (int i = 0; i < m_nodes.size(); ++i) {
        m_columns[r.layers[i]].append(i);
    }
    m_columnTop = QList<qreal>(layerCount, 0);
    for (int l = 0; l < layerCount; ++l) {
        auto &column = m_columns[l];
        std::sort(column.begin(), column.end(), [this](int a, int b) { return m_nodes[a].rect.y() < m_nodes[b].rect.y(); });
        m_columnTop[l] = column.isEmpty() ? m_margin : m_nodes[column.first()].rect.y();
    }
}

void ServiceGraphModel::restack()
{
    if (!restackRows().isEmpty()) {
        Q_EMIT dataChanged(index(0), index(int(m_nodes.size()) - 1), {RectRole});
            Q_EMIT geometryChanged();
        Q_EMIT contentSizeChanged();
    }
}

QList<int> ServiceGraphModel::restackRows()
{
    QList<int> moved;
    const qreal gap = GraphLayout::Options().nodeGap;
    qreal bottom = 0;
    for (int l = 0; l < m_columns.size(); ++l) {
        qreal y = m_columnTop[l];
        for (int row : std::as_const(m_columns[l])) {
            Node &n = m_nodes[row];
            const QRectF before = n.rect;
            n.rect.setHeight(nodeHeight(n));
            n.rect.moveTop(y);
            if (n.rect != before) {
                moved.append(row);
            }
            y += n.rect.height() + gap;
        }
        bottom = std::max(bottom, y - gap);
    }
    // The content grows with the tallest column; it never shrinks below the full layout's
    // height, so a shrinking box does not move the view.
    m_contentSize.setHeight(std::max(m_contentSize.height(), bottom + m_margin));
    std::sort(moved.begin(), moved.end());
    return moved;
}

QRectF ServiceGraphModel::nodeRect(int row) const
{
    return row >= 0 && row < m_nodes.size() ? m_nodes[row].rect : QRectF();
}

int ServiceGraphModel::neighbour(int row, int dx, int dy) const
{
    if (row < 0 || row >= m_nodes.size()) {
        return m_nodes.isEmpty() ? -1 : 0;
    }
    const QPointF from = m_nodes[row].rect.center();
    int best = -1;
    qreal bestScore = 0;
    for (int i = 0; i < m_nodes.size(); ++i) {
        if (i == row) {
            continue;
        }
        const QPointF d = m_nodes[i].rect.center() - from;
        const qreal along = d.x() * dx + d.y() * dy;
        if (along <= 1) {
            continue; // not in that direction
        }
        const qreal across = std::abs(d.x() * dy) + std::abs(d.y() * dx);
        const qreal score = along + 3 * across; // prefer boxes straight ahead
        if (best < 0 || score < bestScore) {
            best = i;
            bestScore = score;
        }
    }
    return best;
}

int ServiceGraphModel::nextInTabOrder(int row, bool backwards) const
{
    QList<int> order;
    for (const QList<int> &column : m_columns) {
        order += column;
    }
    if (order.isEmpty()) {
        return -1;
    }
    const int at = int(order.indexOf(row));
    if (at < 0) {
        return backwards ? order.last() : order.first();
    }
    const int n = int(order.size());
    return order[(at + (backwards ? n - 1 : 1)) % n];
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
        return QVariant::fromValue(n.health);
    case HealthTextRole:
        return nodeHealthName(n.health);
    case RectRole:
        return n.rect;
    case TasksRole: {
        QVariantList tasks; // (for QML's hit areas: the painter reads Node::tasks directly)
        tasks.reserve(n.tasks.size());
        for (const TaskChip &t : n.tasks) {
            tasks.append(QVariant::fromValue(t));
        }
        return tasks;
    }
    case ReasonRole:
        return n.reason;
    case IconRole:
        return healthIcon(n.health);
    case CollapsedRole:
        return m_collapsed.contains(n.id);
    case TaskCountRole:
        return int(n.tasks.size());
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceGraphModel::roleNames() const
{
    return {{NodeIdRole, "nodeId"},     {KindRole, "kind"},           {TitleRole, "title"},
            {SubtitleRole, "subtitle"}, {HealthRole, "health"},       {RectRole, "rect"},
            {TasksRole, "tasks"},       {ReasonRole, "reason"},       {IconRole, "icon"},
            {DetailRole, "detail"},     {CollapsedRole, "collapsed"}, {TaskCountRole, "taskCount"},
            {HealthTextRole, "healthText"}};
}

} // namespace hopscope
