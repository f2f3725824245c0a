#pragma once

#include "envoy/EnvoySnapshot.h"

#include <QString>

namespace hopscope::discovery {

// How discovery names what it finds: pure functions over the names the endpoints report.

// A profile id from any text: letters, digits, '.', '_', '-', starting with a letter or digit,
// at most 63 characters (the profile's id rule); `fallback` when nothing is left.
QString sanitizeId(const QString &text, const QString &fallback);

// "_http._tcp.servicea.corp.internal" → "servicea"; "user.corp.internal" → "user".
QString serviceIdFromDnsName(const QString &name);

// The service an Envoy cluster name points at: Istio "outbound|8080||reviews.ns.svc.cluster.local"
// and "inbound|8080||reviews…" → "reviews"; Consul "payments.default.dc1.internal.<td>.consul"
// → "payments"; anything else as it is.
QString serviceFromEnvoyCluster(const QString &cluster);

// The sidecar's inbound cluster (to its own app): "local_app", "inbound|…", "…local_app" — the
// same rule as the topology (TopologyBuilder).
bool isLocalAppCluster(const EnvoyCluster &cluster);

// Envoy's own plumbing (xDS, admin, stats sinks, Istio passthrough): not a service.
bool isInfrastructureCluster(const QString &cluster);

// "HOST:PORT" with IPv6 in brackets: the task key every source uses.
QString taskKey(const QString &address, quint16 port);

} // namespace hopscope::discovery
