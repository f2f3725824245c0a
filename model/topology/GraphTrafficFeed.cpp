#include "topology/GraphTrafficFeed.h"

#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

namespace hopscope {

GraphTrafficFeed::GraphTrafficFeed(TrafficTracker *tracker, ServiceGraphModel *model)
    : QObject(tracker)
    , m_model(model)
{
    connect(tracker, &TrafficTracker::reportReady, this, &GraphTrafficFeed::apply);
}

// The graph shows its own (latest) topology: the report's edge keys hold one report behind at most.
void GraphTrafficFeed::apply(const Topology &, const std::shared_ptr<const TrafficReport> &report)
{
    if (m_model && report) {
        m_model->setTraffic(*report);
    }
}

} // namespace hopscope
