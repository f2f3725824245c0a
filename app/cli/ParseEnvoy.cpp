#include "cli/Commands.h"

namespace hopscope::cli {

int parseEnvoyDump(const QString &kind, const QByteArray &, CliContext &ctx)
{
    ctx.err << "hopscope-cli parse " << kind << ": not available yet in this build\n";
    return ExitUsage;
}

} // namespace hopscope::cli
