#include "ops/DrainLock.h"

#include "core/BoundedFile.h"
#include "ops/AuditLog.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSysInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace hopscope {

namespace {

QString errnoText(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

std::optional<DrainLock::Holder> parseHolder(const QByteArray &bytes)
{
    const QJsonObject o = QJsonDocument::fromJson(bytes).object();
    if (o.isEmpty()) {
        return std::nullopt;
    }
    DrainLock::Holder h;
    h.user = o.value(QStringLiteral("user")).toString();
    h.host = o.value(QStringLiteral("host")).toString();
    h.pid = o.value(QStringLiteral("pid")).toInteger();
    h.target = o.value(QStringLiteral("target")).toString();
    h.since = QDateTime::fromString(o.value(QStringLiteral("since")).toString(), Qt::ISODate);
    h.expires = QDateTime::fromString(o.value(QStringLiteral("expires")).toString(), Qt::ISODate);
    return h;
}

} // namespace

QString DrainLock::Holder::toText() const
{
    return QStringLiteral("%1@%2 (PID %3), draining %4 since %5 (lock expires %6)")
        .arg(user, host)
        .arg(pid)
        .arg(target, since.toUTC().toString(Qt::ISODate), expires.toUTC().toString(Qt::ISODate));
}

DrainLock::DrainLock(QString path)
    : m_path(std::move(path))
{ }

DrainLock::~DrainLock()
{
    release();
}

std::optional<DrainLock::Holder> DrainLock::readHolder(const QString &path)
{
    const BoundedRead r = readRegularFile(path, 4096);
    return r.ok() ? parseHolder(r.data) : std::nullopt;
}

bool DrainLock::tryAcquire(const QString &target, int ttlSeconds, QString *why)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (m_fd < 0) {
        QDir().mkpath(QFileInfo(m_path).absolutePath());
        const int fd = ::open(QFile::encodeName(m_path).constData(),
            O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
        if (fd < 0) {
            *why = QStringLiteral("the drain lock %1 could not be opened: %2")
                       .arg(m_path, errnoText(errno));
            return false;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            ::close(fd);
            if (err == EWOULDBLOCK) {
                const auto h = readHolder(m_path);
                *why = QStringLiteral(
                    "another drain holds the cluster's drain lock: %1; one drain at a time "
                    "per cluster")
                           .arg(h ? h->toText() : QStringLiteral("holder not recorded yet"));
            } else {
                *why = QStringLiteral("the drain lock %1 could not be taken: %2")
                           .arg(m_path, errnoText(err));
            }
            return false;
        }
        // Free locally; a live record from another host (shared directory) still counts.
        const auto h = readHolder(m_path);
        if (h && h->host != QSysInfo::machineHostName() && h->expires.isValid()
            && h->expires > now) {
            ::close(fd);
            *why = QStringLiteral("another host holds the cluster's drain lock: %1")
                       .arg(h->toText());
            return false;
        }
        m_fd = fd;
    }
    const QJsonObject o { { QStringLiteral("user"), AuditLog::osUser() },
        { QStringLiteral("host"), QSysInfo::machineHostName() },
        { QStringLiteral("pid"), QCoreApplication::applicationPid() },
        { QStringLiteral("target"), target },
        { QStringLiteral("since"), now.toString(Qt::ISODate) },
        { QStringLiteral("expires"), now.addSecs(ttlSeconds).toString(Qt::ISODate) } };
    const QByteArray bytes = QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    if (::ftruncate(m_fd, 0) != 0
        || ::pwrite(m_fd, bytes.constData(), size_t(bytes.size()), 0) != ssize_t(bytes.size())
        || ::fsync(m_fd) != 0) {
        const int err = errno;
        release();
        *why = QStringLiteral("the drain lock %1 could not be written: %2")
                   .arg(m_path, errnoText(err));
        return false;
    }
    return true;
}

void DrainLock::release()
{
    if (m_fd < 0) {
        return;
    }
    // Say nobody holds it before letting go (a record left behind would only be informative).
    if (::ftruncate(m_fd, 0) == 0) {
        ::fsync(m_fd);
    }
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
    m_fd = -1;
}

} // namespace hopscope
