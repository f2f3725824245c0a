#include "cli/CliSupport.h"
#include "cli/Commands.h"

#include "ops/AuditLog.h"

#include "ops/DrainController.h"
#include "ops/UndoDescription.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace hopscope::cli {

namespace {

constexpr int ExitNotSafeYet = 3;

const char *const s_drainUsage =
    "usage: hopscope-cli drain PROFILE ADDR:PORT [--dry-run] [--yes] [--confirm ADDR:PORT] [--force]\n"
    "                          [--wait] [--timeout S] [--json]\n"
    "  Plans the drain of one target on every layer that routes to it (DNS record removal via\n"
    "  RFC 2136, HAProxy 'state drain', the target's Envoy /healthcheck/fail), asks for\n"
    "  confirmation, runs each step and verifies it on the next poll; with --wait it then waits\n"
    "  until LB sessions, sidecar connections and the DNS stale window have run out.\n"
    "  --dry-run     print the plan, change nothing\n"
    "  --yes         do not ask (needed when stdin is not a terminal)\n"
    "  --confirm T   the typed confirmation for production profiles and --force (the target)\n"
    "  --force       allow draining the last healthy target of a service (typed confirmation)\n"
    "  --timeout S   how long --wait waits for safe (default 300)\n"
    "  Every plan, confirmation, step and verification goes to the profile's audit log.\n"
    "  Exit status: 0 safe to stop (or a dry run that may run), 1 refused or failed,\n"
    "  2 usage, 3 drained but not safe yet (no --wait, or --timeout passed).\n";

const char *const s_undrainUsage =
    "usage: hopscope-cli undrain PROFILE ADDR:PORT [--yes] [--confirm ADDR:PORT] [--timeout S] [--json]\n"
    "  Puts back what the last drain of the target changed (read from the profile's audit log):\n"
    "  records re-added with their TTLs, HAProxy 'state ready', Envoy /healthcheck/ok; each\n"
    "  verified on the next poll. Exit status: 0 all put back, 1 failed or nothing to undo, 2 usage.\n";

struct Options
{
    QString profile;
    QString target;
    bool dryRun = false;
    bool yes = false;
    bool force = false;
    bool wait = false;
    bool json = false;
    QString confirm;
    int timeoutS = 300;
};

std::optional<Options> parseArgs(CliContext &ctx, const char *usage, bool drain)
{
    Options o;
    QStringList positional;
    for (int i = 0; i < ctx.args.size(); ++i) {
        const QString &a = ctx.args[i];
        if (a == u"--help" || a == u"-h") {
            ctx.out << usage;
            return std::nullopt;
        } else if (a == u"--dry-run" && drain) {
            o.dryRun = true;
        } else if (a == u"--yes" || a == u"-y") {
            o.yes = true;
        } else if (a == u"--force" && drain) {
            o.force = true;
        } else if (a == u"--wait" && drain) {
            o.wait = true;
        } else if (a == u"--json") {
            o.json = true;
        } else if (a == u"--confirm" && i + 1 < ctx.args.size()) {
            o.confirm = ctx.args[++i];
        } else if (a == u"--timeout" && i + 1 < ctx.args.size()) {
            bool ok = false;
            o.timeoutS = ctx.args[++i].toInt(&ok);
            if (!ok || o.timeoutS < 1 || o.timeoutS > 86400) {
                ctx.err << "--timeout takes seconds from 1 to 86400\n";
                return std::nullopt;
            }
        } else if (a.startsWith(u'-')) {
            ctx.err << "unknown option " << a << "\n" << usage;
            return std::nullopt;
        } else {
            positional << a;
        }
    }
    if (positional.size() != 2) {
        ctx.err << usage;
        return std::nullopt;
    }
    o.profile = positional[0];
    o.target = positional[1];
    return o;
}

// Asks on the terminal; empty when stdin is not one.
QString prompt(CliContext &ctx, const QString &question)
{
    ctx.err << question;
    ctx.err.flush();
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly)) {
        return {};
    }
    return QString::fromLocal8Bit(in.readLine()).trimmed();
}

