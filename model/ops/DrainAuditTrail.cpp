#include "ops/DrainAuditTrail.h"

namespace hopscope {

namespace {

QJsonObject stepDetail(int index, const DrainStep &step)
{
    return { { QStringLiteral("index"), index }, { QStringLiteral("drainStep"), step.toJson() } };
}

} // namespace

void DrainAuditTrail::setDrain(const QString &profile, const QString &target)
{
    m_profile = profile;
    m_target = target;
}

bool DrainAuditTrail::write(const QString &event, const QString &step, const QJsonValue &before,
    const QJsonValue &after, const QString &result, const QJsonObject &detail)
{
    if (!m_log) {
        return true;
    }
    AuditEntry e;
    e.event = event;
    e.profile = m_profile;
    e.target = m_target;
    e.step = step;
    e.before = before;
    e.after = after;
    e.result = result;
    e.detail = detail;
    m_error.clear();
    return m_log->append(e, &m_error);
}

bool DrainAuditTrail::intent(int index, const DrainLayer &layer, Direction d)
{
    const bool undo = d == Direction::Undo;
    QJsonObject detail = stepDetail(index, layer.step());
    detail.insert(QStringLiteral("undo"), undo ? QString() : layer.undoText());
    return write(undo ? QStringLiteral("undo-intent") : QStringLiteral("intent"), layer.name(), {},
        {}, QStringLiteral("about to send"), detail);
}

bool DrainAuditTrail::outcome(int index, const DrainLayer &layer, Direction d,
    const QJsonValue &before, const QJsonValue &after, const QString &how)
{
    return write(d == Direction::Undo ? QStringLiteral("undo-step") : QStringLiteral("step"),
        layer.name(), before, after, QStringLiteral("sent: ") + how,
        stepDetail(index, layer.step()));
}

bool DrainAuditTrail::verified(const DrainLayer &layer, Direction d, const QString &observation)
{
    return write(
        d == Direction::Undo ? QStringLiteral("undo-verified") : QStringLiteral("verified"),
        layer.name(), {}, observation, QStringLiteral("observed"));
}

bool DrainAuditTrail::failure(int index, const DrainStep &step, Direction d, const QString &reason,
    std::optional<bool> notApplied)
{
    QJsonObject detail = stepDetail(index, step);
    if (notApplied) {
        detail.insert(QStringLiteral("notApplied"), *notApplied);
    }
    return write(d == Direction::Undo ? QStringLiteral("undo-failed") : QStringLiteral("failed"),
        DrainStep::kindName(step.kind), {}, {}, QStringLiteral("failed: ") + reason, detail);
}

void DrainAuditTrail::closeLegacy(const QString &legacyLog)
{
    AuditEntry e;
    e.event = QStringLiteral("undone");
    e.profile = m_profile;
    e.target = m_target;
    e.result = QStringLiteral("ok: undone from here; recorded in %1")
                   .arg(m_log ? m_log->filePath() : QString());
    AuditLog(legacyLog).append(e);
}

} // namespace hopscope
