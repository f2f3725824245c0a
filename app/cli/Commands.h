#pragma once

#include "cli/CliContext.h"

namespace hopscope::cli {

// hopscope-cli profile check FILE | profile discover ... -o FILE
int runProfile(CliContext &ctx);
int runProfileDiscover(CliContext &ctx); // cli/DiscoverCommand.cpp (args[0] is "discover")

// hopscope-cli dns PROFILE [--json] [--timeout S] [--watch]   (cli/DnsCommand.cpp)
int runDns(CliContext &ctx);

// hopscope-cli snapshot PROFILE [--json] [--polls N] [--timeout S]   (cli/SnapshotCommand.cpp)
int runSnapshot(CliContext &ctx);

// hopscope-cli export PROFILE --format png|svg|dot|json -o FILE [--polls N] [--timeout S]
// (cli/ExportCommand.cpp). The options shared by these three: PollOptions in cli/CliSupport.h.
int runExport(CliContext &ctx);
// PNG and SVG need fonts: main() creates a QGuiApplication (offscreen) when this is true.
bool exportNeedsGui(const QStringList &args);

// hopscope-cli parse KIND FILE|-                      (cli/ParseCommand.cpp reads the input and
// dispatches by KIND to the area parsers below; each prints the normalized snapshot as JSON on
// ctx.out and returns ExitOk, or prints a one-line reason on ctx.err and returns ExitProblems)
int runParse(CliContext &ctx);

// hopscope-cli audit verify FILE | audit show PROFILE [--json] | audit path PROFILE
int runAudit(CliContext &ctx); // cli/AuditCommand.cpp

// hopscope-cli drain PROFILE ADDR:PORT [--dry-run] [--yes] [--wait] [--timeout S] [--force] ...
// hopscope-cli undrain PROFILE ADDR:PORT [--yes]          (cli/DrainCommand.cpp)
int runDrain(CliContext &ctx);
int runUndrain(CliContext &ctx);
int parseEnvoyDump(const QString &kind, const QByteArray &input, CliContext &ctx);   // envoy-*
int parseHaproxyDump(const QString &kind, const QByteArray &input, CliContext &ctx); // haproxy-*

} // namespace hopscope::cli
