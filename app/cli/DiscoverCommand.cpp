#include "cli/Commands.h"

#include "cli/CliSupport.h"
#include "discover/DiscoveryRun.h"
#include "discover/DiscoverySave.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QTimer>

namespace hopscope::cli {

namespace {

const char *const s_usage
    = "usage: hopscope-cli profile discover [--haproxy RUNTIME]... [--haproxy-stats URL]...\n"
      "           [--envoy ADMIN_URL]... [--dns NAME[:A|AAAA|SRV[:PORT]]]... [--dns-server "
      "IP:PORT]\n"
      "           [--name NAME] [--timeout S] [--force] -o FILE\n"
      "  Asks each endpoint once and writes a schema-1 profile from what they say: each HAProxy\n"
      "  backend a service and a route of its load balancer, each Envoy sidecar a proxy of its\n"
      "  service with a mesh edge to each upstream cluster, each DNS name a service with its dns\n"
      "  block (type detected when not given: SRV, then A, then AAAA; an A name takes its port\n"
      "  from the source listing the same addresses, or NAME:A:PORT). Sources listing the same\n"
      "  address:port set are one service (\"discoveredFrom\" says why). Prints what was found\n"
      "  and what could not be inferred (callers, path rules) for you to add.\n"
      "  --haproxy RUNTIME   unix:/path or tcp:HOST:PORT of a runtime API (stats socket)\n"
      "  --haproxy-stats URL the stats page's CSV, http(s)://HOST:PORT/stats;csv\n"
      "  --envoy URL         an Envoy admin API, http(s)://HOST:PORT\n"
      "  --dns-server IP:PORT  the DNS server to ask for --dns names (port 53 by default)\n"
      "  --name NAME         the profile's name (default \"discovered\")\n"
      "  --timeout S         hard stop for all the asking, 1 to 600 s (default 10)\n"
      "  --force             replace FILE if it exists (the write is atomic either way)\n"
      "  Exit status: 0 written, 1 no endpoint answered, nothing found, or FILE exists or\n"
      "  cannot be written, 2 usage error.\n";

} // namespace

int runProfileDiscover(CliContext &ctx)
{
    DiscoveryRequest request;
    QString output;
    bool force = false;
    for (int i = 1; i < ctx.args.size(); ++i) {
        const QString &a = ctx.args[i];
        if (a == u"--help" || a == u"-h") {
            ctx.out << s_usage;
            return ExitOk;
        }
        if (a == u"--force") {
            force = true;
            continue;
        }
        const bool takesValue = a == u"--haproxy" || a == u"--haproxy-stats" || a == u"--envoy"
            || a == u"--dns" || a == u"--dns-server" || a == u"--name" || a == u"--timeout"
            || a == u"-o" || a == u"--output";
        if (!takesValue) {
            ctx.err << "hopscope-cli profile discover: unexpected argument '" << a << "'\n"
                    << s_usage;
            return ExitUsage;
        }
        if (i + 1 >= ctx.args.size()) {
            ctx.err << "hopscope-cli profile discover: " << a << " needs a value\n";
            return ExitUsage;
        }
        const QString value = ctx.args[++i];
        QString why;
        bool ok = true;
        if (a == u"--haproxy") {
            ok = request.addHaproxyRuntime(value, &why);
        } else if (a == u"--haproxy-stats") {
            ok = request.addHaproxyStatsUrl(value, &why);
        } else if (a == u"--envoy") {
            ok = request.addEnvoyAdmin(value, &why);
        } else if (a == u"--dns") {
            ok = request.addDnsName(value, &why);
        } else if (a == u"--dns-server") {
            ok = request.setDnsServer(value, &why);
        } else if (a == u"--name") {
            request.name = value;
        } else if (a == u"--timeout") {
            const double seconds = value.toDouble(&ok);
            ok = ok && seconds >= 1 && seconds <= DiscoveryRequest::MaxTimeoutMs / 1000;
            why = QStringLiteral("--timeout takes seconds from 1 to %1")
                      .arg(DiscoveryRequest::MaxTimeoutMs / 1000);
            request.timeoutMs = int(seconds * 1000);
        } else {
            output = value;
        }
        if (!ok) {
            ctx.err << "hopscope-cli profile discover: " << why << '\n';
            return ExitUsage;
        }
    }
    if (const QString missing = request.incomplete(); !missing.isEmpty()) {
        ctx.err << "hopscope-cli profile discover: " << missing << '\n' << s_usage;
        return ExitUsage;
    }
    if (output.isEmpty()) {
        ctx.err << "hopscope-cli profile discover: name the file to write with -o FILE\n";
        return ExitUsage;
    }
    const auto exists
        = [&output] { return QFileInfo::exists(output) || QFileInfo(output).isSymLink(); };
    if (exists() && !force) {
        ctx.err << "hopscope-cli profile discover: " << output
                << " exists; not replaced (--force replaces it)\n";
        return ExitProblems;
    }

    DiscoveryRun run;
    QEventLoop loop;
    std::optional<DiscoveryResult> result;
    QObject::connect(&run, &DiscoveryRun::finished, &loop, [&](const DiscoveryResult &r) {
        result = r;
        loop.quit();
    });
    // The run has its own hard stop (request.timeoutMs); this only guards the builder after it.
    QTimer::singleShot(request.timeoutMs + 10'000, &loop, &QEventLoop::quit);
    run.start(request);
    if (run.isRunning()) {
        loop.exec();
    }
    if (!result) {
        run.cancel();
        ctx.err << "hopscope-cli profile discover: discovery did not finish\n";
        return ExitProblems;
    }
    ctx.out << result->reportText();
    if (!result->anyAnswered()) {
        ctx.err << "hopscope-cli profile discover: no endpoint answered; nothing written\n";
        return ExitProblems;
    }
    if (result->profile.services.isEmpty()) {
        ctx.err << "hopscope-cli profile discover: no service found; nothing written\n";
        return ExitProblems;
    }
    // Checked to read back valid, written atomically; a file created meanwhile is kept.
    QString error;
    if (!saveDiscoveredProfile(result->profile, output, force, &error)) {
        ctx.err << "hopscope-cli profile discover: " << error
                << (error.endsWith(QLatin1String("not replaced")) ? " (--force replaces it)\n"
                                                                  : "\n");
        return ExitProblems;
    }
    ctx.out << "wrote " << output << '\n';
    return ExitOk;
}

} // namespace hopscope::cli
