#include "HopModel.h"

namespace hopscope {

QString HopCount::patternName() const
{
    switch (pattern) {
    case Pattern::Direct:
        return QStringLiteral("direct");
    case Pattern::LoadBalancer:
        return QStringLiteral("lb");
    case Pattern::Mesh:
        return QStringLiteral("mesh");
    }
    return {};
}

QString HopCount::label() const
{
    const QString hops = networkHops == 1 ? QStringLiteral("1 hop")
                                          : QStringLiteral("%1 hops").arg(networkHops);
    switch (pattern) {
    case Pattern::Direct:
        return hops + QStringLiteral(" · dns");
    case Pattern::LoadBalancer:
        return hops + QStringLiteral(" · ") + via;
    case Pattern::Mesh:
        return hops + QStringLiteral(" · mesh");
    }
    return hops;
}

HopCount HopModel::classify(const EdgeSpec &edge)
{
    HopCount h;
    switch (edge.via) {
    case EdgeSpec::Via::Dns:
        h.pattern = HopCount::Pattern::Direct;
        h.networkHops = 1;
        h.proxyHops = 0;
        break;
    case EdgeSpec::Via::LoadBalancer:
        h.pattern = HopCount::Pattern::LoadBalancer;
        h.networkHops = 2;
        h.proxyHops = 1;
        h.via = edge.loadBalancer;
        break;
    case EdgeSpec::Via::Mesh:
        h.pattern = HopCount::Pattern::Mesh;
        h.networkHops = 1;
        h.proxyHops = 2;
        break;
    }
    return h;
}

} // namespace hopscope
