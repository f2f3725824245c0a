// ClusterMonitor's Prometheus sources (issue 15 §1): a load balancer or sidecar read from the
// profile's Prometheus ("source": "prometheus", or no endpoint of its own), and Prometheus
// standing in while a direct endpoint fails (PrometheusFallback), with "prometheus.tls" and
// "prometheus.via" as for any HTTP source. Kept apart from ClusterMonitor.cpp, which schedules.

#include "ClusterMonitor.h"

#include "core/TlsContext.h"
#include "envoy/EnvoyAdminSource.h"
#include "prometheus/PrometheusEnvoy.h"
#include "prometheus/PrometheusEnvoyBatch.h"
#include "prometheus/PrometheusFallback.h"
#include "prometheus/PrometheusSource.h"
#include "ssh/TunnelSet.h"

#include <QNetworkAccessManager>

namespace hopscope {

// A load balancer read from the profile's Prometheus: the same HaproxySnapshot as a direct
// source; a partial answer's warnings go to the event log.
PrometheusSource *ClusterMonitor::makePrometheusSource(const LoadBalancerSpec &lb)
{
    PrometheusSource *prom
        = makePrometheusSource(QStringLiteral("lb:") + lb.id, false, lb.prometheusSelector);
    connect(prom, &PrometheusSource::snapshotReady, this,
        [this, id = lb.id](const HaproxySnapshot &s) { m_inputs.lb.insert(id, s); });
    return prom;
}

// A sidecar read from Prometheus: without a selector, the series Prometheus scraped from its
// admin address (the instance label of a static target). Sidecars selected by one label
// (instance="...", pod="...") share one query round per interval (PrometheusEnvoyBatch, one per
// label: a child of the monitor named after it, found again by that name), each still its own
// source with its own state.
PrometheusSource *ClusterMonitor::makePrometheusSource(const ProxySpec &px)
{
    const QString selector = px.prometheusSelector.isEmpty() && !px.admin.isEmpty()
        ? prometheusenvoy::instanceSelector(px.admin)
        : px.prometheusSelector;
    PrometheusSource *prom = makePrometheusSource(QStringLiteral("mesh:") + px.id, true, selector);
    if (const auto one = PrometheusEnvoyBatch::splitSelector(selector)) {
        auto *batch = findChild<PrometheusEnvoyBatch *>(one->first, Qt::FindDirectChildrenOnly);
        if (!batch) {
            batch = new PrometheusEnvoyBatch(one->first, this);
        }
        prom->setBatch(batch, one->second);
    }
    connect(prom, &PrometheusSource::envoySnapshotReady, this,
        [this, id = px.id](const EnvoyAdminSnapshot &s) { m_inputs.mesh.insert(id, s); });
    return prom;
}

// Prometheus with the profile's "prometheus.tls" / "prometheus.via", as any HTTP source.
PrometheusSource *ClusterMonitor::makePrometheusSource(
    const QString &name, bool envoy, const QString &selector)
{
    const QUrl url = m_tunnels->url(m_profile.prometheusVia, m_profile.prometheusUrl);
    // Its own TLS context (key: not the direct endpoint's, which drains use).
    TlsContext *tls = tlsFor(m_profile.prometheusUrl, m_profile.prometheusTls,
        name + QStringLiteral(" prometheus"), m_profile.prometheusVia);
    auto *prom = new PrometheusSource(name,
        envoy ? PrometheusSource::Target::Envoy : PrometheusSource::Target::Haproxy, url, selector,
        tls ? tls->networkAccessManager() : m_nam.get(), this);
    prom->setTls(tls);
    prom->setBearerToken(m_profile.prometheusBearerToken);
    route(prom, m_profile.prometheusVia, { quint16(url.port()) });
    logPartialAnswers(prom);
    return prom;
}

// The direct source of `id` with Prometheus standing in while it fails (PrometheusFallback).
// While it stands in, its polls are the ones that complete a round.
void ClusterMonitor::addFallback(
    const QString &id, const QString &endpoint, PollingSource *direct, PrometheusSource *standby)
{
    standby->applyPollSettings(m_profile.poll.intervalMs, m_profile.poll.timeoutMs);
    // Its polls take slots like every other source's: 500 failing sidecars must not send 500
    // queries to Prometheus at once past the cap.
    standby->setScheduler(m_scheduler);
    auto *fallback = new PrometheusFallback(id, endpoint, direct, standby, this);
    m_fallbacks.insert(direct, fallback);
    connect(standby, &PollingSource::pollFinished, this, [this, direct] {
        ++m_pollsFinished[direct];
        scheduleRebuild();
    });
    connect(standby, &PollingSource::errorOccurred, this,
        [this](const SourceError &e) { m_log.appendError(e); });
    connect(fallback, &PrometheusFallback::switched, this,
        [this, direct](bool active, const QString &text) {
            m_log.append(active ? EventLog::Severity::Warning : EventLog::Severity::Info,
                direct->name(), text);
            scheduleRebuild();
        });
}

QHash<QString, QString> ClusterMonitor::readFromPrometheus() const
{
    QHash<QString, QString> out;
    for (const LoadBalancerSpec &lb : m_profile.loadBalancers) {
        if (qobject_cast<const PrometheusSource *>(m_lbSources.value(lb.id))) {
            out.insert(QStringLiteral("lb:") + lb.id,
                lb.runtime ? QStringLiteral("\"source\": \"prometheus\"")
                           : QStringLiteral("the profile gives it no runtime API"));
        }
    }
    for (auto it = m_promSidecars.cbegin(); it != m_promSidecars.cend(); ++it) {
        out.insert(
            QStringLiteral("mesh:") + it.key(), QStringLiteral("\"source\": \"prometheus\""));
    }
    for (const PrometheusFallback *f : m_fallbacks) {
        if (f->isActive()) {
            out.insert(
                f->direct()->name(), QStringLiteral("its %1 does not answer").arg(f->endpoint()));
        }
    }
    return out;
}

const PollingSource *ClusterMonitor::shownSource(const PollingSource *direct) const
{
    const PrometheusFallback *f = m_fallbacks.value(direct);
    return f ? f->shown() : direct;
}

QString ClusterMonitor::fallbackNote(const PollingSource *direct) const
{
    const PrometheusFallback *f = m_fallbacks.value(direct);
    return f ? f->note() : QString();
}

// Read from Prometheus because the own endpoint fails: the reason says so first.
void ClusterMonitor::noteFallbacks(Topology &t) const
{
    for (LoadBalancerNode &n : t.loadBalancers) {
        if (const QString note = fallbackNote(m_lbSources.value(n.id)); !note.isEmpty()) {
            n.reason = note + QStringLiteral(": ") + n.reason;
        }
    }
    for (SidecarNode &n : t.sidecars) {
        if (const QString note = fallbackNote(m_meshSources.value(n.id)); !note.isEmpty()) {
            n.reason = note + QStringLiteral(": ") + n.reason;
        }
    }
}

void ClusterMonitor::logPartialAnswers(PrometheusSource *prom)
{
    connect(
        prom, &PrometheusSource::warningsChanged, this, [this, prom](const QStringList &warnings) {
            for (const QString &w : warnings) {
                m_log.append(EventLog::Severity::Warning, prom->name(),
                    QStringLiteral("partial answer from Prometheus: ") + w);
            }
        });
}

} // namespace hopscope
