#include "TruthMatrixModel.h"

#include <QRegularExpression>

#include <algorithm>

namespace hopscope {

namespace {

QString keyOf(const HostPort &hp)
{
    const QString host
        = hp.host.contains(u':') ? QLatin1Char('[') + hp.host + QLatin1Char(']') : hp.host;
    return host + QLatin1Char(':') + QString::number(hp.port);
}

QString hhmmss(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
}

TruthMatrixModel::Says saysOf(Health health)
{
    switch (health) {
    case Health::Healthy:
    case Health::Degraded:
        return TruthMatrixModel::Says::InRotation;
    case Health::Draining:
    case Health::Drained:
    case Health::Maintenance:
    case Health::Down:
        return TruthMatrixModel::Says::OutOfRotation;
    case Health::Unknown:
    case Health::Stale:
    case Health::Conflict:
        break;
    }
    return TruthMatrixModel::Says::Unknown;
}

enum class Check { None, Pass, Fail, Pending };

Check checkOf(const QString &check)
{
    if (check.isEmpty()) {
        return Check::None;
    }
    if (check == u"INI" || check == u"UNK") {
        return Check::Pending;
    }
    // HAProxy: L4OK, L6OK, L7OK, L7OKC, PROCOK pass; L4CON, L7STS, SOCKERR, … fail. Envoy reports
    // only failure (failed_active_hc).
    return check.endsWith(u"OK") || check.endsWith(u"OKC") ? Check::Pass : Check::Fail;
}

// The active health check's result in the observation, in the source's words: HAProxy's
// check_status as TopologyBuilder writes it after the server status ("DOWN L4CON 0 sessions"),
// Envoy's failed_active_hc flag. Empty when the source reports no active check.
QString activeCheck(const Observation &o)
{
    if (o.source.startsWith(u"lb:")) {
        static const QRegularExpression code(
            QStringLiteral("(?:^| )(L[4-7][A-Z]+|SOCKERR|PROC[A-Z]+|INI|UNK)(?= |$)"));
        const QRegularExpressionMatch m = code.match(o.text);
        return m.hasMatch() ? m.captured(1) : QString();
    }
    if (o.source.startsWith(u"mesh:") && o.text.contains(u"failed_active_hc")) {
        return QStringLiteral("failed_active_hc");
    }
    return {};
}

// "DOWN L4CON 0 sessions" with check L4CON -> "DOWN (L4CON)", or "UP, L7OK" inside parentheses.
QString lbState(const Observation &o, bool nested)
{
    static const QRegularExpression sessions(QStringLiteral(" \\d+ sessions$"));
    QString s = o.text;
    s.remove(sessions);
    const QString check = activeCheck(o);
    if (!check.isEmpty()) {
        s.remove(QLatin1Char(' ') + check);
        s += nested ? QString(QStringLiteral(", ") + check)
                    : QString(QStringLiteral(" (") + check + QLatin1Char(')'));
    }
    return s;
}

} // namespace

TruthMatrixModel::TruthMatrixModel(QObject *parent)
    : TargetRowModel(parent)
{ }

// What the profile alone says (routes, edges, sidecars), for every service at once: asked per
// service, it was a pass over every route, edge and proxy each time, quadratic over a fleet
// (2,000 services: 9 % of the GUI thread in the fleet benchmark).
QHash<QString, TruthMatrixModel::Relevance> TruthMatrixModel::profileRelevance(
    const ClusterProfile &profile)
{
    QHash<QString, Relevance> byService;
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        for (const RouteSpec &route : lb.routes) {
            byService[route.service].sources.insert(QStringLiteral("lb:") + lb.id);
        }
    }
    QHash<QString, QSet<QString>> meshCallees; // service -> the services it calls through the mesh
    for (const EdgeSpec &e : profile.edges) {
        if (e.via == EdgeSpec::Via::LoadBalancer) {
            byService[e.to].sources.insert(QStringLiteral("lb:") + e.loadBalancer);
        } else if (e.via == EdgeSpec::Via::Mesh) {
            meshCallees[e.from].insert(e.to);
        }
    }
    for (const ProxySpec &px : profile.proxies) {
        const QString source = QStringLiteral("mesh:") + px.id;
        const QSet<QString> callees = meshCallees.value(px.service);
        for (const QString &callee : callees) {
            byService[callee].sources.insert(source); // a caller: sees every task of the callee
        }
        if (!callees.contains(px.service)) {
            byService[px.service].ownSidecarTask.insert(source, keyOf(px.task)); // its own task
        }
    }
    return byService;
}