// Confirmation policy shared by drain and undrain. Returns the typed text to hand to confirm(),
// or nullopt (after saying why) when the operator did not confirm.
std::optional<QString> confirmation(CliContext &ctx, const Options &o, const QString &required, const QString &what)
{
    const bool tty = ::isatty(STDIN_FILENO);
    if (!required.isEmpty()) {
        if (!o.confirm.isEmpty()) {
            return o.confirm;
        }
        if (!tty) {
            ctx.err << "refusing: " << what << " needs the target typed as confirmation; stdin is not a "
                       "terminal, so pass --confirm " << required << '\n';
            return std::nullopt;
        }
        return prompt(ctx, QStringLiteral("type the target address (%1) to confirm: ").arg(required));
    }
    if (o.yes) {
        return QString();
    }
    if (!tty) {
        ctx.err << "refusing: stdin is not a terminal and --yes was not given\n";
        return std::nullopt;
    }
    const QString answer = prompt(ctx, QStringLiteral("go ahead? [y/N] "));
    if (answer.compare(QStringLiteral("y"), Qt::CaseInsensitive) == 0
        || answer.compare(QStringLiteral("yes"), Qt::CaseInsensitive) == 0) {
        return QString();
    }
    ctx.err << "not confirmed; nothing changed\n";
    return std::nullopt;
}

bool startMonitor(CliContext &ctx, ClusterMonitor &monitor)
{
    QEventLoop loop;
    bool ok = true;
    QObject::connect(&monitor, &ClusterMonitor::roundCompleted, &loop, [&](int) { loop.quit(); });
    const int budget = (monitor.profile().poll.intervalMs + monitor.profile().poll.timeoutMs) * 3 + 5000;
    QTimer::singleShot(budget, &loop, [&] {
        ctx.err << "not every source answered within " << budget << " ms\n";
        ok = false;
        loop.quit();
    });
    monitor.start();
    loop.exec();
    return ok;
}

void connectProgress(CliContext &ctx, DrainController &ctl, bool json)
{
    if (json) {
        return;
    }
    QObject::connect(&ctl, &DrainController::stepStarted, &ctl, [&ctx](int, const QString &d) {
        ctx.err << "→ " << d << '\n';
        ctx.err.flush();
    });
    QObject::connect(&ctl, &DrainController::stepFinished, &ctl, [&ctx](int, bool ok, const QString &m) {
        ctx.err << (ok ? "  ✓ " : "  ✗ ") << m << '\n';
        ctx.err.flush();
    });
    QObject::connect(&ctl, &DrainController::countdownChanged, &ctl, [&ctx](const DrainCountdown &c) {
        ctx.err << "  waiting: " << (c.holding.isEmpty() ? QStringLiteral("nothing holds")
                                                         : c.holding.join(QStringLiteral("; ")))
                << '\n';
        ctx.err.flush();
    });
}

void printResult(CliContext &ctx, const DrainController &ctl, bool json, const QString &outcome)
{
    if (json) {
        QJsonObject o = ctl.plan().toJson();
        o.insert(QStringLiteral("outcome"), outcome);
        o.insert(QStringLiteral("message"), ctl.lastMessage());
        o.insert(QStringLiteral("mayHaveHappened"), QJsonArray::fromStringList(ctl.uncertainLayers()));
        const DrainCountdown c = ctl.countdown();
        o.insert(QStringLiteral("countdown"),
            QJsonObject{{QStringLiteral("lbSessions"), c.lbSessions},
                {QStringLiteral("sidecarConnections"), c.sidecarConnections},
                {QStringLiteral("dnsStaleSecondsLeft"), c.dnsStaleSecondsLeft},
                {QStringLiteral("holding"), QJsonArray::fromStringList(c.holding)}});
        ctx.out << QJsonDocument(o).toJson(QJsonDocument::Indented);
    } else {
        ctx.out << outcome << ": " << ctl.lastMessage() << '\n';
    }
}

