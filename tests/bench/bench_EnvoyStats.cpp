// EnvoyStatsParser on /stats at 1, 10 and 100 MB (issue 10: it was quadratic through the CLI and
// must be linear with memory a small multiple of the input), text and ?format=json, built from the
// emulator's real-format dump with cluster names varied. Anchor, same run: simdjson's raw DOM
// parse of the same JSON document. Counter model_x_input: heap held by the parsed EnvoyStats per
// input byte.
#include "envoy/EnvoyStatsParser.h"

#include <QFile>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <malloc.h>
#include <map>

namespace {

struct Data
{
    QByteArray text;
    QByteArray json;
};

QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(HOPSCOPE_TEST_DATA_DIR "/envoy/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

// cluster.<name>.x -> cluster.<name>_<n>.x; server.live -> server.live_<n>
QByteArray tagged(QByteArray name, int n)
{
    const qsizetype first = name.indexOf('.');
    const qsizetype second = first < 0 ? -1 : name.indexOf('.', first + 1);
    const QByteArray tag = '_' + QByteArray::number(n);
    return second < 0 ? name + tag : name.insert(second, tag);
}

const Data &sized(int mb)
{
    static std::map<int, Data> cache;
    auto it = cache.find(mb);
    if (it != cache.end()) {
        return it->second;
    }
    const QList<QByteArray> lines = fixture("emulator_stats.txt").split('\n');
    const qint64 target = qint64(mb) << 20;
    Data out;
    out.text.reserve(target + 65536);
    out.json.reserve(target * 2 + 65536);
    out.json += "{\"stats\":[";
    bool first = true;
    for (int n = 0; out.text.size() < target; ++n) {
        for (const QByteArray &l : lines) {
            const qsizetype sep = l.indexOf(": ");
            if (sep <= 0) {
                continue;
            }
            const QByteArray name = tagged(l.first(sep), n);
            const QByteArray value = l.sliced(sep + 2);
            out.text += name + ": " + value + '\n';
            bool number = false;
            value.toULongLong(&number);
            if (number) { // the JSON form carries counters and gauges (histograms differ)
                out.json += (first ? "" : ",") + QByteArray("{\"name\":\"") + name
                    + "\",\"value\":" + value + '}';
                first = false;
            }
        }
    }
    out.json += "]}";
    out.json.reserve(out.json.size() + 64); // simdjson's padding: no copy in the parser
    return cache.emplace(mb, std::move(out)).first->second;
}

size_t heapInUse()
{
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

void run(benchmark::State &state, const QByteArray &input)
{
    double modelBytes = 0;
    for (auto _ : state) {
        const size_t before = heapInUse();
        auto parsed = hopscope::EnvoyStatsParser::parse(input);
        if (!parsed.ok()) {
            state.SkipWithError(qPrintable(parsed.errorText()));
            break;
        }
        modelBytes = double(heapInUse() - before);
        benchmark::DoNotOptimize(parsed);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * input.size());
    state.counters["bytes"] = double(input.size());
    state.counters["model_x_input"] = modelBytes / double(input.size());
}

void BM_EnvoyStatsText(benchmark::State &state)
{
    run(state, sized(int(state.range(0))).text);
}
BENCHMARK(BM_EnvoyStatsText)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_EnvoyStatsJson(benchmark::State &state)
{
    run(state, sized(int(state.range(0))).json);
}
BENCHMARK(BM_EnvoyStatsJson)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_AnchorSimdjsonRawParse(benchmark::State &state)
{
    const QByteArray &json = sized(int(state.range(0))).json;
    simdjson::dom::parser parser;
    for (auto _ : state) {
        simdjson::dom::element doc;
        if (parser.parse(json.constData(), size_t(json.size()), false).get(doc)
            != simdjson::SUCCESS) {
            state.SkipWithError("simdjson failed");
            break;
        }
        benchmark::DoNotOptimize(doc);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * json.size());
    state.counters["bytes"] = double(json.size());
}
BENCHMARK(BM_AnchorSimdjsonRawParse)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
