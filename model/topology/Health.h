#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

namespace hopscope {
// For the enum's names in QMetaEnum and QML (the views get Health as a typed role, never a
// string to compare).
Q_NAMESPACE

// One folded health state (docs/ARCHITECTURE.md "Health"). Stale and Unknown are never healthy.
enum class Health {
    Healthy,
    Degraded,    // serving, but checks are failing or it routes only in panic
    Draining,    // taken out of rotation, connections still open
    Drained,     // out of rotation and idle: safe to stop
    Maintenance, // administratively disabled
    Down,        // checks failed: not serving
    Stale,       // the data is old (a source missed 3 intervals or its last poll failed)
    Unknown,     // no source says anything yet ("no data yet")
    Conflict,    // sources disagree in a way an operator must look at
};
Q_ENUM_NS(Health)

QString healthName(Health health);      // lowercase, the CLI/JSON contract: "healthy", "down", ...
QString healthIcon(Health health);      // a glyph, so colour is never the only signal
bool isServing(Health health);          // Healthy or Degraded

// What one source says about one target at one time.
struct Observation
{
    QString source;     // "dns", "lb:internal-lb", "mesh:payments-1-envoy", "mesh:order-1-envoy"
    Health health = Health::Unknown;
    QString text;       // in the source's own words: "UP L7OK 2 sessions", "listed, TTL 10"
    bool stale = false; // the source's data is old: its observation cannot make anything healthy
    QDateTime when;
    bool listedInDns = false;    // dns: the record is in the current answer set
    bool removedFromDns = false; // dns: the record left the answer set; clients may still hold it
    QDateTime dnsRemovedAt;
    QDateTime dnsHoldUntil;
    // How reasons name the source, when not by `source`: "elbv2 internal-alb" (issue 16).
    QString label;
    // A discovery source (listing, like DNS) whose health is also a check's verdict: Cloud Map
    // with a health check. Counted as a checker as well as a listing.
    bool checked = false;
};

struct FoldedHealth
{
    Health health = Health::Unknown;
    QString reason;
};

// Folds the observations of one target into one state with a reason that names which source
// said what. Pure.
class HealthFolder
{
public:
    static FoldedHealth fold(const QList<Observation> &observations);
};

} // namespace hopscope
