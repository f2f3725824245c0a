// hopscope-cli: the headless twin of the hopscope GUI, over the same engine (model/).
// Scripts, CI and tests use it to see exactly what the GUI sees.

#include "Version.h"
#include "cli/Commands.h"
#include "cli/TerminalSafeDevice.h"
#include "core/ProcessLimits.h"

#include <QCoreApplication>
#include <QTextStream>
#ifdef HOPSCOPE_HAVE_RENDER
#include <QGuiApplication>
#endif

#include <cstdio>
#include <cstring>
#include <memory>

using namespace hopscope::cli;

namespace {

struct Command
{
    const char *name;
    const char *summary;
    int (*run)(CliContext &);
};

// One row per command; each lives in its own file under cli/.
const Command s_commands[] = {
    { "profile",
        "profile check FILE        validate a cluster profile\n"
        "  profile discover [--haproxy RUNTIME]... [--haproxy-stats URL]... [--envoy URL]...\n"
        "                   [--dns NAME[:TYPE]]... [--dns-server IP:PORT] [--name NAME] -o FILE\n"
        "                            write a profile from what the endpoints say",
        &runProfile },
    { "dns",
        "dns PROFILE [--json] [--timeout S] [--watch]\n                            resolve the "
        "profile's DNS discovery names",
        &runDns },
    { "snapshot",
        "snapshot PROFILE [--json] [--polls N] [--timeout S]\n                            poll "
        "every source and print the live topology",
        &runSnapshot },
    { "export",
        "export PROFILE --format png|svg|dot|json -o FILE [--polls N] [--timeout S]\n              "
        "              write the whole service graph as a picture, DOT or JSON",
        &runExport },
    { "parse", "parse KIND FILE|-         normalize a captured Envoy/HAProxy dump to JSON",
        &runParse },
    { "drain",
        "drain PROFILE ADDR:PORT [--dry-run] [--yes] [--wait] [--timeout S] [--force]\n            "
        "                take a target out of rotation on every layer, wait until safe",
        &runDrain },
    { "undrain", "undrain PROFILE ADDR:PORT  put a drained target back on every layer",
        &runUndrain },
    { "audit",
        "audit verify FILE | show PROFILE | path PROFILE | dismiss PROFILE ADDR:PORT\n"
        "                            check or print the tamper-evident audit log; dismiss: "
        "forget a drain",
        &runAudit },
};

void printUsage(QTextStream &s)
{
    s << "usage: hopscope-cli COMMAND [ARGS...]\n\ncommands:\n";
    for (const Command &c : s_commands) {
        s << "  " << c.summary << '\n';
    }
    s << "\n  --help                    this text\n  --version                 print the version\n"
         "\nRun 'hopscope-cli COMMAND --help' for a command's options.\n";
}

} // namespace

int main(int argc, char *argv[])
{
    hopscope::raiseOpenFileLimit(); // a fleet's kept-alive admin connections (ProcessLimits.h)
    hopscope::tuneMalloc();
    // Rendering PNG/SVG needs fonts, i.e. a QGuiApplication; headless by default (offscreen).
    std::unique_ptr<QCoreApplication> appHolder;
#ifdef HOPSCOPE_HAVE_RENDER
    if (argc > 1 && std::strcmp(argv[1], "export") == 0) {
        QStringList rest;
        for (int i = 2; i < argc; ++i) {
            rest.append(QString::fromLocal8Bit(argv[i]));
        }
        if (exportNeedsGui(rest)) {
            if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
                qputenv("QT_QPA_PLATFORM", "offscreen");
            }
            appHolder = std::make_unique<QGuiApplication>(argc, argv);
        }
    }
#endif
    if (!appHolder) {
        appHolder = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication::setApplicationName(QStringLiteral("hopscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("hopscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HOPSCOPE_VERSION));

    // Every byte on stdout and stderr is made terminal-safe (control and bidi characters escaped):
    // names, ids, replies and log lines come from files and servers.
    TerminalSafeDevice outDevice(stdout);
    TerminalSafeDevice errDevice(stderr);
    QTextStream out(&outDevice);
    QTextStream err(&errDevice);
    QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty()) {
        printUsage(err);
        return ExitUsage;
    }
    const QString name = args.takeFirst();
    if (name == u"--help" || name == u"-h" || name == u"help") {
        printUsage(out);
        return ExitOk;
    }
    if (name == u"--version" || name == u"-v") {
        out << "hopscope-cli " << HOPSCOPE_VERSION << '\n';
        return ExitOk;
    }
    for (const Command &c : s_commands) {
        if (name == QLatin1String(c.name)) {
            CliContext ctx{args, out, err};
            const int code = c.run(ctx);
            out.flush();
            err.flush();
            return code;
        }
    }
    err << "hopscope-cli: unknown command '" << name << "'\n\n";
    printUsage(err);
    return ExitUsage;
}
