#pragma once

#include "core/Parsed.h"
#include "core/SourceError.h"
#include "envoy/EnvoySnapshot.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>

#include <optional>
#include <utility>

namespace hopscope {

class HttpFetch;
class PrometheusSource;
struct HttpFetchResult;

// What one query round says about one sidecar: its snapshot (or why there is none: "no
// envoy_server_state series" when the sidecar is missing from the answer), or the round's failure
// (HTTP, Prometheus's own error, an unreadable answer), with the answer's warnings.
struct PrometheusEnvoyAnswer
{
    Parsed<EnvoyAdminSnapshot> envoy = Parsed<EnvoyAdminSnapshot>::failure(QString());
    QStringList warnings;
    bool failed = false; // the whole round failed: kind, text, detail say how
    SourceError::Kind kind = SourceError::Kind::None;
    QString text;
    QString detail;
};

// One query round for many Envoy sidecars read from the same Prometheus (issue 15, fleet scale):
// instead of one instant query per sidecar per interval (500 sidecars: 1.45 s of Prometheus CPU a
// round), the sidecars whose selectors are one equality matcher on the same label (the default
// instance="HOST:PORT", or e.g. pod="web-1") are asked together: prometheusenvoy::query with
// `label=~"v1|v2|..."` (values regex-escaped). The answer is parsed off the GUI thread, split by
// that label and mapped per sidecar (prometheusenvoy::snapshot), so every sidecar gets the
// snapshot (or the error) its own query would have given: one missing from the answer fails alone.
// Each sidecar stays a PrometheusSource (its own poll schedule, status, lastError, lastSuccess);
// its poll asks the batch (request()) instead of Prometheus. A request is answered from the last
// round when that round covered the sidecar, is younger than the sidecar's poll interval and the
// sidecar has not had it yet; else it joins the round in flight (when that round covers it) or a
// new one. So with every sidecar polling once an interval, Prometheus sees about one round an
// interval. Rounds cover the sidecars that are polling (started: status not Idle; a fallback
// standby only while it stands in) and those waiting. At most one round is in flight.
class PrometheusEnvoyBatch : public QObject
{
    Q_OBJECT
public:
    explicit PrometheusEnvoyBatch(QString label, QObject *parent = nullptr);
    ~PrometheusEnvoyBatch() override;

    // `instance="10.0.3.41:9901"` -> {instance, 10.0.3.41:9901}; nullopt for any other selector
    // (several matchers, !=, =~, escapes other than \" and \\): such a sidecar asks on its own.
    static std::optional<std::pair<QString, QString>> splitSelector(const QString &selector);
    // The query of one round: the sidecars whose `label` is one of `values`.
    static QString query(const QString &label, QStringList values);

    QString label() const { return m_label; }
    void add(PrometheusSource *member, const QString &value);
    void remove(PrometheusSource *member);
    // Query rounds sent to Prometheus so far.
    int rounds() const { return m_rounds; }

    // A poll of `member` (its generation): answered later through member->takeBatchAnswer().
    void request(PrometheusSource *member, quint64 generation);

private:
    struct Round
    {
        quint64 id = 0;
        QElapsedTimer started;
        QSet<QString> values;
        QHash<QString, PrometheusEnvoyAnswer> answers; // by label value
        PrometheusEnvoyAnswer failure; // failed: the answer of every sidecar
    };
    struct Waiter
    {
        QPointer<PrometheusSource> member;
        quint64 generation = 0;
    };

    void startRound(PrometheusSource *asker);
    void onFetched(const HttpFetchResult &result, quint64 id);
    void finishRound(Round round);
    void deliver(const Round &round, PrometheusSource *member, quint64 generation);

    QString m_label;
    QHash<PrometheusSource *, QString> m_members; // -> label value
    QHash<PrometheusSource *, quint64> m_consumed; // the last round each member had
    QList<Waiter> m_waiters;
    Round m_last; // id 0: none yet
    bool m_inFlight = false;
    QSet<QString> m_inFlightValues;
    QElapsedTimer m_inFlightStarted;
    QPointer<HttpFetch> m_fetch;
    quint64 m_nextId = 0;
    int m_rounds = 0;
};

} // namespace hopscope
