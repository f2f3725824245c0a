#pragma once

#include "profile/ClusterProfile.h"
#include "topology/Topology.h"
#include "traffic/TrafficReport.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QVarLengthArray>

namespace hopscope {

// Maps the proxies' per-entity rates onto a topology's edges and tasks: a pure function of (the
// profile, the topology, the sources' data), safe on any thread. TrafficTracker runs it on the
// thread pool over copies; the CLI and tests call it directly. The profile's indexes (proxies by
// service, sidecar ingress addresses) are built once here, not per report. Not copyable: it holds
// pointers into its own profile; share it with std::shared_ptr<const TrafficReportBuilder>.
class TrafficReportBuilder
{
public:
    explicit TrafficReportBuilder(ClusterProfile profile);
    TrafficReportBuilder(const TrafficReportBuilder &) = delete;
    TrafficReportBuilder &operator=(const TrafficReportBuilder &) = delete;

    const ClusterProfile &profile() const { return m_profile; }

    // O(targets + entities): a fleet (10,000 targets, 500 sidecars, 2,500 edges) costs tens of ms.
    TrafficReport build(const Topology &topology, const TrafficSources &sources) const;

    // One entity's latest point in `sources`: FirstPoll before an answer, MissingPoll while the
    // source is failing.
    static TrafficPoint entity(
        const TrafficSources &sources, const QString &source, const QString &entityKey);

    static QString edgeKey(const EdgeNode &edge); // "edge:from>to@via"
    static QString targetKey(
        const QString &serviceId, const QString &targetKey); // "task:svc/addr:port"
    // "server/<backend>/<addr:port>" or "host/<cluster>/<addr:port>" -> "addr:port"
    static QString addressPortOf(const QString &entityKey);
    static QString hostOf(const QString &addressPort); // "[::1]:80" -> "::1"

private:
    using Entities = QVarLengthArray<std::pair<QString, QString>, 4>; // (source, entity key)
    static TrafficAggregate aggregate(const TrafficSources &sources, const Entities &entities);

    const ClusterProfile m_profile;
    QHash<QString, QList<const ProxySpec *>> m_proxiesOf; // by service, profile order
    QHash<QString, QHash<QString, QString>> m_ingressOf; // service id -> task "addr:port" -> addr
    QSet<QString> m_ingressIps;
};

} // namespace hopscope
