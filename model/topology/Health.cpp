#include "Health.h"


#include <algorithm>

namespace hopscope {

QString healthName(Health health)
{
    switch (health) {
    case Health::Healthy:
        return QStringLiteral("healthy");
    case Health::Degraded:
        return QStringLiteral("degraded");
    case Health::Draining:
        return QStringLiteral("draining");
    case Health::Drained:
        return QStringLiteral("drained");
    case Health::Maintenance:
        return QStringLiteral("maintenance");
    case Health::Down:
        return QStringLiteral("down");
    case Health::Stale:
        return QStringLiteral("stale");
    case Health::Unknown:
        return QStringLiteral("unknown");
    case Health::Conflict:
        return QStringLiteral("conflict");
    }
    return QStringLiteral("unknown");
}

QString healthIcon(Health health)
{
    switch (health) {
    case Health::Healthy:
        return QStringLiteral("✔");
    case Health::Degraded:
        return QStringLiteral("◐");
    case Health::Draining:
        return QStringLiteral("↘");
    case Health::Drained:
        return QStringLiteral("■");
    case Health::Maintenance:
        return QStringLiteral("⚙");
    case Health::Down:
        return QStringLiteral("✖");
    case Health::Stale:
        return QStringLiteral("⌛");
    case Health::Unknown:
        return QStringLiteral("?");
    case Health::Conflict:
        return QStringLiteral("≠");
    }
    return QStringLiteral("?");
}

bool isServing(Health health)
{
    return health == Health::Healthy || health == Health::Degraded;
}

namespace {
// Worse states win when fresh sources agree to differ without contradicting each other.
int severity(Health h)
{
    switch (h) {
    case Health::Healthy:
        return 0;
    case Health::Degraded:
        return 1;
    case Health::Draining:
        return 2;
    case Health::Drained:
        return 3;
    case Health::Maintenance:
        return 4;
    case Health::Down:
        return 5;
    case Health::Unknown:
    case Health::Stale:
    case Health::Conflict:
        return -1;
    }
    return -1;
}

QString timeText(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

FoldedHealth HealthFolder::fold(const QList<Observation> &observations)
{
    FoldedHealth result;
    if (observations.isEmpty()) {
        result.health = Health::Unknown;
        result.reason = QStringLiteral("no source reports this target yet");
        return result;
    }
    // DNS only says a target is registered; load balancers and sidecars health-check it. A
    // listing is therefore weak evidence: it stands alone only when no checker knows the target.
    const auto isChecker = [](const Observation &o) {
        return o.source.startsWith(u"lb:") || o.source.startsWith(u"mesh:") || o.checked;
    };
    QList<const Observation *> freshCheckers;
    QList<const Observation *> staleCheckers;
    const Observation *dns = nullptr;
    const Observation *present = nullptr; // fresh, neither a check nor a listing: ECS "RUNNING"
    QStringList parts;
    QStringList staleParts;
    for (const Observation &o : observations) {
        const QString &name = o.label.isEmpty() ? o.source : o.label;
        if (o.stale) {
            staleParts.append(name + QStringLiteral(": ") + o.text + QStringLiteral(" (stale)"));
        } else {
            parts.append(name + QStringLiteral(": ") + o.text);
        }
        if (isChecker(o)) {
            (o.stale ? staleCheckers : freshCheckers).append(&o);
        }
        // DNS, or a discovery source that answers DNS (Cloud Map): what clients are handed.
        const bool listing = o.source == u"dns" || o.listedInDns || o.removedFromDns;
        if (listing && !o.stale && (!isChecker(o) || o.checked)) {
            dns = &o;
        } else if (!listing && !isChecker(o) && !o.stale && o.source != u"dns") {
            present = &o;
        }
    }
    const QString all = (parts + staleParts).join(QStringLiteral("; "));

    // Sources that contradict each other about whether the target is in rotation.
    for (const Observation *o : std::as_const(freshCheckers)) {
        const QString who = o->source.mid(o->source.indexOf(u':') + 1);
        if (dns && dns->removedFromDns && isServing(o->health)) {
            result.health = Health::Conflict;
            result.reason = QStringLiteral("%1 still routes to this target, which DNS stopped listing at %2 "
                                           "(clients may hold it until %3)")
                                .arg(who, timeText(dns->dnsRemovedAt), timeText(dns->dnsHoldUntil));
            return result;
        }
        if (dns && dns->listedInDns && o->health == Health::Maintenance) {
            result.health = Health::Conflict;
            result.reason = QStringLiteral("DNS lists this target but %1 marks it MAINT (%2): direct callers "
                                           "still reach it").arg(who, o->text);
            return result;
        }
    }

    if (freshCheckers.isEmpty() && !staleCheckers.isEmpty() && !(dns && dns->removedFromDns)) {
        result.health = Health::Stale;
        result.reason = QStringLiteral("no fresh health data; last known: ") + staleParts.join(QStringLiteral("; "))
                        + (dns ? QStringLiteral("; dns: ") + dns->text : QString());
        return result;
    }

    QList<const Observation *> deciding = freshCheckers;
    if (deciding.isEmpty() && dns) {
        deciding.append(dns);
    }
    if (deciding.isEmpty() && present) {
        deciding.append(present);
    }
    if (deciding.isEmpty()) {
        result.health = Health::Stale;
        result.reason = QStringLiteral("no fresh data; last known: ") + staleParts.join(QStringLiteral("; "));
        return result;
    }
    int worstSeverity = -1;
    result.health = Health::Unknown;
    for (const Observation *o : std::as_const(deciding)) {
        const int sv = severity(o->health);
        if (sv > worstSeverity) {
            worstSeverity = sv;
            result.health = o->health;
        }
    }
    result.reason = all;
    // Down at the checker while DNS still hands it out: direct callers will be sent there.
    if (result.health == Health::Down && dns && dns->listedInDns) {
        result.reason += QStringLiteral(" — DNS still lists it: direct callers may be sent to a down task");
    }
    return result;
}

} // namespace hopscope
