#include "cli/Commands.h"

#include "cli/CliSupport.h"
#include "core/TlsContext.h"
#include "profile/ProfileStore.h"

namespace hopscope::cli {

namespace {
const char *const s_usage = "usage: hopscope-cli profile check FILE\n"
                            "  Prints every problem as 'path: message', one per line.\n"
                            "  Exit status: 0 valid, 1 problems found, 2 usage error.\n"
                            "usage: hopscope-cli profile discover ... -o FILE   (see profile discover --help)\n";
}

int runProfile(CliContext &ctx)
{
    if (ctx.args.size() == 1 && (ctx.args[0] == u"--help" || ctx.args[0] == u"-h")) {
        ctx.out << s_usage;
        return ExitOk;
    }
    if (!ctx.args.isEmpty() && ctx.args[0] == u"discover") {
        return runProfileDiscover(ctx);
    }
    if (ctx.args.size() != 2 || ctx.args[0] != u"check") {
        ctx.err << s_usage;
        return ExitUsage;
    }
    const QString path = ctx.args[1];
    const ProfileLoadResult result = ProfileStore::load(path);
    if (!result.ok()) {
        for (const ProfileProblem &p : result.problems) {
            ctx.out << p.toString() << '\n';
        }
        ctx.err << path << ": " << result.problems.size()
                << (result.problems.size() == 1 ? " problem\n" : " problems\n");
        return ExitProblems;
    }
    const ClusterProfile &p = *result.profile;
    // The files the "tls" blocks name: readable, PEM certificates, a private key that parses.
    QList<ProfileProblem> tlsProblems;
    QList<std::optional<TlsSpec>> all { p.tls };
    for (const LoadBalancerSpec &lb : p.loadBalancers) {
        all.append(lb.tls);
    }
    for (const ProxySpec &px : p.proxies) {
        all.append(px.tls);
    }
    for (const std::optional<TlsSpec> &spec : all) {
        if (spec) {
            tlsProblems.append(TlsContext::check(*spec));
        }
    }
    if (!tlsProblems.isEmpty()) {
        for (const ProfileProblem &problem : tlsProblems) {
            ctx.out << problem.toString() << '\n';
        }
        ctx.err << path << ": " << tlsProblems.size()
                << (tlsProblems.size() == 1 ? " problem\n" : " problems\n");
        return ExitProblems;
    }
    ctx.out << path << ": ok — \"" << terminalSafe(p.name) << "\", " << p.services.size()
            << " services, " << p.loadBalancers.size() << " load balancers, " << p.proxies.size()
            << " proxies, " << p.edges.size() << " edges"
            << (p.sshHosts.isEmpty() ? QString()
                                     : QStringLiteral(", %1 ssh host%2")
                                           .arg(p.sshHosts.size())
                                           .arg(QLatin1String(p.sshHosts.size() == 1 ? "" : "s")))
            << (p.observeOnly ? ", observe only" : "") << '\n';
    return ExitOk;
}

} // namespace hopscope::cli
