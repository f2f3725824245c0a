#include "ProfileStore.h"

#include "core/BoundedFile.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

#include <algorithm>

namespace hopscope {

namespace {

QString describe(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double:
        return QStringLiteral("the number ") + QString::number(v.toDouble());
    case QJsonValue::String: {
        QString s = v.toString();
        if (s.size() > 40) {
            s = s.left(37) + QStringLiteral("...");
        }
        return QStringLiteral("the string \"%1\"").arg(s);
    }
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

// Reads one profile, collecting problems with their JSON paths as it goes.
class Reader
{
public:
    QList<ProfileProblem> problems;

    void problem(const QString &path, const QString &message) { problems.append({path, message}); }

    static QString key(const QString &parent, const char *name)
    {
        return parent.isEmpty() ? QString::fromLatin1(name)
                                : parent + QLatin1Char('.') + QLatin1String(name);
    }
    static QString index(const QString &parent, qsizetype i)
    {
        return parent + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
    }

    std::optional<QString> string(const QJsonObject &o, const QString &parent, const char *name,
                                  bool required)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        const QString path = key(parent, name);
        if (v.isUndefined()) {
            if (required) {
                problem(path, QStringLiteral("is missing"));
            }
            return std::nullopt;
        }
        if (!v.isString()) {
            problem(path, QStringLiteral("expected a string, got ") + describe(v));
            return std::nullopt;
        }
        if (v.toString().trimmed().isEmpty()) {
            problem(path, QStringLiteral("is empty"));
            return std::nullopt;
        }
        return v.toString();
    }

    std::optional<bool> boolean(const QJsonObject &o, const QString &parent, const char *name)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined()) {
            return std::nullopt;
        }
        if (!v.isBool()) {
            problem(key(parent, name), QStringLiteral("expected true or false, got ") + describe(v));
            return std::nullopt;
        }
        return v.toBool();
    }

