#pragma once

#include "cli/CliContext.h"
#include "core/SourceError.h"
#include "profile/ClusterProfile.h"
#include "profile/ProfileStore.h"

#include <QList>

#include <optional>

namespace hopscope {
class ClusterMonitor;
}

namespace hopscope::cli {

enum class LineBreaks { Escape, Keep };

// Text from a profile, a server or a file made safe for a terminal: control characters (C0
// including NUL, ESC and CR; DEL; C1), bidi embeddings, overrides, isolates and marks (U+202A-E,
// U+2066-9, U+200E/F, U+061C) and the Unicode line/paragraph separators are written as escapes
// (\n, \t, \r, else \uXXXX, e.g. \u001b, \u202e), which are also valid inside a JSON string.
// Line breaks and tabs are kept with LineBreaks::Keep (whole outputs), else escaped too (one
// field: a name cannot forge a line). Every byte hopscope-cli writes goes through it
// (cli/TerminalSafeDevice); commands also call it on single fields.
QString terminalSafe(QStringView text, LineBreaks lineBreaks = LineBreaks::Escape);

// Prints a profile's problems, one a line: "FILE: JSONPATH: message"; a problem with the file
// itself names the file already ("FILE: cannot open: ...", "FILE: is a named pipe (FIFO) ...").
void printProfileProblems(
    QTextStream &to, const QString &file, const QList<ProfileProblem> &problems);

// Loads and validates a profile for a command; on problems prints them on ctx.err
// (printProfileProblems) and returns nullopt (the command then exits with ExitProblems).
std::optional<ClusterProfile> loadProfile(CliContext &ctx, const QString &path);

// The options shared by the commands that poll (snapshot, export, dns): one parser, one range,
// one wording, so the commands cannot drift apart.
struct PollOptions
{
    enum Accept : unsigned { Json = 1, Polls = 2, Timeout = 4 };
    static constexpr int MinPolls = 0; // 0: no polling, the declared picture (every source unknown)
    static constexpr int MaxPolls = 1000;
    static constexpr int MaxTimeoutS = 3600;

    bool json = false; // --json
    int polls = 1; // --polls N
    int timeoutMs = 0; // --timeout S: hard stop for all the polling; 0: derived from the profile

    // The usage lines of the options in `accept`.
    static const char *usage(unsigned accept);
};

enum class OptionParse {
    NotShared, // args[*i] is none of the shared options `accept` allows: the command's own
    Taken, // consumed (with its value; *i now points at the value)
    Bad, // a shared option with a missing or bad value: said so on ctx.err
};
OptionParse takePollOption(
    CliContext &ctx, const char *command, unsigned accept, int *i, PollOptions *options);

// The hard stop for polling `polls` rounds of this profile: options.timeoutMs when given, else
// polls × (interval + timeout) × 3 + 5 s.
int pollBudgetMs(const ClusterProfile &profile, const PollOptions &options);

// Starts the monitor and runs the event loop until every source has finished options.polls
// polls, or the hard stop (pollBudgetMs). Returns one Timeout error per source that did not
// finish its polls ("finished 1 of 2 polls within 3000 ms"), each also said on ctx.err as
// "hopscope-cli COMMAND: ..."; the command adds them to its errors and exits ExitProblems.
QList<SourceError> pollRounds(
    ClusterMonitor &monitor, const PollOptions &options, CliContext &ctx, const char *command);

} // namespace hopscope::cli
