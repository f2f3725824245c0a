// Queries per second DnsResolver sustains with 100 lookups in flight against the harness BIND,
// side by side with dnsperf against the same server in the same run (RESULTS.md, "DNS").
// Rounds alternate the order (dnsperf first, then the resolver first, ...), each side runs for
// the same duration with the same query mix and the same number of queries in flight; the ratio
// reported is median(resolver) / median(dnsperf) over the rounds.
//
// usage: bench_DnsResolver [--server HOST:PORT] [--seconds N] [--inflight N] [--rounds N]
//        bench_DnsResolver --lookups N [--server ...]   resolver only, a fixed number of lookups
//                                                     (for valgrind --tool=callgrind)
//        (default server: dns.addr/port of $HOPSCOPE_PEERS_DIR/state.json)

#include "dns/DnsResolver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryFile>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace hopscope;

namespace {

struct Query
{
    QString name;
    DnsRecordType type;
};

struct ResolverRun
{
    double qps = 0;
    qint64 lookups = 0;
    qint64 failed = 0;
    quint64 queries = 0; // DNS queries sent (a lookup may need CNAME/SRV follow-ups)
};

// dnsperf, one client, one thread, `inflight` outstanding queries, `seconds` long.
double runDnsperf(const HostPort &hp, const QString &queryFile, int seconds, int inflight)
{
    QProcess perf;
    perf.setProcessChannelMode(QProcess::MergedChannels);
    perf.start(QStringLiteral("dnsperf"),
        { QStringLiteral("-s"), hp.host, QStringLiteral("-p"), QString::number(hp.port),
            QStringLiteral("-d"), queryFile, QStringLiteral("-l"), QString::number(seconds),
            QStringLiteral("-c"), QStringLiteral("1"), QStringLiteral("-T"), QStringLiteral("1"),
            QStringLiteral("-q"), QString::number(inflight) });
    perf.waitForFinished(seconds * 1000 + 30'000); // a benchmark driver, not product code
    const QString out = QString::fromUtf8(perf.readAll());
    const auto m
        = QRegularExpression(QStringLiteral("Queries per second:\\s+([0-9.]+)")).match(out);
    if (!m.hasMatch()) {
        std::fprintf(stderr, "bench: dnsperf gave no rate:\n%s\n", qPrintable(out));
        return 0;
    }
    return m.captured(1).toDouble();
}

// DnsResolver on this thread's event loop with `inflight` lookups outstanding at all times, for
// `seconds` (or, when maxLookups > 0, until that many lookups have been issued).
ResolverRun runResolver(
    const HostPort &hp, const QList<Query> &mix, int seconds, int inflight, qint64 maxLookups)
{
    ResolverRun run;
    DnsResolver::Options o;
    o.timeoutMs = 2000;
    DnsResolver resolver(o);
    if (!resolver.setServers({ hp })) {
        return run;
    }
    qint64 next = 0;
    bool stopping = false;
    QElapsedTimer clock;
    QEventLoop loop;
    std::function<void()> issue;
    issue = [&] {
        const Query &q = mix[int(next++ % mix.size())];
        resolver.lookup(q.name, q.type, nullptr, [&](const DnsResult &r) {
            ++run.lookups;
            run.failed += r.isOk() ? 0 : 1;
            const bool more = maxLookups > 0 ? next < maxLookups : clock.elapsed() < seconds * 1000;
            if (!stopping && more) {
                issue();
            } else {
                stopping = true;
                if (resolver.pendingCount() <= 1) {
                    loop.quit();
                }
            }
        });
    };
    clock.start();
    for (int i = 0; i < inflight; ++i) {
        issue();
    }
    loop.exec();
    run.qps = double(run.lookups) / (double(clock.nsecsElapsed()) / 1e9);
    run.queries = resolver.queriesSent();
    return run;
}

double median(std::vector<double> v)
{
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    QString server;
    int seconds = 5;
    int inflight = 100;
    int rounds = 3;
    qint64 lookups = 0;
    for (int i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--server") {
            server = args[i + 1];
        } else if (args[i] == u"--seconds") {
            seconds = args[i + 1].toInt();
        } else if (args[i] == u"--inflight") {
            inflight = args[i + 1].toInt();
        } else if (args[i] == u"--rounds") {
            rounds = std::max(1, args[i + 1].toInt());
        } else if (args[i] == u"--lookups") {
            lookups = args[i + 1].toLongLong();
        } else {
            std::fprintf(stderr, "bench: unknown option '%s'\n", qPrintable(args[i]));
            return 2;
        }
    }
    QString zone = QStringLiteral("corp.internal");
    if (server.isEmpty()) {
        QFile f(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/state.json"));
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "bench: no --server and no state.json in HOPSCOPE_PEERS_DIR\n");
            return 2;
        }
        const QJsonObject st = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject dns = st.value(QStringLiteral("dns")).toObject();
        server = dns.value(QStringLiteral("addr")).toString() + QLatin1Char(':')
            + QString::number(dns.value(QStringLiteral("port")).toInt());
        zone = st.value(QStringLiteral("zone")).toString(zone);
    }
    const auto hp = HostPort::parse(server);
    if (!hp) {
        std::fprintf(stderr, "bench: bad server '%s'\n", qPrintable(server));
        return 2;
    }
    // The docs/PEERS.md §6 mix: multivalue A, bridge-mode SRV with glue, Consul/K8s SRV with glue, A.
    const QList<Query> mix = { { QStringLiteral("serviceb.") + zone, DnsRecordType::A },
        { QStringLiteral("servicec.") + zone, DnsRecordType::SRV },
        { QStringLiteral("_http._tcp.servicea.") + zone, DnsRecordType::SRV },
        { QStringLiteral("task-1.servicec.") + zone, DnsRecordType::A } };

