#pragma once

#include "profile/ClusterProfile.h"

#include <QString>

namespace hopscope {

// How a call travels along one edge, and what it costs in hops (docs/ARCHITECTURE.md §1):
// direct (DNS discovery) 1 network hop / 0 proxy hops; via a load balancer 2 / 1;
// via the mesh 1 / 2 (caller's sidecar and callee's sidecar, both on loopback).
struct HopCount
{
    enum class Pattern { Direct, LoadBalancer, Mesh };
    Pattern pattern = Pattern::Direct;
    int networkHops = 1;
    int proxyHops = 0;
    QString via; // load balancer id for LoadBalancer

    QString patternName() const; // "direct", "lb", "mesh"
    QString label() const;       // "1 hop · dns", "2 hops · internal-lb", "1 hop · mesh"
};

class HopModel
{
public:
    static HopCount classify(const EdgeSpec &edge);
};

} // namespace hopscope
