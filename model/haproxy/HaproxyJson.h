#pragma once

#include "haproxy/HaproxySnapshot.h"

#include <QJsonObject>

namespace hopscope {

// Renders HAProxy snapshots as the JSON contract of `hopscope-cli parse haproxy-*` (keys listed in
// issue 4; extra keys may be added, none removed). Pure functions, any thread.
class HaproxyJson
{
public:
    static QJsonObject stat(const HaproxyStatSnapshot &snapshot);
    static QJsonObject serversState(const HaproxyServersStateSnapshot &snapshot);
    static QJsonObject info(const HaproxyInfo &info);
};

} // namespace hopscope