    std::optional<qint64> integer(const QJsonObject &o, const QString &parent, const char *name,
                                  bool required, qint64 min, qint64 max)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        const QString path = key(parent, name);
        if (v.isUndefined()) {
            if (required) {
                problem(path, QStringLiteral("is missing"));
            }
            return std::nullopt;
        }
        const double d = v.toDouble();
        if (!v.isDouble() || d != double(qint64(d))) {
            problem(path, QStringLiteral("expected a whole number, got ") + describe(v));
            return std::nullopt;
        }
        if (d < double(min) || d > double(max)) {
            problem(path, QStringLiteral("%1 is out of range (%2 to %3)")
                              .arg(qint64(d))
                              .arg(min)
                              .arg(max));
            return std::nullopt;
        }
        return qint64(d);
    }

    // Returns the object, or nullopt with a problem. Missing and not required: empty optional.
    std::optional<QJsonObject> object(const QJsonObject &o, const QString &parent, const char *name,
                                      bool required)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        const QString path = key(parent, name);
        if (v.isUndefined()) {
            if (required) {
                problem(path, QStringLiteral("is missing"));
            }
            return std::nullopt;
        }
        if (!v.isObject()) {
            problem(path, QStringLiteral("expected an object, got ") + describe(v));
            return std::nullopt;
        }
        return v.toObject();
    }

    std::optional<QJsonArray> array(const QJsonObject &o, const QString &parent, const char *name,
                                    bool required)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        const QString path = key(parent, name);
        if (v.isUndefined()) {
            if (required) {
                problem(path, QStringLiteral("is missing"));
            }
            return std::nullopt;
        }
        if (!v.isArray()) {
            problem(path, QStringLiteral("expected an array, got ") + describe(v));
            return std::nullopt;
        }
        return v.toArray();
    }

    std::optional<QJsonObject> element(const QJsonValue &v, const QString &path)
    {
        if (!v.isObject()) {
            problem(path, QStringLiteral("expected an object, got ") + describe(v));
            return std::nullopt;
        }
        return v.toObject();
    }

    std::optional<QUrl> httpUrl(const QJsonObject &o, const QString &parent, const char *name,
                                bool required)
    {
        const auto text = string(o, parent, name, required);
        if (!text) {
            return std::nullopt;
        }
        // Secrets first (user info needs "//host", so QUrl finds none that this missed); then the
        // URL may be quoted: it has none.
        if (const QString secret = secretInUrl(*text); !secret.isEmpty()) {
            problem(key(parent, name), secret);
            return std::nullopt;
        }
        const QUrl url(*text, QUrl::StrictMode);
        const QString scheme = url.scheme();
        if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty()) {
            // Text with an '@' that is no URL may still hold a password ("http:/user:pw@host").
            const QString shown
                = text->contains(u'@') ? QStringLiteral("the value") : u'"' + *text + u'"';
            problem(key(parent, name),
                shown + QStringLiteral(" is not an http:// or https:// URL with a host"));
            return std::nullopt;
        }
        return url;
    }

    std::optional<HostPort> hostPort(const QJsonValue &v, const QString &path, quint16 defaultPort,
                                     bool ipOnly)
    {
        if (!v.isString()) {
            problem(path, QStringLiteral("expected \"HOST:PORT\", got ") + describe(v));
            return std::nullopt;
        }
        QString why;
        const auto hp = HostPort::parse(v.toString(), defaultPort, &why);
        if (!hp) {
            problem(path, QStringLiteral("\"%1\" ").arg(v.toString()) + why);
            return std::nullopt;
        }
        if (ipOnly && !hp->isIpLiteral()) {
            problem(path, QStringLiteral("\"%1\" must be an IP address and port, e.g. 127.0.0.1:53")
                              .arg(v.toString()));
            return std::nullopt;
        }
        return hp;
    }

    // Duplicate ids are reported at the second occurrence, naming the first.
    void checkUnique(QHash<QString, QString> &seen, const QString &id, const QString &path,
                     const QString &what = QStringLiteral("id \"%1\""))
    {
        const auto it = seen.constFind(id);
        if (it != seen.constEnd()) {
            problem(path, QStringLiteral("duplicate %1 (first at %2)").arg(what.arg(id), *it));
        } else {
            seen.insert(id, path);
        }
    }

    // The "id" (unique within its array) and "kind" (one supported value) of a load balancer
    // or proxy entry.
    void idAndKind(const QJsonObject &o, const QString &path, QHash<QString, QString> &seen,
                   const char *what, QStringView supported, QString *id, QString *kind)
    {
        if (const auto value = string(o, path, "id", true)) {
            *id = *value;
            checkUnique(seen, *value, key(path, "id"));
        }
        if (const auto value = string(o, path, "kind", true)) {
            if (*value != supported) {
                problem(key(path, "kind"), QStringLiteral("\"%1\" is not a supported %2; use \"%3\"")
                                               .arg(*value, QLatin1String(what), supported));
            }
            *kind = *value;
        }
    }

    // False when "services" could not be read: references to services are then not checked,
    // so one broken array does not bury the real problem under a cascade.
    bool servicesKnown = true;
    bool checkServiceRef(const ClusterProfile &p, const QString &id, const QString &path)
    {
        if (servicesKnown && !p.service(id)) {
            problem(path, QStringLiteral("no service with id \"%1\"").arg(id));
            return false;
        }
        return servicesKnown;
    }
};

const QRegularExpression &idPattern()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"));
    return re;
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
        p.services.append(s);
    }
}

void readDns(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto dns = r.object(root, {}, "dns", false);
    if (dns) {
        p.dnsRaw = *dns;
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
        r.idAndKind(*lo, path, seen, "load balancer", u"haproxy", &lb.id, &lb.kind);
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
        if (!lo->contains(QStringLiteral("runtime")) && !lo->contains(QStringLiteral("statsUrl"))) {
            r.problem(path, QStringLiteral("has neither \"runtime\" nor \"statsUrl\"; give at least one"));
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
        r.idAndKind(*po, path, seen, "proxy", u"envoy", &px.id, &px.kind);
        if (const auto url = r.httpUrl(*po, path, "admin", true)) {
            px.admin = *url;
        }
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
    }
}

QString lineAndColumn(const QByteArray &bytes, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, bytes.size());
    const QByteArrayView head(bytes.constData(), offset);
    const qsizetype line = head.count('\n') + 1;
    const qsizetype lastNl = head.lastIndexOf('\n');
    const qsizetype column = offset - (lastNl + 1) + 1;
    return QStringLiteral("line %1, column %2").arg(line).arg(column);
}

} // namespace

