#include "cli/CliSupport.h"

#include "core/PollingSource.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QDateTime>
#include <QEventLoop>
#include <QHash>
#include <QTimer>

namespace hopscope::cli {

namespace {
bool needsEscape(char16_t c, LineBreaks lineBreaks)
{
    if (c < 0x20) {
        return lineBreaks == LineBreaks::Escape || (c != u'\n' && c != u'\t');
    }
    return (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f
        || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028
        || c == 0x2029;
}
} // namespace

QString terminalSafe(QStringView text, LineBreaks lineBreaks)
{
    qsizetype first = 0;
    while (first < text.size() && !needsEscape(text[first].unicode(), lineBreaks)) {
        ++first;
    }
    if (first == text.size()) {
        return text.toString();
    }
    QString safe = text.left(first).toString();
    safe.reserve(text.size() + 16);
    for (qsizetype i = first; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (!needsEscape(c, lineBreaks)) {
            safe.append(QChar(c));
        } else if (c == u'\n') {
            safe.append(u"\\n");
        } else if (c == u'\t') {
            safe.append(u"\\t");
        } else if (c == u'\r') {
            safe.append(u"\\r");
        } else {
            safe.append(QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0')));
        }
    }
    return safe;
}

void printProfileProblems(
    QTextStream &to, const QString &file, const QList<ProfileProblem> &problems)
{
    for (const ProfileProblem &p : problems) {
        if (p.isFileProblem()) {
            to << p.toString() << '\n';
        } else {
            to << file << ": " << p.toString() << '\n';
        }
    }
}

std::optional<ClusterProfile> loadProfile(CliContext &ctx, const QString &path)
{
    ProfileLoadResult loaded = ProfileStore::load(path);
    if (!loaded.ok()) {
        printProfileProblems(ctx.err, path, loaded.problems);
        return std::nullopt;
    }
    return std::move(loaded.profile);
}

const char *PollOptions::usage(unsigned accept)
{
    switch (accept) {
    case Json | Polls | Timeout:
        return "  --json        print JSON instead of text\n"
               "  --polls N     poll every source N times, 0 to 1000 (default 1; 0: the declared\n"
               "                picture without polling, every source unknown)\n"
               "  --timeout S   hard stop for all the polling, 1 to 3600 s (default: 3 × the\n"
               "                profile's interval + timeout per poll, + 5 s)\n";
    case Polls | Timeout:
        return "  --polls N     poll every source N times, 0 to 1000 (default 1; 0: the declared\n"
               "                graph without polling)\n"
               "  --timeout S   hard stop for all the polling, 1 to 3600 s (default: 3 × the\n"
               "                profile's interval + timeout per poll, + 5 s)\n";
    case Json | Timeout:
        return "  --json        print JSON instead of text\n"
               "  --timeout S   hard stop for the first answer of every name, 1 to 3600 s\n"
               "                (default: 3 × the profile's timeout + 5 s)\n";
    default:
        return "";
    }
}

OptionParse takePollOption(
    CliContext &ctx, const char *command, unsigned accept, int *i, PollOptions *options)
{
    const QString &a = ctx.args[*i];
    const bool hasValue = *i + 1 < ctx.args.size();
    if (a == u"--json" && (accept & PollOptions::Json)) {
        options->json = true;
        return OptionParse::Taken;
    }
    if (a == u"--polls" && (accept & PollOptions::Polls)) {
        bool ok = false;
        const int polls = hasValue ? ctx.args[*i + 1].toInt(&ok) : 0;
        if (!ok || polls < PollOptions::MinPolls || polls > PollOptions::MaxPolls) {
            ctx.err << "hopscope-cli " << command << ": --polls takes a number from "
                    << PollOptions::MinPolls << " to " << PollOptions::MaxPolls << '\n';
            return OptionParse::Bad;
        }
        options->polls = polls;
        ++*i;
        return OptionParse::Taken;
    }
    if (a == u"--timeout" && (accept & PollOptions::Timeout)) {
        bool ok = false;
        const double seconds = hasValue ? ctx.args[*i + 1].toDouble(&ok) : 0;
        if (!ok || !(seconds >= 1 && seconds <= PollOptions::MaxTimeoutS)) {
            ctx.err << "hopscope-cli " << command << ": --timeout takes seconds from 1 to "
                    << PollOptions::MaxTimeoutS << '\n';
            return OptionParse::Bad;
        }
        options->timeoutMs = int(seconds * 1000);
        ++*i;
        return OptionParse::Taken;
    }
    return OptionParse::NotShared;
}

int pollBudgetMs(const ClusterProfile &profile, const PollOptions &options)
{
    if (options.timeoutMs > 0) {
        return options.timeoutMs;
    }
    const qint64 budget = qint64(std::max(1, options.polls))
            * (profile.poll.intervalMs + profile.poll.timeoutMs) * 3
        + 5000;
    return int(std::min<qint64>(budget, qint64(PollOptions::MaxTimeoutS) * 1000 * 24));
}

QList<SourceError> pollRounds(
    ClusterMonitor &monitor, const PollOptions &options, CliContext &ctx, const char *command)
{
    const int polls = options.polls;
    const int budget = pollBudgetMs(monitor.profile(), options);
    QEventLoop loop;
    // Count each source's finished polls here: the report names the ones that fell short.
    QHash<const PollingSource *, int> finished;
    const QList<PollingSource *> sources = monitor.sources();
    for (PollingSource *s : sources) {
        finished.insert(s, 0);
        QObject::connect(s, &PollingSource::pollFinished, &loop, [&finished, s] { ++finished[s]; });
    }
    bool done = false;
    QObject::connect(&monitor, &ClusterMonitor::roundCompleted, &loop, [&](int rounds) {
        if (rounds >= polls) {
            done = true;
            loop.quit();
        }
    });
    QTimer::singleShot(budget, &loop, [&] { loop.quit(); });
    monitor.start();
    loop.exec();
    monitor.stop();

    QList<SourceError> unfinished;
    if (done) {
        return unfinished;
    }
    for (const PollingSource *s : sources) {
        const int n = finished.value(s);
        if (n >= polls) {
            continue;
        }
        SourceError e;
        e.kind = SourceError::Kind::Timeout;
        e.source = s->name();
        e.message = QStringLiteral("finished %1 of %2 polls within %3 ms (the hard stop); what it "
                                   "shows is incomplete")
                        .arg(n)
                        .arg(polls)
                        .arg(budget);
        e.when = QDateTime::currentDateTimeUtc();
        unfinished.append(e);
        ctx.err << "hopscope-cli " << command << ": " << e.toString() << '\n';
    }
    if (unfinished.isEmpty()) {
        // Every source counted its polls, yet no round completed: say so rather than nothing.
        SourceError e;
        e.kind = SourceError::Kind::Timeout;
        e.source = QStringLiteral("hopscope-cli");
        e.message = QStringLiteral("the monitor did not complete %1 rounds within %2 ms")
                        .arg(polls)
                        .arg(budget);
        e.when = QDateTime::currentDateTimeUtc();
        unfinished.append(e);
        ctx.err << "hopscope-cli " << command << ": " << e.toString() << '\n';
    }
    return unfinished;
}

} // namespace hopscope::cli