TruthMatrixModel::Relevance TruthMatrixModel::relevance(
    const Relevance &fromProfile, const ServiceNode &service)
{
    Relevance r = fromProfile;
    if (!service.dnsName.isEmpty()) {
        r.sources.insert(QStringLiteral("dns"));
    }
    // Whatever reported on some task of the service knows the service.
    for (const TargetNode &t : service.targets) {
        for (const Observation &o : t.observations) {
            if (!r.ownSidecarTask.contains(o.source)) {
                r.sources.insert(o.source);
            }
        }
    }
    return r;
}

TruthMatrixModel::Relevance TruthMatrixModel::relevance(
    const ClusterProfile &profile, const ServiceNode &service)
{
    return relevance(profileRelevance(profile).value(service.id), service);
}

const TruthMatrixModel::Cell &TruthMatrixModel::Row::cell(int index) const
{
    static const Cell empty;
    const auto it = std::lower_bound(cells.cbegin(), cells.cend(), index,
        [](const std::pair<int, Cell> &c, int i) { return c.first < i; });
    return it != cells.cend() && it->first == index ? it->second : empty;
}

QHash<QString, int> TruthMatrixModel::indexOf(const QStringList &sources)
{
    QHash<QString, int> index;
    for (int i = int(sources.size()) - 1; i >= 0; --i) {
        index.insert(sources[i], i);
    }
    return index;
}

