#pragma once

#include "SourceError.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <deque>

namespace hopscope {

// Bounded log of what happened (source errors, recoveries, operator actions), newest last.
// A ring: at most capacity() entries; an entry equal to the newest one (same source, severity
// and message) bumps its repeat count instead of appending. Lives on the GUI thread; it is the
// item model behind the log dock and is printed by the CLI.
class EventLog : public QAbstractListModel
{
    Q_OBJECT
public:
    enum class Severity { Info, Warning, Error };
    Q_ENUM(Severity)

    struct Entry
    {
        QDateTime when;      // first occurrence
        QDateTime lastSeen;  // last repeat
        Severity severity = Severity::Info;
        QString source;
        QString message;
        int count = 1;
    };

    enum Role { WhenRole = Qt::UserRole + 1, SeverityRole, SourceRole, MessageRole, CountRole };

    explicit EventLog(int capacity = 2000, QObject *parent = nullptr);

    void append(Severity severity, const QString &source, const QString &message,
                const QDateTime &when = QDateTime::currentDateTimeUtc());
    void appendError(const SourceError &error);

    int capacity() const { return m_capacity; }
    const std::deque<Entry> &entries() const { return m_entries; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void appended(const hopscope::EventLog::Entry &entry);

private:
    int m_capacity;
    std::deque<Entry> m_entries;
};

} // namespace hopscope
