#include "TargetTableModel.h"

#include <algorithm>

namespace hopscope {

namespace {

QString numberText(const std::optional<qint64> &n)
{
    return n ? QString::number(*n) : QStringLiteral("—");
}

} // namespace

const TargetTableModel::Cell &TargetTableModel::Row::cell(int source) const
{
    static const Cell empty;
    const auto it = std::lower_bound(cells.cbegin(), cells.cend(), source,
        [](const std::pair<int, Cell> &c, int i) { return c.first < i; });
    return it != cells.cend() && it->first == source ? it->second : empty;
}

bool TargetTableModel::Row::operator==(const Row &o) const
{
    return id == o.id && serviceName == o.serviceName && fqdn == o.fqdn && health == o.health
        && reason == o.reason && openDrain == o.openDrain && rps == o.rps && sessions == o.sessions
        && connections == o.connections && ttl == o.ttl && cells == o.cells;
}

TargetTableModel::TargetTableModel(QObject *parent)
    : TargetRowModel(parent)
{ }

void TargetTableModel::setProfile(const ClusterProfile &profile)
{
    beginResetModel();
    m_sources = sourcesOf(profile);
    m_sourceIndex.clear();
    for (int i = int(m_sources.size()) - 1; i >= 0; --i) {
        m_sourceIndex.insert(m_sources[i], i); // the first of equal names, as indexOf()
    }
    m_rows.clear();
    m_serviceOrder.clear();
    for (int i = 0; i < int(profile.services.size()); ++i) {
        m_serviceOrder.insert(profile.services[i].id, i);
    }
    indexIds({});
    endResetModel();
}

void TargetTableModel::clear()
{
    beginResetModel();
    m_sources.clear();
    m_sourceIndex.clear();
    m_rows.clear();
    m_serviceOrder.clear();
    indexIds({});
    endResetModel();
}

int TargetTableModel::sourceColumn(const QString &source) const
{
    const int i = m_sourceIndex.value(source, -1);
    return i < 0 ? -1 : FirstSourceColumn + i;
}

void TargetTableModel::setTopology(const Topology &topology, const TrafficReport &traffic)
{
    QList<std::pair<std::pair<int, QString>, Row>> sorted;
    for (int s = 0; s < int(topology.services.size()); ++s) {
        const ServiceNode &service = topology.services[s];
        const int order = m_serviceOrder.value(service.id, int(m_serviceOrder.size()) + s);
        for (const TargetNode &t : service.targets) {
            Row row;
            row.id = rowId(service.id, t.key);
            row.serviceId = service.id;
            row.serviceName = service.name;
            row.key = t.key;
            row.fqdn = t.fqdn;
            row.health = t.health;
            row.reason = t.reason;
            row.openDrain = t.openDrain;
            row.sessions = t.lbSessions;
            row.connections = t.meshActiveConnections;
            row.ttl = t.dnsTtl;
            const TrafficAggregate rate
                = traffic.targets.value(TrafficTracker::targetKey(service.id, t.key));
            if (rate.measured) {
                row.rps = rate.point.rps;
            }
            for (const Observation &o : t.observations) {
                const int i = m_sourceIndex.value(o.source, -1);
                if (i < 0) {
                    continue;
                }
                auto at = std::lower_bound(row.cells.begin(), row.cells.end(), i,
                    [](const std::pair<int, Cell> &c, int k) { return c.first < k; });
                if (at == row.cells.end() || at->first != i) {
                    at = row.cells.insert(at, { i, Cell {} });
                }
                Cell &cell = at->second;
                const Health h = o.stale ? Health::Stale : o.health;
                const QString text = o.stale ? o.text + tr(" (stale)") : o.text;
                if (!cell.present) {
                    cell = Cell { true, h, text, o.stale };
                } else {
                    if (severity(h) > severity(cell.health)) {
                        cell.health = h;
                    }
                    cell.text += QStringLiteral("; ") + text;
                    cell.stale = cell.stale && o.stale;
                }
            }
            sorted.append({ { order, t.key }, row });
        }
    }
    std::stable_sort(sorted.begin(), sorted.end(),
        [](const auto &a, const auto &b) { return a.first < b.first; });
    QList<Row> next;
    next.reserve(sorted.size());
    for (auto &entry : sorted) {
        next.append(std::move(entry.second));
    }
    applyRows(m_rows, next, reasonColumn());
}

int TargetTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TargetTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : reasonColumn() + 1;
}

