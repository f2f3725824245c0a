// Over 500 lines: one builder over one shared state (candidates, groups, ids), read in the
// order the sources are merged; splitting it would expose that state to no other user.

#include "ProfileDiscovery.h"

#include "discover/AwsDiscovery.h"

#include "discover/DiscoveryNames.h"

#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <numeric>

namespace hopscope {

using namespace discovery;

namespace {

const QString s_note = QStringLiteral("discoveredFrom");

// One source's proposal of a service: its tasks and what to call it. Candidates listing the same
// address:port set become one service.
struct Candidate
{
    int priority
        = 0; // which one names the merged service: DNS 3, sidecars 2, backend 1, upstream 0
    QString suggestedId;
    QString origin; // "dns name user.corp.internal (A)", "haproxy-1 backend be_user"
    QList<HostPort> tasks;
    std::optional<ServiceDnsSpec> dns;
    QStringList notes;
    int group = -1;

    QStringList keys() const
    {
        QStringList k;
        for (const HostPort &t : tasks) {
            k.append(taskKey(t.host, t.port));
        }
        k.sort();
        k.removeDuplicates();
        return k;
    }
};

struct Sidecar
{
    QString id;
    QUrl admin;
    QString service;
    HostPort task;
    const EnvoyAdminSnapshot *snapshot = nullptr;
    int candidate = -1;
};

struct Route
{
    QString backend;
    int candidate = -1;
};

struct Lb
{
    LoadBalancerSpec spec;
    QString signature; // backends and their servers: a stats URL of the same HAProxy matches
    QList<Route> routes;
};

struct Edge
{
    int from = -1;
    int to = -1;
    QString note;
};

QString plural(qsizetype n, const char *one, const char *many)
{
    return QString::number(n) + u' ' + QLatin1String(n == 1 ? one : many);
}

void addTask(QList<HostPort> &tasks, const QString &address, quint16 port)
{
    const QHostAddress ip(address);
    if (port == 0 || address.isEmpty() || address == u"unix" || ip.isNull()
        || ip == QHostAddress::AnyIPv4 || ip == QHostAddress::AnyIPv6) {
        return; // an unfilled server-template slot, a unix socket, a name: not a task key
    }
    const HostPort hp { ip.toString(), port };
    if (!tasks.contains(hp)) {
        tasks.append(hp);
    }
}

QString stripBackendPrefix(const QString &backend)
{
    for (const char *prefix : { "be_", "be-", "bk_", "bk-", "backend_", "backend-" }) {
        if (backend.startsWith(QLatin1String(prefix))
            && backend.size() > qsizetype(qstrlen(prefix))) {
            return backend.mid(qstrlen(prefix));
        }
    }
    return backend;
}

QString sidecarService(const EnvoyAdminSnapshot &snap, const QString &proxyId, QString *how)
{
    for (const EnvoyCluster &c : snap.clusters.clusters) {
        if (c.name.startsWith(u"inbound|")) {
            *how = QStringLiteral("inbound cluster %1").arg(c.name);
            return serviceFromEnvoyCluster(c.name);
        }
    }
    const EnvoyServerInfo &info = snap.serverInfo;
    if (!info.nodeCluster.isEmpty() && info.nodeCluster != info.nodeId) {
        *how = QStringLiteral("Envoy node cluster \"%1\"").arg(info.nodeCluster);
        return info.nodeCluster;
    }
    QString id = proxyId;
    for (const char *suffix : { "-envoy", "-sidecar", "-proxy" }) {
        if (id.endsWith(QLatin1String(suffix))) {
            id.chop(qstrlen(suffix));
        }
    }
    static const QRegularExpression ordinal(QStringLiteral("-[0-9]+$"));
    id.remove(ordinal);
    *how = QStringLiteral("the sidecar's id %1").arg(proxyId);
    return id;
}

class Builder
{
public:
    explicit Builder(const DiscoveryInput &in)
        : m_in(in)
    { }

    DiscoveryResult run()
    {
        readHaproxies();
        readEnvoys();
        readDnsNames();
        group();
        nameGroups();
        write();
        return std::move(m_out);
    }

private:
    int addCandidate(Candidate c)
    {
        m_candidates.append(std::move(c));
        return int(m_candidates.size() - 1);
    }

