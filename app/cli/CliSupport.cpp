#include "cli/CliSupport.h"

#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QEventLoop>
#include <QTimer>

namespace hopscope::cli {

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

bool pollRounds(ClusterMonitor &monitor, int polls, CliContext &ctx, const char *command)
{
    const ClusterProfile &profile = monitor.profile();
    QEventLoop loop;
    bool finished = false;
    QObject::connect(&monitor, &ClusterMonitor::roundCompleted, &loop, [&](int rounds) {
        if (rounds >= polls) {
            finished = true;
            loop.quit();
        }
    });
    const int budget = polls * (profile.poll.intervalMs + profile.poll.timeoutMs) * 3 + 5000;
    QTimer::singleShot(budget, &loop, [&] {
        ctx.err << "hopscope-cli " << command << ": not every source finished " << polls
                << " polls within " << budget << " ms\n";
        loop.quit();
    });
    monitor.start();
    loop.exec();
    monitor.stop();
    return finished;
}

} // namespace hopscope::cli
