#pragma once

#include "core/Parsed.h"
#include "core/PollingSource.h"
#include "envoy/EnvoySnapshot.h"
#include "haproxy/HaproxySnapshot.h"
#include "profile/Endpoint.h"

#include <QPointer>
#include <QStringList>
#include <QUrl>

class QNetworkAccessManager;

namespace hopscope {

class HttpFetch;
class PrometheusEnvoyBatch;
class SecretResolver;
class TlsContext;
struct HttpFetchResult;
struct PrometheusEnvoyAnswer;

// A load balancer (or an Envoy sidecar) read from Prometheus instead of its own endpoint (fleet
// mode). A poll is a few instant queries (prometheushaproxy::queries: one metric family each; a
// sidecar: one), each `POST <url>/api/v1/query` with a form body (docs/PROTOCOLS.md §5.1) through
// HttpFetch (deadline = the poll timeout, capped at maxReplyBytes()), at most MaxQueriesInFlight
// at once; when all have answered they are parsed off the GUI thread (simdjson), merged
// (mergePrometheusResponses) and mapped onto the HaproxySnapshot the direct sources produce
// (prometheushaproxy::snapshot; a sidecar: prometheusenvoy::snapshot). Prometheus's own errors
// (bad_data, execution, timeout, ...) fail the poll in plain words, naming the query; a 2xx
// answer with `warnings` is a partial answer: the data is used and the warnings are reported
// (warningsChanged(), the snapshot's info fields, the event log). An optional bearer token is a
// secret reference, resolved once by SecretResolver and never shown.
// A load balancer's poll first asks prometheushaproxy::freshnessQuery() (one series per scrape
// target): when Prometheus has not scraped since the last full read, the last snapshot is
// emitted again without asking the fleet queries (they would answer the same); otherwise they
// are all evaluated at the scrape time it gives (prometheushaproxy::roundTime: one scrape).
// A sidecar selected by one label (the default instance="HOST:PORT") is asked through a
// PrometheusEnvoyBatch shared by the monitor's sidecars (setBatch): one query round for all of
// them, split per sidecar; this source keeps its own poll schedule, status and errors.
// The poll timeout of a Prometheus source is at least two poll intervals (applyPollSettings): the
// profile's timeout bounds one proxy's admin answer, while a query over a fleet legitimately takes
// longer (measured on the scale fixture's 2 busy cores: 1-10 s for the states of 10,000
// servers, so with 4 s the first read never finished and the graph never had the data). Polls never
// overlap, so a longer wait asks Prometheus nothing more, and an answer within two intervals still
// comes before the source turns stale (three missed intervals). Prometheus is asked to give up a
// little earlier (`timeout`), so a slow query comes back as its own timeout error.
class PrometheusSource : public PollingSource
{
    Q_OBJECT

public:
    static constexpr qint64 DefaultMaxReplyBytes = qint64(64) * 1024 * 1024;
    // Queries of one poll in flight at once: Prometheus evaluates each query on one core; more at
    // once only interleave (and QNetworkAccessManager opens at most 6 connections per host,
    // shared with every other source).
    static constexpr int MaxQueriesInFlight = 3;
    static constexpr qint64 FreshnessMaxReplyBytes = 1024 * 1024;
    enum class Target { Haproxy, Envoy };

    // url: the Prometheus base URL (any path prefix kept: http://host/prometheus);
    // selector: extra PromQL label matchers for this load balancer (see prometheushaproxy::query).
    PrometheusSource(QString name, QUrl url, QString selector, QNetworkAccessManager *nam,
        QObject *parent = nullptr);
    PrometheusSource(QString name, Target target, QUrl url, QString selector,
        QNetworkAccessManager *nam, QObject *parent = nullptr);
    Target target() const { return m_target; }
    ~PrometheusSource() override;

