// Queries per second DnsResolver sustains with 100 lookups in flight against the harness BIND,
// side by side with dnsperf against the same server in the same run (RESULTS.md, "DNS").
// usage: bench_DnsResolver [--server HOST:PORT] [--seconds N] [--inflight N]
//        (default server: dns.addr/port of $HOPSCOPE_PEERS_DIR/state.json)

#include "dns/DnsResolver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryFile>

#include <cstdio>

using namespace hopscope;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    QString server;
    int seconds = 5;
    int inflight = 100;
    for (int i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == u"--server") {
            server = args[i + 1];
        } else if (args[i] == u"--seconds") {
            seconds = args[i + 1].toInt();
        } else if (args[i] == u"--inflight") {
            inflight = args[i + 1].toInt();
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
    struct Q
    {
        QString name;
        DnsRecordType type;
    };
    const QList<Q> mix = {{QStringLiteral("serviceb.") + zone, DnsRecordType::A},
                          {QStringLiteral("servicec.") + zone, DnsRecordType::SRV},
                          {QStringLiteral("_http._tcp.servicea.") + zone, DnsRecordType::SRV},
                          {QStringLiteral("task-1.servicec.") + zone, DnsRecordType::A}};

    // 1. dnsperf, same mix, same in-flight count.
    QTemporaryFile queries;
    if (!queries.open()) {
        return 2;
    }
    for (const Q &q : mix) {
        queries.write((q.name + QLatin1Char(' ') + dnsRecordTypeName(q.type) + QLatin1Char('\n')).toUtf8());
    }
    queries.flush();
    QProcess perf;
    perf.setProcessChannelMode(QProcess::MergedChannels);
    perf.start(QStringLiteral("dnsperf"),
               {QStringLiteral("-s"), hp->host, QStringLiteral("-p"), QString::number(hp->port),
                QStringLiteral("-d"), queries.fileName(), QStringLiteral("-l"), QString::number(seconds),
                QStringLiteral("-c"), QStringLiteral("1"), QStringLiteral("-T"), QStringLiteral("1"),
                QStringLiteral("-q"), QString::number(inflight)});
    perf.waitForFinished(seconds * 1000 + 30'000); // a benchmark driver, not product code
    const QString perfOut = QString::fromUtf8(perf.readAll());
    const auto m = QRegularExpression(QStringLiteral("Queries per second:\\s+([0-9.]+)")).match(perfOut);
    const double perfQps = m.hasMatch() ? m.captured(1).toDouble() : 0.0;
    if (perfQps <= 0) {
        std::fprintf(stderr, "bench: dnsperf gave no rate:\n%s\n", qPrintable(perfOut));
        return 1;
    }

    // 2. DnsResolver on this thread's event loop, `inflight` lookups outstanding at all times.
    DnsResolver::Options o;
    o.timeoutMs = 2000;
    DnsResolver resolver(o);
    if (!resolver.setServers({*hp})) {
        return 2;
    }
    qint64 done = 0;
    qint64 failed = 0;
    qint64 next = 0;
    bool stopping = false;
    QElapsedTimer clock;
    std::function<void()> issue;
    issue = [&] {
        const Q &q = mix[int(next++ % mix.size())];
        resolver.lookup(q.name, q.type, nullptr, [&](const DnsResult &r) {
            ++done;
            failed += r.isOk() ? 0 : 1;
            if (!stopping && clock.elapsed() < seconds * 1000) {
                issue();
            } else {
                stopping = true;
                if (resolver.pendingCount() <= 1) {
                    QCoreApplication::quit();
                }
            }
        });
    };
    clock.start();
    for (int i = 0; i < inflight; ++i) {
        issue();
    }
    app.exec();
    const double ours = double(done) / (double(clock.elapsed()) / 1000.0);
    std::printf("dnsperf      %10.0f q/s  (-c 1 -T 1 -q %d, %d s)\n", perfQps, inflight, seconds);
    std::printf("DnsResolver  %10.0f q/s  (%d in flight, %lld lookups, %lld failed)\n", ours, inflight,
                static_cast<long long>(done), static_cast<long long>(failed));
    std::printf("ratio        %10.2f x dnsperf (target >= 0.80)\n", ours / perfQps);
    return failed == 0 ? 0 : 1;
}
