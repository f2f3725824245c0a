#pragma once

#include "Endpoint.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

#include <optional>

namespace hopscope {

// The value types of a cluster profile (*.hopscope.json, "schema": 1). Plain data: ProfileStore
// reads, validates and writes them. Each type keeps the JSON object it was read from in `raw`,
// so that keys this version does not know survive a save.

enum class DnsRecordType { A, AAAA, SRV };
QString dnsRecordTypeName(DnsRecordType type);

struct ServiceDnsSpec
{
    QString name;
    DnsRecordType type = DnsRecordType::A;
    quint16 port = 0; // A/AAAA only: the port the tasks listen on
    QJsonObject raw;
};

struct ServiceSpec
{
    QString id;
    QString name;
    std::optional<ServiceDnsSpec> dns;
    QJsonObject raw;
};

struct RouteSpec
{
    QString pathPrefix;
    QString backend;
    QString service;
    QJsonObject raw;
};

struct LoadBalancerSpec
{
    QString id;
    QString kind; // "haproxy"
    std::optional<RuntimeEndpoint> runtime;
    QUrl statsUrl;
    QList<RouteSpec> routes;
    // "source": "prometheus": read from the profile's Prometheus (also when neither runtime nor
    // statsUrl is given); prometheusSelector: extra PromQL label matchers for its series.
    bool fromPrometheus = false;
    QString prometheusSelector;
    QJsonObject raw;
};

struct ProxySpec
{
    QString id;
    QString kind; // "envoy"
    QUrl admin;
    QString service;
    HostPort task;
    // "source": "prometheus": read from the profile's Prometheus (admin then optional);
    // prometheusSelector: PromQL label matchers for this sidecar's series (instance="...").
    bool fromPrometheus = false;
    QString prometheusSelector;
    QJsonObject raw;
};

struct EdgeSpec
{
    enum class Via { Dns, Mesh, LoadBalancer };
    QString from;
    QString to;
    Via via = Via::Dns;
    QString loadBalancer; // Via::LoadBalancer: the loadBalancers[].id
    QJsonObject raw;

    QString viaText() const; // "dns", "mesh", "lb:internal-lb"
};

struct TsigKeySpec
{
    QString name;
    QString algorithm; // hmac-sha256 | hmac-sha512
    SecretRef secret;
    QJsonObject raw;
};

struct DnsUpdateSpec
{
    HostPort server;
    QString zone;
    TsigKeySpec tsigKey;
    QJsonObject raw;
};

struct PollSpec
{
    int intervalMs = 2000;
    int timeoutMs = 1500;
    QJsonObject raw;
};

struct ClusterProfile
{
    static constexpr int SchemaVersion = 1;

    int schema = SchemaVersion;
    QString name;
    bool observeOnly = false;
    bool production = false;
    PollSpec poll;
    QList<HostPort> dnsServers;
    // Bounds on how often a DNS name is re-queried (each name is re-queried when its TTL runs
    // out, but never more often than min nor less often than max). 0: not set in the profile.
    int dnsMinIntervalMs = 0;
    int dnsMaxIntervalMs = 0;
    QJsonObject dnsRaw;
    QList<ServiceSpec> services;
    QList<LoadBalancerSpec> loadBalancers;
    QList<ProxySpec> proxies;
    QList<EdgeSpec> edges;
    std::optional<DnsUpdateSpec> dnsUpdate;
    QUrl prometheusUrl; // empty: no fleet mode
    QJsonObject prometheusRaw;
    SecretRef prometheusBearerToken; // prometheus.bearerToken: env:/file:/keychain: reference
    QJsonObject raw;

    const ServiceSpec *service(const QString &id) const;
    const LoadBalancerSpec *loadBalancer(const QString &id) const;

    // The profile as JSON: the raw objects it was read from, with every known key rewritten
    // from the current values (unknown keys kept, known keys in their documented form).
    QJsonObject toJson() const;
};

} // namespace hopscope
