#pragma once

#include "ops/AuditReader.h"

#include <QString>

namespace hopscope {

class AuditLog;

// Forgets an open drain without touching the cluster: for a task that is gone for good
// (terminated), whose drain can never be undone. Writes one "dismissed" record (who, when,
// optional reason) to the audit log that holds the drain, fsync'd and hash-chained like every
// record, under the cluster's drain lock so it cannot race a drain of the same cluster. After it
// AuditReader no longer lists the drain; a later drain of the same target is a new open drain.
// If the task still runs drained, dismissing hides that: undrain is what puts it back.
class DrainDismissal
{
public:
    // The open drain of `target` in `log` (or its legacy log), if any. *error when a log cannot
    // be used (not intact, unreadable).
    static std::optional<OpenDrain> find(
        const AuditLog &log, const QString &target, QString *error);

    // What the confirmation asks (names the drain, says the cluster is not changed).
    static QString confirmationText(const OpenDrain &drain);

    // Writes the "dismissed" record. False and *message (why) when there is no open drain of
    // `target`, the drain lock is held, or the log cannot be written; true and *message (what
    // was recorded where) otherwise.
    static bool dismiss(const AuditLog &log, const QString &profileName, const QString &target,
        const QString &reason, QString *message);
};

} // namespace hopscope
