#include "cli/Commands.h"

#include <QFile>

#include <cstdio>

namespace hopscope::cli {

namespace {
const char *const s_usage
    = "usage: hopscope-cli parse KIND FILE|-\n"
      "  Parses a dump captured elsewhere and prints the normalized snapshot as JSON.\n"
      "  KIND: envoy-clusters (JSON or text, detected), envoy-server-info, envoy-stats,\n"
      "        haproxy-stat, haproxy-servers-state, haproxy-info\n"
      "  Exit status: 0 parsed, 1 the input cannot be parsed (one-line reason on stderr), 2 "
      "usage.\n";

// Dumps are read whole; the cap keeps a mistaken multi-gigabyte file from exhausting memory.
constexpr qint64 s_maxInputBytes = qint64(512) * 1024 * 1024;
} // namespace

int runParse(CliContext &ctx)
{
    if (ctx.args.size() == 1 && (ctx.args[0] == u"--help" || ctx.args[0] == u"-h")) {
        ctx.out << s_usage;
        return ExitOk;
    }
    if (ctx.args.size() != 2) {
        ctx.err << s_usage;
        return ExitUsage;
    }
    const QString kind = ctx.args[0];
    const bool envoy = kind.startsWith(u"envoy-");
    const bool haproxy = kind.startsWith(u"haproxy-");
    if (!envoy && !haproxy) {
        ctx.err << "hopscope-cli parse: unknown KIND '" << kind << "'\n" << s_usage;
        return ExitUsage;
    }
    QFile file;
    const QString path = ctx.args[1];
    const bool opened = path == u"-" ? file.open(stdin, QIODevice::ReadOnly)
                                     : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened) {
        ctx.err << "hopscope-cli parse: cannot read " << path << ": " << file.errorString() << '\n';
        return ExitProblems;
    }
    QByteArray input = file.read(s_maxInputBytes + 1);
    input.reserve(input.size() + 64); // simdjson's padding: the Envoy parsers need no copy
    if (input.size() > s_maxInputBytes) {
        ctx.err << "hopscope-cli parse: input larger than " << (s_maxInputBytes >> 20)
                << " MiB; refusing to parse it\n";
        return ExitProblems;
    }
    return envoy ? parseEnvoyDump(kind, input, ctx) : parseHaproxyDump(kind, input, ctx);
}

} // namespace hopscope::cli
