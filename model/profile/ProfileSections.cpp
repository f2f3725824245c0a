#include "ProfileSections.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace hopscope::profileread {

namespace {

const QRegularExpression &idPattern()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"));
    return re;
}

// "ca"/"cert": "file:PATH" only (certificates are no secret, and are read as files).
std::optional<SecretRef> tlsFile(
    Reader &r, const QJsonObject &o, const QString &path, const char *name)
{
    const auto text = r.string(o, path, name, false);
    if (!text) {
        return std::nullopt;
    }
    QString why;
    const auto ref = SecretRef::parse(*text, &why);
    if (!ref || ref->kind != SecretRef::Kind::File) {
        r.problem(Reader::key(path, name),
            ref ? QStringLiteral("expected \"file:PATH\" of a PEM file") : why);
        return std::nullopt;
    }
    return ref;
}

} // namespace

std::optional<TlsSpec> readTls(
    Reader &r, const QJsonObject &o, const QString &parent, const QUrl *url)
{
    const auto tls = r.object(o, parent, "tls", false);
    if (!tls) {
        return std::nullopt;
    }
    const QString path = Reader::key(parent, "tls");
    if (url && !url->isEmpty() && url->scheme() != u"https") {
        r.problem(
            path, QStringLiteral("is set but %1 is not an https:// URL").arg(url->toString()));
    }
    static const QStringList known = { QStringLiteral("ca"), QStringLiteral("cert"),
        QStringLiteral("key"), QStringLiteral("pinSha256"), QStringLiteral("verify") };
    for (auto it = tls->constBegin(); it != tls->constEnd(); ++it) {
        if (!known.contains(it.key())) {
            r.problem(path + u'.' + it.key(),
                QStringLiteral("unknown key; \"tls\" takes ca, cert, key, pinSha256, verify"));
        }
    }
    TlsSpec spec;
    spec.raw = *tls;
    spec.path = path;
    spec.ca = tlsFile(r, *tls, path, "ca");
    spec.cert = tlsFile(r, *tls, path, "cert");
    if (const auto key = r.string(*tls, path, "key", false)) {
        QString why;
        spec.key = SecretRef::parse(*key, &why);
        if (!spec.key) {
            r.problem(Reader::key(path, "key"), why);
        }
    }
    if (tls->contains(QStringLiteral("cert")) && !tls->contains(QStringLiteral("key"))) {
        r.problem(
            Reader::key(path, "key"), QStringLiteral("is missing; \"cert\" needs its private key"));
    } else if (tls->contains(QStringLiteral("key")) && !tls->contains(QStringLiteral("cert"))) {
        r.problem(
            Reader::key(path, "cert"), QStringLiteral("is missing; \"key\" needs its certificate"));
    }
    const QJsonValue pins = tls->value(QStringLiteral("pinSha256"));
    const QJsonArray list = pins.isArray() ? pins.toArray() : QJsonArray { pins };
    for (qsizetype i = 0; !pins.isUndefined() && i < list.size(); ++i) {
        const QString ppath = Reader::key(path, "pinSha256")
            + (pins.isArray() ? u'[' + QString::number(i) + u']' : QString());
        const QString pin = list.at(i).toString();
        const auto bytes = QByteArray::fromBase64Encoding(
            pin.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!list.at(i).isString()) {
            r.problem(ppath,
                QStringLiteral("expected a base64 SHA-256 pin, got ") + describe(list.at(i)));
        } else if (!bytes || bytes.decoded.size() != 32 || pin.size() != 44) {
            r.problem(ppath,
                QStringLiteral("\"%1\" is not a SHA-256 pin: expected 44 characters of base64 "
                               "(openssl x509 -pubkey | openssl pkey -pubin -outform der | "
                               "openssl dgst -sha256 -binary | base64)")
                    .arg(pin.left(60)));
        } else {
            spec.pinsSha256.append(pin);
        }
    }
    spec.verify = r.boolean(*tls, path, "verify").value_or(true);
    return spec;
}

