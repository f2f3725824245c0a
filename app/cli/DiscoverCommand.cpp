#include "cli/Commands.h"

#include "cli/CliSupport.h"
#include "discover/DiscoveryRun.h"
#include "discover/DiscoverySave.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTimer>

namespace hopscope::cli {

namespace {

const char *const s_usage
    = "usage: hopscope-cli profile discover [--haproxy RUNTIME]... [--haproxy-stats URL]...\n"
      "           [--envoy ADMIN_URL]... [--dns NAME[:A|AAAA|SRV[:PORT]]]... [--dns-server "
      "IP:PORT]\n"
      "           [--aws-cloudmap NAMESPACE] [--aws-elbv2 LB_ARN_OR_NAME] [--aws-ecs CLUSTER]\n"
      "           [--aws-region R] [--aws-credentials default|profile:NAME] [--aws-endpoint-url "
      "URL]\n"
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
      "  --aws-cloudmap NS   each service of the Cloud Map namespace NS (services[].cloudMap)\n"
      "  --aws-elbv2 LB      the ALB/NLB by name or ARN: its first listener (path rules) and\n"
      "                      target groups (a load balancer of kind \"elbv2\")\n"
      "  --aws-ecs CLUSTER   the ECS services with running tasks in CLUSTER (services[].ecs)\n"
      "                      A target group or ECS service joins the service of the same name,\n"
      "                      else the one listing the same addresses.\n"
      "  --aws-region R      the AWS region (default $AWS_REGION, then $AWS_DEFAULT_REGION)\n"
      "  --aws-credentials C default (the standard chain) or profile:NAME; written to \"aws\"\n"
      "  --aws-endpoint-url URL  instead of the regional endpoints (VPC endpoints, emulators)\n"
      "  --name NAME         the profile's name (default \"discovered\")\n"
      "  --timeout S         hard stop for all the asking, 1 to 600 s (default 10)\n"
      "  --force             replace FILE if it exists (the write is atomic either way)\n"
      "  Exit status: 0 written, 1 no endpoint answered, nothing found, or FILE exists or\n"
      "  cannot be written, 2 usage error.\n";

// One --aws-* option into the request; false with why (naming the option) when it is not valid.
bool addAwsOption(
    AwsDiscoveryRequest &aws, const QString &option, const QString &value, QString *why)
{
    const QString v = value.trimmed();
    if (v.isEmpty()) {
        *why = option + QStringLiteral(" is empty");
        return false;
    }
    if (option == u"--aws-cloudmap") {
        aws.cloudMapNamespace = v;
    } else if (option == u"--aws-elbv2") {
        aws.elbv2 = v;
    } else if (option == u"--aws-ecs") {
        aws.ecsCluster = v;
    } else if (option == u"--aws-region") {
        static const QRegularExpression region(QStringLiteral("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"));
        if (!region.match(v).hasMatch()) {
            *why = QStringLiteral("--aws-region: \"%1\" is not an AWS region name (e.g. eu-west-1)")
                       .arg(v.left(40));
            return false;
        }
        aws.region = v;
    } else if (option == u"--aws-credentials") {
        if (v != u"default" && !(v.startsWith(u"profile:") && v.size() > 8)) {
            // Never repeat the value: it may be a pasted key.
            *why = QStringLiteral("--aws-credentials takes default or profile:NAME (keys never "
                                  "go into a profile)");
            return false;
        }
        aws.credentials = v;
    } else if (option == u"--aws-endpoint-url") {
        const QUrl url(v, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")
            || url.host().isEmpty() || !url.userInfo().isEmpty()) {
            *why = QStringLiteral("--aws-endpoint-url: not an http(s)://HOST[:PORT] URL without "
                                  "user info");
            return false;
        }
        aws.endpointUrl = url;
    } else {
        *why = QStringLiteral("unknown option %1").arg(option);
        return false;
    }
    return true;
}

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
            || a == u"-o" || a == u"--output" || a.startsWith(u"--aws-");
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
        } else if (a.startsWith(u"--aws-")) {
            ok = addAwsOption(request.aws, a, value, &why);
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
    if (request.aws.count() > 0 && request.aws.region.isEmpty()) {
        request.aws.region
            = qEnvironmentVariable("AWS_REGION", qEnvironmentVariable("AWS_DEFAULT_REGION"));
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
