// The client's share of a Prometheus load-balancer read at 50,000 servers (issue 15: one query
// round < 1 s): the answers a round gets from the scale fixture's Prometheus (2,500 backends x 20
// servers, the synthetic promex exporter of tests/peers/scale_peer.py: one-hot state at 1,
// current_sessions, haproxy_backend_active_servers; labels as Prometheus 2.42 renders them),
// generated here, then parsed (simdjson into PrometheusSeries), merged and folded into the
// HaproxySnapshot the topology reads: what PrometheusSource does off the GUI thread per round.
// Prometheus's own share (evaluation, JSON encoding) is measured against the fixture with
// tests/bench/prometheus_query_cost.py. Results: RESULTS.md, "Fleet".
#include "prometheus/PrometheusHaproxy.h"
#include "prometheus/PrometheusResponse.h"

#include <benchmark/benchmark.h>

namespace {

using namespace hopscope;

constexpr int Backends = 2500;
constexpr int Servers = 20;

QByteArray envelope(const QByteArray &result)
{
    return R"({"status":"success","data":{"resultType":"vector","result":[)" + result + "]}}";
}

const char *stateOf(int k)
{
    const int j = k % Servers;
    return j < 17 ? "UP" : (j == 17 ? "DRAIN" : (j == 18 ? "MAINT" : "DOWN"));
}

QByteArray labels(const char *name, int k)
{
    return QByteArrayLiteral(R"({"__name__":")") + name
        + R"(","instance":"127.0.0.1:41234","job":"haproxy50k","proxy":"bb_)"
        + QByteArray::number(k / Servers).rightJustified(4, '0') + R"(","server":"s)"
        + QByteArray::number(k % Servers).rightJustified(2, '0') + '"';
}

struct Answers
{
    QByteArray status, statusNotUp, sessions, backends;
};

const Answers &answers()
{
    static const Answers a = [] {
        Answers out;
        QByteArrayList status, statusNotUp, sessions, backends;
        for (int k = 0; k < Backends * Servers; ++k) {
            status << labels("haproxy_server_status", k) + R"(,"state":")" + stateOf(k)
                    + R"("},"value":[1764559000.123,"1"]})";
            if (qstrcmp(stateOf(k), "UP") != 0) {
                statusNotUp << status.last();
            }
            sessions << labels("haproxy_server_current_sessions", k)
                    + R"(},"value":[1764559000.123,")" + QByteArray::number((k * 7) % 13)
                    + R"("]})";
        }
        for (int b = 0; b < Backends; ++b) {
            backends << QByteArrayLiteral(
                R"({"metric":{"__name__":"haproxy_backend_active_servers","instance":"127.0.0.1:41234","job":"haproxy50k","proxy":"bb_)")
                    + QByteArray::number(b).rightJustified(4, '0')
                    + R"("},"value":[1764559000.123,"17"]})";
        }
        const auto wrap = [](const QByteArrayList &series) {
            QByteArrayList withMetric;
            for (const QByteArray &s : series) {
                withMetric << (s.startsWith("{\"metric\"") ? s : "{\"metric\":" + s);
            }
            return envelope(withMetric.join(','));
        };
        out.status = wrap(status);
        out.statusNotUp = wrap(statusNotUp);
        out.sessions = wrap(sessions);
        out.backends = wrap(backends);
        return out;
    }();
    return a;
}

void BM_ParseStatusAnswer(benchmark::State &state)
{
    const QByteArray &body = answers().status;
    for (auto _ : state) {
        auto r = parsePrometheusResponse(body);
        if (!r || r->series.size() != Backends * Servers) {
            state.SkipWithError("parse failed");
            return;
        }
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(state.iterations() * body.size());
    state.counters["MB"] = double(body.size()) / 1e6;
}
BENCHMARK(BM_ParseStatusAnswer)->Unit(benchmark::kMillisecond);

// Parse, merge and fold the round's answers: PrometheusSource's off-thread work. Arg 0: every
// server's state asked (`haproxy_server_status == 1`, before); 1: only the states other than UP
// (`state!="UP"`, the UP servers confirmed by their backends' counts).
void BM_ReadRound(benchmark::State &state)
{
    const Answers &a = answers();
    const QByteArray &status = state.range(0) ? a.statusNotUp : a.status;
    qint64 up = 0;
    for (auto _ : state) {
        QList<PrometheusResponse> parsed;
        for (const QByteArray *body : { &status, &a.sessions, &a.backends }) {
            parsed.append(*parsePrometheusResponse(*body));
        }
        const auto snap = prometheushaproxy::snapshot(mergePrometheusResponses(std::move(parsed)));
        if (!snap || snap->stat.proxies.size() != Backends) {
            state.SkipWithError(snap ? "wrong backend count" : qPrintable(snap.errorText()));
            return;
        }
        up = 0;
        for (const HaproxyStatProxy &p : snap->stat.proxies) {
            for (const HaproxyStatServer &s : p.servers) {
                up += s.state == HaproxyServerStatus::Up;
            }
        }
        benchmark::DoNotOptimize(snap);
    }
    state.counters["MB"] = double(status.size() + a.sessions.size() + a.backends.size()) / 1e6;
    state.counters["up"] = double(up); // 42,500 either way
}
BENCHMARK(BM_ReadRound)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The fold alone (answers already parsed and merged).
void BM_SnapshotOnly(benchmark::State &state)
{
    const Answers &a = answers();
    QList<PrometheusResponse> parsed;
    for (const QByteArray *body : { &a.status, &a.sessions, &a.backends }) {
        parsed.append(*parsePrometheusResponse(*body));
    }
    const PrometheusResponse merged = mergePrometheusResponses(std::move(parsed));
    for (auto _ : state) {
        auto snap = prometheushaproxy::snapshot(merged);
        benchmark::DoNotOptimize(snap);
    }
}
BENCHMARK(BM_SnapshotOnly)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
