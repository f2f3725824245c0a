#pragma once

#include <QStringList>
#include <QTextStream>

namespace hopscope::cli {

// What a command gets: its arguments (after the command name) and where to write.
// Output on `out` is the command's result (JSON where --json is given); `err` takes diagnostics.
struct CliContext
{
    QStringList args;
    QTextStream &out;
    QTextStream &err;
};

// Exit codes shared by all commands.
enum ExitCode : int {
    ExitOk = 0,
    ExitProblems = 1, // the command ran and found problems (invalid profile, unparsable input)
    ExitUsage = 2,    // wrong arguments
};

} // namespace hopscope::cli
