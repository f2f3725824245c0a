#include "cli/Commands.h"

#include "cli/CliSupport.h"

#include "ops/AuditLog.h"
#include "ops/OpenDrainMarks.h"
#include "topology/ClusterMonitor.h"
#include "topology/TopologyJson.h"
#include "traffic/TrafficJson.h"
#include "traffic/TrafficTracker.h"

#include <QJsonArray>
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
       << "  Traffic (requests/s, error ratio, latency) comes from the difference between two\n"
          "  answers of each proxy: it needs --polls 2 or more; with fewer it is null.\n"
       << "  Exit status: 0 every source answered, 1 some source failed or did not finish (the\n"
          "  topology is still printed) or the profile is invalid, 2 usage error.\n";
}

QString trafficText(const TrafficAggregate &a)
{
    if (!a.measured) {
        return QString();
    }
    const TrafficPoint &p = a.point;
    if (!p.rps) {
        return QStringLiteral("  traffic: %1").arg(trafficStatusName(p.status));
    }
    QString text = QStringLiteral("  %1 rps").arg(*p.rps, 0, 'f', 1);
    if (p.errorRatio) {
        text += QStringLiteral(" · %1 % errors").arg(*p.errorRatio * 100.0, 0, 'f', 1);
    }
    if (p.p99Ms) {
        text += QStringLiteral(" · p99 %1 ms").arg(*p.p99Ms, 0, 'f', 0);
    } else if (p.avgMs) {
        text += QStringLiteral(" · avg %1 ms").arg(*p.avgMs, 0, 'f', 0);
    }
    return text + QStringLiteral(" (") + a.from.join(u'+') + u')';
}

void printText(const Topology &t, const TrafficReport &traffic, const QList<SourceError> &warnings,
    QTextStream &out)
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
        out << "    " << e.from << " → " << e.to << "  " << e.hops.label() << "  ("
            << e.hops.networkHops << " network, " << e.hops.proxyHops << " proxy)"
            << (e.hairpin ? "  hairpin" : "")
            << trafficText(traffic.edges.value(TrafficTracker::edgeKey(e))) << '\n';
    }
    out << "paths:\n";
    for (const PathNode &p : t.paths) {
        out << "    " << p.services.join(QStringLiteral(" → ")) << "  " << p.networkHops << " network hops, "
            << p.proxyHops << " proxy hops" << (p.hairpin ? "  hairpin" : "") << '\n';
    }
    if (!warnings.isEmpty()) {
        out << "warnings:\n";
        for (const SourceError &w : warnings) {
            out << "    ⚠ " << terminalSafe(w.toString()) << '\n';
        }
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
    TrafficTracker traffic(*profile); // fed the same snapshots, beside the monitor
    traffic.attach(&monitor);
    // Drains not undone stay in the picture as drained tasks, even once no source lists them.
    QString auditError;
    const QList<OpenDrain> drains = openDrains(AuditLog::pathForProfile(*profile), &auditError);
    if (!auditError.isEmpty()) {
        ctx.err << "hopscope-cli snapshot: open drains not shown: " << auditError << '\n';
    }
    monitor.setOpenDrains(drainMarks(drains));
    QList<SourceError> unfinished;
    if (options.polls < 2 && !(profile->loadBalancers.isEmpty() && profile->proxies.isEmpty())) {
        ctx.err << "hopscope-cli snapshot: traffic rates need at least 2 polls (--polls 2); "
                   "with --polls "
                << options.polls << " they are null\n";
    }
    if (options.polls > 0) {
        unfinished = pollRounds(monitor, options, ctx, "snapshot");
    }
    Topology t = monitor.topology(); // with --polls 0: the declared picture, nothing polled
    t.errors.append(unfinished);
    const TrafficReport report = traffic.report(t);
    if (options.json) {
        QJsonObject doc = TopologyJson::toJson(t);
        TrafficJson::addTo(doc, report);
        QJsonArray warnings; // e.g. a source whose TLS certificate is not verified
        for (const SourceError &w : monitor.warnings()) {
            warnings.append(QJsonObject {
                { QStringLiteral("source"), w.source }, { QStringLiteral("message"), w.message } });
        }
        doc.insert(QStringLiteral("warnings"), warnings);
        ctx.out << QJsonDocument(doc).toJson(QJsonDocument::Indented);
    } else {
        printText(t, report, monitor.warnings(), ctx.out);
    }
    return t.errors.isEmpty() ? ExitOk : ExitProblems;
}

} // namespace hopscope::cli
