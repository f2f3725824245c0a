#include "prometheus/PrometheusHaproxy.h"

#include <QMap>
#include <QSet>

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

// promex state labels, strongest first: MAINT over DRAIN over NOLB over DOWN over UP.
HaproxyServerStatus strongest(const QSet<QString> &states, QString *name)
{
    static const std::pair<const char16_t *, HaproxyServerStatus> order[] = {
        { u"MAINT", HaproxyServerStatus::Maint },
        { u"DRAIN", HaproxyServerStatus::Drain },
        { u"NOLB", HaproxyServerStatus::NoLb },
        { u"DOWN", HaproxyServerStatus::Down },
        { u"UP", HaproxyServerStatus::Up },
    };
    for (const auto &[label, status] : order) {
        if (states.contains(QString::fromUtf16(label))) {
            *name = QString::fromUtf16(label);
            return status;
        }
    }
    return HaproxyServerStatus::Unknown;
}

struct ServerRows
{
    HaproxyStatServer row;
    QSet<QString> states; // promex one-hot states at 1
    std::optional<bool> up; // haproxy_exporter
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
        // promex one-hot states: only the state each server is in (one series per server).
        one(QStringLiteral("haproxy_server_status")) + QStringLiteral(" == 1"),
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
        some(QStringLiteral(
            "haproxy_backend_(active_servers|current_server)|haproxy_process_build_info")),
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
    QMap<QString, QMap<QString, ServerRows>> backends; // backend -> server -> rows
    QMap<QString, std::optional<qint64>> activeServers; // backend -> active servers
    QSet<QString> instances;
    HaproxySnapshot snap;
    for (const PrometheusSeries &s : response.series) {
        const QString instance = s.label(u"instance");
        if (s.name == u"haproxy_process_build_info") {
            snap.info.version = s.label(u"version");
            instances.insert(instance);
            continue;
        }
        QString backend = s.label(u"proxy");
        if (backend.isEmpty()) {
            backend = s.label(u"backend"); // haproxy_exporter
        }
        if (backend.isEmpty()) {
            continue;
        }
        instances.insert(instance);
        if (s.name == u"haproxy_backend_active_servers"
            || s.name == u"haproxy_backend_current_server") {
            activeServers.insert(backend, whole(s));
            continue;
        }
        const QString server = s.label(u"server");
        if (server.isEmpty() || !s.name.startsWith(u"haproxy_server_")) {
            continue;
        }
        ServerRows &r = backends[backend][server];
        r.row.name = server;
        const QStringView metric = QStringView(s.name).mid(15); // after "haproxy_server_"
        if (metric == u"status") {
            if (isOne(s)) {
                r.states.insert(s.label(u"state"));
            }
        } else if (metric == u"check_status") {
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
    if (backends.isEmpty()) {
        return Parsed<HaproxySnapshot>::failure(QStringLiteral(
            "Prometheus has no haproxy_server_* series for this load balancer (not scraped, "
            "scrape target down, or the selector matches nothing)"));
    }
    bool upOnly = false; // some state from haproxy_exporter's haproxy_server_up alone
    for (auto b = backends.begin(); b != backends.end(); ++b) {
        HaproxyStatProxy proxy;
        proxy.name = b.key();
        proxy.type = HaproxyStatProxy::Type::Backend;
        if (const auto active = activeServers.value(b.key())) {
            proxy.status = *active > 0 ? QStringLiteral("UP") : QStringLiteral("DOWN");
            proxy.state = *active > 0 ? HaproxyServerStatus::Up : HaproxyServerStatus::Down;
        }
        for (auto s = b->begin(); s != b->end(); ++s) {
            HaproxyStatServer row = s->row;
            row.nameOnly = true;
            if (!s->states.isEmpty()) {
                row.state = strongest(s->states, &row.status);
            } else if (s->up) {
                row.state = *s->up ? HaproxyServerStatus::Up : HaproxyServerStatus::Down;
                row.status = *s->up ? QStringLiteral("UP") : QStringLiteral("DOWN");
                upOnly = true;
            }
            proxy.servers.append(row);
        }
        snap.stat.proxies.append(proxy);
    }
    if (upOnly) {
        snap.info.fields.append({ QStringLiteral("prometheus note"),
            QStringLiteral("haproxy_exporter series: up or down only (DRAIN reads as UP, MAINT as "
                           "DOWN); use HAProxy's own exporter (promex) for the states") });
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
