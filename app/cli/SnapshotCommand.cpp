#include "cli/Commands.h"

#include "cli/CliSupport.h"

#include "ops/AuditLog.h"
#include "ops/OpenDrainMarks.h"
#include "topology/ClusterMonitor.h"
#include "topology/TopologyJson.h"

#include <QJsonDocument>

namespace hopscope::cli {

namespace {
void printUsage(QTextStream &to)
{
    to << "usage: hopscope-cli snapshot PROFILE [--json] [--polls N] [--timeout S]\n"
          "  Polls every source of the profile N times (default 1: until each has answered or\n"
          "  failed) and prints the merged topology: services, their targets with health and\n"
          "  reason, edges with pattern and hop counts, paths, and every source error (a source\n"
          "  that did not finish its polls by the hard stop is one).\n"
       << PollOptions::usage(PollOptions::Json | PollOptions::Polls | PollOptions::Timeout)
       << "  Exit status: 0 every source answered, 1 some source failed or did not finish (the\n"
          "  topology is still printed) or the profile is invalid, 2 usage error.\n";
}

void printText(const Topology &t, QTextStream &out)
{
    out << "profile: " << terminalSafe(t.profileName) << '\n';
    for (const ServiceNode &s : t.services) {
        out << '\n'
            << healthIcon(s.health) << ' ' << terminalSafe(s.name) << " (" << s.id << ")  "
            << healthName(s.health) << " — " << terminalSafe(s.summary);
        if (!s.dnsName.isEmpty()) {
            out << "  [" << s.dnsType << ' ' << s.dnsName << ']';
        }
        out << '\n';
        for (const TargetNode &n : s.targets) {
            out << "    " << healthIcon(n.health) << ' ' << n.key;
            if (!n.fqdn.isEmpty()) {
                out << "  " << n.fqdn;
            }
            out << "  " << healthName(n.health) << '\n';
            out << "        " << terminalSafe(n.reason) << '\n';
        }
    }
    out << "\nedges:\n";
    for (const EdgeNode &e : t.edges) {
        out << "    " << e.from << " → " << e.to << "  " << e.hops.label() << "  (" << e.hops.networkHops
            << " network, " << e.hops.proxyHops << " proxy)" << (e.hairpin ? "  hairpin" : "") << '\n';
    }
    out << "paths:\n";
    for (const PathNode &p : t.paths) {
        out << "    " << p.services.join(QStringLiteral(" → ")) << "  " << p.networkHops << " network hops, "
            << p.proxyHops << " proxy hops" << (p.hairpin ? "  hairpin" : "") << '\n';
    }
    if (!t.errors.isEmpty()) {
        out << "errors:\n";
        for (const SourceError &e : t.errors) {
            out << "    " << terminalSafe(e.toString()) << '\n';
        }
    }
}
} // namespace

int runSnapshot(CliContext &ctx)
{
    QString profilePath;
    PollOptions options;
    for (int i = 0; i < ctx.args.size(); ++i) {
        const QString &a = ctx.args[i];
        if (a == u"--help" || a == u"-h") {
            printUsage(ctx.out);
            return ExitOk;
        }
        switch (takePollOption(ctx, "snapshot",
            PollOptions::Json | PollOptions::Polls | PollOptions::Timeout, &i, &options)) {
        case OptionParse::Taken:
            continue;
        case OptionParse::Bad:
            return ExitUsage;
        case OptionParse::NotShared:
            break;
        }
        if (a.startsWith(u'-') || !profilePath.isEmpty()) {
            ctx.err << "hopscope-cli snapshot: unexpected argument '" << a << "'\n";
            printUsage(ctx.err);
            return ExitUsage;
        }
        profilePath = a;
    }
    if (profilePath.isEmpty()) {
        printUsage(ctx.err);
        return ExitUsage;
    }
    const std::optional<ClusterProfile> profile = loadProfile(ctx, profilePath);
    if (!profile) {
        return ExitProblems;
    }
    ClusterMonitor monitor(*profile);
    // Drains not undone stay in the picture as drained tasks, even once no source lists them.
    QString auditError;
    const QList<OpenDrain> drains = openDrains(AuditLog::pathForProfile(*profile), &auditError);
    if (!auditError.isEmpty()) {
        ctx.err << "hopscope-cli snapshot: open drains not shown: " << auditError << '\n';
    }
    monitor.setOpenDrains(drainMarks(drains));
    QList<SourceError> unfinished;
    if (options.polls > 0) {
        unfinished = pollRounds(monitor, options, ctx, "snapshot");
    }
    Topology t = monitor.topology(); // with --polls 0: the declared picture, nothing polled
    t.errors.append(unfinished);
    if (options.json) {
        ctx.out << QJsonDocument(TopologyJson::toJson(t)).toJson(QJsonDocument::Indented);
    } else {
        printText(t, ctx.out);
    }
    return t.errors.isEmpty() ? ExitOk : ExitProblems;
}

} // namespace hopscope::cli
