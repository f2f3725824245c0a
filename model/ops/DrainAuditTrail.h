#pragma once

#include "ops/AuditLog.h"
#include "ops/DrainLayer.h"

#include <optional>

namespace hopscope {

// The audit records of one drain in the shape AuditReader reads back: the intent before each
// command (with what undo must do), the outcome or the failure after it (a failure says whether
// the server answered that it did not apply it), the observation that verified it, and the same
// for undo. One place that knows the record layout DrainController writes. Plain class over a
// borrowed AuditLog (none: nothing is written and every write succeeds).
class DrainAuditTrail
{
public:
    explicit DrainAuditTrail(AuditLog *log)
        : m_log(log)
    { }

    AuditLog *log() const { return m_log; }
    // The profile and target every record names.
    void setDrain(const QString &profile, const QString &target);
    // On failure false, and error() says where and why the log could not be written.
    bool write(const QString &event, const QString &step, const QJsonValue &before,
        const QJsonValue &after, const QString &result, const QJsonObject &detail = {});
    QString error() const { return m_error; }

    bool intent(int index, const DrainLayer &layer, Direction d);
    bool outcome(int index, const DrainLayer &layer, Direction d, const QJsonValue &before,
        const QJsonValue &after, const QString &how);
    bool verified(const DrainLayer &layer, Direction d, const QString &observation);
    // `notApplied`: nullopt when no intent was written for the step; true when the server
    // answered that it did not apply it (the intent is void), false when it may have happened.
    bool failure(int index, const DrainStep &step, Direction d, const QString &reason,
        std::optional<bool> notApplied);
    // Closes the drain in the log it was loaded from (written before logs were keyed by cluster
    // identity), so it is not offered for undo again.
    void closeLegacy(const QString &legacyLog);

private:
    AuditLog *m_log;
    QString m_profile;
    QString m_target;
    QString m_error;
};

} // namespace hopscope
