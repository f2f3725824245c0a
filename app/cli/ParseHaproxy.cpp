#include "cli/Commands.h"
#include "cli/JsonStream.h"

#include "haproxy/HaproxyJson.h"
#include "haproxy/HaproxyParsers.h"

#include <QJsonArray>

#include <algorithm>
#include <numeric>
#include <vector>

namespace hopscope::cli {

// The documents are those of HaproxyJson (same keys, same layout as QJsonDocument::Indented),
// streamed element by element: a 200 MB dump must not need its JSON held whole, three times over.
namespace {

void streamStat(const HaproxyStatSnapshot &snap, JsonStream &json)
{
    json.beginObject();
    json.key(QStringLiteral("addressesVisible"));
    json.value(snap.addressesVisible);
    json.key(QStringLiteral("columns"));
    json.value(snap.columnCount);
    json.key(QStringLiteral("proxies"));
    json.beginArray();
    for (const HaproxyStatProxy &p : snap.proxies) {
        json.objectWith(HaproxyJson::statProxy(p), HaproxyJson::statMembersKey(p), [&] {
            const bool backend = p.type == HaproxyStatProxy::Type::Backend;
            json.beginArray();
            for (const HaproxyStatServer &s : backend ? p.servers : p.listeners) {
                json.value(HaproxyJson::statServer(s,
                    backend ? HaproxyStatProxy::Type::Server : HaproxyStatProxy::Type::Listener));
            }
            json.end();
        });
    }
    json.end();
    json.end();
}

void streamServersState(const HaproxyServersStateSnapshot &snap, JsonStream &json)
{
    json.beginObject();
    json.key(QStringLiteral("formatVersion"));
    json.value(snap.formatVersion);
    json.key(QStringLiteral("servers"));
    json.beginArray();
    for (const HaproxyServerState &s : snap.servers) {
        json.value(HaproxyJson::serverState(s));
    }
    json.end();
    json.end();
}

void streamInfo(const HaproxyInfo &info, JsonStream &json)
{
    HaproxyInfo head = info;
    head.fields.clear();
    QJsonObject rest = HaproxyJson::info(head);
    rest.remove(QStringLiteral("fields"));
    json.objectWith(rest, QStringLiteral("fields"), [&] {
        // `fields` as QJsonObject has it: sorted by name, the last of equal names wins.
        const auto &f = info.fields;
        std::vector<qsizetype> order(size_t(f.size()));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
            [&](qsizetype a, qsizetype b) { return f[a].first < f[b].first; });
        json.beginObject();
        for (size_t i = 0; i < order.size(); ++i) {
            if (i + 1 < order.size() && f[order[i]].first == f[order[i + 1]].first) {
                continue;
            }
            json.key(f[order[i]].first);
            json.value(f[order[i]].second);
        }
        json.end();
    });
}

} // namespace

namespace {

template <class T, class Stream>
int emit(const Parsed<T> &parsed, Stream stream, const QString &kind, CliContext &ctx)
{
    if (!parsed.ok()) {
        ctx.err << "hopscope-cli parse " << kind << ": " << parsed.errorText() << '\n';
        return ExitProblems;
    }
    JsonStream json(ctx.out);
    stream(parsed.value(), json);
    return ExitOk;
}

} // namespace

int parseHaproxyDump(const QString &kind, const QByteArray &input, CliContext &ctx)
{
    if (kind == u"haproxy-stat") {
        return emit(HaproxyStatParser::parse(input), streamStat, kind, ctx);
    }
    if (kind == u"haproxy-servers-state") {
        return emit(HaproxyServersStateParser::parse(input), streamServersState, kind, ctx);
    }
    if (kind == u"haproxy-info") {
        return emit(HaproxyInfoParser::parse(input), streamInfo, kind, ctx);
    }
    ctx.err << "hopscope-cli parse: unknown KIND '" << kind
            << "' (haproxy-stat, haproxy-servers-state, haproxy-info)\n";
    return ExitUsage;
}

} // namespace hopscope::cli
