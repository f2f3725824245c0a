#include "topology/GraphTrafficFeed.h"

#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

namespace hopscope {

GraphTrafficFeed::GraphTrafficFeed(
    TrafficTracker *tracker, ClusterMonitor *monitor, ServiceGraphModel *model, int coalesceMs)
    : QObject(tracker)
    , m_tracker(tracker)
    , m_monitor(monitor)
    , m_model(model)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(coalesceMs);
    connect(&m_timer, &QTimer::timeout, this, &GraphTrafficFeed::flush);
    connect(tracker, &TrafficTracker::updated, this, [this] {
        if (!m_timer.isActive()) {
            m_timer.start();
        }
    });
}

void GraphTrafficFeed::flush()
{
    m_timer.stop();
    if (m_monitor && m_model) {
        m_model->setTraffic(m_tracker->report(m_monitor->topology()));
    }
}

} // namespace hopscope
