#pragma once

// A HaproxySnapshot as lines of text, one per backend and per server with every field the
// topology and the traffic rates read (state, status, check, weight, sessions, counters), so two
// reads of the same HAProxy can be compared with QCOMPARE and a difference shows by name.
// Header-only test helper.

#include "haproxy/HaproxySnapshot.h"

#include <QStringList>

namespace snapshottext {

inline QString opt(const std::optional<qint64> &v)
{
    return v ? QString::number(*v) : QStringLiteral("-");
}

inline QStringList lines(const hopscope::HaproxySnapshot &s)
{
    QStringList out;
    out.append(QStringLiteral("info %1 | %2 | %3").arg(s.info.name, s.info.version, s.info.node));
    for (const auto &f : s.info.fields) {
        out.append(QStringLiteral("field %1 = %2").arg(f.first, f.second));
    }
    for (const hopscope::HaproxyStatProxy &p : s.stat.proxies) {
        out.append(QStringLiteral("backend %1 status=%2 state=%3 servers=%4")
                       .arg(p.name, p.status)
                       .arg(int(p.state))
                       .arg(p.servers.size()));
        for (const hopscope::HaproxyStatServer &r : p.servers) {
            const hopscope::HaproxyTrafficCounters &t = r.traffic;
            out.append(QStringLiteral("  %1/%2 state=%3 status=%4 check=%5 weight=%6 scur=%7 "
                                      "stot=%8 5xx=%9 nameOnly=%10")
                           .arg(p.name, r.name)
                           .arg(int(r.state))
                           .arg(r.status, r.checkStatus, opt(r.weight), opt(r.scur), opt(r.stot),
                               opt(t.hrsp5xx), r.nameOnly ? QStringLiteral("1") : QStringLiteral("0")));
        }
    }
    return out;
}

} // namespace snapshottext
