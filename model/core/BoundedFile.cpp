#include "core/BoundedFile.h"

#include <QFile>
#include <QFileInfo>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace hopscope {

namespace {

#ifdef Q_OS_UNIX
QString describeMode(mode_t mode)
{
    if (S_ISREG(mode)) {
        return {};
    }
    if (S_ISFIFO(mode)) {
        return QStringLiteral("a named pipe (FIFO)");
    }
    if (S_ISCHR(mode)) {
        return QStringLiteral("a character device");
    }
    if (S_ISBLK(mode)) {
        return QStringLiteral("a block device");
    }
    if (S_ISSOCK(mode)) {
        return QStringLiteral("a socket");
    }
    if (S_ISDIR(mode)) {
        return QStringLiteral("a directory");
    }
    return QStringLiteral("not a regular file");
}
#endif

QString tooLarge(const QString &path, qint64 maxBytes)
{
    return QStringLiteral("%1: is larger than %2 bytes; refusing to read it")
        .arg(path)
        .arg(maxBytes);
}

} // namespace

QString describeNonRegularFile(const QString &path)
{
#ifdef Q_OS_UNIX
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        return {};
    }
    return describeMode(st.st_mode);
#else
    const QFileInfo info(path);
    if (!info.exists() || info.isFile()) {
        return {};
    }
    return info.isDir() ? QStringLiteral("a directory") : QStringLiteral("not a regular file");
#endif
}

#ifdef Q_OS_UNIX
int openRegularFile(const QString &path, qint64 *size, QString *error, bool *missing)
{
    if (missing) {
        *missing = false;
    }
    const int fd
        = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        const int openErrno = errno;
        if (missing) {
            *missing = openErrno == ENOENT;
        }
        // open() fails on some kinds before fstat can tell (a unix socket gives ENXIO).
        const QString kind = describeNonRegularFile(path);
        *error = kind.isEmpty()
            ? QStringLiteral("%1: cannot open: %2")
                  .arg(path, QString::fromLocal8Bit(std::strerror(openErrno)))
            : QStringLiteral("%1: is %2, not a regular file; refusing to read it").arg(path, kind);
        return -1;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        *error = QStringLiteral("%1: cannot stat: %2")
                     .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        ::close(fd);
        return -1;
    }
    const QString what = describeMode(st.st_mode);
    if (!what.isEmpty()) {
        *error
            = QStringLiteral("%1: is %2, not a regular file; refusing to read it").arg(path, what);
        ::close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}
#endif

BoundedRead readRegularFile(const QString &path, qint64 maxBytes)
{
    BoundedRead r;
#ifdef Q_OS_UNIX
    qint64 fileSize = 0;
    const int fd = openRegularFile(path, &fileSize, &r.error);
    if (fd < 0) {
        return r;
    }
    if (fileSize > maxBytes) {
        r.error = tooLarge(path, maxBytes);
        ::close(fd);
        return r;
    }
    // Regular files ignore O_NONBLOCK; read until EOF or one byte past the cap.
    QByteArray data;
    data.resize(qsizetype(qMin<qint64>(fileSize, maxBytes) + 1));
    qint64 got = 0;
    for (;;) {
        if (got == data.size()) {
            if (got > maxBytes) {
                break;
            }
            data.resize(qsizetype(qMin<qint64>(maxBytes + 1, got * 2 + 4096)));
        }
        const ssize_t n = ::read(fd, data.data() + got, size_t(data.size() - got));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            r.error = QStringLiteral("%1: read failed: %2")
                          .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
            ::close(fd);
            return r;
        }
        if (n == 0) {
            break;
        }
        got += n;
    }
    ::close(fd);
    if (got > maxBytes) {
        r.error = tooLarge(path, maxBytes);
        return r;
    }
    data.truncate(qsizetype(got));
    r.data = std::move(data);
    return r;
#else
    const QString what = describeNonRegularFile(path);
    if (!what.isEmpty()) {
        r.error
            = QStringLiteral("%1: is %2, not a regular file; refusing to read it").arg(path, what);
        return r;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        r.error = QStringLiteral("%1: cannot open: %2").arg(path, f.errorString());
        return r;
    }
    if (f.size() > maxBytes) {
        r.error = tooLarge(path, maxBytes);
        return r;
    }
    QByteArray data = f.read(maxBytes + 1);
    if (data.size() > maxBytes) {
        r.error = tooLarge(path, maxBytes);
        return r;
    }
    r.data = std::move(data);
    return r;
#endif
}

} // namespace hopscope
