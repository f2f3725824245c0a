#pragma once

// Builds Topology values for the graph tests: the demo-like fixture profile with a given set of
// targets per service, as TopologyBuilder would report them after a poll.

#include "profile/ProfileStore.h"
#include "topology/Topology.h"

#include <QMap>
#include <QTest>

namespace hopscope::testing {

inline ClusterProfile demoLikeProfile()
{
    const ProfileLoadResult r = ProfileStore::load(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
                                                   + QStringLiteral("/profiles/valid/demo-like.hopscope.json"));
    if (!r.ok()) {
        qFatal("demo-like profile does not load");
    }
    return *r.profile;
}

// targets: service id -> list of (key, health)
inline Topology topologyOf(const ClusterProfile &profile, const QMap<QString, QList<QPair<QString, Health>>> &targets)
{
    Topology t;
    t.profileName = profile.name;
    for (const ServiceSpec &spec : profile.services) {
        ServiceNode s;
        s.id = spec.id;
        s.name = spec.name;
        for (const auto &[key, health] : targets.value(spec.id)) {
            TargetNode n;
            n.key = key;
            n.address = key.section(QLatin1Char(':'), 0, 0);
            n.port = quint16(key.section(QLatin1Char(':'), 1).toUInt());
            n.health = health;
            n.reason = healthName(health);
            s.targets.append(n);
            if (health == Health::Healthy) {
                ++s.healthyCount;
            }
        }
        s.health = s.targets.isEmpty() ? Health::Unknown
                   : s.healthyCount == s.targets.size() ? Health::Healthy
                                                         : Health::Degraded;
        s.summary = QStringLiteral("%1 of %2 healthy").arg(s.healthyCount).arg(s.targets.size());
        t.services.append(s);
    }
    for (const LoadBalancerSpec &lb : profile.loadBalancers) {
        LoadBalancerNode n;
        n.id = lb.id;
        n.health = Health::Healthy;
        n.version = QStringLiteral("2.6");
        n.reason = QStringLiteral("answering");
        t.loadBalancers.append(n);
    }
    return t;
}

inline QMap<QString, QList<QPair<QString, Health>>> demoTargets()
{
    return {{QStringLiteral("servicea"), {{QStringLiteral("127.0.0.1:8000"), Health::Healthy}}},
            {QStringLiteral("serviceb"),
             {{QStringLiteral("127.0.0.11:8000"), Health::Healthy}, {QStringLiteral("127.0.0.12:8000"), Health::Healthy}}},
            {QStringLiteral("servicec"), {{QStringLiteral("127.0.0.21:8000"), Health::Healthy}}},
            {QStringLiteral("user"), {{QStringLiteral("127.0.0.41:8000"), Health::Healthy}}},
            {QStringLiteral("order"), {{QStringLiteral("127.0.0.51:8000"), Health::Healthy}}},
            {QStringLiteral("payments"), {{QStringLiteral("127.0.0.31:8080"), Health::Healthy}}}};
}

} // namespace hopscope::testing