TruthMatrixModel::Row TruthMatrixModel::judge(const ServiceNode &service, const TargetNode &target,
    const QStringList &sources, const Relevance &relevance, const QHash<QString, int> *sourceIndex)
{
    QHash<QString, int> ownIndex;
    if (!sourceIndex) {
        ownIndex = indexOf(sources);
        sourceIndex = &ownIndex;
    }
    // Only the sources that can say something about this target (an observation, or relevant to
    // its service) give a cell or a phrase; the others are not applicable. In column order.
    QList<int> candidates;
    const auto consider = [&](const QString &source) {
        const int i = sourceIndex->value(source, -1);
        if (i >= 0) {
            candidates.append(i);
        }
    };
    for (const Observation &o : target.observations) {
        consider(o.source);
    }
    for (const QString &source : relevance.sources) {
        consider(source);
    }
    for (auto it = relevance.ownSidecarTask.cbegin(); it != relevance.ownSidecarTask.cend(); ++it) {
        if (it.value() == target.key) {
            consider(it.key());
        }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

    Row row;
    row.id = rowId(service.id, target.key);
    row.serviceId = service.id;
    row.serviceName = service.name;
    row.key = target.key;
    row.health = target.health;

    QStringList inPhrases, outPhrases, unknownPhrases;
    bool checkMentioned = false; // an out-of-rotation phrase already names the failed check
    for (const int index : std::as_const(candidates)) {
        const QString &source = sources[index];
        Cell cell;
        const bool isDns = source == u"dns";
        const bool isLb = source.startsWith(u"lb:");
        const QString who = sourceTitle(source);
        const Observation *fresh = nullptr;
        const Observation *stale = nullptr;
        for (const Observation &o : target.observations) {
            if (o.source != source) {
                continue;
            }
            const Observation *&slot = o.stale ? stale : fresh;
            if (!slot || severity(o.health) > severity(slot->health)) {
                slot = &o;
            }
        }
        const bool relevant = relevance.sources.contains(source)
            || relevance.ownSidecarTask.value(source) == target.key;
        if (fresh) {
            cell.health = fresh->health;
            cell.text = fresh->text;
            if (isDns) {
                cell.says = fresh->removedFromDns ? Says::OutOfRotation : Says::InRotation;
                cell.text = fresh->removedFromDns
                    ? tr("removed at %1, held until %2")
                          .arg(hhmmss(fresh->dnsRemovedAt), hhmmss(fresh->dnsHoldUntil))
                    : (target.dnsTtl ? tr("listed, TTL %1 s").arg(*target.dnsTtl) : tr("listed"));
            } else {
                cell.says = saysOf(fresh->health);
            }
        } else if (stale) {
            cell.says = Says::Unknown;
            cell.health = Health::Stale;
            cell.text = stale->text + tr(" (stale)");
        } else if (relevant) {
            cell.says = Says::Absent;
            cell.text = isDns ? tr("not in the answer") : (isLb ? tr("no server") : tr("no host"));
        }
        if (!(cell == Cell {})) {
            row.cells.append({ index, cell });
        }

        switch (cell.says) {
        case Says::InRotation:
            if (isDns) {
                inPhrases.append(tr("DNS lists it"));
            } else if (isLb) {
                inPhrases.append(tr("%1 routes to it (%2)").arg(who, lbState(*fresh, true)));
            } else if (relevance.ownSidecarTask.value(source) == target.key) {
                inPhrases.append(tr("its sidecar %1 says %2").arg(who, fresh->text));
            } else {
                inPhrases.append(tr("%1 sends to it").arg(who));
            }
            break;
        case Says::OutOfRotation:
            if (isDns) {
                outPhrases.append(
                    tr("DNS stopped listing it at %1").arg(hhmmss(fresh->dnsRemovedAt)));
            } else if (isLb) {
                outPhrases.append(tr("%1 says %2").arg(who, lbState(*fresh, false)));
            } else {
                outPhrases.append(tr("%1 says %2").arg(who, fresh->text));
            }
            checkMentioned = checkMentioned || !activeCheck(*fresh).isEmpty();
            break;
        case Says::Absent:
            outPhrases.append(isDns ? tr("DNS does not list it")
                                    : (isLb ? tr("%1 has no server for it").arg(who)
                                            : tr("%1 has no host for it").arg(who)));
            break;
        case Says::Unknown:
            unknownPhrases.append(tr("%1: %2").arg(who, cell.text));
            break;
        case Says::NotApplicable:
            break;
        }
    }

    // The active health checks, whoever runs them.
    Cell check;
    QStringList passed, failed, pending;
    for (const Observation &o : target.observations) {
        if (o.stale) {
            continue;
        }
        const QString code = activeCheck(o);
        const QString text = sourceTitle(o.source) + QStringLiteral(": ") + code;
        switch (checkOf(code)) {
        case Check::Pass:
            passed.append(text);
            break;
        case Check::Fail:
            failed.append(text);
            break;
        case Check::Pending:
            pending.append(text);
            break;
        case Check::None:
            break;
        }
    }
    if (!failed.isEmpty()) {
        check = { Says::OutOfRotation, Health::Down, (failed + passed).join(QStringLiteral(", ")) };
    } else if (!passed.isEmpty()) {
        check = { Says::InRotation, Health::Healthy, passed.join(QStringLiteral(", ")) };
    } else if (!pending.isEmpty()) {
        check = { Says::Unknown, Health::Unknown, pending.join(QStringLiteral(", ")) };
    }
    if (!(check == Cell {})) {
        row.cells.append({ int(sources.size()), check });
    }

    const bool checkFails = check.says == Says::OutOfRotation;
    row.disagreement = (!inPhrases.isEmpty() && (!outPhrases.isEmpty() || checkFails))
        || target.health == Health::Conflict;
    if (row.disagreement) {
        if (!inPhrases.isEmpty() && inPhrases.first() == tr("DNS lists it")) {
            inPhrases.first() = tr("DNS still lists it");
        }
        QStringList parts = inPhrases + outPhrases;
        if (checkFails && !checkMentioned) {
            parts.append(tr("the active check fails (%1)").arg(failed.join(QStringLiteral(", "))));
        }
        row.why = parts.isEmpty() ? target.reason : parts.join(QStringLiteral(", "));
    } else if (!outPhrases.isEmpty()) {
        row.why
            = tr("No source sends traffic to it: %1").arg(outPhrases.join(QStringLiteral(", ")));
    } else if (!inPhrases.isEmpty()) {
        row.why = unknownPhrases.isEmpty() ? tr("The sources agree: in rotation")
                                           : tr("In rotation where known; no fresh data from %1")
                                                 .arg(unknownPhrases.join(QStringLiteral(", ")));
    } else if (!unknownPhrases.isEmpty()) {
        row.why = tr("No fresh data: %1").arg(unknownPhrases.join(QStringLiteral("; ")));
    } else {
        row.why = target.reason;
    }
    return row;
}

void TruthMatrixModel::setProfile(const ClusterProfile &profile)
{
    beginResetModel();
    m_sources = sourcesOf(profile);
    m_sourceIndex = indexOf(m_sources);
    m_relevance = profileRelevance(profile);
    m_rows.clear();
    m_serviceOrder.clear();
    for (int i = 0; i < int(profile.services.size()); ++i) {
        m_serviceOrder.insert(profile.services[i].id, i);
    }
    indexIds({});
    endResetModel();
}

void TruthMatrixModel::clear()
{
    setProfile(ClusterProfile {});
}

void TruthMatrixModel::setTopology(const Topology &topology)
{
    QList<std::pair<std::pair<int, QString>, Row>> sorted;
    for (int s = 0; s < int(topology.services.size()); ++s) {
        const ServiceNode &service = topology.services[s];
        const int order = m_serviceOrder.value(service.id, int(m_serviceOrder.size()) + s);
        const Relevance rel = relevance(m_relevance.value(service.id), service);
        for (const TargetNode &t : service.targets) {
            sorted.append({ { order, t.key }, judge(service, t, m_sources, rel, &m_sourceIndex) });
        }
    }
    std::stable_sort(sorted.begin(), sorted.end(),
        [](const auto &a, const auto &b) { return a.first < b.first; });
    QList<Row> next;
    next.reserve(sorted.size());
    for (auto &entry : sorted) {
        next.append(std::move(entry.second));
    }
    applyRows(m_rows, next, checkColumn());
}

int TruthMatrixModel::sourceColumn(const QString &source) const
{
    const int i = m_sourceIndex.value(source, -1);
    return i < 0 ? -1 : FirstSourceColumn + i;
}

int TruthMatrixModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TruthMatrixModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : checkColumn() + 1;
}