    void readHaproxies()
    {
        for (const DiscoveredHaproxy &h : m_in.haproxies) {
            ++m_out.asked;
            const QString kind = h.runtime ? QStringLiteral("runtime") : QStringLiteral("stats");
            if (!h.snapshot) {
                m_out.failed.append(QStringLiteral("haproxy %1: %2").arg(h.endpoint(), h.error));
                continue;
            }
            ++m_out.answered;
            QList<std::pair<QString, QList<HostPort>>> backends;
            QStringList signature;
            QStringList skipped;
            for (const HaproxyStatProxy &p : h.snapshot->stat.proxies) {
                if (p.type != HaproxyStatProxy::Type::Backend) {
                    continue;
                }
                QList<HostPort> tasks;
                for (const HaproxyStatServer &s : p.servers) {
                    addTask(tasks, s.address.value_or(QString()), s.port.value_or(0));
                }
                qsizetype slots = p.servers.size();
                for (const HaproxyServerState &s : h.snapshot->serversState.servers) {
                    if (s.backend == p.name) {
                        addTask(tasks, s.address.value_or(QString()), s.port.value_or(0));
                    }
                }
                if (slots == 0) {
                    skipped.append(p.name);
                    continue;
                }
                backends.append({ p.name, tasks });
                QStringList keys;
                for (const HostPort &t : tasks) {
                    keys.append(taskKey(t.host, t.port));
                }
                keys.sort();
                signature.append(p.name + u'=' + keys.join(u','));
            }
            const QString sig = signature.join(u';');
            // The stats page of a HAProxy already asked through its runtime API (or the other
            // way round): the same load balancer, reached two ways.
            bool merged = false;
            for (Lb &lb : m_lbs) {
                if (lb.signature == sig && !backends.isEmpty()
                    && (h.runtime ? !lb.spec.runtime.has_value() : lb.spec.statsUrl.isEmpty())) {
                    if (h.runtime) {
                        lb.spec.runtime = h.runtime;
                    } else {
                        lb.spec.statsUrl = h.statsUrl;
                    }
                    lb.spec.raw[s_note] = lb.spec.raw[s_note].toArray()
                        + QJsonValue(QStringLiteral("%1 %2: the same backends and servers")
                                         .arg(kind, h.endpoint()));
                    m_out.found.append(QStringLiteral("%1 (%2): the same backends and servers as "
                                                      "the one at its other endpoint; one load "
                                                      "balancer")
                                           .arg(lb.spec.id, h.endpoint()));
                    merged = true;
                    break;
                }
            }
            if (merged) {
                continue;
            }
            Lb lb;
            lb.signature = sig;
            lb.spec.id = QStringLiteral("haproxy-%1").arg(m_lbs.size() + 1);
            lb.spec.kind = QStringLiteral("haproxy");
            lb.spec.runtime = h.runtime;
            lb.spec.statsUrl = h.statsUrl;
            const HaproxyInfo &info = h.snapshot->info;
            lb.spec.raw[s_note] = QJsonArray {
                QStringLiteral("%1 %2%3: %4")
                    .arg(kind, h.endpoint(),
                        info.version.isEmpty() ? QString()
                                               : QStringLiteral(" (HAProxy ") + info.version + u')',
                        plural(backends.size(), "backend", "backends"))
            };
            for (const auto &[name, tasks] : backends) {
                Candidate c;
                c.priority = 1;
                c.suggestedId = stripBackendPrefix(name);
                c.origin = QStringLiteral("%1 backend %2").arg(lb.spec.id, name);
                c.tasks = tasks;
                if (tasks.isEmpty()) {
                    c.notes.append(
                        QStringLiteral("no server of backend %1 has an address yet").arg(name));
                }
                lb.routes.append({ name, addCandidate(c) });
            }
            if (!skipped.isEmpty()) {
                m_out.found.append(QStringLiteral("%1: backends without servers skipped: %2")
                                       .arg(lb.spec.id, skipped.join(QStringLiteral(", "))));
            }
            m_lbs.append(lb);
        }
    }

