#pragma once

#include "core/Parsed.h"
#include "haproxy/HaproxySnapshot.h"
#include "prometheus/PrometheusResponse.h"

#include <QString>
#include <QStringList>

namespace hopscope {

// HAProxy as Prometheus scraped it, mapped onto the snapshot the direct sources produce, so the
// topology does not care where the data came from (docs/PROTOCOLS.md §5.4). Two exporters:
// HAProxy's built-in promex (labels proxy/server; one-hot haproxy_server_status{state} and
// haproxy_server_check_status{state}) and the community haproxy_exporter (labels backend/server;
// haproxy_server_up 0/1, which cannot tell DRAIN from UP nor MAINT from DOWN).
// Servers come out nameOnly: Prometheus labels carry no address.
namespace prometheushaproxy {

// The instant queries of one poll: small ones, one metric family each, that Prometheus evaluates
// apart (PrometheusSource sends them concurrently, a few at a time) instead of one `__name__=~`
// regex `or`-ed over everything, which at 10,000 servers took Prometheus 2.42 longer than any
// poll timeout (measured against the scale fixture: tests/bench/RESULTS.md). Each
// asks only for what the snapshot reads: the one-hot state series where they are 1 (`== 1`:
// one series per server instead of one per state), http_responses_total of code="5xx" only (the
// traffic rates read 5xx and sessions_total), both exporters' names (promex and the community
// haproxy_exporter). `selector` is extra label matchers written as in PromQL
// (`job="haproxy",instance="10.0.0.5:8404"`), ANDed into every selector; empty: every HAProxy
// Prometheus knows (which must then be exactly one). Of the one-hot states only those other
// than UP are asked (`state!="UP"`): a server named by its sessions gauge and in none of them
// is UP when its backend's haproxy_backend_active_servers (+ _backup_servers) confirms the
// count (snapshot()), unknown otherwise.
QStringList queries(const QString &selector);

// A small query telling when Prometheus last scraped the targets the selector matches
// (`timestamp(up{selector})`: one series per scrape target), and the fingerprint of its answer:
// the same fingerprint as at the last full read means no scrape has landed since, so the answers
// of queries() would be the same again and need not be asked (a promex scrape of 10,000 servers
// every 15-30 s, polled every 5 s: most polls). Empty (unknown: read everything) when the answer
// has no series (a selector with labels `up` lacks), failed, or is not a vector.
QString freshnessQuery(const QString &selector);
QString freshnessFingerprint(const PrometheusResponse &response);
// The evaluation time for the queries of a round, from the freshness answer: the oldest of the
// targets' last scrape timestamps, as Prometheus wrote it ("1764559000.123"). Every query of the
// round evaluated at that instant sees the same scrape, so the states, the sessions and the
// backends' counts checked against each other come from one scrape, even when a new one lands
// between two queries. Empty (evaluate at Prometheus's now) when unknown.
QString roundTime(const PrometheusResponse &freshness);

// Folds the answers of queries() (merged into one response: mergePrometheusResponses) into a
// snapshot. Fails (naming what) on series from more than one HAProxy instance (the selector must
// narrow them) and on an answer with no HAProxy server series. A server with no state series is
// UP only when its backend's count of active UP servers at a weight other than 0 (+ backups)
// equals its explicit UP servers plus these (at a weight other than 0); otherwise unknown, with
// a "prometheus note" naming the backends. Answers with every state (`== 1` over all of them, as
// earlier versions asked) fold to the same snapshot.
Parsed<HaproxySnapshot> snapshot(const PrometheusResponse &response);

} // namespace prometheushaproxy
} // namespace hopscope