    void setBearerToken(const SecretRef &ref);
    // An https:// Prometheus: the profile's "prometheus.tls" (or the default "tls"); not owned,
    // and `nam` must be tls->networkAccessManager() (as for the other HTTP sources).
    void setTls(TlsContext *tls);
    // Timeout at least two intervals (see above).
    void applyPollSettings(int intervalMs, int timeoutMs) override;
    // Per answer (each query's reply is capped on its own).
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    qint64 maxReplyBytes() const { return m_maxReplyBytes; }
    QStringList queries() const { return m_queries; }
    QString freshnessQuery() const { return m_freshnessQuery; }
    // Polls answered from the last full read because Prometheus had not scraped since.
    int reusedPolls() const { return m_reusedPolls; }
    QUrl queryUrl() const;
    const HaproxySnapshot &snapshot() const { return m_snapshot; }
    const EnvoyAdminSnapshot &envoySnapshot() const { return m_envoySnapshot; }
    // The warnings of the last answer (empty: complete answer).
    QStringList warnings() const { return m_warnings; }

    // A sidecar asked through one shared query round (PrometheusEnvoyBatch, not owned; `value`:
    // its selector's label value) instead of its own query. Envoy targets only.
    void setBatch(PrometheusEnvoyBatch *batch, const QString &value);
    // For the batch: a POST of `query` to this source's Prometheus with its credentials, TLS,
    // deadline (the poll timeout) and `maxReplyBytes`, owned by `parent`; evaluated at `time`
    // (Prometheus's time parameter) when not empty.
    HttpFetch *newQueryFetch(const QString &query, qint64 maxReplyBytes, QObject *parent,
        const QString &time = {}) const;
    // The evaluation time of the last full read's queries (prometheushaproxy::roundTime; empty:
    // Prometheus's now).
    QString roundTime() const { return m_roundTime; }
    // The batch's answer for the poll of `generation` (ignored when that poll is over).
    void takeBatchAnswer(const PrometheusEnvoyAnswer &answer, quint64 generation);
    // Prometheus's errorType as a SourceError kind.
    static SourceError::Kind errorKind(const QString &errorType);

Q_SIGNALS:
    void snapshotReady(const hopscope::HaproxySnapshot &snapshot);
    void envoySnapshotReady(const hopscope::EnvoyAdminSnapshot &snapshot);
    void warningsChanged(const QStringList &warnings);

protected:
    void startPoll() override;
    void cancelPoll() override;

private:
    struct Outcome
    {
        Parsed<HaproxySnapshot> snapshot;
        Parsed<EnvoyAdminSnapshot> envoy;
        QStringList warnings;
    };

    void fetch(quint64 generation);
    void fetchAll(quint64 generation);
    void fetchNext(quint64 generation);
    HttpFetch *postQuery(const QString &query, qint64 maxReplyBytes, const QString &time = {});
    void onFetched(const HttpFetchResult &result, int index, quint64 generation);
    void abortFetches();
    QString where() const;
    QString queryNote(int index) const;
    QStringList queryNotes() const;
    void onParsed(const Outcome &outcome, quint64 generation);
    void setWarnings(const QStringList &warnings);

    Target m_target = Target::Haproxy;
    QUrl m_url;
    QStringList m_queries;
    QString m_freshnessQuery;
    QString m_fingerprint; // freshness of the last full read; empty: read everything next poll
    QString m_pendingFingerprint; // freshness seen before the full read in flight
    QString m_roundTime; // evaluation time of the full read's queries (empty: Prometheus's now)
    bool m_haveSnapshot = false;
    int m_reusedPolls = 0;
    QNetworkAccessManager *m_nam;
    QPointer<TlsContext> m_tls;
    SecretRef m_tokenRef;
    QByteArray m_authorization; // "Bearer ..." once resolved
    QPointer<SecretResolver> m_resolver;
    qint64 m_maxReplyBytes = DefaultMaxReplyBytes;
    QList<QPointer<HttpFetch>> m_fetches; // in flight
    QList<QByteArray> m_bodies; // this poll's answers, by query
    int m_nextQuery = 0;
    int m_answered = 0;
    quint64 m_generation = 0;
    HaproxySnapshot m_snapshot;
    EnvoyAdminSnapshot m_envoySnapshot;
    QStringList m_warnings;
    QPointer<PrometheusEnvoyBatch> m_batch;
};

} // namespace hopscope