    void readEnvoys()
    {
        QSet<QString> ids;
        for (qsizetype i = 0; i < m_in.envoys.size(); ++i) {
            const DiscoveredEnvoy &e = m_in.envoys[i];
            ++m_out.asked;
            if (!e.snapshot) {
                m_out.failed.append(
                    QStringLiteral("envoy %1: %2").arg(e.admin.toString(), e.error));
                continue;
            }
            ++m_out.answered;
            Sidecar s;
            s.admin = e.admin;
            s.snapshot = &*e.snapshot;
            const QString fallback = QStringLiteral("envoy-%1").arg(i + 1);
            s.id = sanitizeId(e.snapshot->serverInfo.nodeId, fallback);
            if (ids.contains(s.id)) {
                s.id = fallback;
            }
            ids.insert(s.id);
            QList<HostPort> local;
            for (const EnvoyCluster &c : e.snapshot->clusters.clusters) {
                if (isLocalAppCluster(c)) {
                    for (const EnvoyHost &h : c.hosts) {
                        if (h.addressKind == EnvoyHost::AddressKind::Socket && h.port) {
                            addTask(local, h.address, *h.port);
                        }
                    }
                }
            }
            if (local.isEmpty()) {
                m_out.notInferred.append(QStringLiteral(
                    "sidecar %1 (%2): its task (no inbound/local_app cluster with an "
                    "address); add it to proxies[] by hand")
                                             .arg(s.id, e.admin.toString()));
                continue;
            }
            s.task = local.first();
            QString how;
            s.service = sidecarService(*e.snapshot, s.id, &how);
            m_sidecarHow.insert(s.id, how);
            m_sidecars.append(s);
        }
        // Sidecars naming the same service: one candidate over all their tasks.
        QHash<QString, int> byService;
        for (Sidecar &s : m_sidecars) {
            const auto it = byService.constFind(s.service);
            if (it != byService.constEnd()) {
                Candidate &c = m_candidates[*it];
                c.tasks.append(s.task);
                c.origin += QStringLiteral(", ") + s.id;
                s.candidate = *it;
                continue;
            }
            Candidate c;
            c.priority = 2;
            c.suggestedId = s.service;
            c.origin = QStringLiteral("sidecars of service \"%1\" (%2): ")
                           .arg(s.service, m_sidecarHow.value(s.id))
                + s.id;
            c.tasks = { s.task };
            s.candidate = addCandidate(c);
            byService.insert(s.service, s.candidate);
        }
        for (const Sidecar &s : std::as_const(m_sidecars)) {
            readUpstreams(s);
        }
    }

    void readUpstreams(const Sidecar &s)
    {
        for (const EnvoyCluster &c : s.snapshot->clusters.clusters) {
            if (isLocalAppCluster(c) || isInfrastructureCluster(c.name)) {
                continue;
            }
            QList<HostPort> hosts;
            for (const EnvoyHost &h : c.hosts) {
                if (h.addressKind == EnvoyHost::AddressKind::Socket && h.port) {
                    addTask(hosts, h.address, *h.port);
                }
            }
            if (hosts.isEmpty()) {
                continue;
            }
            // Consul / App Mesh: the hosts are the callee's sidecar ingress on its tasks' IPs
            // (TopologyBuilder matches them the same way).
            int target = -1;
            for (const HostPort &h : hosts) {
                int owner = -1;
                for (const Sidecar &other : std::as_const(m_sidecars)) {
                    if (other.task.host == h.host) {
                        owner = other.candidate;
                    }
                }
                if (owner < 0 || (target >= 0 && owner != target)) {
                    target = -1;
                    break;
                }
                target = owner;
            }
            const QString via
                = QStringLiteral("upstream cluster %1 of sidecar %2").arg(c.name, s.id);
            if (target >= 0) {
                QStringList keys;
                for (const HostPort &h : hosts) {
                    keys.append(taskKey(h.host, h.port));
                }
                m_candidates[target].notes.append(
                    QStringLiteral("%1: its hosts %2 are these sidecars (same IPs as their tasks)")
                        .arg(via, keys.join(QStringLiteral(", "))));
            } else {
                const QString name = serviceFromEnvoyCluster(c.name);
                for (int i = 0; i < m_candidates.size(); ++i) {
                    if (m_candidates[i].priority == 0 && m_candidates[i].suggestedId == name) {
                        Candidate probe;
                        probe.tasks = hosts;
                        if (probe.keys() == m_candidates[i].keys()) {
                            target = i; // the same cluster seen from another sidecar
                        }
                    }
                }
                if (target < 0) {
                    Candidate u;
                    u.priority = 0;
                    u.suggestedId = name;
                    u.origin = via;
                    u.tasks = hosts;
                    target = addCandidate(u);
                }
            }
            m_edges.append({ s.candidate, target, via });
        }
    }

