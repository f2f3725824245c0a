#include "cli/Commands.h"

#include "core/BoundedFile.h"

#include <QDeadlineTimer>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace hopscope::cli {

namespace {
const char *const s_usage
    = "usage: hopscope-cli parse KIND FILE|- [--stdin-timeout SECONDS] [--max-input-mib N]\n"
      "                          [--no-terminator]\n"
      "  Parses a dump captured elsewhere and prints the normalized snapshot as JSON.\n"
      "  KIND: envoy-clusters (JSON or text, detected), envoy-server-info, envoy-stats,\n"
      "        haproxy-stat, haproxy-servers-state, haproxy-info\n"
      "  FILE must be a regular file; '-' reads standard input to its end, within\n"
      "  --stdin-timeout (default 60 s, for the whole input, not per read).\n"
      "  --max-input-mib: refuse inputs larger than this (default 512).\n"
      "  Truncation: a HAProxy runtime API reply (show stat, show servers state, show info) ends\n"
      "  with an empty line, so a dump without it is refused as truncated; an HTTP stats page\n"
      "  ';csv' export has no such line: pass --no-terminator for it (a cut at a line boundary\n"
      "  is then not detectable). Envoy JSON dumps are self-delimiting; Envoy text dumps\n"
      "  (/clusters, /stats) have no end marker, so only a cut inside a line is detected.\n"
      "  Exit status: 0 parsed, 1 the input cannot be parsed (one-line reason on stderr), 2 "
      "usage.\n";

constexpr qint64 s_defaultMaxInputMiB = 512;
constexpr int s_defaultStdinTimeoutSeconds = 60;
// simdjson reads up to 64 bytes past the end: the Envoy parsers copy an input without this
// much spare capacity, so it is reserved here once.
constexpr qsizetype s_padding = 64;

struct Options
{
    QString kind;
    QString path;
    qint64 maxBytes = s_defaultMaxInputMiB << 20;
    int stdinTimeoutSeconds = s_defaultStdinTimeoutSeconds;
    bool requireTerminator = true;
};

// Standard input to its end (a pipe delivers in pieces, with pauses), at most maxBytes, within
// one deadline for the whole read.
BoundedRead readStdin(const Options &o)
{
    BoundedRead r;
    QDeadlineTimer deadline(qint64(o.stdinTimeoutSeconds) * 1000);
    QByteArray data;
    qsizetype got = 0;
    for (;;) {
        if (data.size() - got < 65536) {
            // Grows geometrically (realloc of a big block remaps, it does not copy).
            data.resize(qsizetype(qMin<qint64>(o.maxBytes + 1 + s_padding,
                qMax<qint64>(qint64(got) * 2, qint64(got) + 65536 + s_padding))));
        }
        pollfd p { STDIN_FILENO, POLLIN, 0 };
        const qint64 left = deadline.remainingTime();
        const int ready = left == 0 ? 0 : ::poll(&p, 1, int(qMin<qint64>(left, 1000 * 1000)));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready == 0) {
            r.error = QStringLiteral("standard input: no end of input within %1 s (%2 bytes read; "
                                     "--stdin-timeout sets the limit)")
                          .arg(o.stdinTimeoutSeconds)
                          .arg(got);
            return r;
        }
        const ssize_t n = ready < 0
            ? -1
            : ::read(STDIN_FILENO, data.data() + got,
                size_t(qMin<qint64>(data.size() - got, o.maxBytes + 1 - got)));
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            r.error = QStringLiteral("standard input: read failed: %1")
                          .arg(QString::fromLocal8Bit(std::strerror(errno)));
            return r;
        }
        if (n == 0) {
            break;
        }
        got += n;
        if (got > o.maxBytes) {
            r.error = QStringLiteral("standard input: larger than %1 MiB; refusing to parse it "
                                     "(--max-input-mib sets the limit)")
                          .arg(o.maxBytes >> 20);
            return r;
        }
    }
    data.truncate(got);
    r.data = std::move(data);
    return r;
}

// A runtime API reply ends with an empty line; a dump whose last line holds data was cut (or is
// an HTTP ';csv' export: --no-terminator). A dump cut inside a line is left to the parser, which
// names the line.
QString missingTerminator(const QByteArray &input)
{
    if (input.isEmpty() || !input.endsWith('\n') || input.endsWith("\n\n")
        || input.endsWith("\n\r\n")) {
        return {};
    }
    return QStringLiteral("truncated: the dump ends after line %1 without the empty line that "
                          "ends every runtime API reply (for an HTTP ';csv' export, which has "
                          "none, pass --no-terminator)")
        .arg(input.count('\n'));
}

// Parses the arguments after `parse`; on a usage error returns false with *why set.
bool parseArgs(const QStringList &args, Options *o, QString *why)
{
    QStringList positional;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        const auto number = [&](qint64 min, qint64 max, qint64 *out) {
            bool ok = false;
            const qint64 v = i + 1 < args.size() ? args[i + 1].toLongLong(&ok) : 0;
            if (!ok || v < min || v > max) {
                *why = QStringLiteral("%1 needs a whole number from %2 to %3")
                           .arg(a)
                           .arg(min)
                           .arg(max);
                return false;
            }
            *out = v;
            ++i;
            return true;
        };
        qint64 v = 0;
        if (a == u"--stdin-timeout") {
            if (!number(1, 24 * 3600, &v)) {
                return false;
            }
            o->stdinTimeoutSeconds = int(v);
        } else if (a == u"--max-input-mib") {
            if (!number(1, s_defaultMaxInputMiB, &v)) {
                return false;
            }
            o->maxBytes = v << 20;
        } else if (a == u"--no-terminator") {
            o->requireTerminator = false;
        } else if (a.startsWith(u"--")) {
            *why = QStringLiteral("unknown option '%1'").arg(a);
            return false;
        } else {
            positional.append(a);
        }
    }
    if (positional.size() != 2) {
        *why = QStringLiteral("expected KIND and FILE (or -)");
        return false;
    }
    o->kind = positional[0];
    o->path = positional[1];
    return true;
}
} // namespace

int runParse(CliContext &ctx)
{
    if (ctx.args.size() == 1 && (ctx.args[0] == u"--help" || ctx.args[0] == u"-h")) {
        ctx.out << s_usage;
        return ExitOk;
    }
    Options o;
    QString why;
    if (!parseArgs(ctx.args, &o, &why)) {
        ctx.err << "hopscope-cli parse: " << why << '\n' << s_usage;
        return ExitUsage;
    }
    const bool envoy = o.kind.startsWith(u"envoy-");
    const bool haproxy = o.kind.startsWith(u"haproxy-");
    if (!envoy && !haproxy) {
        ctx.err << "hopscope-cli parse: unknown KIND '" << o.kind << "'\n" << s_usage;
        return ExitUsage;
    }
    BoundedRead read = o.path == u"-" ? readStdin(o) : readRegularFile(o.path, o.maxBytes);
    if (!read.ok()) {
        ctx.err << "hopscope-cli parse " << o.kind << ": " << read.error << '\n';
        return ExitProblems;
    }
    QByteArray input = std::move(read.data);
    input.reserve(input.size() + s_padding);
    if (haproxy && o.requireTerminator) {
        const QString cut = missingTerminator(input);
        if (!cut.isEmpty()) {
            ctx.err << "hopscope-cli parse " << o.kind << ": " << cut << '\n';
            return ExitProblems;
        }
    }
    return envoy ? parseEnvoyDump(o.kind, input, ctx) : parseHaproxyDump(o.kind, input, ctx);
}

} // namespace hopscope::cli