ProfileLoadResult ProfileStore::parse(const QByteArray &bytes)
{
    ProfileLoadResult result;
    const auto fail = [&](const QString &path, const QString &message) {
        result.problems.append({path, message});
        return result;
    };
    if (bytes.trimmed().isEmpty()) {
        return fail(QStringLiteral("$"), QStringLiteral("the file is empty; a profile is a JSON object"));
    }
    if (bytes.size() > MaxFileBytes) {
        return fail(QStringLiteral("$"), QStringLiteral("the file is %1 MiB; a profile is at most %2 MiB")
                                             .arg(double(bytes.size()) / (1024 * 1024), 0, 'f', 1)
                                             .arg(MaxFileBytes / (1024 * 1024)));
    }
    if (bytes.startsWith("\xFF\xFE") || bytes.startsWith("\xFE\xFF")) {
        return fail(QStringLiteral("$"), QStringLiteral("the file is UTF-16 text; save the profile as UTF-8"));
    }
    if (const qsizetype nul = bytes.indexOf('\0'); nul >= 0) {
        return fail(QStringLiteral("$"), QStringLiteral("binary data (a NUL byte at %1); a profile is JSON text")
                                             .arg(lineAndColumn(bytes, nul)));
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError) {
        return fail(QStringLiteral("$"), QStringLiteral("not valid JSON at %1: %2")
                                             .arg(lineAndColumn(bytes, error.offset), error.errorString()));
    }
    if (!doc.isObject()) {
        return fail(QStringLiteral("$"), QStringLiteral("expected a JSON object at the top, got %1")
                                             .arg(doc.isArray() ? QStringLiteral("an array") : QStringLiteral("a scalar")));
    }
    const QJsonObject root = doc.object();
    Reader r;
    ClusterProfile p;
    p.raw = root;

    // The schema decides how everything else is read: an unknown one stops here.
    const QJsonValue schema = root.value(QStringLiteral("schema"));
    if (schema.isUndefined()) {
        return fail(QStringLiteral("schema"), QStringLiteral("is missing; this hopscope reads \"schema\": 1"));
    }
    if (!schema.isDouble() || schema.toDouble() != ClusterProfile::SchemaVersion) {
        return fail(QStringLiteral("schema"),
                    QStringLiteral("%1 is not supported; this hopscope reads schema %2 (a newer hopscope may read it)")
                        .arg(schema.isDouble() ? QString::number(schema.toDouble()) : describe(schema))
                        .arg(ClusterProfile::SchemaVersion));
    }

    p.name = r.string(root, {}, "name", true).value_or(QString());
    p.observeOnly = r.boolean(root, {}, "observeOnly").value_or(false);
    p.production = r.boolean(root, {}, "production").value_or(false);
    readPoll(r, root, p);
    readServices(r, root, p);
    readDns(r, root, p);
    readLoadBalancers(r, root, p);
    readProxies(r, root, p);
    readEdges(r, root, p);
    readDnsUpdate(r, root, p);
    readPrometheus(r, root, p);

    result.problems = r.problems;
    if (result.problems.isEmpty()) {
        result.profile = std::move(p);
    }
    return result;
}

ProfileLoadResult ProfileStore::load(const QString &path)
{
    // Regular files only, read with a cap: /dev/zero, /dev/urandom (directly or through a
    // symlink) and FIFOs are refused before a byte is read, so they neither exhaust memory nor
    // hang.
    BoundedRead read = readRegularFile(path, MaxFileBytes);
    if (read.ok()) {
        return parse(read.data);
    }
    ProfileLoadResult result;
    QString message = read.error;
    const QFileInfo info(path);
    if (info.isFile() && info.size() > MaxFileBytes) {
        message = QStringLiteral("%1: the file is %2 MiB; a profile is at most %3 MiB")
                      .arg(path)
                      .arg(double(info.size()) / (1024 * 1024), 0, 'f', 1)
                      .arg(MaxFileBytes / (1024 * 1024));
    } else if (info.isSymLink()) {
        message += QStringLiteral(" (it is a symbolic link to %1)").arg(info.symLinkTarget());
    }
    result.problems.append({ QString(), message });
    return result;
}

bool ProfileStore::save(const ClusterProfile &profile, const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    file.write(QJsonDocument(profile.toJson()).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (error) {
            *error = QStringLiteral("cannot save %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    return true;
}

} // namespace hopscope
