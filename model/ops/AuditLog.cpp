#include "ops/AuditLog.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>
#endif

namespace hopscope {

namespace {

constexpr qint64 s_maxLineBytes = 1024 * 1024;

bool syncHandle(int fd)
{
#ifdef Q_OS_UNIX
    return ::fsync(fd) == 0;
#else
    Q_UNUSED(fd);
    return true;
#endif
}

// The last complete line of the file open on `file` (without its newline), read backwards in
// chunks; empty when the file is empty. Sets *cutOff when the file does not end in '\n'.
QByteArray lastLine(QFile &file, bool *cutOff)
{
    const qint64 size = file.size();
    *cutOff = false;
    if (size == 0) {
        return {};
    }
    QByteArray tail;
    qint64 pos = size;
    const qint64 chunk = 4096;
    while (pos > 0) {
        const qint64 n = std::min(chunk, pos);
        pos -= n;
        file.seek(pos);
        tail.prepend(file.read(n));
        if ((tail.size() >= 2 && tail.lastIndexOf('\n', tail.size() - 2) >= 0)
            || tail.size() > s_maxLineBytes) {
            break;
        }
    }
    if (!tail.endsWith('\n')) {
        *cutOff = true;
        return {};
    }
    tail.chop(1);
    const qsizetype nl = tail.lastIndexOf('\n');
    return nl >= 0 ? tail.mid(nl + 1) : tail;
}

QString headPath(const QString &path)
{
    return path + QStringLiteral(".head");
}

} // namespace

AuditLog::AuditLog(QString filePath)
    : m_path(std::move(filePath))
{
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

QString AuditLog::pathForProfile(const QString &profileName)
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
    auto fail = [&](const QString &why) {
        if (error) {
            *error = QStringLiteral("audit log %1: %2").arg(m_path, why);
        }
        return false;
    };
    const QFileInfo info(m_path);
    const bool existed = info.exists();
    if (!existed && !QDir().mkpath(info.absolutePath())) {
        return fail(QStringLiteral("cannot create the directory %1").arg(info.absolutePath()));
    }
    QFile file(m_path);
    if (!file.open(QIODevice::ReadWrite | QIODevice::Append | QIODevice::Unbuffered)) {
        return fail(file.errorString());
    }
#ifdef Q_OS_UNIX
    // Another hopscope process (GUI and CLI) may append to the same profile's log.
    if (::flock(file.handle(), LOCK_EX) != 0) {
        return fail(QStringLiteral("cannot lock the file"));
    }
#endif
    bool cutOff = false;
    const QByteArray previous = lastLine(file, &cutOff);
    QByteArray prefix;
    qint64 seq = 1;
    QByteArray prevHash = genesisHash();
    if (cutOff) {
        // A writer died mid-line (never after fsync: only a torn, unreported line). Close it so
        // this line stays parsable; verify() reports the torn line.
        prefix = "\n";
    } else if (!previous.isEmpty()) {
        prevHash = hashLine(previous);
        const QJsonObject prev = QJsonDocument::fromJson(previous).object();
        seq = prev.value(QStringLiteral("seq")).toInteger(0) + 1;
    }
    QJsonObject o;
    o.insert(QStringLiteral("seq"), seq);
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
    o.insert(QStringLiteral("prev"), QString::fromLatin1(prevHash));
    const QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact);
    const QByteArray bytes = prefix + line + '\n';
    if (file.write(bytes) != bytes.size()) {
        return fail(QStringLiteral("write failed: %1").arg(file.errorString()));
    }
    if (!syncHandle(file.handle())) {
        return fail(QStringLiteral("fsync failed"));
    }
    if (!existed) {
#ifdef Q_OS_UNIX
        // The new directory entry must survive a crash too.
        const int dirFd = ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY);
        if (dirFd >= 0) {
            ::fsync(dirFd);
            ::close(dirFd);
        }
#endif
    }
    // The head record lets verify() notice whole lines cut off the end. It is written after the
    // line, so a crash in between leaves the head one line behind, which verify() accepts.
    QSaveFile head(headPath(m_path));
    if (head.open(QIODevice::WriteOnly)) {
        QJsonObject h;
        h.insert(QStringLiteral("seq"), seq);
        h.insert(QStringLiteral("sha256"), QString::fromLatin1(hashLine(line)));
        head.write(QJsonDocument(h).toJson(QJsonDocument::Compact) + '\n');
        head.commit();
    }
    file.close(); // releases the flock
    return true;
}

AuditVerifyResult AuditLog::verify(const QString &filePath)
{
    AuditVerifyResult r;
    QFile file(filePath);
    if (!file.open(QIODevice::ReadOnly)) {
        r.problems.append({0, QStringLiteral("cannot open %1: %2").arg(filePath, file.errorString())});
        return r;
    }
    const QByteArray all = file.readAll();
    if (all.isEmpty()) {
        r.problems.append({0, QStringLiteral("the log is empty")});
        return r;
    }
    QList<QByteArray> lines = all.split('\n');
    const bool endsWithNewline = all.endsWith('\n');
    if (endsWithNewline) {
        lines.removeLast();
    }
    QByteArray prevHash = genesisHash();
    qint64 expectedSeq = 1;
    QHash<qint64, QByteArray> hashBySeq;
    for (int i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        const int n = i + 1;
        ++r.lines;
        const bool last = i == lines.size() - 1;
        if (last && !endsWithNewline) {
            r.problems.append({n, QStringLiteral("truncated: the last line has no end (cut off mid-line)")});
        }
        QJsonParseError pe{};
        const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
            r.problems.append({n, QStringLiteral("not a JSON object (%1): tampered or truncated")
                                       .arg(pe.errorString())});
            prevHash = hashLine(line);
            ++expectedSeq;
            continue;
        }
        const QJsonObject o = doc.object();
        const qint64 seq = o.value(QStringLiteral("seq")).toInteger(-1);
        const QByteArray prev = o.value(QStringLiteral("prev")).toString().toLatin1();
        if (seq != expectedSeq) {
            r.problems.append({n, QStringLiteral("sequence number %1 where %2 was expected: "
                                                 "lines were removed, inserted or reordered")
                                       .arg(seq)
                                       .arg(expectedSeq)});
        }
        if (prev != prevHash) {
            r.problems.append({n, n == 1 ? QStringLiteral("the first line does not start the chain: "
                                                          "lines before it were removed")
                                         : QStringLiteral("hash chain broken: line %1 was changed, "
                                                          "removed or moved")
                                               .arg(n - 1)});
        }
        prevHash = hashLine(line);
        hashBySeq.insert(seq, prevHash);
        expectedSeq = seq + 1;
    }
    QFile headFile(headPath(filePath));
    if (headFile.open(QIODevice::ReadOnly)) {
        const QJsonObject h = QJsonDocument::fromJson(headFile.readAll()).object();
        const qint64 headSeq = h.value(QStringLiteral("seq")).toInteger(-1);
        const QByteArray headHash = h.value(QStringLiteral("sha256")).toString().toLatin1();
        if (headSeq > expectedSeq - 1) {
            r.problems.append({r.lines, QStringLiteral("truncated: the head record says line %1 "
                                                       "was written, the log ends at %2")
                                            .arg(headSeq)
                                            .arg(expectedSeq - 1)});
        } else if (headSeq > 0 && hashBySeq.value(headSeq) != headHash) {
            r.problems.append({int(headSeq), QStringLiteral("line %1 differs from the one the head "
                                                            "record saw written")
                                                 .arg(headSeq)});
        }
    }
    return r;
}

} // namespace hopscope
