#include "topology/EdgeTraffic.h"

#include "traffic/TrafficTracker.h"

#include <QCoreApplication>

#include <algorithm>

namespace hopscope {

namespace {

QString number(double v)
{
    if (v >= 10000) {
        return QString::number(v / 1000, 'f', 1) + QLatin1Char('k');
    }
    return QString::number(v, 'f', v < 100 ? 1 : 0);
}

QString ms(double v)
{
    return QString::number(v, 'f', v < 10 ? 1 : 0) + QStringLiteral(" ms");
}

QString tr(const char *text)
{
    return QCoreApplication::translate("EdgeTraffic", text);
}

} // namespace

bool EdgeTraffic::operator==(const EdgeTraffic &o) const
{
    return measured == o.measured && status == o.status && rps == o.rps
        && errorsPerS == o.errorsPerS && errorRatio == o.errorRatio && avgMs == o.avgMs
        && p50Ms == o.p50Ms && p99Ms == o.p99Ms && maxMs == o.maxMs;
}

EdgeTraffic EdgeTraffic::from(const TrafficAggregate &a)
{
    EdgeTraffic t;
    t.measured = a.measured;
    const TrafficPoint &p = a.point;
    t.status = p.status;
    if (!a.measured) {
        return t;
    }
    t.rps = p.rps;
    t.errorsPerS = p.errorsPerS;
    t.errorRatio = p.errorRatio;
    t.avgMs = p.avgMs;
    t.p50Ms = p.p50Ms;
    t.p99Ms = p.p99Ms;
    t.maxMs = p.maxMs;
    return t;
}

EdgeTraffic EdgeTraffic::combine(const QList<EdgeTraffic> &parts)
{
    QList<EdgeTraffic> measured;
    for (const EdgeTraffic &p : parts) {
        if (p.measured) {
            measured.append(p);
        }
    }
    if (measured.size() <= 1) {
        return measured.isEmpty() ? EdgeTraffic {} : measured.first();
    }
    EdgeTraffic out;
    out.measured = true;
    out.status = TrafficStatus::Ok;
    for (const EdgeTraffic &p : std::as_const(measured)) {
        if (trafficStatusRank(p.status) < trafficStatusRank(out.status)) {
            out.status = p.status;
        }
    }
    const auto sum = [&](auto member) -> std::optional<double> {
        double total = 0;
        for (const EdgeTraffic &p : std::as_const(measured)) {
            if (!(p.*member)) {
                return std::nullopt; // a part unknown: the sum is unknown, not smaller
            }
            total += *(p.*member);
        }
        return total;
    };
    out.rps = sum(&EdgeTraffic::rps);
    out.errorsPerS = sum(&EdgeTraffic::errorsPerS);
    if (out.rps && out.errorsPerS && *out.rps > 0) {
        out.errorRatio = std::min(1.0, *out.errorsPerS / *out.rps);
    }
    const auto largest = [&](auto member) -> std::optional<double> {
        std::optional<double> m;
        for (const EdgeTraffic &p : std::as_const(measured)) {
            if (p.*member) {
                m = std::max(m.value_or(*(p.*member)), *(p.*member));
            }
        }
        return m;
    };
    const auto weighted = [&](auto member) -> std::optional<double> {
        double s = 0, w = 0;
        for (const EdgeTraffic &p : std::as_const(measured)) {
            if (p.*member && p.rps) {
                s += *(p.*member) * *p.rps;
                w += *p.rps;
            }
        }
        return w > 0 ? std::optional<double>(s / w) : std::nullopt;
    };
    out.avgMs = weighted(&EdgeTraffic::avgMs);
    out.p50Ms = weighted(&EdgeTraffic::p50Ms);
    out.p99Ms = largest(&EdgeTraffic::p99Ms);
    out.maxMs = largest(&EdgeTraffic::maxMs);
    return out;
}

QStringList EdgeTraffic::labelParts() const
{
    if (!measured) {
        return {};
    }
    if (!rps) {
        switch (status) {
        case TrafficStatus::FirstPoll:
            return { tr("no rate yet") };
        case TrafficStatus::CounterReset:
            return { tr("counter reset") };
        case TrafficStatus::MissingPoll:
            return { tr("no answer") };
        case TrafficStatus::NotReported:
        case TrafficStatus::Ok:
            return { tr("not reported") };
        }
    }
    QStringList parts { number(*rps) + tr(" rps") };
    if (errorRatio) {
        const double percent = *errorRatio * 100;
        parts.append(QString::number(percent, 'f', percent < 10 ? 1 : 0) + QStringLiteral(" %"));
    }
    if (p99Ms) {
        parts.append(QStringLiteral("p99 ") + ms(*p99Ms));
    } else {
        // HAProxy: the average over its window and the largest seen.
        if (avgMs) {
            parts.append(QStringLiteral("avg ") + ms(*avgMs));
        }
        if (maxMs) {
            parts.append(QStringLiteral("max ") + ms(*maxMs));
        }
    }
    return parts;
}

QString EdgeTraffic::label() const
{
    return labelParts().join(QStringLiteral(" · "));
}

} // namespace hopscope
