#pragma once

#include <QObject>
#include <QPointer>

#include <memory>

namespace hopscope {

class ServiceGraphModel;
class TrafficTracker;
struct Topology;
struct TrafficReport;

// Hands the graph model the tracker's traffic per edge as each report is ready: the tracker
// computes one off the GUI thread after every topology rebuild (coalesced: at most one in flight,
// one more run after it), and the feed applies it, the same report the target table and the
// history take. The graph's segments come from the profile, not from the topology, so a rebuild
// keeps the traffic shown until the next report replaces it. Parented to the tracker: it lives as
// long as the tracker does. GUI thread.
class GraphTrafficFeed : public QObject
{
    Q_OBJECT
public:
    GraphTrafficFeed(TrafficTracker *tracker, ServiceGraphModel *model);

private:
    void apply(const Topology &topology, const std::shared_ptr<const TrafficReport> &report);

    QPointer<ServiceGraphModel> m_model;
};

} // namespace hopscope
