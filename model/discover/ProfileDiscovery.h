#pragma once

#include "discover/DiscoveryInput.h"
#include "profile/ClusterProfile.h"

#include <QString>
#include <QStringList>

namespace hopscope {

// What discovery made of the endpoints' answers: a schema-1 profile and, in words, what was
// found, what could not be inferred (for the user to add) and which endpoints did not answer.
struct DiscoveryResult
{
    ClusterProfile profile;
    QStringList found;
    QStringList notInferred;
    QStringList failed; // "haproxy tcp:127.0.0.1:9999: connection refused"
    int asked = 0; // endpoints and DNS names asked
    int answered = 0;

    bool anyAnswered() const { return answered > 0; }
    // The report printed by `profile discover` and shown by the dialog.
    QString reportText() const;
};

// The pure builder (issue 13 §1): from one snapshot per endpoint to a profile. No I/O, no
// clock; any thread.
//  - each HAProxy backend with servers → a service and one route of a load balancer per
//    endpoint (pathPrefix "/" as a placeholder: HAProxy's runtime API does not expose ACLs);
//    a stats URL that lists the same backends and servers as a runtime endpoint is that load
//    balancer's statsUrl;
//  - each Envoy sidecar → a proxy; its inbound/local cluster gives its task, its Envoy node
//    cluster (or Istio inbound name) its service; each upstream cluster → a service (the
//    sidecars' service when its hosts are on their tasks' IPs, as the topology matches them)
//    and a mesh edge from the sidecar's service;
//  - each DNS name → a service with its dns block; an A/AAAA name without a port takes the
//    port of the source that lists the same addresses;
//  - sources listing the same address:port set become one service, the reason kept in its
//    "discoveredFrom" notes (an unknown key: kept by the format); the id comes from the DNS
//    name, else the sidecars' service, else the backend; a taken id gets "-2", "-3", … and is
//    reported.
class ProfileDiscovery
{
public:
    static DiscoveryResult build(const DiscoveryInput &input);
};

} // namespace hopscope
