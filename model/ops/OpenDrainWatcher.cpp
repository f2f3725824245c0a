#include "OpenDrainWatcher.h"

#include "core/OffThread.h"
#include <QFileInfo>

namespace hopscope {

namespace {
// Long enough to take an intent and its outcome (written within a few ms) as one change, short
// enough that a drain from another process shows before the operator looks for it.
constexpr int CoalesceMs = 150;
} // namespace

OpenDrainWatcher::OpenDrainWatcher(QString auditPath, QObject *parent)
    : QObject(parent)
    , m_path(std::move(auditPath))
{
    m_coalesce.setSingleShot(true);
    m_coalesce.setInterval(CoalesceMs);
    connect(&m_coalesce, &QTimer::timeout, this, &OpenDrainWatcher::startRead);
    connect(&m_files, &QFileSystemWatcher::fileChanged, this, [this] {
        watchPaths(); // a replaced file is no longer watched
        m_coalesce.start();
    });
    connect(&m_files, &QFileSystemWatcher::directoryChanged, this, [this] {
        watchPaths(); // the log may have been created (first drain of this cluster)
        m_coalesce.start();
    });
    watchPaths();
}

// A read under way when the watcher is destroyed finishes on its own (it owns copies of what it
// reads) and reports to no one (runOffThread); waiting would block the GUI thread on the disk.
OpenDrainWatcher::~OpenDrainWatcher() = default;

void OpenDrainWatcher::watchPaths()
{
    // The log's folder may not exist yet either (no drain was ever logged on this machine):
    // watch the nearest folder that does, and move down as the folders appear.
    QString dir = QFileInfo(m_path).absolutePath();
    while (!QFileInfo(dir).isDir() && QFileInfo(dir).absolutePath() != dir) {
        dir = QFileInfo(dir).absolutePath();
    }
    const QStringList watched = m_files.directories();
    if (!watched.contains(dir)) {
        if (!watched.isEmpty()) {
            m_files.removePaths(watched);
        }
        m_files.addPath(dir);
    }
    if (QFileInfo(m_path).isFile() && !m_files.files().contains(m_path)) {
        m_files.addPath(m_path);
    }
}

void OpenDrainWatcher::refresh()
{
    m_coalesce.stop();
    startRead();
}

void OpenDrainWatcher::startRead()
{
    if (m_reading) {
        m_again = true;
        return;
    }
    m_reading = true;
    m_again = false;
    runOffThread(
        this,
        [path = m_path] {
            Result r;
            r.drains = AuditReader::openDrains(path, &r.error);
            return r;
        },
        [this](const Result &r) {
            m_reading = false;
            Q_EMIT openDrainsRead(r.drains, r.error);
            if (m_again) {
                startRead();
            }
        });
}

} // namespace hopscope
