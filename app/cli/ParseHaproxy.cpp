#include "cli/Commands.h"

#include "haproxy/HaproxyJson.h"
#include "haproxy/HaproxyParsers.h"

#include <QJsonDocument>

namespace hopscope::cli {

int parseHaproxyDump(const QString &kind, const QByteArray &input, CliContext &ctx)
{
    QString error;
    QJsonObject json;
    bool ok = false;
    if (kind == u"haproxy-stat") {
        if (const auto snap = HaproxyStatParser::parse(input, &error)) {
            json = HaproxyJson::stat(*snap);
            ok = true;
        }
    } else if (kind == u"haproxy-servers-state") {
        if (const auto snap = HaproxyServersStateParser::parse(input, &error)) {
            json = HaproxyJson::serversState(*snap);
            ok = true;
        }
    } else if (kind == u"haproxy-info") {
        if (const auto info = HaproxyInfoParser::parse(input, &error)) {
            json = HaproxyJson::info(*info);
            ok = true;
        }
    } else {
        ctx.err << "hopscope-cli parse: unknown KIND '" << kind
                << "' (haproxy-stat, haproxy-servers-state, haproxy-info)\n";
        return ExitUsage;
    }
    if (!ok) {
        ctx.err << "hopscope-cli parse " << kind << ": " << error << '\n';
        return ExitProblems;
    }
    ctx.out << QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Indented));
    return ExitOk;
}

} // namespace hopscope::cli
