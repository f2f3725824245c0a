#pragma once

#include "ops/DrainPlanner.h"

#include <QSet>
#include <QStringList>

namespace hopscope {

struct OpenDrain;

// The steps of one drain that undo must put back, in the order done, and which of them may have
// happened: the intent was written, the outcome never was (lost reply, crash), so undo treats
// them as applied. A step is identified by its layer (AuditReader::stepKey). Plain value class.
class DrainLedger
{
public:
    const QList<DrainStep> &steps() const { return m_steps; }
    bool isEmpty() const { return m_steps.isEmpty(); }
    qsizetype size() const { return m_steps.size(); }
    bool mayHaveHappened(const DrainStep &step) const;
    // Kind names ("dns-remove", ...) of the steps that may have happened, in the order done.
    QStringList uncertainLayers() const;

    void intended(const DrainStep &step); // its intent is on disk: listed, may have happened
    void applied(const DrainStep &step); // its outcome is on disk: listed, done
    void voidIntent(const DrainStep &step); // the server answered no: not listed any more
    void load(const OpenDrain &drain); // what the audit log shows open
    void clear();

private:
    bool contains(const QString &key) const;

    QList<DrainStep> m_steps;
    QSet<QString> m_uncertain;
};

} // namespace hopscope
