#pragma once

// The captured successive answers of the traffic tests (tests/data/traffic: HAProxy `show stat`
// and `show info`, Envoy /stats and /clusters JSON, five rounds with a restart), read into the
// snapshots the sources produce. Test-only, header-only.

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoySnapshot.h"
#include "envoy/EnvoyStatsParser.h"
#include "haproxy/HaproxyParsers.h"
#include "haproxy/HaproxySnapshot.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace hopscope::traffic_captures {

inline QByteArray data(const QString &name)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/traffic/" + name);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read test data %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

inline QDateTime roundAt(int round)
{
    const QJsonArray rounds
        = QJsonDocument::fromJson(data(QStringLiteral("captures.json")))[u"rounds"].toArray();
    for (const QJsonValue &r : rounds) {
        if (r[u"round"].toInt() == round) {
            return QDateTime::fromString(r[u"at"].toString(), Qt::ISODateWithMs);
        }
    }
    qFatal("no round %d in captures.json", round);
}

inline HaproxySnapshot haproxy(int round)
{
    HaproxySnapshot s;
    const auto stat = HaproxyStatParser::parse(data(QStringLiteral("round%1.stat.csv").arg(round)));
    const auto info = HaproxyInfoParser::parse(data(QStringLiteral("round%1.info.txt").arg(round)));
    if (!stat || !info) {
        qFatal(
            "round %d: %s %s", round, qPrintable(stat.errorText()), qPrintable(info.errorText()));
    }
    s.stat = *stat;
    s.info = *info;
    return s;
}

inline EnvoyAdminSnapshot envoy(int round)
{
    EnvoyAdminSnapshot s;
    auto stats
        = EnvoyStatsParser::parse(data(QStringLiteral("round%1.envoy_stats.json").arg(round)));
    auto clusters = EnvoyClustersParser::parse(
        data(QStringLiteral("round%1.envoy_clusters.json").arg(round)));
    if (!stats.ok() || !clusters.ok()) {
        qFatal("round %d: %s %s", round, qPrintable(stats.errorText()),
            qPrintable(clusters.errorText()));
    }
    s.stats = stats.value();
    s.clusters = clusters.value();
    s.fetchedAt = roundAt(round);
    return s;
}

} // namespace hopscope::traffic_captures
