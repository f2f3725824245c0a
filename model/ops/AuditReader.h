#pragma once

#include "ops/AuditLog.h"
#include "ops/DrainPlanner.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace hopscope {

// A drain the audit log shows as not undone yet: what `undrain` and the window's Undo must put
// back. A step whose intent was written but whose outcome never was (the reply was lost, the
// process was killed, the disk filled up) "may have happened": it is listed like a done step and
// undone idempotently, verified by observation.
struct OpenDrain
{
    QString target; // "addr:port"
    QString profile; // the profile name written with the records (display only)
    QString service; // the service(s) the plan named, "serviceB" (empty when no plan was logged)
    QDateTime since; // the first intent or step of this drain
    QString user; // who wrote that first record
    QStringList layers; // kind names of the steps, in the order done: "dns-remove", ...
    QStringList uncertainLayers; // the subset whose outcome was never recorded
    bool mayHaveHappened = false; // uncertainLayers is not empty
    QList<DrainStep> steps; // what undo must put back, in the order done
    QDateTime dnsRemovedAt; // when the DNS removal was recorded (intent or outcome)
    qint64 lastSeq = 0; // seq of the newest record of this drain
};

// One streaming pass over an audit log: the chain check (what AuditLog::verify() reports) and
// the drains not undone yet. Bounded whatever the file is (AuditLineReader: regular files only,
// lines capped, memory independent of the file size); the problem list is capped too
// (AuditVerifyResult::problemCount keeps the full count).
struct AuditScan
{
    bool missing = false; // the log does not exist (no drain was ever logged there)
    AuditVerifyResult verify;
    QList<OpenDrain> drains; // by `since`
};

// What `undrain` and the window's Undo act on (AuditReader::drainToUndo).
struct DrainToUndo
{
    bool found = false;
    OpenDrain drain;   // found: the steps to put back; uncertainLayers may have happened
    QString key;       // the target normalised to "addr:port"
    QString legacyLog; // the drain came from the pre-identity log (close it there too after undo)
    QString why;       // !found: why there is nothing to undo
};

class AuditReader
{
public:
    static AuditScan scan(const QString &auditPath);
    // Every drain of the log not undone yet. A missing log has none (no error). A log that
    // cannot be read or whose chain is not intact gives none and says why in *error: nothing is
    // undone from a log that may have been tampered with.
    static QList<OpenDrain> openDrains(const QString &auditPath, QString *error);
    // The open drain of one target, if any (same rules).
    static std::optional<OpenDrain> openDrain(
        const QString &auditPath, const QString &target, QString *error);

    // The last drain of `target` not undone yet: from the cluster's log, else from the log its
    // display name selected before logs were keyed by cluster identity. Nothing is undone from a
    // log whose chain is not intact.
    static DrainToUndo drainToUndo(const AuditLog &log, const QString &target);

    // Identity of a step's layer (two records of the same layer change share it).
    static QString stepKey(const DrainStep &step);
};

// Same as AuditReader::openDrains.
QList<OpenDrain> openDrains(const QString &auditPath, QString *error);

} // namespace hopscope
