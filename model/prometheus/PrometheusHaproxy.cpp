#include "prometheus/PrometheusHaproxy.h"

#include <QHash>
#include <QSet>

#include <algorithm>

#include <cmath>

namespace hopscope::prometheushaproxy {

namespace {

std::optional<qint64> whole(const PrometheusSeries &s)
{
    const PrometheusSeries::Point *p = s.last();
    if (!p || !std::isfinite(p->value)) {
        return std::nullopt; // NaN / ±Inf: nothing known, not zero
    }
    return qint64(std::llround(p->value));
}

bool isOne(const PrometheusSeries &s)
{
    const PrometheusSeries::Point *p = s.last();
    return p && p->value == 1.0;
}

// promex states at 1, as bits; strongest first: MAINT over DRAIN over NOLB over DOWN over UP.
enum StateBit : quint8 { Maint = 1, Drain = 2, NoLb = 4, Down = 8, Up = 16, Other = 32 };

quint8 stateBit(QStringView state)
{
    if (state == u"UP") {
        return Up;
    }
    if (state == u"DOWN") {
        return Down;
    }
    if (state == u"MAINT") {
        return Maint;
    }
    if (state == u"DRAIN") {
        return Drain;
    }
    if (state == u"NOLB") {
        return NoLb;
    }
    return Other;
}

HaproxyServerStatus strongest(quint8 states, QString *name)
{
    static const struct
    {
        StateBit bit;
        HaproxyServerStatus status;
        const char16_t *label;
    } order[] = {
        { Maint, HaproxyServerStatus::Maint, u"MAINT" },
        { Drain, HaproxyServerStatus::Drain, u"DRAIN" },
        { NoLb, HaproxyServerStatus::NoLb, u"NOLB" },
        { Down, HaproxyServerStatus::Down, u"DOWN" },
        { Up, HaproxyServerStatus::Up, u"UP" },
    };
    for (const auto &o : order) {
        if (states & o.bit) {
            *name = QString::fromUtf16(o.label);
            return o.status;
        }
    }
    return HaproxyServerStatus::Unknown;
}

struct ServerRows
{
    HaproxyStatServer row;
    quint8 states = 0; // promex one-hot states at 1 (StateBit)
    std::optional<bool> up; // haproxy_exporter
};

struct BackendRows
{
    QString name;
    QList<ServerRows> servers;
    QHash<QString, qsizetype> index; // server name -> servers[]
    std::optional<qint64> active; // haproxy_backend_active_servers / _current_server
    std::optional<qint64> backup; // haproxy_backend_backup_servers

