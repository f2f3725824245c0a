#include "cli/Commands.h"

namespace hopscope::cli {

// Placeholder until the DNS discovery issue lands; says so plainly instead of pretending.
int runDns(CliContext &ctx)
{
    ctx.err << "hopscope-cli dns: not available yet in this build (DNS discovery is being built)\n";
    return ExitUsage;
}

} // namespace hopscope::cli
