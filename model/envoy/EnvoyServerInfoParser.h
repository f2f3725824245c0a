#pragma once

#include "core/Parsed.h"
#include "envoy/EnvoySnapshot.h"

#include <QByteArray>

namespace hopscope {

// Pure parser of Envoy's `GET /server_info` JSON (`envoy.admin.v3.ServerInfo`, since 1.9):
// state, version, uptime (proto Duration strings like "183912s"), node identity and drain
// settings. Unknown fields are ignored. Stateless and reentrant: call it from any thread.
class EnvoyServerInfoParser
{
public:
    static Parsed<EnvoyServerInfo> parse(const QByteArray &input);

    // "183912s", "1.5s", "600s" -> whole seconds; nullopt when it is not a Duration string.
    static std::optional<qint64> durationSeconds(QByteArrayView text);
};

} // namespace hopscope
