#include "prometheus/PrometheusFallback.h"

#include "prometheus/PrometheusSource.h"

namespace hopscope {

PrometheusFallback::PrometheusFallback(
    QString id, QString endpoint, PollingSource *direct, PrometheusSource *standby, QObject *parent)
    : QObject(parent)
    , m_id(std::move(id))
    , m_endpoint(std::move(endpoint))
    , m_direct(direct)
    , m_standby(standby)
{
    connect(direct, &PollingSource::statusChanged, this, &PrometheusFallback::onDirectStatus);
}

bool PrometheusFallback::standbyAnswered() const
{
    return m_active && m_standby && m_standby->lastSuccess().isValid()
        && m_standby->lastSuccess() >= m_since;
}

const PollingSource *PrometheusFallback::shown() const
{
    return standbyAnswered() ? static_cast<const PollingSource *>(m_standby.data())
                             : m_direct.data();
}

QString PrometheusFallback::note() const
{
    return m_active ? QStringLiteral("%1 %2 unreachable; reading Prometheus").arg(m_id, m_endpoint)
                    : QString();
}

void PrometheusFallback::onDirectStatus(PollingSource::Status status)
{
    if (!m_standby) {
        return;
    }
    if (status == PollingSource::Status::Failing && !m_active) {
        m_active = true;
        m_since = QDateTime::currentDateTimeUtc();
        m_standby->start();
        const SourceError e = m_direct ? m_direct->lastError() : SourceError();
        Q_EMIT switched(true,
            QStringLiteral("%1 %2 unreachable (%3); reading Prometheus")
                .arg(m_id, m_endpoint, e.message));
    } else if (status != PollingSource::Status::Failing && m_active) {
        // Ok: the endpoint answers again; Idle/Pending: the monitor stopped or restarted it.
        m_active = false;
        m_standby->stop();
        if (status == PollingSource::Status::Ok) {
            Q_EMIT switched(false,
                QStringLiteral("%1 %2 answering again; Prometheus no longer read")
                    .arg(m_id, m_endpoint));
        }
    }
}

} // namespace hopscope
