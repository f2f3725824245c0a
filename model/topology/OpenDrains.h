#pragma once

#include "topology/Topology.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace hopscope {

// A drain the audit log shows as not undone: the operator took the target out and has not put
// it back. Such a target stays in the graph (as drained) even after every source stopped listing
// it — it still runs, and the operator needs a place to undo from.
struct DrainMark
{
    QString target; // "addr:port" ("[v6]:port")
    QString service; // the service it was drained from: the drain plan's, else the last topology's
    QDateTime since; // when the drain was planned
    QString user; // who drained it
};

// Folds open drains into the services of a topology being built. Pure.
class OpenDrains
{
public:
    // For one service: its listed targets that are marked become Drained (Draining while still
    // emptying), and each mark of this service that no source lists any more is added as a
    // Drained target. `listedElsewhere` says whether a key is listed under another service.
    // Returns how many targets of the service are operator drains.
    template <typename ListedElsewhere>
    static int apply(
        ServiceNode &service, const QList<DrainMark> &marks, ListedElsewhere &&listedElsewhere)
    {
        int drained = 0;
        for (TargetNode &t : service.targets) {
            if (const DrainMark *m = find(marks, t.key)) {
                markListed(t, *m);
                ++drained;
            }
        }
        for (const DrainMark &m : marks) {
            if (m.service != service.id || listedElsewhere(m.target)
                || contains(service.targets, m.target)) {
                continue;
            }
            service.targets.append(vanished(m));
            ++drained;
        }
        sortByKey(service.targets);
        return drained;
    }

    static QString byWhom(
        const QString &user, const QDateTime &since); // "drained by alice at 02:14:05"

private:
    static const DrainMark *find(const QList<DrainMark> &marks, const QString &key);
    static bool contains(const QList<TargetNode> &targets, const QString &key);
    static void markListed(TargetNode &target, const DrainMark &mark);
    static TargetNode vanished(const DrainMark &mark);
    static void sortByKey(QList<TargetNode> &targets);
};

} // namespace hopscope
