#include "prometheus/PrometheusEnvoyBatch.h"

#include "core/HttpFetch.h"
#include "core/OffThread.h"
#include "prometheus/PrometheusEnvoy.h"
#include "prometheus/PrometheusResponse.h"
#include "prometheus/PrometheusSource.h"

#include <QRegularExpression>

#include <algorithm>

namespace hopscope {

namespace {

// A label value as a literal inside an RE2 pattern (Prometheus anchors it: whole value only).
QString regexLiteral(const QString &value)
{
    QString out;
    out.reserve(value.size() + 8);
    for (const QChar c : value) {
        if (QStringView(u"\\.+*?()|[]{}^$").contains(c)) {
            out += u'\\';
        }
        out += c;
    }
    return out;
}

// A string as a PromQL double-quoted literal's contents.
QString promqlString(const QString &s)
{
    QString out = s;
    out.replace(u'\\', QStringLiteral("\\\\"));
    out.replace(u'"', QStringLiteral("\\\""));
    return out;
}

// One round's answer split by `label` and mapped per sidecar (runs off the GUI thread).
QHash<QString, PrometheusEnvoyAnswer> splitAnswer(
    const PrometheusResponse &response, const QString &label, const QSet<QString> &values)
{
    QHash<QString, PrometheusResponse> parts;
    for (const QString &v : values) {
        PrometheusResponse &p = parts[v];
        p.success = response.success;
        p.errorType = response.errorType;
        p.error = response.error;
        p.resultType = response.resultType;
        p.warnings = response.warnings;
        p.infos = response.infos;
    }
    for (const PrometheusSeries &s : response.series) {
        const auto it = parts.find(s.label(label));
        if (it != parts.end()) {
            it->series.append(s);
        }
    }
    QHash<QString, PrometheusEnvoyAnswer> out;
    for (auto it = parts.cbegin(); it != parts.cend(); ++it) {
        PrometheusEnvoyAnswer a;
        a.envoy = prometheusenvoy::snapshot(*it);
        a.warnings = it->warnings;
        out.insert(it.key(), std::move(a));
    }
    return out;
}

} // namespace

PrometheusEnvoyBatch::PrometheusEnvoyBatch(QString label, QObject *parent)
    : QObject(parent)
    , m_label(std::move(label))
{
    setObjectName(m_label);
}

PrometheusEnvoyBatch::~PrometheusEnvoyBatch()
{
    if (m_fetch) {
        m_fetch->abort();
    }
}

std::optional<std::pair<QString, QString>> PrometheusEnvoyBatch::splitSelector(
    const QString &selector)
{
    static const QRegularExpression one(
        QStringLiteral(R"re(^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\["\\])*)"\s*$)re"));
    const QRegularExpressionMatch m = one.match(selector);
    if (!m.hasMatch() || m.captured(1) == u"__name__") {
        return std::nullopt;
    }
    QString value = m.captured(2);
    value.replace(QStringLiteral("\\\""), QStringLiteral("\""));
    value.replace(QStringLiteral("\\\\"), QStringLiteral("\\"));
    return std::pair { m.captured(1), value };
}

QString PrometheusEnvoyBatch::query(const QString &label, QStringList values)
{
    values.sort();
    QStringList alternatives;
    alternatives.reserve(values.size());
    for (const QString &v : std::as_const(values)) {
        alternatives.append(regexLiteral(v));
    }
    return prometheusenvoy::query(
        QStringLiteral("%1=~\"%2\"").arg(label, promqlString(alternatives.join(u'|'))));
}

void PrometheusEnvoyBatch::add(PrometheusSource *member, const QString &value)
{
    m_members.insert(member, value);
}

void PrometheusEnvoyBatch::remove(PrometheusSource *member)
{
    m_members.remove(member);
    m_consumed.remove(member);
}

