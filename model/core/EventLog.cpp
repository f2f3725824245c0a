#include "EventLog.h"

#include <algorithm>

namespace hopscope {

EventLog::EventLog(int capacity, QObject *parent)
    : QAbstractListModel(parent)
    , m_capacity(std::max(1, capacity))
{
}

void EventLog::append(Severity severity, const QString &source, const QString &message,
                      const QDateTime &when)
{
    if (!m_entries.empty()) {
        Entry &last = m_entries.back();
        if (last.severity == severity && last.source == source && last.message == message) {
            ++last.count;
            last.lastSeen = when;
            const QModelIndex idx = index(int(m_entries.size()) - 1);
            Q_EMIT dataChanged(idx, idx, {CountRole, Qt::DisplayRole});
            Q_EMIT appended(last);
            return;
        }
    }
    if (int(m_entries.size()) >= m_capacity) {
        beginRemoveRows({}, 0, 0);
        m_entries.pop_front();
        endRemoveRows();
    }
    const int row = int(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.push_back(Entry{when, when, severity, source, message, 1});
    endInsertRows();
    Q_EMIT appended(m_entries.back());
}

void EventLog::appendError(const SourceError &error)
{
    append(Severity::Error, error.source,
           error.detail.isEmpty() ? error.message : error.message + QStringLiteral(" (") + error.detail + QLatin1Char(')'),
           error.when.isValid() ? error.when : QDateTime::currentDateTimeUtc());
}

int EventLog::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant EventLog::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Entry &e = m_entries[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: {
        QString text = e.when.toLocalTime().toString(QStringLiteral("HH:mm:ss")) + QLatin1Char(' ')
                       + e.source + QStringLiteral(": ") + e.message;
        if (e.count > 1) {
            text += QStringLiteral(" (×%1, last %2)")
                        .arg(e.count)
                        .arg(e.lastSeen.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
        }
        return text;
    }
    case WhenRole:
        return e.when;
    case SeverityRole:
        return QVariant::fromValue(e.severity);
    case SourceRole:
        return e.source;
    case MessageRole:
        return e.message;
    case CountRole:
        return e.count;
    default:
        return {};
    }
}

QHash<int, QByteArray> EventLog::roleNames() const
{
    return {{Qt::DisplayRole, "display"}, {WhenRole, "when"},       {SeverityRole, "severity"},
            {SourceRole, "source"},       {MessageRole, "message"}, {CountRole, "count"}};
}

} // namespace hopscope
