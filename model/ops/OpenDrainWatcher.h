#pragma once

#include "ops/AuditReader.h"

#include <QFileSystemWatcher>
#include <QObject>
#include <QTimer>

namespace hopscope {

// Keeps the open drains of one audit log current for a window: re-reads them when the file
// changes — another window or `hopscope-cli drain` in another process drained, undid or
// dismissed — and on refresh(). The read (a full chain check of a log that may be large) runs
// off the GUI thread through AuditReader, which bounds lines and memory; one read at a time, a
// change during a read schedules exactly one more, and a burst of appends (a drain step writes
// its intent and its outcome) is coalesced into one read. The log's folder (or its nearest
// existing ancestor: nothing may have been logged yet) is watched as well, so a log created
// later is found, and a file replaced by rename, which QFileSystemWatcher drops, is re-added.
class OpenDrainWatcher : public QObject
{
    Q_OBJECT
public:
    explicit OpenDrainWatcher(QString auditPath, QObject *parent = nullptr);
    ~OpenDrainWatcher() override;

    QString auditPath() const { return m_path; }
    // Reads the log again now (coalesced with a read already under way).
    void refresh();

Q_SIGNALS:
    // After every read: the drains not undone, or none and a reason (unreadable or tampered log).
    void openDrainsRead(const QList<hopscope::OpenDrain> &drains, const QString &error);

private:
    struct Result
    {
        QList<OpenDrain> drains;
        QString error;
    };
    void watchPaths();
    void startRead();

    QString m_path;
    QFileSystemWatcher m_files;
    QTimer m_coalesce;
    bool m_reading = false;
    bool m_again = false;
};

} // namespace hopscope
