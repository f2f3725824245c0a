#pragma once

#include "Endpoint.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
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

// services[].cloudMap (issue 16): the Cloud Map service whose instances are the service's tasks.
struct ServiceCloudMapSpec
{
    QString namespaceName; // "namespace": "corp.internal"
    QString service; // the Cloud Map service's name in that namespace
    QJsonObject raw;
};

// services[].ecs (issue 16): the ECS service whose tasks are the service's tasks.
struct ServiceEcsSpec
{
    QString cluster; // name or ARN
    QString service;
    QJsonObject raw;
};

struct ServiceSpec
{
    QString id;
    QString name;
    std::optional<ServiceDnsSpec> dns;
    std::optional<ServiceCloudMapSpec> cloudMap;
    std::optional<ServiceEcsSpec> ecs;
    QJsonObject raw;
};

struct RouteSpec
{
    QString pathPrefix;
    QString backend;
    QString service;
    QJsonObject raw;
};

// "tls" on an object whose URLs are https:// (or at the top: the default for every such URL).
// ca/cert: "file:PATH" (PEM); key: a secret reference; pins: base64 SHA-256 of the server's
// SubjectPublicKeyInfo. verify false is allowed but always shown as a warning.
struct TlsSpec
{
    std::optional<SecretRef> ca; // none: the system CAs
    std::optional<SecretRef> cert;
    std::optional<SecretRef> key;
    QStringList pinsSha256;
    bool verify = true;
    QString path; // where it was read: "proxies[0].tls", "tls"
    QJsonObject raw;
};

// loadBalancers[].targetGroups[] of an "elbv2" load balancer: its targets belong to `service`.
struct TargetGroupSpec
{
    QString arn;
    QString service;
    QJsonObject raw;
};

struct LoadBalancerSpec
{
    QString id;
    QString kind; // "haproxy" | "elbv2" (an ALB/NLB read through the AWS API)
    // kind "elbv2": the listener whose rules (DescribeRules) become route labels (optional),
    // and the target groups whose health (DescribeTargetHealth) is read.
    QString listenerArn;
    QList<TargetGroupSpec> targetGroups;
    bool isElbv2() const { return kind == u"elbv2"; }
    std::optional<RuntimeEndpoint> runtime;
    QUrl statsUrl;
    QList<RouteSpec> routes;
    QString via; // an sshHosts[].id: runtime and statsUrl are as that jump host sees them
    std::optional<TlsSpec> tls; // its own "tls" (ClusterProfile::tlsFor adds the default)
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
    QString via; // an sshHosts[].id: the admin URL is as that jump host sees it
    std::optional<TlsSpec> tls; // its own "tls" (ClusterProfile::tlsFor adds the default)
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
    QString via; // an sshHosts[].id; empty: the dns block's via (ClusterProfile::dnsUpdateVia)
    QJsonObject raw;
};

// A jump host (`sshHosts[]`): sources and drains whose "via" names it reach their endpoints
// through one SSH session to it. Exactly one of hostKey / knownHosts decides the accepted key.
struct SshHostSpec
{
    QString id;
    QString host;
    quint16 port = 22;
    QString user;
    bool agent = false; // "identity": "agent" (SSH_AUTH_SOCK)
    SecretRef identity; // else the private key: "file:…" or "keychain:…"
    QString hostKey; // "SHA256:…"
    QString knownHosts; // path of an OpenSSH known_hosts file (written "file:PATH")
    QJsonObject raw;
};

// The top-level "aws" (issue 16): how the AWS API is reached. Credentials never appear in the
// profile: "default" (the standard chain), "profile:NAME" (~/.aws files), or an object of
// secret references for the key pair (env:/file:/keychain:).
struct AwsSpec
{
    QString region; // "eu-west-1"
    QString credentials; // "default" | "profile:NAME"; empty when the key pair is referenced
    std::optional<SecretRef> accessKeyId;
    std::optional<SecretRef> secretAccessKey;
    std::optional<SecretRef> sessionToken;
    QUrl endpointUrl; // empty: the regional endpoints
    QJsonObject raw;

    bool usesKeyReferences() const { return accessKeyId.has_value(); }
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
    QString dnsVia; // dns.via: the servers are as that jump host sees them
    QList<SshHostSpec> sshHosts;
    QList<ServiceSpec> services;
    QList<LoadBalancerSpec> loadBalancers;
    QList<ProxySpec> proxies;
    QList<EdgeSpec> edges;
    std::optional<DnsUpdateSpec> dnsUpdate;
    QUrl prometheusUrl; // empty: no fleet mode
    QJsonObject prometheusRaw;
    std::optional<TlsSpec> tls; // the top-level "tls": default for every https:// URL
    SecretRef prometheusBearerToken; // prometheus.bearerToken: env:/file:/keychain: reference
    std::optional<AwsSpec> aws; // "aws": Cloud Map, ELBv2 and ECS are read through the AWS API
    QJsonObject raw;

    // The TLS settings for `url` of an object with `own` "tls": its own, else the default; none
    // for http:// URLs.
    std::optional<TlsSpec> tlsFor(const QUrl &url, const std::optional<TlsSpec> &own) const;

    const ServiceSpec *service(const QString &id) const;
    const LoadBalancerSpec *loadBalancer(const QString &id) const;
    const SshHostSpec *sshHost(const QString &id) const;
    // The jump host of the RFC 2136 server: dnsUpdate.via, else dns.via.
    QString dnsUpdateVia() const;

    // The profile as JSON: the raw objects it was read from, with every known key rewritten
    // from the current values (unknown keys kept, known keys in their documented form).
    QJsonObject toJson() const;
};

} // namespace hopscope
