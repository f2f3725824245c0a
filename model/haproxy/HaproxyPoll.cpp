#include "haproxy/HaproxyPoll.h"

#include "haproxy/HaproxyParsers.h"

namespace hopscope {

Parsed<HaproxySnapshot> parseHaproxyPoll(
    const QByteArray &stat, const QByteArray *serversState, const QByteArray *info)
{
    HaproxySnapshot snapshot;
    auto st = HaproxyStatParser::parse(stat);
    if (!st) {
        return st.error().within(QStringLiteral("show stat"));
    }
    snapshot.stat = std::move(st).value();
    if (serversState) {
        auto ss = HaproxyServersStateParser::parse(*serversState);
        if (!ss) {
            return ss.error().within(QStringLiteral("show servers state"));
        }
        snapshot.serversState = std::move(ss).value();
    }
    if (info) {
        auto in = HaproxyInfoParser::parse(*info);
        if (!in) {
            return in.error().within(QStringLiteral("show info"));
        }
        snapshot.info = std::move(in).value();
    }
    return snapshot;
}

} // namespace hopscope
