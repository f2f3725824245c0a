#pragma once

#include <QObject>
#include <QPointer>

namespace hopscope {

class ClusterMonitor;
class ServiceGraphModel;
class TrafficTracker;

// Hands the graph model the tracker's traffic per edge, once per topology rebuild: every answer
// or missing poll makes the monitor rebuild (coalesced to at most one per frame, fewer when a
// rebuild is expensive), and the feed then applies the tracker's currentReport(), the one report
// the target table and the history read for that rebuild. Construct it after the graph model's
// own topologyChanged connection, so the traffic lands on the rebuilt segments. Parented to the
// tracker: it lives as long as the tracker does. GUI thread.
class GraphTrafficFeed : public QObject
{
    Q_OBJECT
public:
    GraphTrafficFeed(TrafficTracker *tracker, ClusterMonitor *monitor, ServiceGraphModel *model);

    void flush(); // the tracker's current report into the model now

private:
    TrafficTracker *m_tracker;
    QPointer<ClusterMonitor> m_monitor;
    QPointer<ServiceGraphModel> m_model;
};

} // namespace hopscope
