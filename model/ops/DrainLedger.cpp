#include "ops/DrainLedger.h"

#include "ops/AuditReader.h"

namespace hopscope {

bool DrainLedger::contains(const QString &key) const
{
    return std::any_of(m_steps.cbegin(), m_steps.cend(),
        [&](const DrainStep &s) { return AuditReader::stepKey(s) == key; });
}

bool DrainLedger::mayHaveHappened(const DrainStep &step) const
{
    return m_uncertain.contains(AuditReader::stepKey(step));
}

QStringList DrainLedger::uncertainLayers() const
{
    QStringList out;
    for (const DrainStep &s : m_steps) {
        if (mayHaveHappened(s)) {
            out << DrainStep::kindName(s.kind);
        }
    }
    return out;
}

void DrainLedger::intended(const DrainStep &step)
{
    const QString key = AuditReader::stepKey(step);
    if (!contains(key)) {
        m_steps.append(step);
    }
    m_uncertain.insert(key);
}

void DrainLedger::applied(const DrainStep &step)
{
    const QString key = AuditReader::stepKey(step);
    if (!contains(key)) {
        m_steps.append(step); // a step that needed no command
    }
    m_uncertain.remove(key);
}

void DrainLedger::voidIntent(const DrainStep &step)
{
    const QString key = AuditReader::stepKey(step);
    m_uncertain.remove(key);
    m_steps.erase(std::remove_if(m_steps.begin(), m_steps.end(),
                      [&](const DrainStep &s) { return AuditReader::stepKey(s) == key; }),
        m_steps.end());
}

void DrainLedger::load(const OpenDrain &drain)
{
    clear();
    m_steps = drain.steps;
    for (const DrainStep &s : std::as_const(m_steps)) {
        if (drain.uncertainLayers.contains(DrainStep::kindName(s.kind))) {
            m_uncertain.insert(AuditReader::stepKey(s));
        }
    }
}

void DrainLedger::clear()
{
    m_steps.clear();
    m_uncertain.clear();
}

} // namespace hopscope