std::optional<ProfileLoadResult> load(CliContext &ctx, const QString &path)
{
    ProfileLoadResult loaded = ProfileStore::load(path);
    if (!loaded.ok()) {
        printProfileProblems(ctx.err, path, loaded.problems);
        return std::nullopt;
    }
    return loaded;
}

} // namespace

int runDrain(CliContext &ctx)
{
    const auto opts = parseArgs(ctx, s_drainUsage, true);
    if (!opts) {
        return ctx.args.contains(QStringLiteral("--help")) || ctx.args.contains(QStringLiteral("-h")) ? ExitOk : ExitUsage;
    }
    const auto loaded = load(ctx, opts->profile);
    if (!loaded) {
        return ExitProblems; // an invalid profile is a problem, not a usage error
    }
    ClusterMonitor monitor(*loaded->profile);
    if (!startMonitor(ctx, monitor)) {
        ctx.err << "planning with what answered so far\n";
    }
    AuditLog audit(*loaded->profile);
    DrainController ctl(&monitor, &audit);
    ctl.setWatchTimeoutMs(opts->timeoutS * 1000);
    const DrainPlan plan = ctl.makePlan(opts->target, opts->force ? DrainForce::LastHealthy : DrainForce::No);
    if (ctl.state() == DrainController::State::Failed) {
        // The plan (or refusal) could not be recorded: nothing may run, not even a dry run
        // that claims to be logged.
        ctx.err << "hopscope-cli drain: " << ctl.lastMessage() << '\n';
        return ExitProblems;
    }
    if (opts->json && (opts->dryRun || !plan.canExecute())) {
        ctx.out << QJsonDocument(plan.toJson()).toJson(QJsonDocument::Indented);
    } else if (!opts->json) {
        ctx.out << plan.toText();
        ctx.out.flush();
    }
    if (!plan.canExecute()) {
        ctx.err << "hopscope-cli drain: refused: " << plan.refusal << '\n';
        return ExitProblems;
    }
    if (opts->dryRun) {
        ctx.err << "dry run: nothing changed\n";
        return ExitOk;
    }
    const auto typed = confirmation(ctx, *opts, ctl.requiredConfirmation(),
        plan.production ? QStringLiteral("a production profile") : QStringLiteral("draining the last healthy target"));
    if (!typed || !ctl.confirm(*typed)) {
        if (typed && ctl.state() == DrainController::State::Failed) {
            ctx.err << "hopscope-cli drain: " << ctl.lastMessage() << "; nothing changed\n";
        } else if (typed) {
            ctx.err << "hopscope-cli drain: confirmation does not match " << ctl.requiredConfirmation() << "; nothing changed\n";
        }
        return ExitProblems;
    }
    connectProgress(ctx, ctl, opts->json);
    QEventLoop loop;
    QString outcome;
    int code = ExitProblems;
    QObject::connect(&ctl, &DrainController::failed, &loop, [&](const QString &) {
        outcome = QStringLiteral("failed");
        code = ExitProblems;
        loop.quit();
    });
    QObject::connect(&ctl, &DrainController::safeToStop, &loop, [&] {
        outcome = QStringLiteral("safe");
        code = ExitOk;
        loop.quit();
    });
    QObject::connect(&ctl, &DrainController::timedOut, &loop, [&](const QStringList &) {
        outcome = QStringLiteral("not-safe");
        code = ExitNotSafeYet;
        loop.quit();
    });
    QObject::connect(&ctl, &DrainController::stateChanged, &loop, [&](DrainController::State s) {
        if (s == DrainController::State::Watching && !opts->wait) {
            // give the first countdown a chance to say safe at once
            QTimer::singleShot(0, &loop, [&] {
                if (ctl.state() == DrainController::State::Watching) {
                    outcome = QStringLiteral("draining");
                    code = ExitNotSafeYet;
                    ctl.cancel();
                    loop.quit();
                }
            });
        }
    });
    ctl.execute();
    // A refusal (the drain lock is held, the log cannot be written) fails at once, before the
    // loop would run: only wait while something is in flight.
    if (outcome.isEmpty()) {
        loop.exec();
    }
    monitor.stop();
    printResult(ctx, ctl, opts->json, outcome);
    if (code == ExitProblems && !ctl.doneSteps().isEmpty() && !opts->json) {
        const QStringList maybe = ctl.uncertainLayers();
        if (!maybe.isEmpty()) {
            ctx.err << "may have happened (sent, no answer): " << maybe.join(QStringLiteral(", "))
                    << "; undrain treats it as done and puts it back idempotently\n";
        }
        ctx.err << "run 'hopscope-cli undrain " << opts->profile << ' ' << ctl.target()
                << "' to put back the " << ctl.doneSteps().size() << " step(s) done\n";
    }
    return code;
}

