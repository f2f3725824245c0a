#pragma once

#include "core/Parsed.h"
#include "haproxy/HaproxySnapshot.h"
#include "prometheus/PrometheusResponse.h"

#include <QString>

namespace hopscope {

// HAProxy as Prometheus scraped it, mapped onto the snapshot the direct sources produce, so the
// topology does not care where the data came from (docs/PROTOCOLS.md §5.4). Two exporters:
// HAProxy's built-in promex (labels proxy/server; one-hot haproxy_server_status{state} and
// haproxy_server_check_status{state}) and the community haproxy_exporter (labels backend/server;
// haproxy_server_up 0/1, which cannot tell DRAIN from UP nor MAINT from DOWN).
// Servers come out nameOnly: Prometheus labels carry no address.
namespace prometheushaproxy {

// One instant query for everything a poll needs. `selector` is extra label matchers written as
// in PromQL (`job="haproxy",instance="10.0.0.5:8404"`), ANDed into every series selector; empty:
// every HAProxy Prometheus knows (which must then be exactly one).
QString query(const QString &selector);

// Folds the answer of query() into a snapshot. Fails (naming what) on series from more than one
// HAProxy instance (the selector must narrow them) and on an answer with no HAProxy server series.
Parsed<HaproxySnapshot> snapshot(const PrometheusResponse &response);

} // namespace prometheushaproxy
} // namespace hopscope
