#pragma once

#include "dns/DnsTypes.h"
#include "envoy/EnvoySnapshot.h"
#include "haproxy/HaproxySnapshot.h"
#include "profile/ClusterProfile.h"
#include "profile/Endpoint.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace hopscope {

// --aws-cloudmap / --aws-elbv2 / --aws-ecs (issue 16): what to read through the AWS API, and
// how to reach it (the profile's "aws" keys; credentials as a source, never keys).
struct AwsDiscoveryRequest
{
    QString cloudMapNamespace; // --aws-cloudmap NAMESPACE
    QString elbv2; // --aws-elbv2 LB_ARN_OR_NAME
    QString ecsCluster; // --aws-ecs CLUSTER
    QString region; // --aws-region (else AWS_REGION / AWS_DEFAULT_REGION)
    QString credentials = QStringLiteral("default"); // --aws-credentials default|profile:NAME
    QUrl endpointUrl; // --aws-endpoint-url

    int count() const
    {
        return int(!cloudMapNamespace.isEmpty()) + int(!elbv2.isEmpty())
            + int(!ecsCluster.isEmpty());
    }
};

// What `profile discover` (and File → New Profile from Endpoints…) is asked to look at, as the
// user typed it, checked by parse(): endpoints in their profile syntax, DNS names with an
// optional type and port.
struct DiscoveryRequest
{
    struct DnsName
    {
        QString name;
        std::optional<DnsRecordType> type; // nullopt: detect (SRV, then A, then AAAA)
        quint16 port = 0; // A/AAAA: the tasks' port when given as NAME:A:PORT
    };

    static constexpr int DefaultTimeoutMs = 10'000;
    static constexpr int MaxTimeoutMs = 600'000;

    QString name; // the profile's name; empty: "discovered"
    QList<RuntimeEndpoint> haproxyRuntimes; // --haproxy unix:/path | tcp:HOST:PORT
    QList<QUrl> haproxyStatsUrls; // --haproxy-stats http(s)://…;csv
    QList<QUrl> envoyAdmins; // --envoy http(s)://HOST:PORT
    QList<DnsName> dnsNames; // --dns NAME[:A|AAAA|SRV[:PORT]]
    std::optional<HostPort> dnsServer; // --dns-server IP:PORT (needed with --dns)
    AwsDiscoveryRequest aws;
    int timeoutMs = DefaultTimeoutMs; // hard stop for the whole gathering

    bool isEmpty() const
    {
        return haproxyRuntimes.isEmpty() && haproxyStatsUrls.isEmpty() && envoyAdmins.isEmpty()
            && dnsNames.isEmpty() && aws.count() == 0;
    }
    int endpointCount() const
    {
        return int(haproxyRuntimes.size() + haproxyStatsUrls.size() + envoyAdmins.size()
                   + dnsNames.size())
            + aws.count();
    }

    // Each adds one value as typed; false with a message naming the option and the value.
    bool addHaproxyRuntime(const QString &text, QString *why);
    bool addHaproxyStatsUrl(const QString &text, QString *why);
    bool addEnvoyAdmin(const QString &text, QString *why);
    bool addDnsName(const QString &text, QString *why);
    bool setDnsServer(const QString &text, QString *why);
    // What is missing for a run: an endpoint at all, a DNS server for DNS names. Empty when ok.
    QString incomplete() const;
};

// One HAProxy endpoint and what it said in one poll (snapshot) or why it did not (error).
struct DiscoveredHaproxy
{
    std::optional<RuntimeEndpoint> runtime; // set for --haproxy
    QUrl statsUrl; // set for --haproxy-stats
    std::optional<HaproxySnapshot> snapshot;
    QString error;

    QString endpoint() const { return runtime ? runtime->toString() : statsUrl.toString(); }
};

// One Envoy admin endpoint and its snapshot (or why not).
struct DiscoveredEnvoy
{
    QUrl admin;
    std::optional<EnvoyAdminSnapshot> snapshot;
    QString error;
};

// One DNS name: the answer of the type asked or detected, and how the type was found.
struct DiscoveredDnsName
{
    DiscoveryRequest::DnsName request;
    std::optional<DnsResult> result; // the answer that decided (Ok, or the last negative one)
    QStringList detection; // "SRV: NODATA", "A: 3 records"
    QString error; // the server did not answer (timeout, network, SERVFAIL): nothing decided
};

// What the AWS API said (AwsDiscovery), as address:port keys per name.
struct DiscoveredAws
{
    struct Group
    {
        QString name; // a Cloud Map service, an ECS service, a target group
        QString arn; // target groups
        QStringList keys; // "10.0.1.11:8080" (ECS tasks without a port: the address)
    };
    AwsDiscoveryRequest request;
    QList<Group> cloudMap; // the namespace's services
    QString cloudMapError;
    QString loadBalancerName;
    QString listenerArn; // the first listener
    QStringList otherListeners; // "HTTPS:443 arn:…"
    QList<Group> targetGroups;
    QString elbv2Error;
    QList<Group> ecs; // the cluster's services (from its running tasks' groups)
    QString ecsError;
};

// Everything the builder works from: plain values, gathered by DiscoveryRun or made up by tests.
struct DiscoveryInput
{
    QString profileName;
    QList<HostPort> dnsServers;
    QList<DiscoveredHaproxy> haproxies;
    QList<DiscoveredEnvoy> envoys;
    QList<DiscoveredDnsName> dnsNames;
    std::optional<DiscoveredAws> aws;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::DiscoveryInput)
