#include "topology/GraphTrafficFeed.h"

#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

namespace hopscope {

GraphTrafficFeed::GraphTrafficFeed(
    TrafficTracker *tracker, ClusterMonitor *monitor, ServiceGraphModel *model)
    : QObject(tracker)
    , m_tracker(tracker)
    , m_monitor(monitor)
    , m_model(model)
{
    connect(monitor, &ClusterMonitor::topologyChanged, this, &GraphTrafficFeed::flush);
}

void GraphTrafficFeed::flush()
{
    if (m_monitor && m_model) {
        m_model->setTraffic(*m_tracker->currentReport());
    }
}

} // namespace hopscope
