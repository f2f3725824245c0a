#include "OpenDrainWatcher.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

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
    connect(&m_read, &QFutureWatcher<Result>::finished, this, &OpenDrainWatcher::readFinished);
    watchPaths();
}

OpenDrainWatcher::~OpenDrainWatcher()
{
    // A read under way finishes on its own (it owns copies of what it reads); its result is
    // dropped with m_read. Waiting here would block the GUI thread on the disk.
    disconnect(&m_read, nullptr, this, nullptr);
}

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
    if (m_read.isRunning()) {
        m_again = true;
        return;
    }
    m_again = false;
    m_read.setFuture(QtConcurrent::run([path = m_path] {
        Result r;
        r.drains = AuditReader::openDrains(path, &r.error);
        return r;
    }));
}

void OpenDrainWatcher::readFinished()
{
    const Result r = m_read.result();
    Q_EMIT openDrainsRead(r.drains, r.error);
    if (m_again) {
        startRead();
    }
}

} // namespace hopscope
