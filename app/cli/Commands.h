#pragma once

#include "cli/CliContext.h"

namespace hopscope::cli {

// hopscope-cli profile check FILE
int runProfile(CliContext &ctx);

} // namespace hopscope::cli
