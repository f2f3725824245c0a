#include "prometheus/PrometheusSource.h"

#include "core/HttpFetch.h"
#include "core/OffThread.h"
#include "core/TlsContext.h"
#include "ops/SecretResolver.h"
#include "prometheus/PrometheusEnvoy.h"
#include "prometheus/PrometheusEnvoyBatch.h"
#include "prometheus/PrometheusHaproxy.h"
#include "prometheus/PrometheusResponse.h"

#include <QUrlQuery>

#include <algorithm>
#include <utility>

#include <simdjson.h>

namespace hopscope {

SourceError::Kind PrometheusSource::errorKind(const QString &errorType)
{
    if (errorType == u"bad_data") {
        return SourceError::Kind::Config; // the profile's selector (or this client) is wrong
    }
    if (errorType == u"timeout" || errorType == u"canceled") {
        return SourceError::Kind::Timeout;
    }
    if (errorType == u"not_found") {
        return SourceError::Kind::NotFound;
    }
    return SourceError::Kind::Refused; // execution, unavailable, internal
}

PrometheusSource::PrometheusSource(
    QString name, QUrl url, QString selector, QNetworkAccessManager *nam, QObject *parent)
    : PrometheusSource(
        std::move(name), Target::Haproxy, std::move(url), std::move(selector), nam, parent)
{ }

PrometheusSource::PrometheusSource(QString name, Target target, QUrl url, QString selector,
    QNetworkAccessManager *nam, QObject *parent)
    : PollingSource(std::move(name), parent)
    , m_target(target)
    , m_url(std::move(url))
    , m_queries(target == Target::Envoy ? QStringList { prometheusenvoy::query(selector) }
                                        : prometheushaproxy::queries(selector))
    , m_freshnessQuery(prometheushaproxy::freshnessQuery(selector))
    , m_nam(nam)
{
    qRegisterMetaType<HaproxySnapshot>();
    qRegisterMetaType<EnvoyAdminSnapshot>();
}

PrometheusSource::~PrometheusSource()
{
    cancelPoll();
    if (m_batch) {
        m_batch->remove(this);
    }
}

void PrometheusSource::setBatch(PrometheusEnvoyBatch *batch, const QString &value)
{
    Q_ASSERT(m_target == Target::Envoy);
    if (m_batch) {
        m_batch->remove(this);
    }
    m_batch = batch;
    if (batch) {
        batch->add(this, value);
    }
}

void PrometheusSource::takeBatchAnswer(const PrometheusEnvoyAnswer &answer, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    if (answer.failed) {
        setWarnings(answer.warnings);
        failPoll(makeError(
            answer.kind, QStringLiteral("%1: %2").arg(where(), answer.text), answer.detail));
        return;
    }
    Outcome out;
    out.envoy = answer.envoy;
    out.warnings = answer.warnings;
    onParsed(out, generation);
}

void PrometheusSource::setBearerToken(const SecretRef &ref)
{
    m_tokenRef = ref;
    m_authorization.clear();
}

void PrometheusSource::applyPollSettings(int intervalMs, int timeoutMs)
{
    PollingSource::applyPollSettings(intervalMs, std::max(timeoutMs, 2 * intervalMs));
}

void PrometheusSource::setTls(TlsContext *tls)
{
    m_tls = tls;
}

QUrl PrometheusSource::queryUrl() const
{
    QUrl u = m_url;
    QString path = u.path();
    while (path.endsWith(u'/')) {
        path.chop(1);
    }
    u.setPath(path + QStringLiteral("/api/v1/query"));
    u.setQuery(QString());
    return u;
}

void PrometheusSource::startPoll()
{
    cancelPoll();
    const quint64 generation = ++m_generation;
    if (!m_tokenRef.isValid() || !m_authorization.isEmpty()) {
        fetch(generation);
        return;
    }
    auto *resolver = new SecretResolver(this);
    resolver->setKeychainTimeoutMs(timeoutMs());
    m_resolver = resolver;
    connect(resolver, &SecretResolver::resolved, this,
        [this, resolver, generation](const QByteArray &s) {
            resolver->deleteLater();
            if (generation != m_generation) {
                return;
            }
            m_authorization = "Bearer " + s.trimmed();
            fetch(generation);
        });
    connect(
        resolver, &SecretResolver::failed, this, [this, resolver, generation](const QString &why) {
            resolver->deleteLater();
            if (generation != m_generation) {
                return;
            }
            failPoll(makeError(SourceError::Kind::Auth,
                QStringLiteral("bearer token %1: %2").arg(m_tokenRef.toString(), why)));
        });
    resolver->resolve(m_tokenRef);
}

void PrometheusSource::fetch(quint64 generation)
{
    if (m_batch) {
        m_batch->request(this, generation);
        return;
    }
    if (m_target == Target::Envoy) {
        fetchAll(generation);
        return;
    }
    // Has Prometheus scraped since the last full read? If not, its answers are the same again.
    // Asked before every full read too: the fingerprint it records is what the next poll
    // compares with (without it no poll was ever answered from the last read).
    HttpFetch *f = postQuery(m_freshnessQuery, FreshnessMaxReplyBytes);
    connect(f, &HttpFetch::finished, this, [this, f, generation](const HttpFetchResult &r) {
        f->deleteLater();
        m_fetches.removeAll(f);
        if (generation != m_generation) {
            return;
        }
        QString fingerprint;
        QString time;
        if (r.ok()) {
            if (const Parsed<PrometheusResponse> parsed = parsePrometheusResponse(r.body)) {
                fingerprint = prometheushaproxy::freshnessFingerprint(*parsed);
                time = prometheushaproxy::roundTime(*parsed);
            }
        }
        if (m_haveSnapshot && !fingerprint.isEmpty() && fingerprint == m_fingerprint) {
            ++m_reusedPolls;
            Q_EMIT snapshotReady(m_snapshot);
            finishPoll();
            return;
        }
        m_pendingFingerprint = fingerprint; // empty (unknown): the next poll reads everything
        m_roundTime = time;
        fetchAll(generation);
    });
}

void PrometheusSource::fetchAll(quint64 generation)
{
    m_fingerprint.clear(); // until this read succeeds
    m_bodies = QList<QByteArray>(m_queries.size());
    m_nextQuery = 0;
    m_answered = 0;
    while (m_nextQuery < m_queries.size() && m_fetches.size() < MaxQueriesInFlight) {
        fetchNext(generation);
    }
}

HttpFetch *PrometheusSource::postQuery(
    const QString &query, qint64 maxReplyBytes, const QString &time)
{
    HttpFetch *f = newQueryFetch(query, maxReplyBytes, this, time);
    m_fetches.append(f);
    return f;
}

HttpFetch *PrometheusSource::newQueryFetch(
    const QString &query, qint64 maxReplyBytes, QObject *parent, const QString &time) const
{
    QNetworkRequest request(queryUrl());
    request.setHeader(
        QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    request.setRawHeader("Accept", "application/json");
    if (!m_authorization.isEmpty()) {
        request.setRawHeader("Authorization", m_authorization);
    }
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("query"), query);
    if (!time.isEmpty()) {
        form.addQueryItem(QStringLiteral("time"), time);
    }
    // The server gives up a little before we do, so a slow query comes back as its own
    // `timeout` error rather than as our deadline.
    form.addQueryItem(
        QStringLiteral("timeout"), QStringLiteral("%1ms").arg(std::max(100, timeoutMs() * 4 / 5)));
    const QByteArray body = form.query(QUrl::FullyEncoded).toUtf8();
    auto *f = new HttpFetch(m_nam, parent);
    f->setDeadlineMs(timeoutMs());
    f->setMaxReplyBytes(maxReplyBytes);
    f->setTls(m_tls);
    f->setSpareCapacity(qsizetype(simdjson::SIMDJSON_PADDING));
    f->post(request, body);
    return f;
}

void PrometheusSource::fetchNext(quint64 generation)
{
    const int index = m_nextQuery++;
    HttpFetch *f = postQuery(
        m_queries.at(index), m_maxReplyBytes, m_target == Target::Haproxy ? m_roundTime : QString());
    connect(f, &HttpFetch::finished, this, [this, f, index, generation](const HttpFetchResult &r) {
        f->deleteLater();
        m_fetches.removeAll(f);
        onFetched(r, index, generation);
    });
}

void PrometheusSource::abortFetches()
{
    const QList<QPointer<HttpFetch>> fetches = std::exchange(m_fetches, {});
    for (const QPointer<HttpFetch> &f : fetches) {
        if (f) {
            f->abort();
            f->deleteLater();
        }
    }
    m_bodies.clear();
}

void PrometheusSource::cancelPoll()
{
    ++m_generation;
    abortFetches();
    if (m_resolver) {
        m_resolver->deleteLater();
        m_resolver = nullptr;
    }
}

QString PrometheusSource::where() const
{
    return QStringLiteral("POST %1").arg(queryUrl().toDisplayString(QUrl::RemoveUserInfo));
}

// When a poll asks several queries, which one failed: " (query 3 of 7: haproxy_server_weight)".
QString PrometheusSource::queryNote(int index) const
{
    if (index < 0 || m_queries.size() < 2) {
        return {};
    }
    return QStringLiteral(" (query %1 of %2: %3)")
        .arg(index + 1)
        .arg(m_queries.size())
        .arg(m_queries.at(index).left(160));
}

void PrometheusSource::onFetched(const HttpFetchResult &result, int index, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    if (!result.ok()) {
        abortFetches(); // one failed query fails the poll: the others are not waited for
        if (result.failure == HttpFetchResult::Failure::HttpStatus) {
            // Prometheus's errors come as 4xx/5xx with its JSON envelope; proxies send other
            // bodies.
            const Parsed<PrometheusResponse> parsed = parsePrometheusResponse(result.body);
            if (parsed && !parsed->success) {
                setWarnings(parsed->warnings);
                failPoll(makeError(errorKind(parsed->errorType),
                    QStringLiteral("%1: %2").arg(where(), parsed->errorInWords())
                        + queryNote(index),
                    QStringLiteral("HTTP %1").arg(result.httpStatus)));
                return;
            }
        }
        failPoll(makeError(result.kind,
            QStringLiteral("%1: %2").arg(where(), result.reason) + queryNote(index),
            result.failure == HttpFetchResult::Failure::HttpStatus
                ? QString::fromUtf8(result.body.left(200)).trimmed()
                : QString()));
        return;
    }
    m_bodies[index] = result.body;
    ++m_answered;
    if (m_nextQuery < m_queries.size()) {
        fetchNext(generation);
    }
    if (m_answered < m_queries.size()) {
        return;
    }
    const QList<QByteArray> bodies = std::exchange(m_bodies, {});
    runOffThread(
        this,
        [bodies, envoy = m_target == Target::Envoy, notes = queryNotes()] {
            Outcome out;
            QList<PrometheusResponse> answers;
            answers.reserve(bodies.size());
            for (qsizetype i = 0; i < bodies.size(); ++i) {
                Parsed<PrometheusResponse> parsed = parsePrometheusResponse(bodies.at(i));
                if (!parsed) {
                    out.snapshot = Parsed<HaproxySnapshot>(
                        parsed.error().within(QStringLiteral("answer") + notes.value(i)));
                    out.envoy = Parsed<EnvoyAdminSnapshot>(out.snapshot.error());
                    return out;
                }
                answers.append(std::move(parsed.value()));
            }
            const PrometheusResponse merged = mergePrometheusResponses(std::move(answers));
            out.warnings = merged.warnings;
            if (envoy) {
                out.envoy = prometheusenvoy::snapshot(merged);
            } else {
                out.snapshot = prometheushaproxy::snapshot(merged);
            }
            return out;
        },
        [this, generation](const Outcome &out) { onParsed(out, generation); });
}

QStringList PrometheusSource::queryNotes() const
{
    QStringList notes;
    for (int i = 0; i < m_queries.size(); ++i) {
        notes.append(queryNote(i));
    }
    return notes;
}

void PrometheusSource::onParsed(const Outcome &out, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    setWarnings(out.warnings);
    const QString where = this->where();
    if (m_target == Target::Envoy) {
        if (!out.envoy) {
            failPoll(makeError(SourceError::Kind::Malformed,
                QStringLiteral("%1: %2").arg(where, out.envoy.errorText())));
            return;
        }
        m_envoySnapshot = out.envoy.value();
        m_envoySnapshot.fetchedAt = QDateTime::currentDateTimeUtc();
        Q_EMIT envoySnapshotReady(m_envoySnapshot);
        finishPoll();
        return;
    }
    if (!out.snapshot) {
        failPoll(makeError(SourceError::Kind::Malformed,
            QStringLiteral("%1: %2").arg(where, out.snapshot.errorText())));
        return;
    }
    m_snapshot = out.snapshot.value();
    m_haveSnapshot = true;
    m_fingerprint = m_pendingFingerprint;
    for (const QString &w : out.warnings) {
        m_snapshot.info.fields.append({ QStringLiteral("prometheus warning"), w });
    }
    Q_EMIT snapshotReady(m_snapshot);
    finishPoll();
}

void PrometheusSource::setWarnings(const QStringList &warnings)
{
    if (warnings == m_warnings) {
        return;
    }
    m_warnings = warnings;
    Q_EMIT warningsChanged(m_warnings);
}

} // namespace hopscope
