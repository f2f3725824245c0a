#pragma once

#include "cli/CliContext.h"
#include "profile/ClusterProfile.h"
#include "profile/ProfileStore.h"

#include <optional>

namespace hopscope {
class ClusterMonitor;
}

namespace hopscope::cli {

// Prints a profile's problems, one a line: "FILE: JSONPATH: message"; a problem with the file
// itself names the file already ("FILE: cannot open: ...", "FILE: is a named pipe (FIFO) ...").
void printProfileProblems(
    QTextStream &to, const QString &file, const QList<ProfileProblem> &problems);

// Loads and validates a profile for a command; on problems prints them on ctx.err
// (printProfileProblems) and returns nullopt (the command then exits with ExitProblems).
std::optional<ClusterProfile> loadProfile(CliContext &ctx, const QString &path);

// Starts the monitor and runs the event loop until every source has finished `polls` polls,
// with a hard stop (each poll has its own timeout; this only guards against bugs). Returns
// false, after saying so on ctx.err as "hopscope-cli COMMAND: ...", when the hard stop hit.
bool pollRounds(ClusterMonitor &monitor, int polls, CliContext &ctx, const char *command);

} // namespace hopscope::cli
