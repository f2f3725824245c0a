#include "ops/AuditLog.h"

#include "ops/AuditReader.h"
#include "profile/ClusterProfile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hopscope {

namespace {

constexpr qint64 s_maxLineBytes = 1024 * 1024;
constexpr qint64 s_maxTailBytes = 8 * s_maxLineBytes;

QString errnoText(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

// Where the chain continues: the newest intact record (a complete line that is a JSON object
// with a seq) near the end of the file, read backwards in chunks, skipping torn lines.
struct Tail
{
    qint64 seq = 0;
    QByteArray hash = AuditLog::genesisHash();
    bool endsInNewline = true;
    QString error;
};

Tail readTail(int fd)
{
    Tail t;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        t.error = errnoText(errno);
        return t;
    }
    const qint64 size = st.st_size;
    if (size == 0) {
        return t;
    }
    QByteArray buf;
    qint64 pos = size;
    const qint64 chunk = 64 * 1024;
    bool first = true;
    while (pos > 0 && size - pos < s_maxTailBytes) {
        const qint64 n = std::min(chunk, pos);
        pos -= n;
        QByteArray part(qsizetype(n), Qt::Uninitialized);
        if (::pread(fd, part.data(), size_t(n), off_t(pos)) != ssize_t(n)) {
            t.error = QStringLiteral("cannot read the end of the log: %1").arg(errnoText(errno));
            return t;
        }
        buf.prepend(part);
        if (first) {
            t.endsInNewline = buf.endsWith('\n');
            first = false;
        }
        // Complete lines in buf: those after the first newline (the start may be cut), or all
        // when the start of the file is reached.
        qsizetype end = t.endsInNewline ? buf.size() - 1 : buf.lastIndexOf('\n');
        while (end > 0 || (end == 0 && pos == 0)) {
            const qsizetype nl = end > 0 ? buf.lastIndexOf('\n', end - 1) : -1;
            if (nl < 0 && pos > 0) {
                break; // this line may start before buf: read more
            }
            const QByteArray line = buf.mid(nl + 1, end - nl - 1);
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            const qint64 seq = o.value(QStringLiteral("seq")).toInteger(0);
            if (seq > 0) {
                t.seq = seq;
                t.hash = AuditLog::hashLine(line);
                return t;
            }
            if (nl < 0) {
                break;
            }
            end = nl;
        }
    }
    if (pos > 0) {
        t.error = QStringLiteral("no intact record in its last %1 bytes").arg(s_maxTailBytes);
    }
    return t; // no intact record at all: the chain starts here
}

// Replaces the head record atomically: a temporary file, written in full and fsync'd, renamed
// over the old one. Any failure (a full disk) leaves the old head in place — one record behind,
// which verify() accepts — never an empty or partial head.
void writeHead(const QString &path, const QByteArray &bytes)
{
    const QByteArray tmp = QFile::encodeName(path + QStringLiteral(".tmp"));
    const int fd
        = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        return;
    }
    bool ok = ::write(fd, bytes.constData(), size_t(bytes.size())) == ssize_t(bytes.size());
    ok = ::fsync(fd) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.constData(), QFile::encodeName(path).constData()) != 0) {
        ::unlink(tmp.constData());
    }
}

} // namespace

AuditLog::AuditLog(QString filePath)
    : m_path(std::move(filePath))
{ }

QString AuditLog::headPath(const QString &logPath)
{
    return logPath + QStringLiteral(".head");
}

const QByteArray &AuditLog::genesisHash()
{
    static const QByteArray zeros(64, '0');
    return zeros;
}

QByteArray AuditLog::hashLine(const QByteArray &line)
{
    return QCryptographicHash::hash(line, QCryptographicHash::Sha256).toHex();
}

QString AuditLog::directory()
{
    const QString env = qEnvironmentVariable("HOPSCOPE_AUDIT_DIR");
    if (!env.isEmpty()) {
        return env;
    }
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
        + QStringLiteral("/audit");
}

AuditLog::AuditLog(const ClusterProfile &profile)
    : m_path(pathForProfile(profile))
    , m_legacyPath(legacyPathForProfile(profile.name))
{ }

QString AuditLog::clusterIdentity(const ClusterProfile &profile)
{
    QStringList parts;
    for (const HostPort &hp : profile.dnsServers) {
        parts << QStringLiteral("dns=") + hp.toString().toLower();
    }
    if (profile.dnsUpdate) {
        QString zone = profile.dnsUpdate->zone.toLower();
        if (zone.endsWith(u'.')) {
            zone.chop(1);
        }
        parts << QStringLiteral("update=%1/%2")
                     .arg(profile.dnsUpdate->server.toString().toLower(), zone);
    }
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        if (lb.runtime) {
            parts << QStringLiteral("lb-runtime=") + lb.runtime->toString();
        }
        if (lb.statsUrl.isValid()) {
            parts << QStringLiteral("lb-stats=")
                    + lb.statsUrl.adjusted(QUrl::NormalizePathSegments).toString().toLower();
        }
        // ELBv2 target groups: their ARNs name region and account (issue 16).
        for (const TargetGroupSpec &tg : lb.targetGroups) {
            parts << QStringLiteral("elbv2-tg=") + tg.arn.toLower();
        }
    }
    // Cloud Map services: namespace names repeat across accounts, so with the AWS endpoint.
    for (const ServiceSpec &svc : profile.services) {
        if (svc.cloudMap && profile.aws) {
            parts << QStringLiteral("cloudmap=%1|%2|%3/%4")
                         .arg(profile.aws->region.toLower(),
                             profile.aws->endpointUrl.toString().toLower(),
                             svc.cloudMap->namespaceName.toLower(), svc.cloudMap->service);
        }
    }
    for (const ProxySpec &px : profile.proxies) {
        if (px.admin.isValid()) {
            parts << QStringLiteral("proxy-admin=")
                    + px.admin.adjusted(QUrl::NormalizePathSegments).toString().toLower();
        }
    }
    parts.sort();
    parts.removeDuplicates();
    return QString::fromLatin1(hashLine(parts.join(u'\n').toUtf8()).left(16));
}