const TruthMatrixModel::Cell *TruthMatrixModel::cellAt(const Row &row, int column) const
{
    if (column >= FirstSourceColumn && column <= checkColumn()) {
        return &row.cell(column - FirstSourceColumn);
    }
    return nullptr;
}

QVariant TruthMatrixModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row &row = m_rows[index.row()];
    const int column = index.column();
    const Cell *cell = cellAt(row, column);
    const Health verdict = row.disagreement ? Health::Conflict : row.health;
    switch (role) {
    case ServiceIdRole:
        return row.serviceId;
    case TargetKeyRole:
        return row.key;
    case TrafficKeyRole:
        return QString(QStringLiteral("task:") + row.id);
    case RowHealthRole:
        return QVariant::fromValue(row.health);
    case DisagreesRole:
        return row.disagreement;
    case SaysRole:
        return cell ? QVariant(int(cell->says)) : QVariant();
    case StaleRole:
        return cell && cell->health == Health::Stale;
    case HealthRole:
        if (column == VerdictColumn) {
            return QVariant::fromValue(verdict);
        }
        if (cell && cell->says != Says::NotApplicable && cell->says != Says::Absent) {
            return QVariant::fromValue(cell->health);
        }
        return {};
    case SortRole:
        if (column == ServiceColumn) {
            return row.serviceName.toLower();
        }
        if (column == TaskColumn) {
            return addressSortKey(row.key);
        }
        if (column == VerdictColumn) {
            return row.disagreement ? 100 : severity(row.health); // disagreements above all
        }
        if (cell) {
            return int(cell->says) * 10 + severity(cell->health);
        }
        return row.why.toLower();
    case Qt::ToolTipRole:
        if (cell && column < checkColumn()) {
            return QString(sourceKind(m_sources[column - FirstSourceColumn]) + QStringLiteral(": ")
                + (cell->says == Says::NotApplicable ? tr("has no say about this task")
                                                     : cell->text));
        }
        return row.why;
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (column) {
    case ServiceColumn:
        return row.serviceName;
    case TaskColumn:
        return row.key;
    case VerdictColumn:
        return row.disagreement
            ? QString(healthIcon(Health::Conflict) + QLatin1Char(' ') + tr("disagree"))
            : QString(healthIcon(row.health) + QLatin1Char(' ') + healthName(row.health));
    default:
        break;
    }
    if (cell) {
        switch (cell->says) {
        case Says::NotApplicable:
            return QString();
        case Says::Absent:
            return QString(QStringLiteral("∅ ") + cell->text);
        default:
            return QString(healthIcon(cell->health) + QLatin1Char(' ') + cell->text);
        }
    }
    return row.why;
}

QVariant TruthMatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) {
        return {};
    }
    if (role == Qt::ToolTipRole) {
        if (section >= FirstSourceColumn && section < checkColumn()) {
            return tr("What the %1 says").arg(sourceKind(m_sources[section - FirstSourceColumn]));
        }
        if (section == checkColumn()) {
            return tr("The active health checks of the load balancers and sidecars");
        }
        return {};
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case ServiceColumn:
        return tr("Service");
    case TaskColumn:
        return tr("Address:port");
    case VerdictColumn:
        return tr("Verdict");
    case WhyColumn:
        return tr("Why");
    default:
        break;
    }
    if (section == checkColumn()) {
        return tr("Active check");
    }
    return sourceTitle(m_sources[section - FirstSourceColumn]);
}

} // namespace hopscope