QVariant TargetTableModel::sortValue(const Row &row, int column) const
{
    switch (column) {
    case ServiceColumn:
        return row.serviceName.toLower();
    case TaskColumn:
        return addressSortKey(row.key);
    case FqdnColumn:
        return row.fqdn.toLower();
    case HealthColumn:
        return severity(row.health);
    case RateColumn:
        return row.rps ? *row.rps : -1.0;
    case SessionsColumn:
        return row.sessions ? double(*row.sessions) : -1.0;
    case ConnectionsColumn:
        return row.connections ? double(*row.connections) : -1.0;
    case TtlColumn:
        return row.ttl ? double(*row.ttl) : -1.0;
    default:
        break;
    }
    if (column == reasonColumn()) {
        return row.reason.toLower();
    }
    const Cell &cell = row.cell(column - FirstSourceColumn);
    return cell.present ? severity(cell.health) : -1;
}

QVariant TargetTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row &row = m_rows[index.row()];
    const int column = index.column();
    const bool isSource = column >= FirstSourceColumn && column < reasonColumn();
    switch (role) {
    case ServiceIdRole:
        return row.serviceId;
    case TargetKeyRole:
        return row.key;
    case TrafficKeyRole:
        return TrafficTracker::targetKey(row.serviceId, row.key);
    case RowHealthRole:
        return QVariant::fromValue(row.health);
    case DisagreesRole:
        return row.health == Health::Conflict;
    case SortRole:
        return sortValue(row, column);
    case RpsRole:
        return column == RateColumn && row.rps ? QVariant(*row.rps) : QVariant();
    case HealthRole:
        if (column == HealthColumn) {
            return QVariant::fromValue(row.health);
        }
        if (isSource && row.cell(column - FirstSourceColumn).present) {
            return QVariant::fromValue(row.cell(column - FirstSourceColumn).health);
        }
        return {};
    case StaleRole:
        return isSource && row.cell(column - FirstSourceColumn).stale;
    case Qt::TextAlignmentRole:
        if (column >= RateColumn && column <= TtlColumn) {
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        }
        return {};
    case Qt::ToolTipRole:
        if (isSource) {
            const Cell &cell = row.cell(column - FirstSourceColumn);
            return cell.present ? QString(sourceKind(m_sources[column - FirstSourceColumn])
                       + QStringLiteral(": ") + cell.text)
                                : tr("%1 does not report this target")
                                      .arg(sourceKind(m_sources[column - FirstSourceColumn]));
        }
        if (column == RateColumn && !row.rps) {
            return tr("no proxy on the way reports this task's requests");
        }
        return row.reason;
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (column) {
    case ServiceColumn:
        return row.serviceName;
    case TaskColumn:
        return row.openDrain ? QString(row.key + tr(" (open drain)")) : row.key;
    case FqdnColumn:
        return row.fqdn;
    case HealthColumn:
        return QString(healthIcon(row.health) + QLatin1Char(' ') + healthName(row.health));
    case RateColumn:
        return row.rps ? QString::number(*row.rps, 'f', 1) : QStringLiteral("—");
    case SessionsColumn:
        return numberText(row.sessions);
    case ConnectionsColumn:
        return numberText(row.connections);
    case TtlColumn:
        return row.ttl ? tr("%1 s").arg(*row.ttl) : QStringLiteral("—");
    default:
        break;
    }
    if (column == reasonColumn()) {
        return row.reason;
    }
    const Cell &cell = row.cell(column - FirstSourceColumn);
    return cell.present ? QString(healthIcon(cell.health) + QLatin1Char(' ') + cell.text)
                        : QString();
}

QVariant TargetTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) {
        return {};
    }
    const bool isSource = section >= FirstSourceColumn && section < reasonColumn();
    if (role == Qt::ToolTipRole) {
        if (isSource) {
            return tr("What the %1 says").arg(sourceKind(m_sources[section - FirstSourceColumn]));
        }
        switch (section) {
        case RateColumn:
            return tr("Requests per second, from the proxies' counters");
        case SessionsColumn:
            return tr("Current sessions at the load balancers");
        case ConnectionsColumn:
            return tr("Active downstream connections at the task's sidecar");
        case TtlColumn:
            return tr("TTL of the DNS record");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case ServiceColumn:
        return tr("Service");
    case TaskColumn:
        return tr("Address:port");
    case FqdnColumn:
        return tr("FQDN");
    case HealthColumn:
        return tr("Health");
    case RateColumn:
        return tr("Req/s");
    case SessionsColumn:
        return tr("Sessions");
    case ConnectionsColumn:
        return tr("Connections");
    case TtlColumn:
        return tr("DNS TTL");
    default:
        break;
    }
    if (section == reasonColumn()) {
        return tr("Reason");
    }
    return sourceTitle(m_sources[section - FirstSourceColumn]);
}

} // namespace hopscope