    void readDnsNames()
    {
        for (const DiscoveredDnsName &d : m_in.dnsNames) {
            ++m_out.asked;
            const QString name = d.request.name;
            if (!d.error.isEmpty() || !d.result) {
                m_out.failed.append(QStringLiteral("dns %1: %2").arg(name, d.error));
                continue;
            }
            ++m_out.answered;
            const DnsResult &r = *d.result;
            const QString trail = d.detection.isEmpty()
                ? QString()
                : QStringLiteral(" (detected: %1)").arg(d.detection.join(QStringLiteral(", ")));
            if (!r.isOk() && !d.request.type) {
                m_out.notInferred.append(QStringLiteral(
                    "dns %1: no SRV, A or AAAA records%2; give its type as NAME:TYPE")
                                             .arg(name, trail));
                continue;
            }
            Candidate c;
            c.priority = 3;
            c.suggestedId = serviceIdFromDnsName(name);
            c.origin = QStringLiteral("dns name %1 (%2)").arg(name, dnsRecordTypeName(r.type));
            ServiceDnsSpec spec;
            spec.name = name;
            spec.type = r.type;
            if (!r.isOk()) {
                c.notes.append(
                    QStringLiteral("no records yet (%1)").arg(DnsResult::statusName(r.status)));
            }
            if (r.type == DnsRecordType::SRV) {
                for (const DnsRecord &rec : r.records) {
                    if (!rec.address.isNull()) {
                        addTask(c.tasks, rec.address.toString(), rec.port);
                    }
                }
                if (!r.unresolvedTargets.isEmpty()) {
                    c.notes.append(QStringLiteral("SRV targets without an address: ")
                        + r.unresolvedTargets.join(QStringLiteral(", ")));
                }
                c.dns = spec;
            } else {
                QStringList ips;
                for (const DnsRecord &rec : r.records) {
                    if (!rec.address.isNull()) {
                        ips.append(rec.address.toString());
                    }
                }
                ips.sort();
                ips.removeDuplicates();
                spec.port = d.request.port ? d.request.port : portFromOthers(ips, &c);
                if (spec.port) {
                    for (const QString &ip : std::as_const(ips)) {
                        addTask(c.tasks, ip, spec.port);
                    }
                    c.dns = spec;
                } else {
                    c.notes.append(QStringLiteral("%1 (%2): the port is unknown, so no dns block")
                                       .arg(name, ips.join(QStringLiteral(", "))));
                    m_out.notInferred.append(QStringLiteral(
                        "dns %1: the tasks' port (%2 records carry none and no other "
                        "source lists these addresses); give it as %1:%2:PORT")
                                                 .arg(name, dnsRecordTypeName(r.type)));
                }
            }
            m_out.found.append(QStringLiteral("dns %1: %2, %3%4")
                                   .arg(name, dnsRecordTypeName(r.type),
                                       plural(r.records.size(), "record", "records"), trail));
            addCandidate(c);
        }
    }

    // The port of the one other source that lists exactly these addresses with a single port.
    quint16 portFromOthers(const QStringList &ips, Candidate *c) const
    {
        if (ips.isEmpty()) {
            return 0;
        }
        quint16 port = 0;
        QString from;
        for (const Candidate &o : m_candidates) {
            if (o.tasks.isEmpty() || o.dns) {
                continue;
            }
            QStringList hosts;
            QSet<quint16> ports;
            for (const HostPort &t : o.tasks) {
                hosts.append(t.host);
                ports.insert(t.port);
            }
            hosts.sort();
            hosts.removeDuplicates();
            if (hosts != ips || ports.size() != 1) {
                continue;
            }
            if (port && port != *ports.begin()) {
                return 0; // two sources, two ports: not for discovery to choose
            }
            port = *ports.begin();
            from = o.origin;
        }
        if (port) {
            c->notes.append(
                QStringLiteral("port %1 from %2 (the same addresses)").arg(port).arg(from));
        }
        return port;
    }