    if (lookups > 0) {
        const ResolverRun r = runResolver(*hp, mix, 0, inflight, lookups);
        std::printf("DnsResolver  %10.0f q/s  (%d in flight, %lld lookups, %llu queries, %lld "
                    "failed)\n",
            r.qps, inflight, static_cast<long long>(r.lookups),
            static_cast<unsigned long long>(r.queries), static_cast<long long>(r.failed));
        return r.failed == 0 && r.lookups == lookups ? 0 : 1;
    }

    QTemporaryFile queries;
    if (!queries.open()) {
        return 2;
    }
    for (const Query &q : mix) {
        queries.write(
            (q.name + QLatin1Char(' ') + dnsRecordTypeName(q.type) + QLatin1Char('\n')).toUtf8());
    }
    queries.flush();

    std::vector<double> perfRates;
    std::vector<double> ourRates;
    qint64 failed = 0;
    for (int round = 0; round < rounds; ++round) {
        double perf = 0;
        ResolverRun ours;
        if (round % 2 == 0) {
            perf = runDnsperf(*hp, queries.fileName(), seconds, inflight);
            ours = runResolver(*hp, mix, seconds, inflight, 0);
        } else {
            ours = runResolver(*hp, mix, seconds, inflight, 0);
            perf = runDnsperf(*hp, queries.fileName(), seconds, inflight);
        }
        if (perf <= 0) {
            return 1;
        }
        perfRates.push_back(perf);
        ourRates.push_back(ours.qps);
        failed += ours.failed;
        std::printf("round %d (%s first): dnsperf %8.0f q/s  DnsResolver %8.0f q/s (%lld lookups, "
                    "%llu queries, %lld failed)  ratio %.2f\n",
            round + 1, round % 2 == 0 ? "dnsperf" : "resolver", perf, ours.qps,
            static_cast<long long>(ours.lookups), static_cast<unsigned long long>(ours.queries),
            static_cast<long long>(ours.failed), ours.qps / perf);
        std::fflush(stdout);
    }
    const double perfMedian = median(perfRates);
    const double ourMedian = median(ourRates);
    std::printf("dnsperf      %10.0f q/s  median of %d (-c 1 -T 1 -q %d, %d s each)\n", perfMedian,
        rounds, inflight, seconds);
    std::printf("DnsResolver  %10.0f q/s  median of %d (%d in flight, %d s each)\n", ourMedian,
        rounds, inflight, seconds);
    std::printf("ratio        %10.2f x dnsperf (target >= 0.80)\n", ourMedian / perfMedian);
    return failed == 0 ? 0 : 1;
}
