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

    // The pieces of the documents above, so a caller can stream a big snapshot element by element
    // (hopscope-cli parse) instead of holding the whole QJsonObject: one `proxies[]` element
    // without its `servers`/`listeners` member (statMembersKey() names it), one server or listener
    // of it, one `servers[]` element of serversState().
    static QJsonObject statProxy(const HaproxyStatProxy &proxy);
    static QString statMembersKey(const HaproxyStatProxy &proxy);
    static QJsonObject statServer(const HaproxyStatServer &server, HaproxyStatProxy::Type type);
    static QJsonObject serverState(const HaproxyServerState &server);
};

} // namespace hopscope
