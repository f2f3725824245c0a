#include "ClusterProfile.h"

#include <QJsonArray>

namespace hopscope {

QString dnsRecordTypeName(DnsRecordType type)
{
    switch (type) {
    case DnsRecordType::A:
        return QStringLiteral("A");
    case DnsRecordType::AAAA:
        return QStringLiteral("AAAA");
    case DnsRecordType::SRV:
        return QStringLiteral("SRV");
    }
    return {};
}

QString EdgeSpec::viaText() const
{
    switch (via) {
    case Via::Dns:
        return QStringLiteral("dns");
    case Via::Mesh:
        return QStringLiteral("mesh");
    case Via::LoadBalancer:
        return QStringLiteral("lb:") + loadBalancer;
    }
    return {};
}

std::optional<TlsSpec> ClusterProfile::tlsFor(
    const QUrl &url, const std::optional<TlsSpec> &own) const
{
    if (url.scheme() != u"https") {
        return std::nullopt;
    }
    return own ? own : tls;
}

const ServiceSpec *ClusterProfile::service(const QString &id) const
{
    for (const ServiceSpec &s : services) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

const LoadBalancerSpec *ClusterProfile::loadBalancer(const QString &id) const
{
    for (const LoadBalancerSpec &lb : loadBalancers) {
        if (lb.id == id) {
            return &lb;
        }
    }
    return nullptr;
}

const SshHostSpec *ClusterProfile::sshHost(const QString &id) const
{
    for (const SshHostSpec &h : sshHosts) {
        if (h.id == id) {
            return &h;
        }
    }
    return nullptr;
}

QString ClusterProfile::dnsUpdateVia() const
{
    return dnsUpdate && !dnsUpdate->via.isEmpty() ? dnsUpdate->via : dnsVia;
}

namespace {
template<typename T, typename Fn>
QJsonArray toArray(const QList<T> &items, Fn &&fn)
{
    QJsonArray array;
    for (const T &item : items) {
        array.append(fn(item));
    }
    return array;
}

// The AWS keys (issue 16) in their documented form.
QJsonObject awsToJson(const AwsSpec &aws)
{
    QJsonObject a = aws.raw;
    a[QStringLiteral("region")] = aws.region;
    if (aws.usesKeyReferences()) {
        QJsonObject c;
        c[QStringLiteral("accessKeyId")] = aws.accessKeyId->toString();
        if (aws.secretAccessKey) {
            c[QStringLiteral("secretAccessKey")] = aws.secretAccessKey->toString();
        }
        if (aws.sessionToken) {
            c[QStringLiteral("sessionToken")] = aws.sessionToken->toString();
        }
        a[QStringLiteral("credentials")] = c;
    } else {
        a[QStringLiteral("credentials")]
            = aws.credentials.isEmpty() ? QStringLiteral("default") : aws.credentials;
    }
    if (!aws.endpointUrl.isEmpty()) {
        a[QStringLiteral("endpointUrl")] = aws.endpointUrl.toString();
    } else {
        a.remove(QStringLiteral("endpointUrl"));
    }
    return a;
}

void awsServiceToJson(const ServiceSpec &s, QJsonObject &so)
{
    if (s.cloudMap) {
        QJsonObject c = s.cloudMap->raw;
        c[QStringLiteral("namespace")] = s.cloudMap->namespaceName;
        c[QStringLiteral("service")] = s.cloudMap->service;
        so[QStringLiteral("cloudMap")] = c;
    } else {
        so.remove(QStringLiteral("cloudMap"));
    }
    if (s.ecs) {
        QJsonObject e = s.ecs->raw;
        e[QStringLiteral("cluster")] = s.ecs->cluster;
        e[QStringLiteral("service")] = s.ecs->service;
        so[QStringLiteral("ecs")] = e;
    } else {
        so.remove(QStringLiteral("ecs"));
    }
}

void elbv2ToJson(const LoadBalancerSpec &lb, QJsonObject &lo)
{
    if (!lb.listenerArn.isEmpty()) {
        lo[QStringLiteral("listenerArn")] = lb.listenerArn;
    } else {
        lo.remove(QStringLiteral("listenerArn"));
    }
    lo[QStringLiteral("targetGroups")] = toArray(lb.targetGroups, [](const TargetGroupSpec &tg) {
        QJsonObject t = tg.raw;
        t[QStringLiteral("arn")] = tg.arn;
        t[QStringLiteral("service")] = tg.service;
        return t;
    });
}

} // namespace

QJsonObject ClusterProfile::toJson() const
{
    QJsonObject o = raw;
    o[QStringLiteral("schema")] = schema;
    o[QStringLiteral("name")] = name;
    o[QStringLiteral("observeOnly")] = observeOnly;
    o[QStringLiteral("production")] = production;

    QJsonObject p = poll.raw;
    p[QStringLiteral("intervalMs")] = poll.intervalMs;
    p[QStringLiteral("timeoutMs")] = poll.timeoutMs;
    o[QStringLiteral("poll")] = p;

    if (!dnsServers.isEmpty() || !dnsRaw.isEmpty()) {
        QJsonObject d = dnsRaw;
        d[QStringLiteral("servers")] =
            toArray(dnsServers, [](const HostPort &hp) { return QJsonValue(hp.toString()); });
        if (dnsMinIntervalMs > 0) {
            d[QStringLiteral("minIntervalMs")] = dnsMinIntervalMs;
        }
        if (dnsMaxIntervalMs > 0) {
            d[QStringLiteral("maxIntervalMs")] = dnsMaxIntervalMs;
        }
        if (!dnsVia.isEmpty()) {
            d[QStringLiteral("via")] = dnsVia;
        }
        o[QStringLiteral("dns")] = d;
    }

    o[QStringLiteral("services")] = toArray(services, [](const ServiceSpec &s) {
        QJsonObject so = s.raw;
        so[QStringLiteral("id")] = s.id;
        so[QStringLiteral("name")] = s.name;
        if (s.dns) {
            QJsonObject d = s.dns->raw;
            d[QStringLiteral("name")] = s.dns->name;
            d[QStringLiteral("type")] = dnsRecordTypeName(s.dns->type);
            if (s.dns->type != DnsRecordType::SRV) {
                d[QStringLiteral("port")] = s.dns->port;
            }
            so[QStringLiteral("dns")] = d;
        } else {
            so.remove(QStringLiteral("dns"));
        }
        awsServiceToJson(s, so);
        return so;
    });

    if (!loadBalancers.isEmpty() || o.contains(QStringLiteral("loadBalancers"))) {
        o[QStringLiteral("loadBalancers")] = toArray(loadBalancers, [](const LoadBalancerSpec &lb) {
            QJsonObject lo = lb.raw;
            lo[QStringLiteral("id")] = lb.id;
            lo[QStringLiteral("kind")] = lb.kind;
            if (lb.isElbv2()) {
                elbv2ToJson(lb, lo);
                return lo;
            }
            if (lb.runtime) {
                lo[QStringLiteral("runtime")] = lb.runtime->toString();
            }
            if (!lb.statsUrl.isEmpty()) {
                lo[QStringLiteral("statsUrl")] = lb.statsUrl.toString();
            }
            if (!lb.via.isEmpty()) {
                lo[QStringLiteral("via")] = lb.via;
            }
            lo[QStringLiteral("routes")] = toArray(lb.routes, [](const RouteSpec &r) {
                QJsonObject ro = r.raw;
                ro[QStringLiteral("pathPrefix")] = r.pathPrefix;
                ro[QStringLiteral("backend")] = r.backend;
                ro[QStringLiteral("service")] = r.service;
                return ro;
            });
            return lo;
        });
    }

    if (!proxies.isEmpty() || o.contains(QStringLiteral("proxies"))) {
        o[QStringLiteral("proxies")] = toArray(proxies, [](const ProxySpec &px) {
            QJsonObject po = px.raw;
            po[QStringLiteral("id")] = px.id;
            po[QStringLiteral("kind")] = px.kind;
            if (!px.admin.isEmpty() || !px.fromPrometheus) { // optional when read from Prometheus
                po[QStringLiteral("admin")] = px.admin.toString();
            }
            po[QStringLiteral("service")] = px.service;
            po[QStringLiteral("task")] = px.task.toString();
            if (!px.via.isEmpty()) {
                po[QStringLiteral("via")] = px.via;
            }
            return po;
        });
    }

    if (!edges.isEmpty() || o.contains(QStringLiteral("edges"))) {
        o[QStringLiteral("edges")] = toArray(edges, [](const EdgeSpec &e) {
            QJsonObject eo = e.raw;
            eo[QStringLiteral("from")] = e.from;
            eo[QStringLiteral("to")] = e.to;
            eo[QStringLiteral("via")] = e.viaText();
            return eo;
        });
    }

    if (dnsUpdate) {
        QJsonObject u = dnsUpdate->raw;
        u[QStringLiteral("server")] = dnsUpdate->server.toString();
        u[QStringLiteral("zone")] = dnsUpdate->zone;
        QJsonObject k = dnsUpdate->tsigKey.raw;
        k[QStringLiteral("name")] = dnsUpdate->tsigKey.name;
        k[QStringLiteral("algorithm")] = dnsUpdate->tsigKey.algorithm;
        k[QStringLiteral("secret")] = dnsUpdate->tsigKey.secret.toString();
        u[QStringLiteral("tsigKey")] = k;
        if (!dnsUpdate->via.isEmpty()) {
            u[QStringLiteral("via")] = dnsUpdate->via;
        }
        o[QStringLiteral("dnsUpdate")] = u;
    } else {
        o.remove(QStringLiteral("dnsUpdate"));
    }

    if (!sshHosts.isEmpty() || o.contains(QStringLiteral("sshHosts"))) {
        o[QStringLiteral("sshHosts")] = toArray(sshHosts, [](const SshHostSpec &h) {
            QJsonObject ho = h.raw;
            ho[QStringLiteral("id")] = h.id;
            ho[QStringLiteral("host")] = h.host;
            ho[QStringLiteral("port")] = h.port;
            ho[QStringLiteral("user")] = h.user;
            ho[QStringLiteral("identity")]
                = h.agent ? QStringLiteral("agent") : h.identity.toString();
            if (!h.hostKey.isEmpty()) {
                ho[QStringLiteral("hostKey")] = h.hostKey;
            }
            if (!h.knownHosts.isEmpty()) {
                ho[QStringLiteral("knownHosts")] = QString(QStringLiteral("file:") + h.knownHosts);
            }
            return ho;
        });
    }

    if (aws) {
        o[QStringLiteral("aws")] = awsToJson(*aws);
    } else {
        o.remove(QStringLiteral("aws"));
    }

    if (!prometheusUrl.isEmpty()) {
        QJsonObject pr = prometheusRaw;
        pr[QStringLiteral("url")] = prometheusUrl.toString();
        o[QStringLiteral("prometheus")] = pr;
    } else {
        o.remove(QStringLiteral("prometheus"));
    }
    return o;
}

} // namespace hopscope