    void group()
    {
        QHash<QString, int> byKeys;
        for (int i = 0; i < m_candidates.size(); ++i) {
            Candidate &c = m_candidates[i];
            const QString keys = c.keys().join(u',');
            if (!keys.isEmpty() && byKeys.contains(keys)) {
                c.group = byKeys.value(keys);
                m_groups[c.group].append(i);
                continue;
            }
            c.group = int(m_groups.size());
            m_groups.append(QList<int> { i });
            if (!keys.isEmpty()) {
                byKeys.insert(keys, c.group);
            }
        }
    }

    int best(int group) const
    {
        int b = m_groups[group].first();
        for (int i : m_groups[group]) {
            if (m_candidates[i].priority > m_candidates[b].priority) {
                b = i;
            }
        }
        return b;
    }

    void nameGroups()
    {
        QList<int> order(m_groups.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [this](int a, int b) {
            return m_candidates[best(a)].priority > m_candidates[best(b)].priority;
        });
        m_ids.resize(m_groups.size());
        QHash<QString, int> taken;
        for (int g : std::as_const(order)) {
            const Candidate &b = m_candidates[best(g)];
            const QString wanted = sanitizeId(b.suggestedId, QStringLiteral("service"));
            QString id = wanted;
            for (int n = 2; taken.contains(id); ++n) {
                id = wanted.left(60) + u'-' + QString::number(n);
            }
            if (id != wanted) {
                const int other = taken.value(wanted);
                m_out.notInferred.append(
                    QStringLiteral(
                        "service %1: %2 and %3 are both called \"%4\" but list different "
                        "tasks; named %1, rename it if you like")
                        .arg(id, b.origin, m_candidates[best(other)].origin, wanted));
            }
            taken.insert(id, g);
            m_ids[g] = id;
        }
    }

    QString idOf(int candidate) const { return m_ids.value(m_candidates[candidate].group); }

    void write()
    {
        ClusterProfile &p = m_out.profile;
        p.name = m_in.profileName.trimmed().isEmpty() ? QStringLiteral("discovered")
                                                      : m_in.profileName.trimmed();
        for (qsizetype g = 0; g < m_groups.size(); ++g) {
            ServiceSpec s;
            s.id = m_ids[g];
            s.name = s.id;
            QJsonArray notes;
            QStringList origins;
            for (int i : m_groups[g]) {
                const Candidate &c = m_candidates[i];
                origins.append(c.origin);
                notes.append(c.origin);
                for (const QString &n : c.notes) {
                    notes.append(n);
                }
                if (c.dns && !s.dns) {
                    s.dns = c.dns;
                } else if (c.dns) {
                    notes.append(
                        QStringLiteral("%1 not kept: a service has one dns name").arg(c.origin));
                }
            }
            const QStringList keys = m_candidates[m_groups[g].first()].keys();
            if (m_groups[g].size() > 1) {
                const QString why = QStringLiteral("merged: %1 list the same %2 (%3)")
                                        .arg(origins.join(QStringLiteral(" and ")),
                                            plural(keys.size(), "address:port", "address:ports"),
                                            keys.join(QStringLiteral(", ")));
                notes.append(why);
                m_out.found.append(QStringLiteral("service %1: %2").arg(s.id, why));
            } else {
                m_out.found.append(
                    QStringLiteral("service %1: %2, %3")
                        .arg(s.id, origins.first(), plural(keys.size(), "task", "tasks")));
            }
            s.raw[s_note] = notes;
            p.services.append(s);
        }
        if (std::any_of(p.services.cbegin(), p.services.cend(),
                [](const ServiceSpec &s) { return s.dns.has_value(); })) {
            p.dnsServers = m_in.dnsServers;
        }
        QStringList lbServices;
        for (const Lb &lb : std::as_const(m_lbs)) {
            LoadBalancerSpec spec = lb.spec;
            for (const Route &r : lb.routes) {
                RouteSpec route;
                route.pathPrefix = QStringLiteral("/");
                route.backend = r.backend;
                route.service = idOf(r.candidate);
                route.raw[s_note] = QStringLiteral("backend %1; pathPrefix \"/\" is a placeholder: "
                                                   "HAProxy's runtime API does not expose ACLs")
                                        .arg(r.backend);
                spec.routes.append(route);
                lbServices.append(route.service);
            }
            p.loadBalancers.append(spec);
            if (!spec.routes.isEmpty()) {
                m_out.notInferred.append(
                    QStringLiteral("path rules of %1: every route's pathPrefix is \"/\", a "
                                   "placeholder (HAProxy's runtime API does not expose ACLs)")
                        .arg(spec.id));
            }
        }
        for (const Sidecar &s : std::as_const(m_sidecars)) {
            ProxySpec px;
            px.id = s.id;
            px.kind = QStringLiteral("envoy");
            px.admin = s.admin;
            px.service = idOf(s.candidate);
            px.task = s.task;
            px.raw[s_note] = QStringLiteral("service from %1; task from its local cluster")
                                 .arg(m_sidecarHow.value(s.id));
            p.proxies.append(px);
            m_out.found.append(QStringLiteral("sidecar %1 (%2): service %3, task %4")
                                   .arg(s.id, s.admin.toString(), px.service, s.task.toString()));
        }
        QSet<QString> seen;
        for (const Edge &e : std::as_const(m_edges)) {
            EdgeSpec edge;
            edge.from = idOf(e.from);
            edge.to = idOf(e.to);
            edge.via = EdgeSpec::Via::Mesh;
            if (edge.from == edge.to) {
                m_out.found.append(e.note + QStringLiteral(": calls its own service, no edge"));
                continue;
            }
            if (seen.contains(edge.from + u'>' + edge.to)) {
                continue;
            }
            seen.insert(edge.from + u'>' + edge.to);
            edge.raw[s_note] = e.note;
            p.edges.append(edge);
            m_out.found.append(
                QStringLiteral("mesh edge %1 → %2 (%3)").arg(edge.from, edge.to, e.note));
        }
        lbServices.removeDuplicates();
        if (!lbServices.isEmpty()) {
            m_out.notInferred.append(
                QStringLiteral("callers of the load-balanced services %1 (a load balancer does not "
                               "say who calls it): add edges {\"from\": CALLER, \"to\": SERVICE, "
                               "\"via\": \"lb:ID\"}")
                    .arg(lbServices.join(QStringLiteral(", "))));
        }
        QStringList dnsServices;
        for (const ServiceSpec &s : std::as_const(p.services)) {
            if (s.dns) {
                dnsServices.append(s.id);
            }
        }
        if (!dnsServices.isEmpty()) {
            m_out.notInferred.append(QStringLiteral(
                "callers of the DNS-discovered services %1 (DNS does not say who "
                "asks): add edges {\"from\": CALLER, \"to\": SERVICE, \"via\": \"dns\"}")
                                         .arg(dnsServices.join(QStringLiteral(", "))));
        }
        p.raw[s_note] = QJsonObject {
            { QStringLiteral("found"), QJsonArray::fromStringList(m_out.found) },
            { QStringLiteral("notInferred"), QJsonArray::fromStringList(m_out.notInferred) },
            { QStringLiteral("didNotAnswer"), QJsonArray::fromStringList(m_out.failed) },
        };
    }

