#include "cli/Commands.h"

#include "cli/CliSupport.h"

#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"
#include "topology/GraphExport.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficJson.h"
#include "traffic/TrafficTracker.h"

#ifdef HOPSCOPE_HAVE_RENDER
#include "GraphRenderer.h"
#endif

#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

namespace hopscope::cli {

namespace {
void printUsage(QTextStream &to)
{
    to << "usage: hopscope-cli export PROFILE --format png|svg|dot|json -o FILE [--polls N]\n"
          "       [--timeout S] [--dark] [--scale S] [--emphasis health|traffic]\n"
          "  Polls every source of the profile N times and writes the whole service graph, laid\n"
          "  out as the GUI lays it out: a PNG or SVG picture, Graphviz DOT, or JSON (the "
          "snapshot\n"
          "  contract plus a \"layout\" object; with polls, the traffic keys of `snapshot --json`,\n"
          "  and every layout segment's traffic).\n"
          "  --emphasis    how PNG/SVG draw edges, as the GUI's View → Traffic Emphasis: traffic\n"
          "                (width by requests/s, colour and icon by error ratio, a label) or\n"
          "                health. Default: traffic with --polls 2 or more (rates need two\n"
          "                answers of each proxy), health otherwise.\n"
       << PollOptions::usage(PollOptions::Polls | PollOptions::Timeout)
       << "  Exit status: 0 written and every source answered, 1 written but some source failed\n"
          "  or did not finish, or the file could not be written, or the profile is invalid,\n"
          "  2 usage error.\n";
}

bool writeFile(const QString &path, const QByteArray &data, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}
} // namespace

bool exportNeedsGui(const QStringList &args)
{
    const int at = int(args.indexOf(QStringLiteral("--format")));
    if (at < 0 || at + 1 >= args.size()) {
        return false;
    }
    const QString format = args[at + 1];
    return format == u"png" || format == u"svg";
}

int runExport(CliContext &ctx)
{
    QString profilePath, format, output;
    PollOptions options;
    qreal scale = 1.0;
    bool dark = false;
    QString emphasis;
    for (int i = 0; i < ctx.args.size(); ++i) {
        const QString &a = ctx.args[i];
        const bool hasValue = i + 1 < ctx.args.size();
        if (a == u"--help" || a == u"-h") {
            printUsage(ctx.out);
            return ExitOk;
        }
        const OptionParse shared = takePollOption(
            ctx, "export", PollOptions::Polls | PollOptions::Timeout, &i, &options);
        if (shared == OptionParse::Bad) {
            return ExitUsage;
        }
        if (shared == OptionParse::Taken) {
            continue;
        }
        if (a == u"--format" && hasValue) {
            format = ctx.args[++i];
        } else if ((a == u"-o" || a == u"--output") && hasValue) {
            output = ctx.args[++i];
        } else if (a == u"--emphasis" && hasValue) {
            emphasis = ctx.args[++i];
            if (emphasis != u"health" && emphasis != u"traffic") {
                ctx.err << "hopscope-cli export: --emphasis is health or traffic\n";
                return ExitUsage;
            }
        } else if (a == u"--dark") {
            dark = true;
        } else if (a == u"--scale" && hasValue) {
            bool ok = false;
            scale = ctx.args[++i].toDouble(&ok);
            if (!ok || scale < 0.1 || scale > 8) {
                ctx.err << "hopscope-cli export: --scale takes a number from 0.1 to 8\n";
                return ExitUsage;
            }
        } else if (a.startsWith(u'-') || !profilePath.isEmpty()) {
            ctx.err << "hopscope-cli export: unexpected argument '" << a << "'\n";
            printUsage(ctx.err);
            return ExitUsage;
        } else {
            profilePath = a;
        }
    }
    if (profilePath.isEmpty() || output.isEmpty()) {
        printUsage(ctx.err);
        return ExitUsage;
    }
    if (format != u"png" && format != u"svg" && format != u"dot" && format != u"json") {
        ctx.err << "hopscope-cli export: --format is one of png, svg, dot, json\n";
        return ExitUsage;
    }
#ifndef HOPSCOPE_HAVE_RENDER
    if (format == u"png" || format == u"svg") {
        ctx.err << "hopscope-cli export: this build has no renderer (built without the GUI); use dot or json\n";
        return ExitUsage;
    }
#endif
    const std::optional<ClusterProfile> profile = loadProfile(ctx, profilePath);
    if (!profile) {
        return ExitProblems;
    }

    ServiceGraphModel model;
    model.setProfile(*profile);
    std::optional<Topology> topology;
    std::optional<TrafficReport> report;
    if (emphasis.isEmpty()) {
        emphasis = options.polls >= 2 ? QStringLiteral("traffic") : QStringLiteral("health");
    } else if (emphasis == u"traffic" && options.polls < 2) {
        ctx.err << "hopscope-cli export: traffic rates need at least 2 polls (--polls 2); "
                   "with --polls "
                << options.polls << " every edge is drawn as 'no rate yet'\n";
    }
    if (options.polls > 0) {
        ClusterMonitor monitor(*profile);
        TrafficTracker traffic(*profile); // fed the same snapshots, as in the GUI
        traffic.attach(&monitor);
        const QList<SourceError> unfinished = pollRounds(monitor, options, ctx, "export");
        topology = monitor.topology();
        topology->errors.append(unfinished);
        model.setTopology(*topology);
        report = traffic.report(*topology);
        model.setTraffic(*report);
    }
    model.setTrafficEmphasis(emphasis == u"traffic");

    QString error;
    bool ok = false;
    if (format == u"dot") {
#ifdef HOPSCOPE_HAVE_RENDER
        ok = writeFile(output, GraphExport::toDot(model, GraphRenderer::dotLook(GraphStyle::forDark(dark))), &error);
#else
        ok = writeFile(output, GraphExport::toDot(model), &error);
#endif
    } else if (format == u"json") {
        QJsonObject doc = GraphExport::toJson(model, topology ? &*topology : nullptr);
        if (report) {
            TrafficJson::addTo(doc, *report); // edges[].traffic, targets[].traffic: as `snapshot --json`
        }
        ok = writeFile(output, QJsonDocument(doc).toJson(QJsonDocument::Indented), &error);
    }
#ifdef HOPSCOPE_HAVE_RENDER
    const GraphStyle palette = GraphStyle::forDark(dark);
    if (format == u"png") {
        ok = GraphRenderer::savePng(model, output, palette, &error, scale);
    } else if (format == u"svg") {
        ok = GraphRenderer::saveSvg(model, output, palette, &error);
    }
#else
    Q_UNUSED(dark)
    Q_UNUSED(scale)
#endif
    if (!ok) {
        ctx.err << "hopscope-cli export: " << error << '\n';
        return ExitProblems;
    }
    ctx.err << "wrote " << output << '\n';
    if (topology && !topology->errors.isEmpty()) {
        for (const SourceError &e : topology->errors) {
            ctx.err << "  source error: " << e.toString() << '\n';
        }
        return ExitProblems;
    }
    return ExitOk;
}

} // namespace hopscope::cli