void readPoll(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto poll = r.object(root, {}, "poll", false);
    if (!poll) {
        return;
    }
    p.poll.raw = *poll;
    if (const auto v = r.integer(*poll, QStringLiteral("poll"), "intervalMs", false, 100, 3'600'000)) {
        p.poll.intervalMs = int(*v);
    }
    if (const auto v = r.integer(*poll, QStringLiteral("poll"), "timeoutMs", false, 50, 120'000)) {
        p.poll.timeoutMs = int(*v);
    }
}

void readServices(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto services = r.array(root, {}, "services", true);
    if (!services) {
        r.servicesKnown = false;
        return;
    }
    if (services->isEmpty()) {
        r.problem(QStringLiteral("services"), QStringLiteral("is empty; declare at least one service"));
    }
    QHash<QString, QString> seen;
    for (qsizetype i = 0; i < services->size(); ++i) {
        const QString path = Reader::index(QStringLiteral("services"), i);
        const auto so = r.element(services->at(i), path);
        if (!so) {
            continue;
        }
        ServiceSpec s;
        s.raw = *so;
        if (const auto id = r.string(*so, path, "id", true)) {
            if (!idPattern().match(*id).hasMatch()) {
                r.problem(Reader::key(path, "id"),
                          QStringLiteral("\"%1\" is not a valid id (letters, digits, '.', '_', '-'; "
                                         "at most 63)").arg(*id));
            }
            s.id = *id;
            r.checkUnique(seen, *id, Reader::key(path, "id"));
        }
        s.name = r.string(*so, path, "name", true).value_or(QString());
        if (const auto dns = r.object(*so, path, "dns", false)) {
            const QString dpath = Reader::key(path, "dns");
            ServiceDnsSpec d;
            d.raw = *dns;
            bool ok = true;
            if (const auto name = r.string(*dns, dpath, "name", true)) {
                QString why;
                if (!isValidDnsName(*name, &why)) {
                    r.problem(Reader::key(dpath, "name"), QStringLiteral("\"%1\" ").arg(*name) + why);
                    ok = false;
                }
                d.name = *name;
            } else {
                ok = false;
            }
            const auto type = r.string(*dns, dpath, "type", true);
            if (type == QStringLiteral("A")) {
                d.type = DnsRecordType::A;
            } else if (type == QStringLiteral("AAAA")) {
                d.type = DnsRecordType::AAAA;
            } else if (type == QStringLiteral("SRV")) {
                d.type = DnsRecordType::SRV;
            } else {
                if (type) {
                    r.problem(Reader::key(dpath, "type"),
                              QStringLiteral("\"%1\" is not one of A, AAAA, SRV").arg(*type));
                }
                ok = false;
            }
            const bool knownType = type == QStringLiteral("A") || type == QStringLiteral("AAAA")
                                   || type == QStringLiteral("SRV");
            if (knownType && d.type != DnsRecordType::SRV) {
                if (const auto port = r.integer(*dns, dpath, "port", true, 1, 65535)) {
                    d.port = quint16(*port);
                } else {
                    ok = false;
                }
            } else if (knownType && dns->contains(QStringLiteral("port"))) {
                r.problem(Reader::key(dpath, "port"),
                          QStringLiteral("SRV records carry their own ports; remove \"port\""));
            }
            if (ok) {
                s.dns = d;
            }
        }
        readServiceAws(r, *so, path, s);
        p.services.append(s);
    }
}

void readDns(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto dns = r.object(root, {}, "dns", false);
    if (dns) {
        p.dnsRaw = *dns;
        p.dnsVia = readVia(r, *dns, QStringLiteral("dns"), p);
        if (const auto servers = r.array(*dns, QStringLiteral("dns"), "servers", true)) {
            if (servers->isEmpty()) {
                r.problem(QStringLiteral("dns.servers"), QStringLiteral("is empty; name at least one server"));
            }
            for (qsizetype i = 0; i < servers->size(); ++i) {
                if (const auto hp = r.hostPort(servers->at(i),
                                               Reader::index(QStringLiteral("dns.servers"), i), 53, true)) {
                    p.dnsServers.append(*hp);
                }
            }
        }
        const auto minMs = r.integer(*dns, QStringLiteral("dns"), "minIntervalMs", false, 100, 86'400'000);
        const auto maxMs = r.integer(*dns, QStringLiteral("dns"), "maxIntervalMs", false, 100, 86'400'000);
        p.dnsMinIntervalMs = int(minMs.value_or(0));
        p.dnsMaxIntervalMs = int(maxMs.value_or(0));
        if (minMs && maxMs && *minMs > *maxMs) {
            r.problem(QStringLiteral("dns.maxIntervalMs"),
                      QStringLiteral("%1 is below dns.minIntervalMs (%2)").arg(*maxMs).arg(*minMs));
        }
    }
    const bool anyDnsService = std::any_of(p.services.cbegin(), p.services.cend(),
                                           [](const ServiceSpec &s) { return s.dns.has_value(); });
    if (!dns && anyDnsService) {
        r.problem(QStringLiteral("dns"),
                  QStringLiteral("is missing; services use DNS discovery, so name the servers to ask"));
    }
}

void readLoadBalancers(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto lbs = r.array(root, {}, "loadBalancers", false);
    if (!lbs) {
        return;
    }
    QHash<QString, QString> seen;
    for (qsizetype i = 0; i < lbs->size(); ++i) {
        const QString path = Reader::index(QStringLiteral("loadBalancers"), i);
        const auto lo = r.element(lbs->at(i), path);
        if (!lo) {
            continue;
        }
        LoadBalancerSpec lb;
        lb.raw = *lo;
        r.idAndKind(*lo, path, seen, "load balancer", { u"haproxy", u"elbv2" }, &lb.id, &lb.kind);
        if (lb.isElbv2()) { // ProfileSectionsAws.cpp
            readElbv2(r, *lo, path, p, lb);
            p.loadBalancers.append(lb);
            continue;
        }
        lb.via = readVia(r, *lo, path, p);
        if (const auto runtime = r.string(*lo, path, "runtime", false)) {
            QString why;
            lb.runtime = RuntimeEndpoint::parse(*runtime, &why);
            if (!lb.runtime) {
                r.problem(Reader::key(path, "runtime"), why);
            }
        }
        if (const auto url = r.httpUrl(*lo, path, "statsUrl", false)) {
            lb.statsUrl = *url;
        }
        lb.tls = readTls(
            r, *lo, path, lo->contains(QStringLiteral("statsUrl")) ? &lb.statsUrl : nullptr);
        if (lb.tls && !lo->contains(QStringLiteral("statsUrl"))) {
            r.problem(Reader::key(path, "tls"),
                QStringLiteral("is set but there is no https:// \"statsUrl\""));
        }
        if (const auto source = r.string(*lo, path, "source", false)) {
            if (*source != u"prometheus" && *source != u"direct") {
                r.problem(Reader::key(path, "source"),
                          QStringLiteral("\"%1\" is not one of direct, prometheus").arg(*source));
            }
            lb.fromPrometheus = *source == u"prometheus";
        }
        lb.prometheusSelector = r.string(*lo, path, "prometheusSelector", false).value_or(QString());
        const bool hasPrometheus = root.contains(QStringLiteral("prometheus"));
        if (lb.fromPrometheus && !hasPrometheus) {
            r.problem(Reader::key(path, "source"),
                      QStringLiteral("is \"prometheus\" but the profile has no \"prometheus\" section"));
        }
        // Without an endpoint of its own, a load balancer is read from the profile's Prometheus.
        if (!lo->contains(QStringLiteral("runtime")) && !lo->contains(QStringLiteral("statsUrl"))) {
            if (hasPrometheus) {
                lb.fromPrometheus = true;
            } else {
                r.problem(path, QStringLiteral("has neither \"runtime\" nor \"statsUrl\"; give at least one"));
            }
        }
        if (const auto routes = r.array(*lo, path, "routes", false)) {
            for (qsizetype j = 0; j < routes->size(); ++j) {
                const QString rpath = Reader::index(Reader::key(path, "routes"), j);
                const auto ro = r.element(routes->at(j), rpath);
                if (!ro) {
                    continue;
                }
                RouteSpec route;
                route.raw = *ro;
                if (const auto prefix = r.string(*ro, rpath, "pathPrefix", true)) {
                    if (!prefix->startsWith(u'/')) {
                        r.problem(Reader::key(rpath, "pathPrefix"),
                                  QStringLiteral("\"%1\" must start with '/'").arg(*prefix));
                    }
                    route.pathPrefix = *prefix;
                }
                route.backend = r.string(*ro, rpath, "backend", true).value_or(QString());
                if (const auto svc = r.string(*ro, rpath, "service", true)) {
                    route.service = *svc;
                    r.checkServiceRef(p, *svc, Reader::key(rpath, "service"));
                }
                lb.routes.append(route);
            }
        }
        p.loadBalancers.append(lb);
    }
}

void readProxies(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto proxies = r.array(root, {}, "proxies", false);
    if (!proxies) {
        return;
    }
    QHash<QString, QString> seen;
    for (qsizetype i = 0; i < proxies->size(); ++i) {
        const QString path = Reader::index(QStringLiteral("proxies"), i);
        const auto po = r.element(proxies->at(i), path);
        if (!po) {
            continue;
        }
        ProxySpec px;
        px.raw = *po;
        px.via = readVia(r, *po, path, p);
        r.idAndKind(*po, path, seen, "proxy", { u"envoy" }, &px.id, &px.kind);
        if (const auto source = r.string(*po, path, "source", false)) {
            if (*source != u"prometheus" && *source != u"direct") {
                r.problem(Reader::key(path, "source"),
                          QStringLiteral("\"%1\" is not one of direct, prometheus").arg(*source));
            }
            px.fromPrometheus = *source == u"prometheus";
            if (px.fromPrometheus && !root.contains(QStringLiteral("prometheus"))) {
                r.problem(Reader::key(path, "source"),
                          QStringLiteral("is \"prometheus\" but the profile has no \"prometheus\" section"));
            }
        }
        px.prometheusSelector = r.string(*po, path, "prometheusSelector", false).value_or(QString());
        if (const auto url = r.httpUrl(*po, path, "admin", !px.fromPrometheus)) {
            px.admin = *url;
        }
        px.tls = readTls(r, *po, path, &px.admin);
        if (const auto svc = r.string(*po, path, "service", true)) {
            px.service = *svc;
            r.checkServiceRef(p, *svc, Reader::key(path, "service"));
        }
        const QJsonValue task = po->value(QStringLiteral("task"));
        if (task.isUndefined()) {
            r.problem(Reader::key(path, "task"), QStringLiteral("is missing; give the task's ADDRESS:PORT"));
        } else if (const auto hp = r.hostPort(task, Reader::key(path, "task"), 0, false)) {
            px.task = *hp;
        }
        p.proxies.append(px);
    }
}

void readEdges(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto edges = r.array(root, {}, "edges", false);
    if (!edges) {
        return;
    }
    QHash<QString, QString> seen;
    for (qsizetype i = 0; i < edges->size(); ++i) {
        const QString path = Reader::index(QStringLiteral("edges"), i);
        const auto eo = r.element(edges->at(i), path);
        if (!eo) {
            continue;
        }
        EdgeSpec e;
        e.raw = *eo;
        bool ok = true;
        for (const char *end : {"from", "to"}) {
            if (const auto id = r.string(*eo, path, end, true)) {
                (qstrcmp(end, "from") == 0 ? e.from : e.to) = *id;
                ok = r.checkServiceRef(p, *id, Reader::key(path, end)) && ok;
            } else {
                ok = false;
            }
        }
        if (const auto via = r.string(*eo, path, "via", true)) {
            if (*via == u"dns") {
                e.via = EdgeSpec::Via::Dns;
            } else if (*via == u"mesh") {
                e.via = EdgeSpec::Via::Mesh;
            } else if (via->startsWith(u"lb:")) {
                e.via = EdgeSpec::Via::LoadBalancer;
                e.loadBalancer = via->mid(3);
                if (!p.loadBalancer(e.loadBalancer)) {
                    r.problem(Reader::key(path, "via"),
                              QStringLiteral("no load balancer with id \"%1\"").arg(e.loadBalancer));
                    ok = false;
                }
            } else {
                r.problem(Reader::key(path, "via"),
                          QStringLiteral("\"%1\" is not dns, mesh or lb:<load balancer id>").arg(*via));
                ok = false;
            }
        } else {
            ok = false;
        }
        if (ok && e.from == e.to) {
            r.problem(path, QStringLiteral("goes from \"%1\" to itself").arg(e.from));
        }
        if (ok) {
            const QString identity = e.from + QStringLiteral(" → ") + e.to + QStringLiteral(" via ") + e.viaText();
            r.checkUnique(seen, identity, path, QStringLiteral("edge %1"));
        }
        p.edges.append(e);
    }
}

void readDnsUpdate(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto du = r.object(root, {}, "dnsUpdate", false);
    if (!du) {
        return;
    }
    const QString path = QStringLiteral("dnsUpdate");
    DnsUpdateSpec spec;
    spec.raw = *du;
    spec.via = readVia(r, *du, path, p);
    bool ok = true;
    const QJsonValue server = du->value(QStringLiteral("server"));
    if (server.isUndefined()) {
        r.problem(Reader::key(path, "server"), QStringLiteral("is missing"));
        ok = false;
    } else if (const auto hp = r.hostPort(server, Reader::key(path, "server"), 53, true)) {
        spec.server = *hp;
    } else {
        ok = false;
    }
    if (const auto zone = r.string(*du, path, "zone", true)) {
        QString why;
        if (!isValidDnsName(*zone, &why)) {
            r.problem(Reader::key(path, "zone"), QStringLiteral("\"%1\" ").arg(*zone) + why);
            ok = false;
        }
        spec.zone = *zone;
    } else {
        ok = false;
    }
    if (const auto key = r.object(*du, path, "tsigKey", true)) {
        const QString kpath = Reader::key(path, "tsigKey");
        spec.tsigKey.raw = *key;
        if (const auto name = r.string(*key, kpath, "name", true)) {
            spec.tsigKey.name = *name;
        } else {
            ok = false;
        }
        if (const auto alg = r.string(*key, kpath, "algorithm", true)) {
            if (*alg != u"hmac-sha256" && *alg != u"hmac-sha512") {
                r.problem(Reader::key(kpath, "algorithm"),
                          QStringLiteral("\"%1\" is not one of hmac-sha256, hmac-sha512").arg(*alg));
                ok = false;
            }
            spec.tsigKey.algorithm = *alg;
        } else {
            ok = false;
        }
        if (const auto secret = r.string(*key, kpath, "secret", true)) {
            QString why;
            if (const auto ref = SecretRef::parse(*secret, &why)) {
                spec.tsigKey.secret = *ref;
            } else {
                r.problem(Reader::key(kpath, "secret"), why);
                ok = false;
            }
        } else {
            ok = false;
        }
    } else {
        ok = false;
    }
    if (ok) {
        p.dnsUpdate = spec;
    }
}

void readPrometheus(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    if (const auto prom = r.object(root, {}, "prometheus", false)) {
        p.prometheusRaw = *prom;
        if (const auto url = r.httpUrl(*prom, QStringLiteral("prometheus"), "url", true)) {
            p.prometheusUrl = *url;
        }
        if (const auto token = r.string(*prom, QStringLiteral("prometheus"), "bearerToken", false)) {
            QString why;
            if (const auto ref = SecretRef::parse(*token, &why)) {
                p.prometheusBearerToken = *ref;
            } else {
                r.problem(QStringLiteral("prometheus.bearerToken"), why);
            }
        }
    }
}

} // namespace hopscope::profileread
