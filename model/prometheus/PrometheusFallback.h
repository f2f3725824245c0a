#pragma once

#include "core/PollingSource.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>

namespace hopscope {

class PrometheusSource;

// A load balancer's or a sidecar's own endpoint with the profile's Prometheus standing in while
// that endpoint does not answer (issue 15 §1: "read from Prometheus when its own endpoint is ...
// unreachable"). The direct source keeps polling (with its backoff): its first failed poll starts
// the standby PrometheusSource, its first answer stops the standby again. While the standby stands
// in, shown() is the source whose state the picture uses (the standby once it has answered since
// it took over; until then the failing direct source, so nothing unknown looks healthy) and note()
// says why ("internal-lb runtime unreachable; reading Prometheus"). Drains never go through it:
// they need the direct endpoint.
class PrometheusFallback : public QObject
{
    Q_OBJECT
public:
    // id: the load balancer's or proxy's id; endpoint: what the direct source reads ("runtime",
    // "stats URL", "admin API"). Neither source is owned.
    PrometheusFallback(QString id, QString endpoint, PollingSource *direct,
        PrometheusSource *standby, QObject *parent = nullptr);

    PollingSource *direct() const { return m_direct; }
    PrometheusSource *standby() const { return m_standby; }
    QString endpoint() const { return m_endpoint; }
    bool isActive() const { return m_active; }
    // The standby has answered since it took over (its data is the one to show).
    bool standbyAnswered() const;
    const PollingSource *shown() const;
    QString note() const; // empty while the direct endpoint answers

Q_SIGNALS:
    // active: Prometheus stands in now (text says why); else the direct endpoint is back.
    void switched(bool active, const QString &text);

private:
    void onDirectStatus(PollingSource::Status status);

    QString m_id;
    QString m_endpoint;
    QPointer<PollingSource> m_direct;
    QPointer<PrometheusSource> m_standby;
    bool m_active = false;
    QDateTime m_since; // when the standby took over
};

} // namespace hopscope