    ServerRows &server(const QString &serverName)
    {
        const auto it = index.constFind(serverName);
        if (it != index.cend()) {
            return servers[*it];
        }
        index.insert(serverName, servers.size());
        servers.append(ServerRows());
        servers.last().row.name = serverName;
        return servers.last();
    }
};

void setCode(HaproxyTrafficCounters &t, const QString &code, std::optional<qint64> v)
{
    if (code == u"1xx") {
        t.hrsp1xx = v;
    } else if (code == u"2xx") {
        t.hrsp2xx = v;
    } else if (code == u"3xx") {
        t.hrsp3xx = v;
    } else if (code == u"4xx") {
        t.hrsp4xx = v;
    } else if (code == u"5xx") {
        t.hrsp5xx = v;
    } else if (code == u"other") {
        t.hrspOther = v;
    }
}

} // namespace

QStringList queries(const QString &selector)
{
    const QString extra = selector.trimmed();
    // `metric{extra}` (no braces when there is nothing to add) and `{__name__=~"re",extra}`.
    const auto one = [&](const QString &metric) {
        return extra.isEmpty() ? metric : QString(metric + u'{' + extra + u'}');
    };
    const auto some = [&](const QString &regex) {
        return QStringLiteral("{__name__=~\"%1\"%2}")
            .arg(regex, extra.isEmpty() ? QString() : QString(u',' + extra));
    };
    return {
        // promex one-hot states: only the states other than UP that servers are in (a few
        // series; at 50,000 servers the UP ones were 50,000 series to evaluate, encode and
        // parse each round). A server in none of them is UP if its backend's count confirms it
        // (snapshot()).
        extra.isEmpty() ? QStringLiteral("haproxy_server_status{state!=\"UP\"} == 1")
                        : QStringLiteral("haproxy_server_status{state!=\"UP\",%1} == 1").arg(extra),
        one(QStringLiteral("haproxy_server_check_status")) + QStringLiteral(" == 1"),
        // haproxy_exporter's up/down rides with the sessions gauge (same size, same cost).
        some(QStringLiteral("haproxy_server_(current_sessions|up)")),
        one(QStringLiteral("haproxy_server_weight")),
        // promex counts sessions, haproxy_exporter connections.
        some(QStringLiteral("haproxy_server_(sessions|connections)_total")),
        // Of the response codes only 5xx is read (errors); requests come from sessions_total.
        extra.isEmpty()
            ? QStringLiteral("haproxy_server_http_responses_total{code=\"5xx\"}")
            : QStringLiteral("haproxy_server_http_responses_total{code=\"5xx\",%1}").arg(extra),
        some(QStringLiteral("haproxy_backend_(active_servers|backup_servers|current_server)|"
                            "haproxy_process_build_info")),
    };
}

QString freshnessQuery(const QString &selector)
{
    const QString extra = selector.trimmed();
    return extra.isEmpty() ? QStringLiteral("timestamp(up)")
                           : QStringLiteral("timestamp(up{%1})").arg(extra);
}

QString freshnessFingerprint(const PrometheusResponse &response)
{
    if (!response.success || response.resultType != PrometheusResponse::ResultType::Vector) {
        return {};
    }
    QStringList parts;
    for (const PrometheusSeries &s : response.series) {
        const PrometheusSeries::Point *p = s.last();
        if (!p) {
            return {};
        }
        QString part;
        for (const auto &[key, value] : s.labels) {
            part += key + u'=' + value + u',';
        }
        parts.append(part + u'@' + p->text);
    }
    parts.sort();
    return parts.join(u'\n');
}

QString roundTime(const PrometheusResponse &freshness)
{
    if (!freshness.success || freshness.resultType != PrometheusResponse::ResultType::Vector) {
        return {};
    }
    const PrometheusSeries::Point *oldest = nullptr;
    for (const PrometheusSeries &s : freshness.series) {
        const PrometheusSeries::Point *p = s.last();
        if (!p || !std::isfinite(p->value) || p->value <= 0) {
            return {};
        }
        if (!oldest || p->value < oldest->value) {
            oldest = p;
        }
    }
    return oldest ? oldest->text : QString();
}

namespace {
// promex exports haproxy_server_check_status only for servers whose health checks run: an UP
// server without one, where the instance exports it for others, is what `show stat` calls "no
// check" -- running, but nobody checks it: unknown, not healthy (TopologyBuilder), as read
// directly.
void noCheck(HaproxyStatServer &row)
{
    row.state = HaproxyServerStatus::NoCheck;
    row.status = QStringLiteral("no check");
}
} // namespace

Parsed<HaproxySnapshot> snapshot(const PrometheusResponse &response)
{
    if (!response.success) {
        return Parsed<HaproxySnapshot>::failure(response.errorInWords());
    }
    if (response.resultType != PrometheusResponse::ResultType::Vector) {
        return Parsed<HaproxySnapshot>::failure(
            QStringLiteral("expected an instant vector, got a %1")
                .arg(PrometheusResponse::resultTypeName(response.resultType)));
    }
    // 50,000 servers: hashes, the last backend remembered (series come grouped by backend), one
    // sort at the end (the order of names, as before).
    QList<BackendRows> backends;
    QHash<QString, qsizetype> backendIndex;
    qsizetype last = -1;
    const auto backendRows = [&](const QString &name) -> BackendRows & {
        if (last >= 0 && backends.at(last).name == name) {
            return backends[last];
        }
        const auto it = backendIndex.constFind(name);
        if (it != backendIndex.cend()) {
            last = *it;
        } else {
            last = backends.size();
            backendIndex.insert(name, last);
            backends.append(BackendRows());
            backends.last().name = name;
        }
        return backends[last];
    };
    QSet<QString> instances;
    bool checkSeries = false; // some haproxy_server_check_status series came
    QString lastInstance;
    const auto seen = [&](const QString &instance) {
        if (instances.isEmpty() || instance != lastInstance) {
            instances.insert(instance);
            lastInstance = instance;
        }
    };
    HaproxySnapshot snap;
    for (const PrometheusSeries &s : response.series) {
        const QString instance = s.label(u"instance");
        if (s.name == u"haproxy_process_build_info") {
            snap.info.version = s.label(u"version");
            seen(instance);
            continue;
        }
        QString backend = s.label(u"proxy");
        if (backend.isEmpty()) {
            backend = s.label(u"backend"); // haproxy_exporter
        }
        if (backend.isEmpty()) {
            continue;
        }
        seen(instance);
        if (s.name == u"haproxy_backend_active_servers"
            || s.name == u"haproxy_backend_current_server") {
            backendRows(backend).active = whole(s);
            continue;
        }
        if (s.name == u"haproxy_backend_backup_servers") {
            backendRows(backend).backup = whole(s);
            continue;
        }
        const QString server = s.label(u"server");
        if (server.isEmpty() || !s.name.startsWith(u"haproxy_server_")) {
            continue;
        }
        ServerRows &r = backendRows(backend).server(server);
        const QStringView metric = QStringView(s.name).mid(15); // after "haproxy_server_"
        if (metric == u"status") {
            if (isOne(s)) {
                r.states |= stateBit(s.label(u"state"));
            }
        } else if (metric == u"check_status") {
            checkSeries = true;
            if (isOne(s)) {
                r.row.checkStatus = s.label(u"state");
            }
        } else if (metric == u"up") {
            if (const auto v = whole(s)) {
                r.up = *v == 1;
            }
        } else if (metric == u"current_sessions") {
            r.row.scur = whole(s);
            r.row.traffic.scur = r.row.scur;
        } else if (metric == u"weight") {
            r.row.weight = whole(s);
        } else if (metric == u"sessions_total" || metric == u"connections_total") {
            r.row.stot = whole(s);
            r.row.traffic.stot = r.row.stot;
        } else if (metric == u"http_responses_total") {
            setCode(r.row.traffic, s.label(u"code"), whole(s));
        }
    }
    instances.remove(QString());
    if (instances.size() > 1) {
        QStringList names = instances.values();
        names.sort();
        return Parsed<HaproxySnapshot>::failure(
            QStringLiteral("series from %1 HAProxy instances (%2): give the load balancer a "
                           "\"prometheusSelector\" that matches one")
                .arg(names.size())
                .arg(names.mid(0, 4).join(QStringLiteral(", "))));
    }
    // Backends named only by their active-server count have no server to show.
    backends.erase(std::remove_if(backends.begin(), backends.end(),
                       [](const BackendRows &b) { return b.servers.isEmpty(); }),
        backends.end());
    if (backends.isEmpty()) {
        return Parsed<HaproxySnapshot>::failure(QStringLiteral(
            "Prometheus has no haproxy_server_* series for this load balancer (not scraped, "
            "scrape target down, or the selector matches nothing)"));
    }
    std::sort(backends.begin(), backends.end(),
        [](const BackendRows &a, const BackendRows &b) { return a.name < b.name; });
    bool upOnly = false; // some state from haproxy_exporter's haproxy_server_up alone
    QStringList unconfirmed; // backends whose servers in no state series were not confirmed UP
    qsizetype unconfirmedBackends = 0;
    for (BackendRows &b : backends) {
        std::sort(b.servers.begin(), b.servers.end(),
            [](const ServerRows &x, const ServerRows &y) { return x.row.name < y.row.name; });
        HaproxyStatProxy proxy;
        proxy.name = b.name;
        proxy.type = HaproxyStatProxy::Type::Backend;
        if (b.active) {
            proxy.status = *b.active > 0 ? QStringLiteral("UP") : QStringLiteral("DOWN");
            proxy.state = *b.active > 0 ? HaproxyServerStatus::Up : HaproxyServerStatus::Down;
        }
        proxy.servers.reserve(b.servers.size());
        // Servers in no state series: UP when queries() asked only the other states (servers
        // are named by their sessions gauge) -- if the backend's own count says so. HAProxy
        // counts "active UP servers with a non-zero weight" (promex's HELP), backups apart: the
        // explicit UP servers and these, at a weight other than 0, must make that count.
        // Otherwise (the count absent, or it disagrees: a state series missing, scrapes mixed)
        // they stay unknown, never healthy.
        qint64 counted = 0;
        qsizetype unseen = 0;
        for (const ServerRows &r : std::as_const(b.servers)) {
            const bool up = r.states ? (r.states & ~Up) == 0 : r.up.value_or(true);
            if (!r.states && !r.up) {
                ++unseen;
            }
            if (up && r.row.weight != qint64(0)) {
                ++counted;
            }
        }
        const bool confirmed = b.active && counted == *b.active + b.backup.value_or(0);
        if (unseen > 0 && !confirmed) {
            if (++unconfirmedBackends <= 3) {
                unconfirmed.append(b.active
                        ? QStringLiteral("%1 (%2 running at a weight, %3 counted active)")
                              .arg(b.name)
                              .arg(counted)
                              .arg(*b.active + b.backup.value_or(0))
                        : QStringLiteral("%1 (no active server count)").arg(b.name));
            }
        }
        for (ServerRows &r : b.servers) {
            HaproxyStatServer row = std::move(r.row);
            row.nameOnly = true;
            if (r.states) {
                row.state = strongest(r.states, &row.status);
            } else if (r.up) {
                row.state = *r.up ? HaproxyServerStatus::Up : HaproxyServerStatus::Down;
                row.status = *r.up ? QStringLiteral("UP") : QStringLiteral("DOWN");
                upOnly = true;
            } else if (confirmed) {
                row.state = HaproxyServerStatus::Up;
                row.status = QStringLiteral("UP");
            }
            // promex's UP (not one from haproxy_exporter's up gauge alone)
            if ((r.states || !r.up) && row.state == HaproxyServerStatus::Up && checkSeries
                && row.checkStatus.isEmpty()) {
                noCheck(row);
            }
            proxy.servers.append(std::move(row));
        }
        snap.stat.proxies.append(std::move(proxy));
    }
    if (!checkSeries && !upOnly) {
        snap.info.fields.append({ QStringLiteral("prometheus note"),
            QStringLiteral("no haproxy_server_check_status series: a server without a health "
                           "check cannot be told from a checked one and shows as UP") });
    }
    if (upOnly) {
        snap.info.fields.append({ QStringLiteral("prometheus note"),
            QStringLiteral("haproxy_exporter series: up or down only (DRAIN reads as UP, MAINT as "
                           "DOWN); use HAProxy's own exporter (promex) for the states") });
    }
    if (unconfirmedBackends > 0) {
        snap.info.fields.append({ QStringLiteral("prometheus note"),
            QStringLiteral("%1 backend(s) with servers in no state series that their active "
                           "server count does not confirm as UP, shown unknown: %2")
                .arg(unconfirmedBackends)
                .arg(unconfirmed.join(QStringLiteral("; "))) });
    }
    snap.info.name = QStringLiteral("HAProxy via Prometheus");
    // Shown as "answering (HAProxy 2.6.12 via Prometheus)": where the data came from.
    snap.info.version = QString(snap.info.version + QStringLiteral(" via Prometheus")).trimmed();
    if (!instances.isEmpty()) {
        snap.info.node = *instances.cbegin();
    }
    return snap;
}

} // namespace hopscope::prometheushaproxy
