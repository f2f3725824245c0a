#pragma once

#include "topology/Topology.h"

#include <QDockWidget>

class QPushButton;
class QScrollArea;
class QTextBrowser;

namespace hopscope {

class DetailsDockTraffic;
class TrafficTracker;

// Shows what is known about the selected service or task: health and reason, each source's
// observation, counters, DNS TTL and stale window; below, the traffic of the selected task or of
// the selected service's (or load balancer's) edges with sparklines and a chart, redrawn when
// the TrafficTracker takes a history round. Follows the live topology. GUI thread.
class DetailsDock : public QDockWidget
{
    Q_OBJECT
public:
    explicit DetailsDock(QWidget *parent = nullptr);

    void setTopology(const Topology &topology);
    void selectService(const QString &serviceId);
    void selectTarget(const QString &serviceId, const QString &key);
    void clearSelection();
    QString text() const; // plain text of what is shown (tests, accessibility)
    QString selectedTarget() const { return m_target; }
    void setDrainEnabled(bool enabled);
    void setTrafficTracker(TrafficTracker *tracker); // may be null (no profile)
    DetailsDockTraffic *traffic() const { return m_traffic; }

Q_SIGNALS:
    void drainRequested(const QString &target);
    void undrainRequested(const QString &target);
    // Forget the selected task's open drain (it is gone for good); only for an open drain.
    void dismissRequested(const QString &target);

private:
    void render();
    void updateTrafficEntries();

    QTextBrowser *m_view;
    DetailsDockTraffic *m_traffic;
    QScrollArea *m_trafficScroll;
    QPushButton *m_drain;
    QPushButton *m_undrain;
    QPushButton *m_dismiss;
    bool m_drainEnabled = true;
    Topology m_topology;
    QString m_service;
    QString m_target;
    QString m_loadBalancer;
};

} // namespace hopscope