void PrometheusEnvoyBatch::request(PrometheusSource *member, quint64 generation)
{
    const QString value = m_members.value(member);
    const bool fresh = m_last.id > m_consumed.value(member) && m_last.values.contains(value)
        && m_last.started.isValid() && m_last.started.elapsed() < member->intervalMs();
    if (fresh) {
        // Answered from the last round, after this call (a poll never ends inside startPoll).
        // A round finished meanwhile is newer still: it answers if it covers the sidecar.
        QMetaObject::invokeMethod(
            this,
            [this, member = QPointer<PrometheusSource>(member), generation] {
                if (!member) {
                    return;
                }
                if (m_last.values.contains(m_members.value(member))) {
                    deliver(m_last, member, generation);
                } else {
                    request(member, generation);
                }
            },
            Qt::QueuedConnection);
        return;
    }
    m_waiters.erase(std::remove_if(m_waiters.begin(), m_waiters.end(),
                        [member](const Waiter &w) { return w.member == member; }),
        m_waiters.end());
    m_waiters.append({ member, generation });
    if (!m_inFlight) {
        startRound(member);
    }
    // In flight without this sidecar: finishRound() starts the next round for it.
}

void PrometheusEnvoyBatch::startRound(PrometheusSource *asker)
{
    QSet<QString> values;
    for (auto it = m_members.cbegin(); it != m_members.cend(); ++it) {
        if (it.key()->status() != PollingSource::Status::Idle) {
            values.insert(it.value());
        }
    }
    for (const Waiter &w : std::as_const(m_waiters)) {
        if (w.member) {
            values.insert(m_members.value(w.member));
        }
    }
    const quint64 id = ++m_nextId;
    ++m_rounds;
    m_inFlight = true;
    m_inFlightValues = values;
    m_inFlightStarted.start();
    // The asker's Prometheus, credentials, TLS, deadline and cap: every member has the profile's.
    HttpFetch *f
        = asker->newQueryFetch(query(m_label, values.values()), asker->maxReplyBytes(), this);
    m_fetch = f;
    connect(f, &HttpFetch::finished, this, [this, f, id](const HttpFetchResult &r) {
        f->deleteLater();
        onFetched(r, id);
    });
}

void PrometheusEnvoyBatch::onFetched(const HttpFetchResult &result, quint64 id)
{
    Round round;
    round.id = id;
    round.started = m_inFlightStarted;
    round.values = m_inFlightValues;
    if (!result.ok()) {
        PrometheusEnvoyAnswer &f = round.failure;
        f.failed = true;
        f.kind = result.kind;
        f.text = result.reason;
        if (result.failure == HttpFetchResult::Failure::HttpStatus) {
            // Prometheus's errors come as 4xx/5xx with its JSON envelope; proxies send others.
            const Parsed<PrometheusResponse> parsed = parsePrometheusResponse(result.body);
            if (parsed && !parsed->success) {
                f.kind = PrometheusSource::errorKind(parsed->errorType);
                f.text = parsed->errorInWords();
                f.warnings = parsed->warnings;
                f.detail = QStringLiteral("HTTP %1").arg(result.httpStatus);
            } else {
                f.detail = QString::fromUtf8(result.body.left(200)).trimmed();
            }
        }
        finishRound(std::move(round));
        return;
    }
    runOffThread(
        this,
        [body = result.body, label = m_label, round]() mutable {
            Parsed<PrometheusResponse> parsed = parsePrometheusResponse(body);
            if (!parsed) {
                round.failure.failed = true;
                round.failure.kind = SourceError::Kind::Malformed;
                round.failure.text = parsed.error().within(QStringLiteral("answer")).toString();
                return round;
            }
            round.answers = splitAnswer(*parsed, label, round.values);
            return round;
        },
        [this](const Round &r) { finishRound(r); });
}

void PrometheusEnvoyBatch::finishRound(Round round)
{
    m_inFlight = false;
    m_fetch = nullptr;
    m_last = std::move(round);
    const QList<Waiter> waiters = std::exchange(m_waiters, {});
    for (const Waiter &w : waiters) {
        if (!w.member) {
            continue;
        }
        if (m_last.values.contains(m_members.value(w.member))) {
            deliver(m_last, w.member, w.generation);
        } else {
            m_waiters.append(w); // asked while a round without it was in flight
        }
    }
    if (!m_waiters.isEmpty()) {
        startRound(m_waiters.first().member);
    }
}

void PrometheusEnvoyBatch::deliver(const Round &round, PrometheusSource *member, quint64 generation)
{
    m_consumed.insert(member, round.id);
    if (round.failure.failed) {
        member->takeBatchAnswer(round.failure, generation);
        return;
    }
    member->takeBatchAnswer(round.answers.value(m_members.value(member)), generation);
}

} // namespace hopscope
