#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace hopscope {

// One drain at a time per cluster: an exclusive, non-blocking flock on "<audit log>.lock" (the
// audit log is per cluster identity, so is the lock), taken by every process and every
// DrainController (two windows of one process conflict too: flock is per open file). While held
// the file names the holder: user, host, PID, target, since and expiry. flock dies with its
// process, so a crash never leaves the cluster locked; the expiry is for hosts sharing the audit
// directory over a filesystem where flock does not reach: a record from another host that has
// not expired refuses the lock as well. Plain class, one thread; never blocks.
class DrainLock
{
public:
    struct Holder
    {
        QString user;
        QString host;
        qint64 pid = 0;
        QString target;
        QDateTime since;
        QDateTime expires;
        QString toText() const; // "alice@host1 (PID 4242), draining 127.0.0.11:8000 since ..."
    };

    explicit DrainLock(QString path);
    ~DrainLock();
    DrainLock(const DrainLock &) = delete;
    DrainLock &operator=(const DrainLock &) = delete;

    static QString pathForLog(const QString &auditLogPath)
    {
        return auditLogPath + QStringLiteral(".lock");
    }

    // Takes the lock for `target` for at most ttlSeconds (renewed by acquiring again). False
    // and *why (naming the holder and since when, or the error) when it is not free.
    bool tryAcquire(const QString &target, int ttlSeconds, QString *why);
    void release();
    bool held() const { return m_fd >= 0; }
    QString path() const { return m_path; }

    // Who holds it according to the file (may be stale when nobody holds the flock).
    static std::optional<Holder> readHolder(const QString &path);

private:
    QString m_path;
    int m_fd = -1;
};

} // namespace hopscope
