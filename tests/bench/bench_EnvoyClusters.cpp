// Parse-and-normalize throughput of EnvoyClustersParser on a 10,000-host /clusters?format=json
// document (pretty-printed like Envoy, ~900 bytes per host), side by side with simdjson's raw DOM
// parse of the same bytes in the same run; prints the throughput ratio (target >= 0.3x).
#include "envoy/EnvoyClustersParser.h"

#include <QByteArray>
#include <QString>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdio>
#include <map>
#include <string>

namespace {

constexpr int s_hosts = 10000;
constexpr int s_clusters = 50;

QByteArray makeJson(bool stringValues)
{
    QByteArray out;
    out.reserve(s_hosts * 1000);
    out += "{\n \"cluster_statuses\": [\n";
    for (int c = 0; c < s_clusters; ++c) {
        out += "  {\n   \"name\": \"outbound|8080||svc-" + QByteArray::number(c)
            + ".default.svc.cluster.local\",\n   \"observability_name\": \"svc-"
            + QByteArray::number(c)
            + "\",\n   \"added_via_api\": true,\n   \"success_rate_ejection_threshold\": {\n    "
              "\"value\": 72.3\n   },\n"
              "   \"circuit_breakers\": {\n    \"thresholds\": [\n     {\n      "
              "\"max_connections\": 1024,\n"
              "      \"max_pending_requests\": 1024,\n      \"max_requests\": 1024,\n      "
              "\"max_retries\": 3\n     }\n    ]\n   },\n"
              "   \"host_statuses\": [\n";
        const int per = s_hosts / s_clusters;
        for (int h = 0; h < per; ++h) {
            const int n = c * per + h;
            auto v = [&](qint64 x) {
                return stringValues ? "\"" + QByteArray::number(x) + "\"" : QByteArray::number(x);
            };
            out += "    {\n     \"address\": {\n      \"socket_address\": {\n       \"address\": "
                   "\"10."
                + QByteArray::number(n / 65536) + "." + QByteArray::number((n / 256) % 256) + "."
                + QByteArray::number(n % 256)
                + "\",\n       \"port_value\": 8080\n      }\n     },\n     \"stats\": [\n";
            const char *counters[] = { "cx_connect_fail", "cx_total", "rq_error", "rq_success",
                "rq_timeout", "rq_total" };
            for (const char *name : counters) {
                out += "      {\n       \"name\": \"" + QByteArray(name)
                    + "\",\n       \"value\": " + v(n * 7 + 3) + "\n      },\n";
            }
            out += "      {\n       \"name\": \"cx_active\",\n       \"value\": " + v(n % 9)
                + ",\n       \"type\": \"GAUGE\"\n      },\n      {\n       \"name\": "
                  "\"rq_active\",\n       \"value\": "
                + v(n % 3)
                + ",\n       \"type\": \"GAUGE\"\n      }\n     ],\n     \"health_status\": {\n"
                + (n % 17 == 0 ? "      \"failed_outlier_check\": true,\n" : "")
                + "      \"eds_health_status\": \"HEALTHY\"\n     },\n     \"success_rate\": {\n   "
                  "   \"value\": 99.5\n     },\n"
                  "     \"weight\": 1,\n     \"locality\": {\n      \"region\": \"us-east-1\",\n   "
                  "   \"zone\": \"us-east-1a\"\n     }\n    }";
            out += h + 1 < per ? ",\n" : "\n";
        }
        out += "   ]\n  }";
        out += c + 1 < s_clusters ? ",\n" : "\n";
    }
    out += " ]\n}\n";
    return out;
}

const QByteArray &document(bool stringValues)
{
    static const QByteArray numbers = [] {
        QByteArray d = makeJson(false);
        d.reserve(d.size() + 64);
        return d;
    }();
    static const QByteArray strings = [] {
        QByteArray d = makeJson(true);
        d.reserve(d.size() + 64);
        return d;
    }();
    return stringValues ? strings : numbers;
}

void BM_SimdjsonDomRawParse(benchmark::State &state)
{
    const QByteArray &doc = document(state.range(0) != 0);
    simdjson::dom::parser parser;
    for (auto _ : state) {
        auto result = parser.parse(doc.constData(), size_t(doc.size()), false);
        benchmark::DoNotOptimize(result.error());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * doc.size());
}

void BM_EnvoyClustersParserJson(benchmark::State &state)
{
    const QByteArray &doc = document(state.range(0) != 0);
    int hosts = 0;
    for (auto _ : state) {
        const auto parsed = hopscope::EnvoyClustersParser::parse(doc);
        if (!parsed.ok()) {
            state.SkipWithError(qPrintable(parsed.errorText()));
            return;
        }
        hosts = parsed->hostCount();
        benchmark::DoNotOptimize(hosts);
    }
    if (hosts != s_hosts) {
        state.SkipWithError("wrong host count");
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * doc.size());
    state.counters["hosts"] = hosts;
}

BENCHMARK(BM_SimdjsonDomRawParse)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EnvoyClustersParserJson)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Remembers each run's real time so that main() can print the ratio of the same run.
class RatioReporter : public benchmark::ConsoleReporter
{
public:
    void ReportRuns(const std::vector<Run> &runs) override
    {
        for (const Run &r : runs) {
            std::string name = r.benchmark_name();
            if (r.run_type == Run::RT_Aggregate) {
                if (r.aggregate_name != "median") {
                    continue;
                }
                name = name.substr(0, name.size() - std::string("_median").size());
            }
            times[name] = r.GetAdjustedRealTime();
            cpuTimes[name] = r.GetAdjustedCPUTime();
        }
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> times;
    std::map<std::string, double> cpuTimes;
};

} // namespace

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    std::printf("document: %d hosts, %.1f MB (numbers), %.1f MB (strings)\n", s_hosts,
        document(false).size() / 1e6, document(true).size() / 1e6);
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    for (const char *mode : { "0", "1" }) {
        const auto raw
            = reporter.times.find(std::string("BM_SimdjsonDomRawParse/") + mode + "/real_time");
        const auto ours
            = reporter.times.find(std::string("BM_EnvoyClustersParserJson/") + mode + "/real_time");
        if (raw != reporter.times.end() && ours != reporter.times.end()) {
            const double cpu = reporter.cpuTimes[raw->first] / reporter.cpuTimes[ours->first];
            std::printf("ratio (simdjson raw parse time / parse+normalize time), %s values: "
                        "%.2fx real time, %.2fx CPU time\n",
                mode[0] == '0' ? "number" : "string", raw->second / ours->second, cpu);
        }
    }
    benchmark::Shutdown();
    return 0;
}