    const DiscoveryInput &m_in;
    DiscoveryResult m_out;
    QList<Candidate> m_candidates;
    QList<QList<int>> m_groups;
    QStringList m_ids; // per group
    QList<Lb> m_lbs;
    QList<Sidecar> m_sidecars;
    QHash<QString, QString> m_sidecarHow;
    QList<Edge> m_edges;
};

} // namespace

DiscoveryResult ProfileDiscovery::build(const DiscoveryInput &input)
{
    DiscoveryResult result = Builder(input).run();
    if (input.aws) {
        AwsDiscovery::apply(*input.aws, result); // issue 16: the AWS keys (AwsDiscovery.cpp)
    }
    return result;
}

QString DiscoveryResult::reportText() const
{
    const ClusterProfile &p = profile;
    QString text = QStringLiteral("%1 of %2 endpoints answered: %3, %4, %5, %6\n")
                       .arg(answered)
                       .arg(asked)
                       .arg(plural(p.services.size(), "service", "services"),
                           plural(p.loadBalancers.size(), "load balancer", "load balancers"),
                           plural(p.proxies.size(), "proxy", "proxies"),
                           plural(p.edges.size(), "edge", "edges"));
    const auto section = [&text](const char *title, const QStringList &lines) {
        if (lines.isEmpty()) {
            return;
        }
        text += QLatin1String(title);
        for (const QString &l : lines) {
            text += QStringLiteral("  ") + l + u'\n';
        }
    };
    section("found:\n", found);
    section("not inferred (add these by hand):\n", notInferred);
    section("did not answer:\n", failed);
    return text;
}

} // namespace hopscope
