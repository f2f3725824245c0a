#include "traffic/TrafficJson.h"

#include <QJsonArray>

#include <cmath>

namespace hopscope {

QJsonValue TrafficJson::number(const std::optional<double> &v, int decimals)
{
    if (!v || !std::isfinite(*v)) {
        return QJsonValue(QJsonValue::Null);
    }
    const double scale = std::pow(10.0, decimals);
    return QJsonValue(std::round(*v * scale) / scale);
}

QJsonValue TrafficJson::edgeToJson(const TrafficAggregate &a)
{
    if (!a.measured) {
        return QJsonValue(QJsonValue::Null);
    }
    const TrafficPoint &p = a.point;
    return QJsonObject { { QStringLiteral("rps"), number(p.rps) },
        { QStringLiteral("errorRatio"), number(p.errorRatio, 4) },
        { QStringLiteral("latencyMs"),
            QJsonObject { { QStringLiteral("avg"), number(p.avgMs) },
                { QStringLiteral("p50"), number(p.p50Ms) },
                { QStringLiteral("p99"), number(p.p99Ms) },
                { QStringLiteral("max"), number(p.maxMs) } } },
        { QStringLiteral("from"), a.from.join(u'+') },
        { QStringLiteral("windowS"),
            p.windowS > 0 ? number(p.windowS) : QJsonValue(QJsonValue::Null) },
        { QStringLiteral("status"), trafficStatusName(p.status) } };
}

QJsonValue TrafficJson::targetToJson(const TrafficAggregate &a)
{
    if (!a.measured) {
        return QJsonValue(QJsonValue::Null);
    }
    const TrafficPoint &p = a.point;
    return QJsonObject { { QStringLiteral("rps"), number(p.rps) },
        { QStringLiteral("errorRatio"), number(p.errorRatio, 4) },
        { QStringLiteral("activeConnections"), number(p.activeConnections) },
        { QStringLiteral("from"), QJsonArray::fromStringList(a.from) },
        { QStringLiteral("status"), trafficStatusName(p.status) } };
}

void TrafficJson::addTo(QJsonObject &doc, const TrafficReport &report)
{
    QJsonArray edges = doc.value(QStringLiteral("edges")).toArray();
    for (qsizetype i = 0; i < edges.size(); ++i) {
        QJsonObject e = edges[i].toObject();
        EdgeNode key;
        key.from = e.value(QStringLiteral("from")).toString();
        key.to = e.value(QStringLiteral("to")).toString();
        key.via = e.value(QStringLiteral("via")).toString();
        e[QStringLiteral("traffic")] = edgeToJson(report.edges.value(TrafficTracker::edgeKey(key)));
        edges[i] = e;
    }
    doc[QStringLiteral("edges")] = edges;
    QJsonArray services = doc.value(QStringLiteral("services")).toArray();
    for (qsizetype i = 0; i < services.size(); ++i) {
        QJsonObject s = services[i].toObject();
        const QString id = s.value(QStringLiteral("id")).toString();
        QJsonArray targets = s.value(QStringLiteral("targets")).toArray();
        for (qsizetype j = 0; j < targets.size(); ++j) {
            QJsonObject t = targets[j].toObject();
            t[QStringLiteral("traffic")] = targetToJson(report.targets.value(
                TrafficTracker::targetKey(id, t.value(QStringLiteral("key")).toString())));
            targets[j] = t;
        }
        s[QStringLiteral("targets")] = targets;
        services[i] = s;
    }
    doc[QStringLiteral("services")] = services;
}

} // namespace hopscope