QString AuditLog::pathForProfile(const ClusterProfile &profile)
{
    return directory() + QStringLiteral("/cluster-") + clusterIdentity(profile)
        + QStringLiteral(".audit.jsonl");
}

QString AuditLog::legacyPathForProfile(const QString &profileName)
{
    QString base = profileName;
    static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]+"));
    base.replace(unsafe, QStringLiteral("_"));
    if (base.isEmpty() || base.startsWith(u'.')) {
        base.prepend(QStringLiteral("profile"));
    }
    return directory() + u'/' + base + QStringLiteral(".audit.jsonl");
}

QString AuditLog::osUser()
{
#ifdef Q_OS_UNIX
    if (const passwd *pw = ::getpwuid(::geteuid())) {
        return QString::fromLocal8Bit(pw->pw_name);
    }
#endif
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty()) {
        user = qEnvironmentVariable("USERNAME");
    }
    return user.isEmpty() ? QStringLiteral("unknown") : user;
}

bool AuditLog::append(const AuditEntry &entry, QString *error)
{
    const QByteArray encoded = QFile::encodeName(m_path);
    auto fail = [&](const QString &why) {
        if (error) {
            *error = QStringLiteral("the audit log could not be written: %1: %2").arg(m_path, why);
        }
        return false;
    };
    const QFileInfo info(m_path);
    const bool existed = info.exists();
    if (!existed && !QDir().mkpath(info.absolutePath())) {
        // mkpath says no more than false: ask the system for the reason.
        const int rc = ::mkdir(QFile::encodeName(info.absolutePath()).constData(), 0700);
        return fail(QStringLiteral("cannot create the directory %1: %2")
                        .arg(info.absolutePath(), errnoText(rc == 0 ? 0 : errno)));
    }
    const int fd = ::open(
        encoded.constData(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0) {
        return fail(errnoText(errno));
    }
    struct FdCloser
    {
        int fd;
        ~FdCloser() { ::close(fd); } // also releases the flock
    } closer { fd };
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        return fail(errnoText(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(QStringLiteral("not a regular file"));
    }
    // Another hopscope process (GUI and CLI) may append to the same log.
    if (::flock(fd, LOCK_EX) != 0) {
        return fail(QStringLiteral("cannot lock the file: %1").arg(errnoText(errno)));
    }
    // The size now, under the lock: where a failed write is cut back to.
    if (::fstat(fd, &st) != 0) {
        return fail(errnoText(errno));
    }
    const Tail tail = readTail(fd);
    if (!tail.error.isEmpty()) {
        return fail(tail.error);
    }
    QJsonObject o;
    o.insert(QStringLiteral("seq"), tail.seq + 1);
    o.insert(QStringLiteral("time"),
        (entry.time.isValid() ? entry.time : QDateTime::currentDateTimeUtc())
            .toUTC()
            .toString(Qt::ISODateWithMs));
    o.insert(QStringLiteral("user"), entry.user.isEmpty() ? osUser() : entry.user);
    o.insert(QStringLiteral("profile"), entry.profile);
    o.insert(QStringLiteral("target"), entry.target);
    o.insert(QStringLiteral("event"), entry.event);
    o.insert(QStringLiteral("step"), entry.step);
    o.insert(QStringLiteral("before"), entry.before.isUndefined() ? QJsonValue() : entry.before);
    o.insert(QStringLiteral("after"), entry.after.isUndefined() ? QJsonValue() : entry.after);
    o.insert(QStringLiteral("result"), entry.result);
    if (!entry.detail.isEmpty()) {
        o.insert(QStringLiteral("detail"), entry.detail);
    }
    o.insert(QStringLiteral("prev"), QString::fromLatin1(tail.hash));
    const QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact);
    // A torn last line (a writer died mid-line, or the disk filled up) is closed first so that
    // this record starts on a fresh line; its seq and prev continue from the last intact record,
    // and verify() reports the torn line without calling the chain broken.
    const QByteArray bytes
        = (tail.endsInNewline ? QByteArray() : QByteArrayLiteral("\n")) + line + '\n';
    qint64 written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + written, size_t(bytes.size() - written));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            // Leave no torn line behind when we can (shrinking works on a full disk too).
            if (::ftruncate(fd, st.st_size) == 0) {
                ::fsync(fd);
            }
            return fail(errnoText(err));
        }
        written += n;
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        if (::ftruncate(fd, st.st_size) == 0) {
            ::fsync(fd);
        }
        return fail(QStringLiteral("fsync: %1").arg(errnoText(err)));
    }
    if (!existed) {
        // The new directory entry must survive a crash too.
        const int dirFd
            = ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_CLOEXEC);
        if (dirFd >= 0) {
            ::fsync(dirFd);
            ::close(dirFd);
        }
    }
    // The head record lets verify() notice whole lines cut off the end. It is written after the
    // line, so a crash in between leaves the head one line behind, which verify() accepts.
    QJsonObject h;
    h.insert(QStringLiteral("seq"), tail.seq + 1);
    h.insert(QStringLiteral("sha256"), QString::fromLatin1(hashLine(line)));
    writeHead(headPath(m_path), QJsonDocument(h).toJson(QJsonDocument::Compact) + '\n');
    return true;
}

AuditVerifyResult AuditLog::verify(const QString &filePath)
{
    return AuditReader::scan(filePath).verify;
}

} // namespace hopscope
