#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace hopscope {

class ClusterMonitor;
class ServiceGraphModel;
class TrafficTracker;

// Hands the graph model the tracker's traffic per edge, coalesced: every source's answer makes
// the tracker emit updated(), but the model gets one report per burst (`coalesceMs` after the
// first answer of it), so a poll round of many sources costs one setTraffic() and at most one
// repaint of the edges whose traffic changed. Parented to the tracker: it lives as long as the
// tracker does. GUI thread.
class GraphTrafficFeed : public QObject
{
    Q_OBJECT
public:
    GraphTrafficFeed(TrafficTracker *tracker, ClusterMonitor *monitor, ServiceGraphModel *model,
        int coalesceMs = 250);

    void flush(); // the report now (pending or not)

private:
    TrafficTracker *m_tracker;
    QPointer<ClusterMonitor> m_monitor;
    QPointer<ServiceGraphModel> m_model;
    QTimer m_timer;
};

} // namespace hopscope
