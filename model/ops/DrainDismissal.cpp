#include "ops/DrainDismissal.h"

#include "ops/AuditLog.h"
#include "ops/DrainLock.h"
#include "profile/Endpoint.h"

#include <QFileInfo>
#include <QJsonObject>

namespace hopscope {

namespace {

QString normalized(const QString &target)
{
    if (const auto hp = HostPort::parse(target, 0)) {
        return hp->toString();
    }
    return target;
}

// The open drain of `target` and the log that holds it: the cluster's log first, then the log
// its display name selected before logs were keyed by cluster identity (as undrain reads them).
std::optional<OpenDrain> findIn(
    const AuditLog &log, const QString &target, QString *path, QString *error)
{
    QStringList paths { log.filePath() };
    if (!log.legacyFilePath().isEmpty() && log.legacyFilePath() != log.filePath()
        && QFileInfo::exists(log.legacyFilePath())) {
        paths << log.legacyFilePath();
    }
    const QString key = normalized(target);
    for (const QString &p : std::as_const(paths)) {
        QString why;
        const auto d = AuditReader::openDrain(p, key, &why);
        if (!why.isEmpty()) {
            if (error) {
                *error = why;
            }
            return std::nullopt;
        }
        if (d) {
            if (path) {
                *path = p;
            }
            return d;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<OpenDrain> DrainDismissal::find(
    const AuditLog &log, const QString &target, QString *error)
{
    return findIn(log, target, nullptr, error);
}

QString DrainDismissal::confirmationText(const OpenDrain &drain)
{
    QString text
        = QStringLiteral("Dismiss the open drain of %1 (by %2 since %3, layers: %4)?\n"
                         "Dismissing only records in the audit log that the drain is "
                         "forgotten: nothing is sent to the cluster. Use it for a task "
                         "that is gone for good. If the task still runs, undrain is the "
                         "way to put it back; dismiss forgets it.")
              .arg(drain.target, drain.user.isEmpty() ? QStringLiteral("?") : drain.user,
                  drain.since.toString(Qt::ISODate), drain.layers.join(QStringLiteral(", ")));
    if (drain.mayHaveHappened) {
        text += QStringLiteral("\nThe outcome of %1 was never recorded: it may have happened.")
                    .arg(drain.uncertainLayers.join(QStringLiteral(", ")));
    }
    return text;
}

bool DrainDismissal::dismiss(const AuditLog &log, const QString &profileName, const QString &target,
    const QString &reason, QString *message)
{
    const QString key = normalized(target);
    DrainLock lock(DrainLock::pathForLog(log.filePath()));
    QString why;
    if (!lock.tryAcquire(key, 60, &why)) {
        *message = why + QStringLiteral("; nothing was dismissed");
        return false;
    }
    QString path;
    QString error;
    const auto drain = findIn(log, key, &path, &error);
    if (!drain) {
        *message = error.isEmpty() ? QStringLiteral("the audit log shows no open drain of %1 (%2)")
                                         .arg(key, log.filePath())
                                   : error;
        return false;
    }
    AuditEntry e;
    e.event = QStringLiteral("dismissed");
    e.profile = profileName;
    e.target = key;
    e.result = QStringLiteral("ok: open drain forgotten; the cluster was not changed");
    if (!reason.isEmpty()) {
        e.detail.insert(QStringLiteral("reason"), reason);
    }
    e.detail.insert(QStringLiteral("layers"), drain->layers.join(QStringLiteral(",")));
    if (!AuditLog(path).append(e, &error)) {
        *message = error + QStringLiteral("; nothing was dismissed");
        return false;
    }
    *message = QStringLiteral("dismissed the open drain of %1 (recorded in %2); the cluster was "
                              "not changed")
                   .arg(key, path);
    return true;
}

} // namespace hopscope
