#pragma once

#include "topology/Topology.h"

#include <QJsonObject>

namespace hopscope {

// The JSON form of a Topology: the contract of `hopscope-cli snapshot --json` and of the GUI's
// JSON export. Keys are only ever added. Pure.
class TopologyJson
{
public:
    static QJsonObject toJson(const Topology &topology);
    static QJsonObject errorToJson(const SourceError &error);
};

} // namespace hopscope
