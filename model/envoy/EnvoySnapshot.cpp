#include "envoy/EnvoySnapshot.h"

namespace hopscope {

namespace {
struct FlagName
{
    EnvoyHealthFlag flag;
    const char *name;
};

constexpr FlagName s_flagNames[] = {
    { EnvoyHealthFlag::FailedActiveHc, "failed_active_hc" },
    { EnvoyHealthFlag::FailedOutlierCheck, "failed_outlier_check" },
    { EnvoyHealthFlag::FailedEdsHealth, "failed_eds_health" },
    { EnvoyHealthFlag::DegradedActiveHc, "degraded_active_hc" },
    { EnvoyHealthFlag::DegradedEdsHealth, "degraded_eds_health" },
    { EnvoyHealthFlag::PendingDynamicRemoval, "pending_dynamic_removal" },
    { EnvoyHealthFlag::PendingActiveHc, "pending_active_hc" },
    { EnvoyHealthFlag::ExcludedViaImmediateHcFail, "excluded_via_immediate_hc_fail" },
    { EnvoyHealthFlag::ActiveHcTimeout, "active_hc_timeout" },
    { EnvoyHealthFlag::EdsStatusDraining, "eds_status_draining" },
};
} // namespace

QStringList EnvoyHealthFlags::names() const
{
    QStringList out;
    for (const auto &f : s_flagNames) {
        if (has(f.flag)) {
            out.append(QLatin1String(f.name));
        }
    }
    return out;
}

std::optional<EnvoyHealthFlag> EnvoyHealthFlags::fromName(QStringView name)
{
    for (const auto &f : s_flagNames) {
        if (name == QLatin1String(f.name)) {
            return f.flag;
        }
    }
    return std::nullopt;
}

QString EnvoyHealthFlags::name(EnvoyHealthFlag flag)
{
    for (const auto &f : s_flagNames) {
        if (f.flag == flag) {
            return QLatin1String(f.name);
        }
    }
    return {};
}

const QList<EnvoyHealthFlag> &EnvoyHealthFlags::all()
{
    static const QList<EnvoyHealthFlag> s_all = [] {
        QList<EnvoyHealthFlag> out;
        for (const auto &f : s_flagNames) {
            out.append(f.flag);
        }
        return out;
    }();
    return s_all;
}

bool EnvoyHost::isHealthy() const
{
    constexpr quint16 unusable = quint16(EnvoyHealthFlag::FailedActiveHc)
        | quint16(EnvoyHealthFlag::FailedOutlierCheck) | quint16(EnvoyHealthFlag::FailedEdsHealth)
        | quint16(EnvoyHealthFlag::PendingDynamicRemoval)
        | quint16(EnvoyHealthFlag::ExcludedViaImmediateHcFail)
        | quint16(EnvoyHealthFlag::EdsStatusDraining);
    return (healthFlags.bits & unusable) == 0;
}

bool EnvoyHost::isDegraded() const
{
    return healthFlags.has(EnvoyHealthFlag::DegradedActiveHc)
        || healthFlags.has(EnvoyHealthFlag::DegradedEdsHealth);
}

QString EnvoyHost::key() const
{
    if (!port) {
        return address;
    }
    if (address.contains(u':')) {
        return u'[' + address + u"]:" + QString::number(*port);
    }
    return address + u':' + QString::number(*port);
}

int EnvoyClusters::hostCount() const
{
    int n = 0;
    for (const auto &c : clusters) {
        n += int(c.hosts.size());
    }
    return n;
}

QString EnvoyClusters::formatName(Format format)
{
    switch (format) {
    case Format::Json:
        return QStringLiteral("json");
    case Format::Text:
        return QStringLiteral("text");
    case Format::IstioctlJson:
        return QStringLiteral("istioctl");
    }
    return {};
}

EnvoyServerInfo::State EnvoyServerInfo::stateFromName(QStringView name)
{
    if (name == u"LIVE") {
        return State::Live;
    }
    if (name == u"DRAINING") {
        return State::Draining;
    }
    if (name == u"PRE_INITIALIZING") {
        return State::PreInitializing;
    }
    if (name == u"INITIALIZING") {
        return State::Initializing;
    }
    return State::Unknown;
}

std::optional<quint64> EnvoyStats::value(QStringView name) const
{
    for (const auto &v : values) {
        if (v.name == name) {
            return v.value;
        }
    }
    return std::nullopt;
}

std::optional<double> EnvoyHistogramQuantiles::at(double q, bool intervalValue) const
{
    const QList<std::optional<double>> &values = intervalValue ? interval : cumulative;
    for (qsizetype i = 0; i < quantiles.size() && i < values.size(); ++i) {
        if (qFuzzyCompare(quantiles[i] + 1.0, q + 1.0)) {
            return values[i];
        }
    }
    return std::nullopt;
}

} // namespace hopscope
