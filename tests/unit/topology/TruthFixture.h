#pragma once

// Topologies for the target table and truth matrix tests, built by TopologyBuilder from captured
// real answers: HAProxy 2.6 `show stat` with user1 DOWN (L7STS) (tests/data/haproxy/
// demo_down.stat.csv) and the Envoy emulator's /clusters with one payments host failing its
// active health check (tests/data/envoy/emulator_number_clusters_backend_down.json), under the
// profile tests/data/topology/truth.hopscope.json whose addresses are those of the captures.
// DNS answers are DnsDiscoverySnapshot values (what the resolver hands the builder).

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyServerInfoParser.h"
#include "haproxy/HaproxyParsers.h"
#include "profile/ProfileStore.h"
#include "topology/TopologyBuilder.h"

#include <QFile>
#include <QHostAddress>

namespace hopscope::testing {

inline QByteArray testData(const QString &name)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QLatin1Char('/') + name);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read test data %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

inline ClusterProfile truthProfile()
{
    const ProfileLoadResult r
        = ProfileStore::parse(testData(QStringLiteral("topology/truth.hopscope.json")));
    if (!r.ok()) {
        qFatal("truth.hopscope.json: %s", qPrintable(r.problems.first().toString()));
    }
    return *r.profile;
}

// The inputs of one poll: every source answered; DNS lists `dns` (service id -> addresses).
struct TruthInputs
{
    QDateTime now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
    TopologyInputs in;

    static SourceState fresh(const QDateTime &at)
    {
        SourceState s;
        s.hasData = true;
        s.stale = false;
        s.lastSuccess = at;
        return s;
    }

    TruthInputs()
    {
        in.now = now;
        in.dnsState = fresh(now);
        in.dns = DnsDiscoverySnapshot {};
        in.dns->taken = now;
        const ClusterProfile p = truthProfile();
        for (const ServiceSpec &s : p.services) {
            DnsServiceState d;
            d.id = s.id;
            d.name = s.dns->name;
            d.type = DnsRecordType::A;
            d.profilePort = s.dns->port;
            d.hasAnswer = true;
            in.dns->services.append(d);
        }
        list(QStringLiteral("user"), QStringLiteral("127.148.27.41"));
        list(QStringLiteral("user"), QStringLiteral("127.148.27.42"));
        list(QStringLiteral("order"), QStringLiteral("127.148.27.51"));
        list(QStringLiteral("payments"), QStringLiteral("127.6.223.61"));
        list(QStringLiteral("payments"), QStringLiteral("127.6.223.62"));

        HaproxySnapshot lb;
        const auto stat
            = HaproxyStatParser::parse(testData(QStringLiteral("haproxy/demo_down.stat.csv")));
        const auto info
            = HaproxyInfoParser::parse(testData(QStringLiteral("haproxy/demo.info.txt")));
        if (!stat || !info) {
            qFatal("haproxy captures: %s %s", qPrintable(stat.errorText()),
                qPrintable(info.errorText()));
        }
        lb.stat = *stat;
        lb.info = *info;
        in.lb.insert(QStringLiteral("internal-lb"), lb);
        in.lbState.insert(QStringLiteral("internal-lb"), fresh(now));

        const auto clusters = EnvoyClustersParser::parse(
            testData(QStringLiteral("envoy/emulator_number_clusters_backend_down.json")));
        const auto server = EnvoyServerInfoParser::parse(
            testData(QStringLiteral("envoy/emulator_number_server_info.json")));
        if (!clusters.ok() || !server.ok()) {
            qFatal("envoy captures: %s %s", qPrintable(clusters.errorText()),
                qPrintable(server.errorText()));
        }
        for (const char *id : { "order-1-envoy", "payments-1-envoy", "payments-2-envoy" }) {
            EnvoyAdminSnapshot e;
            e.fetchedAt = now;
            e.serverInfo = server.value();
            e.readyHttpStatus = 200;
            if (qstrcmp(id, "order-1-envoy") == 0) {
                e.clusters = clusters.value(); // the caller: its upstream payments hosts
            }
            in.mesh.insert(QString::fromLatin1(id), e);
            in.meshState.insert(QString::fromLatin1(id), fresh(now));
        }
    }

    DnsServiceState &dns(const QString &serviceId)
    {
        for (DnsServiceState &s : in.dns->services) {
            if (s.id == serviceId) {
                return s;
            }
        }
        qFatal("no DNS service %s", qPrintable(serviceId));
    }

    void list(const QString &serviceId, const QString &ip)
    {
        DnsTarget t;
        t.record.type = DnsRecordType::A;
        t.record.owner = dns(serviceId).name;
        t.record.address = QHostAddress(ip);
        t.record.ttl = 10;
        t.firstSeen = now.addSecs(-60);
        t.lastSeen = now;
        t.holdUntil = now.addSecs(10);
        dns(serviceId).records.append(t);
    }

    void unlist(const QString &serviceId, const QString &ip, bool keepAsRemoved)
    {
        DnsServiceState &s = dns(serviceId);
        for (int i = 0; i < int(s.records.size()); ++i) {
            if (s.records[i].record.address == QHostAddress(ip)) {
                if (keepAsRemoved) {
                    DnsRemovedTarget r;
                    r.record = s.records[i].record;
                    r.removedAt = now.addSecs(-2);
                    r.holdUntil = now.addSecs(8);
                    s.removed.append(r);
                }
                s.records.removeAt(i);
                return;
            }
        }
        qFatal("%s not listed", qPrintable(ip));
    }

    Topology build() const { return TopologyBuilder::build(truthProfile(), in); }
};

} // namespace hopscope::testing