int runUndrain(CliContext &ctx)
{
    const auto opts = parseArgs(ctx, s_undrainUsage, false);
    if (!opts) {
        return ctx.args.contains(QStringLiteral("--help")) || ctx.args.contains(QStringLiteral("-h")) ? ExitOk : ExitUsage;
    }
    const auto loaded = load(ctx, opts->profile);
    if (!loaded) {
        return ExitProblems; // an invalid profile is a problem, not a usage error
    }
    if (loaded->profile->observeOnly) {
        ctx.err << "hopscope-cli undrain: refused: profile '" << loaded->profile->name
                << "' is observe-only: hopscope changes nothing in it\n";
        return ExitProblems;
    }
    ClusterMonitor monitor(*loaded->profile);
    startMonitor(ctx, monitor);
    AuditLog audit(*loaded->profile);
    DrainController ctl(&monitor, &audit);
    ctl.setVerifyTimeoutMs(std::min(opts->timeoutS, 60) * 1000);
    QString why;
    if (!ctl.loadFromAudit(opts->target, &why)) {
        ctx.err << "hopscope-cli undrain: " << why << '\n';
        return ExitProblems;
    }
    if (!opts->json) {
        ctx.out << "undo for " << ctl.target() << ":\n";
        const QList<DrainStep> steps = ctl.doneSteps();
        const QStringList maybe = ctl.uncertainLayers();
        for (auto it = steps.crbegin(); it != steps.crend(); ++it) {
            ctx.out << "  " << undoDescription(*it);
            if (maybe.contains(DrainStep::kindName(it->kind))) {
                ctx.out << "  [may have happened: sent, outcome never recorded; undone idempotently]";
            }
            ctx.out << '\n';
        }
        ctx.out.flush();
    }
    const auto typed = confirmation(ctx, *opts,
        loaded->profile->production ? ctl.target() : QString(), QStringLiteral("a production profile"));
    if (!typed) {
        return ExitProblems;
    }
    if (loaded->profile->production && *typed != ctl.target()) {
        ctx.err << "hopscope-cli undrain: confirmation does not match " << ctl.target() << "; nothing changed\n";
        return ExitProblems;
    }
    connectProgress(ctx, ctl, opts->json);
    QEventLoop loop;
    bool ok = false;
    QObject::connect(&ctl, &DrainController::undoFinished, &loop, [&](bool success, const QString &) {
        ok = success;
        loop.quit();
    });
    QObject::connect(&ctl, &DrainController::failed, &loop, [&](const QString &) { loop.quit(); });
    ctl.undo();
    if (ctl.state() == DrainController::State::Undoing) {
        loop.exec();
    }
    monitor.stop();
    printResult(ctx, ctl, opts->json, ok ? QStringLiteral("undone") : QStringLiteral("undo-failed"));
    return ok ? ExitOk : ExitProblems;
}

} // namespace hopscope::cli
