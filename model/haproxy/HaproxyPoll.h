#pragma once

#include "core/Parsed.h"
#include "haproxy/HaproxySnapshot.h"

#include <QByteArray>

namespace hopscope {

// Parses the outputs of one poll (`show stat`, and from the runtime API also `show servers state`
// and `show info`; null when not fetched); shared by the runtime and the HTTP stats source.
// Pure, any thread. A failure names the command: "show servers state line 4: ...".
Parsed<HaproxySnapshot> parseHaproxyPoll(
    const QByteArray &stat, const QByteArray *serversState, const QByteArray *info);

} // namespace hopscope
