#include "prometheus/PrometheusSource.h"

#include "core/HttpFetch.h"
#include "core/OffThread.h"
#include "core/TlsContext.h"
#include "ops/SecretResolver.h"
#include "prometheus/PrometheusEnvoy.h"
#include "prometheus/PrometheusHaproxy.h"
#include "prometheus/PrometheusResponse.h"

#include <QUrlQuery>

#include <algorithm>

#include <simdjson.h>

namespace hopscope {

namespace {

SourceError::Kind kindOf(const QString &errorType)
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

} // namespace

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
    , m_query(target == Target::Envoy ? prometheusenvoy::query(selector)
                                      : prometheushaproxy::query(selector))
    , m_nam(nam)
{
    qRegisterMetaType<HaproxySnapshot>();
    qRegisterMetaType<EnvoyAdminSnapshot>();
}

PrometheusSource::~PrometheusSource()
{
    cancelPoll();
}

void PrometheusSource::setBearerToken(const SecretRef &ref)
{
    m_tokenRef = ref;
    m_authorization.clear();
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
    QNetworkRequest request(queryUrl());
    request.setHeader(
        QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    request.setRawHeader("Accept", "application/json");
    if (!m_authorization.isEmpty()) {
        request.setRawHeader("Authorization", m_authorization);
    }
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("query"), m_query);
    // The server gives up a little before we do, so a slow query comes back as its own
    // `timeout` error rather than as our deadline.
    form.addQueryItem(
        QStringLiteral("timeout"), QStringLiteral("%1ms").arg(std::max(100, timeoutMs() * 4 / 5)));
    const QByteArray body = form.query(QUrl::FullyEncoded).toUtf8();
    auto *f = new HttpFetch(m_nam, this);
    f->setDeadlineMs(timeoutMs());
    f->setMaxReplyBytes(m_maxReplyBytes);
    f->setTls(m_tls);
    f->setSpareCapacity(qsizetype(simdjson::SIMDJSON_PADDING));
    connect(f, &HttpFetch::finished, this, [this, f, generation](const HttpFetchResult &r) {
        f->deleteLater();
        onFetched(r, generation);
    });
    m_fetch = f;
    f->post(request, body);
}

void PrometheusSource::cancelPoll()
{
    ++m_generation;
    if (m_fetch) {
        m_fetch->abort();
        m_fetch->deleteLater();
        m_fetch = nullptr;
    }
    if (m_resolver) {
        m_resolver->deleteLater();
        m_resolver = nullptr;
    }
}

void PrometheusSource::onFetched(const HttpFetchResult &result, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    m_fetch = nullptr;
    const QString where
        = QStringLiteral("POST %1").arg(queryUrl().toDisplayString(QUrl::RemoveUserInfo));
    if (!result.ok()) {
        if (result.failure == HttpFetchResult::Failure::HttpStatus) {
            // Prometheus's errors come as 4xx/5xx with its JSON envelope; proxies send other
            // bodies.
            const Parsed<PrometheusResponse> parsed = parsePrometheusResponse(result.body);
            if (parsed && !parsed->success) {
                setWarnings(parsed->warnings);
                failPoll(makeError(kindOf(parsed->errorType),
                    QStringLiteral("%1: %2").arg(where, parsed->errorInWords()),
                    QStringLiteral("HTTP %1").arg(result.httpStatus)));
                return;
            }
        }
        failPoll(makeError(result.kind, QStringLiteral("%1: %2").arg(where, result.reason),
            result.failure == HttpFetchResult::Failure::HttpStatus
                ? QString::fromUtf8(result.body.left(200)).trimmed()
                : QString()));
        return;
    }
    const QByteArray body = result.body;
    runOffThread(
        this,
        [body, envoy = m_target == Target::Envoy] {
            Outcome out;
            const Parsed<PrometheusResponse> parsed = parsePrometheusResponse(body);
            if (!parsed) {
                out.snapshot
                    = Parsed<HaproxySnapshot>(parsed.error().within(QStringLiteral("answer")));
                out.envoy = Parsed<EnvoyAdminSnapshot>(out.snapshot.error());
                return out;
            }
            out.warnings = parsed->warnings;
            if (envoy) {
                out.envoy = prometheusenvoy::snapshot(*parsed);
            } else {
                out.snapshot = prometheushaproxy::snapshot(*parsed);
            }
            return out;
        },
        [this, generation](const Outcome &out) { onParsed(out, generation); });
}

void PrometheusSource::onParsed(const Outcome &out, quint64 generation)
{
    if (generation != m_generation) {
        return;
    }
    setWarnings(out.warnings);
    const QString where
        = QStringLiteral("POST %1").arg(queryUrl().toDisplayString(QUrl::RemoveUserInfo));
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
