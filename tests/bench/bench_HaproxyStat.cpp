// Parse-and-normalize throughput of HaproxyStatParser on `show stat` with 2,000 servers (rows
// cloned from a real HAProxy 2.6 capture, 128 columns), side by side in the same run with two
// anchors over the same data: a raw zero-copy line/comma scan of the CSV (the floor any CSV
// reader pays), and simdjson's raw parse of the same table rendered as JSON (array of objects).
// The *Sized benchmarks repeat that table to 1, 10 and 100 MB of CSV (issue 10: linear time,
// memory a small multiple of the input) and report the snapshot's heap size as a counter.
#include "haproxy/HaproxyParsers.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstring>
#include <malloc.h>
#include <map>

namespace {
struct Data
{
    QByteArray csv;
    std::string json;
};

const Data &data()
{
    static const Data d = [] {
        QFile f(QStringLiteral(HOPSCOPE_TEST_DATA_DIR "/haproxy/demo_drain_maint_nolb.stat.csv"));
        if (!f.open(QIODevice::ReadOnly)) {
            qFatal("missing fixture %s", qPrintable(f.fileName()));
        }
        const QList<QByteArray> lines = f.readAll().split('\n');
        const QByteArray header = lines.at(0);
        QList<QByteArray> servers;
        for (const QByteArray &l : lines) {
            if (l.startsWith("be_user,user")) {
                servers << l;
            }
        }
        Data out;
        out.csv = header + '\n';
        const QList<QByteArray> names = header.mid(2).split(',');
        QJsonArray rows;
        for (int i = 0; i < 2000; ++i) {
            QList<QByteArray> fields = servers.at(i % servers.size()).split(',');
            fields[0] = "be_bench" + QByteArray::number(i / 100);
            fields[1] = "srv" + QByteArray::number(i);
            fields[names.indexOf("addr")] = "10.1." + QByteArray::number(i / 250) + '.'
                + QByteArray::number(i % 250) + ":8080";
            const QByteArray row = fields.join(',');
            out.csv += row + '\n';
            QJsonObject o;
            for (int c = 0; c < names.size() && c < fields.size(); ++c) {
                if (!names.at(c).isEmpty()) {
                    o.insert(QString::fromLatin1(names.at(c)), QString::fromUtf8(fields.at(c)));
                }
            }
            rows.append(o);
        }
        out.csv += '\n';
        out.json = QJsonDocument(rows).toJson(QJsonDocument::Compact).toStdString();
        return out;
    }();
    return d;
}

void BM_HaproxyStatParse(benchmark::State &state)
{
    const QByteArray &csv = data().csv;
    for (auto _ : state) {
        auto snap = hopscope::HaproxyStatParser::parse(csv);
        if (!snap || snap->proxies.size() != 20) {
            state.SkipWithError("parse failed");
            break;
        }
        benchmark::DoNotOptimize(snap);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * csv.size());
    state.counters["bytes"] = double(csv.size());
}
BENCHMARK(BM_HaproxyStatParse)->Unit(benchmark::kMillisecond);

void BM_AnchorRawCsvScan(benchmark::State &state)
{
    const QByteArray &csv = data().csv;
    for (auto _ : state) {
        size_t fields = 0;
        const char *p = csv.constData();
        const char *end = p + csv.size();
        while (p < end) {
            const char *c = static_cast<const char *>(std::memchr(p, ',', size_t(end - p)));
            if (!c) {
                break;
            }
            ++fields;
            p = c + 1;
        }
        benchmark::DoNotOptimize(fields);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * csv.size());
}
BENCHMARK(BM_AnchorRawCsvScan)->Unit(benchmark::kMillisecond);

void BM_AnchorSimdjsonRawParse(benchmark::State &state)
{
    const std::string &json = data().json;
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(json);
    for (auto _ : state) {
        simdjson::dom::element doc;
        if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
            state.SkipWithError("simdjson failed");
            break;
        }
        benchmark::DoNotOptimize(doc);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * qint64(json.size()));
    state.counters["bytes"] = double(json.size());
}
BENCHMARK(BM_AnchorSimdjsonRawParse)->Unit(benchmark::kMillisecond);
// The 2,000-server table repeated (backend names varied) to `mb` MiB of CSV, and the same rows
// as a JSON array of objects for the simdjson anchor (only up to 10 MB: it is 8x larger).
const Data &sized(int mb)
{
    static std::map<int, Data> cache;
    auto it = cache.find(mb);
    if (it != cache.end()) {
        return it->second;
    }
    const Data &base = data();
    const qsizetype headerEnd = base.csv.indexOf('\n') + 1;
    const QByteArray rows = base.csv.sliced(headerEnd, base.csv.size() - headerEnd - 1);
    Data out;
    out.csv = base.csv.first(headerEnd);
    const qint64 target = qint64(mb) << 20;
    out.csv.reserve(target + rows.size() + 1);
    int copies = 0;
    while (out.csv.size() < target) {
        out.csv += QByteArray(rows).replace(
            QByteArrayView("be_bench"), QByteArray("be_b" + QByteArray::number(copies) + '_'));
        ++copies;
    }
    out.csv += '\n';
    if (mb <= 10) {
        out.json.reserve(size_t(copies) * base.json.size());
        out.json += '[';
        for (int i = 0; i < copies; ++i) {
            out.json.append(base.json, 1, base.json.size() - 2);
            out.json += i + 1 < copies ? ',' : ']';
        }
    }
    return cache.emplace(mb, std::move(out)).first->second;
}

size_t heapInUse()
{
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

void BM_HaproxyStatParseSized(benchmark::State &state)
{
    const QByteArray &csv = sized(int(state.range(0))).csv;
    double modelBytes = 0;
    for (auto _ : state) {
        const size_t before = heapInUse();
        auto snap = hopscope::HaproxyStatParser::parse(csv);
        if (!snap) {
            state.SkipWithError("parse failed");
            break;
        }
        modelBytes = double(heapInUse() - before);
        benchmark::DoNotOptimize(snap);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * csv.size());
    state.counters["bytes"] = double(csv.size());
    // Heap held by the parsed snapshot, per input byte (the input itself is not counted).
    state.counters["model_x_input"] = modelBytes / double(csv.size());
}
BENCHMARK(BM_HaproxyStatParseSized)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_AnchorRawCsvScanSized(benchmark::State &state)
{
    const QByteArray &csv = sized(int(state.range(0))).csv;
    for (auto _ : state) {
        size_t fields = 0;
        const char *p = csv.constData();
        const char *end = p + csv.size();
        while (const char *c = static_cast<const char *>(std::memchr(p, ',', size_t(end - p)))) {
            ++fields;
            p = c + 1;
        }
        benchmark::DoNotOptimize(fields);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * csv.size());
}
BENCHMARK(BM_AnchorRawCsvScanSized)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_AnchorSimdjsonRawParseSized(benchmark::State &state)
{
    const std::string &json = sized(int(state.range(0))).json;
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(json);
    for (auto _ : state) {
        simdjson::dom::element doc;
        if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
            state.SkipWithError("simdjson failed");
            break;
        }
        benchmark::DoNotOptimize(doc);
    }
    state.SetBytesProcessed(qint64(state.iterations()) * qint64(json.size()));
    state.counters["bytes"] = double(json.size());
}
BENCHMARK(BM_AnchorSimdjsonRawParseSized)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
} // namespace

BENCHMARK_MAIN();
