#pragma once

#include "topology/Topology.h"

#include <QHash>
#include <QMap>
#include <QString>

#include <optional>
#include <utility>

namespace hopscope {

// A server known by name only (read through Prometheus, whose labels carry no addresses) is a
// target keyed "<backend>/<server>" until another source places it at an address (issue 15:
// "then they merge"). What its name says is all there is to match it by, in this order:
//  1. another source read the same server at an address (its LB's own API: the same lbServer);
//  2. the server is named by its address: "10.0.0.5:8080" / "[fd00::5]:8080" is the target of
//     that key; "10.0.0.5" the one target of the service at that address;
//  3. the server is named by its DNS host name: the target's SRV target or owner name (case and
//     trailing dot ignored) or that name's first label ("a-1" for a-1.servicea.example.com),
//     when exactly one target of the service has it.
// A name two targets could be stays name-only: a match is never a guess. An opaque name
// ("s07", "SRV_3", a server-template's "web12") cannot be matched and stays name-only.

// The targets of one service by key -> name-only key -> the key of the target it is.
QHash<QString, QString> nameOnlyMatches(const QMap<QString, TargetNode> &targetsByKey);

// An HAProxy server name that is an address: (canonical address, port; 0 when the name has no
// port). Dotted quads only for IPv4 (not Qt's "10.5" shorthand).
std::optional<std::pair<QString, quint16>> addressInServerName(const QString &name);

} // namespace hopscope
