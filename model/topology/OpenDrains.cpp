#include "OpenDrains.h"

#include "profile/Endpoint.h"

#include <algorithm>

namespace hopscope {

QString OpenDrains::byWhom(const QString &user, const QDateTime &since)
{
    QString text = QStringLiteral("drained");
    if (!user.isEmpty()) {
        text += QStringLiteral(" by ") + user;
    }
    if (since.isValid()) {
        text += QStringLiteral(" at ") + since.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
    }
    return text;
}

const DrainMark *OpenDrains::find(const QList<DrainMark> &marks, const QString &key)
{
    for (const DrainMark &m : marks) {
        if (m.target == key) {
            return &m;
        }
    }
    return nullptr;
}

bool OpenDrains::contains(const QList<TargetNode> &targets, const QString &key)
{
    return std::any_of(
        targets.cbegin(), targets.cend(), [&](const TargetNode &t) { return t.key == key; });
}

void OpenDrains::markListed(TargetNode &target, const DrainMark &mark)
{
    target.openDrain = true;
    target.drainedBy = mark.user;
    target.drainedSince = mark.since;
    // Still emptying out is worth saying; anything else the sources say is kept in the reason.
    if (target.health != Health::Draining) {
        target.health = Health::Drained;
    }
    target.reason = byWhom(mark.user, mark.since)
        + QStringLiteral(" (open in the audit log; Undrain to put it back); sources: ")
        + target.reason;
}

TargetNode OpenDrains::vanished(const DrainMark &mark)
{
    TargetNode t;
    t.key = mark.target;
    if (const auto hp = HostPort::parse(mark.target, 0)) {
        t.address = hp->host;
        t.port = hp->port;
    }
    t.health = Health::Drained;
    t.openDrain = true;
    t.drainedBy = mark.user;
    t.drainedSince = mark.since;
    t.reason = byWhom(mark.user, mark.since)
        + QStringLiteral("; no source lists it any more — still running? Undrain to put it back");
    return t;
}

void OpenDrains::sortByKey(QList<TargetNode> &targets)
{
    std::stable_sort(targets.begin(), targets.end(),
        [](const TargetNode &a, const TargetNode &b) { return a.key < b.key; });
}

} // namespace hopscope
