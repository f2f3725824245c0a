#pragma once

#include "core/Parsed.h"
#include "envoy/EnvoySnapshot.h"
#include "prometheus/PrometheusResponse.h"

#include <QString>
#include <QUrl>

namespace hopscope {

// An Envoy sidecar as Prometheus scraped its /stats/prometheus (docs/PROTOCOLS.md §5.3), mapped
// onto the EnvoyAdminSnapshot the admin source produces. What Prometheus has is per cluster, not
// per host: envoy_server_state gives the sidecar's state (LIVE / DRAINING / ...), each cluster's
// membership_healthy / _total / _degraded, upstream_cx_active, upstream_rq_total,
// upstream_rq_xx{envoy_response_code_class="5"} and outlier ejections go to the stats, and the
// membership becomes that many address-less hosts (failed_active_hc for the unhealthy ones) so the
// topology can tell a failing local app, but never places an upstream host (no addresses).
namespace prometheusenvoy {

// One instant query; `selector` narrows the series to this sidecar (instance="10.0.3.41:9901").
QString query(const QString &selector);

// The selector of the series Prometheus scraped from `admin` as a static target:
// instance="HOST:PORT" (IPv6 hosts in brackets; the scheme's port when the URL has none).
QString instanceSelector(const QUrl &admin);

// Fails on series from more than one instance and when no envoy_server_state series came back.
Parsed<EnvoyAdminSnapshot> snapshot(const PrometheusResponse &response);

} // namespace prometheusenvoy
} // namespace hopscope
