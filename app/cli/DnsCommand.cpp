#include "cli/Commands.h"

#include "cli/CliSupport.h"

#include "dns/DnsDiscoverySource.h"
#include "profile/ProfileStore.h"
#include "ssh/TunnelSet.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

namespace hopscope::cli {

namespace {

void printUsage(QTextStream &to)
{
    to << "usage: hopscope-cli dns PROFILE [--json] [--timeout S] [--watch]\n"
          "  Resolves every services[].dns name of the profile against its dns.servers and "
          "prints,\n"
          "  per service, the name, type and records with their TTLs. --json prints the contract\n"
          "  "
          "{\"services\":[{\"id\",\"name\",\"type\",\"records\":[{\"address\",\"port\",\"target\","
          "\"ttl\"}],\"error\"}]};\n"
          "  --watch keeps polling (re-asking each name when its TTL runs out) and prints each "
          "change.\n"
       << PollOptions::usage(PollOptions::Json | PollOptions::Timeout)
       << "  Exit status: 0 all names resolved, 1 some name failed or did not answer by the hard\n"
          "  stop, or the profile is invalid, 2 usage error.\n";
}

QJsonObject recordJson(const DnsTarget &t)
{
    QJsonObject r;
    r[QStringLiteral("address")] =
        t.record.address.isNull() ? QJsonValue() : QJsonValue(t.record.address.toString());
    r[QStringLiteral("port")] = int(t.record.port);
    r[QStringLiteral("target")] = t.record.target.isEmpty() ? QJsonValue() : QJsonValue(t.record.target);
    r[QStringLiteral("ttl")] = qint64(t.record.ttl);
    if (t.stale) {
        r[QStringLiteral("stale")] = true;
    }
    return r;
}

QJsonObject snapshotJson(const DnsDiscoverySnapshot &snap)
{
    QJsonArray services;
    for (const DnsServiceState &s : snap.services) {
        QJsonObject o;
        o[QStringLiteral("id")] = s.id;
        o[QStringLiteral("name")] = s.name;
        o[QStringLiteral("type")] = dnsRecordTypeName(s.type);
        QJsonArray records;
        for (const DnsTarget &t : s.records) {
            records.append(recordJson(t));
        }
        o[QStringLiteral("records")] = records;
        o[QStringLiteral("error")] = s.error.isError() ? QJsonValue(s.error.message) : QJsonValue();
        services.append(o);
    }
    return QJsonObject{{QStringLiteral("services"), services}};
}

void printText(const DnsDiscoverySnapshot &snap, QTextStream &out)
{
    for (const DnsServiceState &s : snap.services) {
        out << s.id << "  " << terminalSafe(s.name) << "  " << dnsRecordTypeName(s.type);
        if (s.error.isError()) {
            out << "  ERROR: " << terminalSafe(s.error.message);
        }
        out << '\n';
        for (const DnsTarget &t : s.records) {
            out << "    " << (t.record.address.isNull() ? QStringLiteral("(unresolved)")
                                                         : t.record.address.toString())
                << ':' << t.record.port;
            if (!t.record.target.isEmpty()) {
                out << "  " << t.record.target;
            }
            out << "  ttl " << t.record.ttl << (t.stale ? "  STALE" : "") << '\n';
        }
    }
    out.flush();
}

void printDiff(const DnsAnswerDiff &d, bool json, QTextStream &out)
{
    const QString when = d.when.toUTC().toString(Qt::ISODateWithMs);
    if (json) {
        QJsonArray added;
        QJsonArray removed;
        for (const DnsTarget &t : d.added) {
            added.append(recordJson(t));
        }
        for (const DnsRemovedTarget &r : d.removed) {
            DnsTarget t;
            t.record = r.record;
            QJsonObject o = recordJson(t);
            o[QStringLiteral("holdUntil")] = r.holdUntil.toUTC().toString(Qt::ISODateWithMs);
            removed.append(o);
        }
        const QJsonObject o{{QStringLiteral("change"), d.serviceId},
                            {QStringLiteral("name"), d.name},
                            {QStringLiteral("when"), when},
                            {QStringLiteral("added"), added},
                            {QStringLiteral("removed"), removed}};
        out << QJsonDocument(o).toJson(QJsonDocument::Compact) << '\n';
    } else {
        for (const DnsTarget &t : d.added) {
            out << when << "  " << d.serviceId << "  + " << t.record.key() << "  ttl "
                << t.record.ttl << '\n';
        }
        for (const DnsRemovedTarget &r : d.removed) {
            out << when << "  " << d.serviceId << "  - " << r.record.key()
                << "  clients may hold it until " << r.holdUntil.toUTC().toString(Qt::ISODateWithMs)
                << '\n';
        }
    }
    out.flush();
}

} // namespace

int runDns(CliContext &ctx)
{
    QString path;
    PollOptions options;
    bool watch = false;
    for (int i = 0; i < ctx.args.size(); ++i) {
        const QString &a = ctx.args[i];
        if (a == u"--help" || a == u"-h") {
            printUsage(ctx.out);
            return ExitOk;
        }
        const OptionParse shared
            = takePollOption(ctx, "dns", PollOptions::Json | PollOptions::Timeout, &i, &options);
        if (shared == OptionParse::Bad) {
            return ExitUsage;
        }
        if (shared == OptionParse::Taken) {
            continue;
        }
        if (a == u"--watch") {
            watch = true;
        } else if (a.startsWith(u'-') || !path.isEmpty()) {
            ctx.err << "hopscope-cli dns: unexpected argument '" << a << "'\n";
            printUsage(ctx.err);
            return ExitUsage;
        } else {
            path = a;
        }
    }
    if (path.isEmpty()) {
        printUsage(ctx.err);
        return ExitUsage;
    }
    const bool json = options.json;
    const std::optional<ClusterProfile> profile = loadProfile(ctx, path);
    if (!profile) {
        return ExitProblems;
    }
    DnsDiscoveryConfig config = DnsDiscoveryConfig::fromProfile(*profile);
    if (config.names.isEmpty()) {
        ctx.err << path << ": no service has a dns name\n";
        return ExitProblems;
    }
    // dns.via: the servers through the jump host's tunnel (declared first: it outlives the source).
    TunnelSet tunnels(profile->sshHosts);
    tunnels.reachDns(profile->dnsVia, config);
    QObject::connect(&tunnels, &TunnelSet::tunnelChanged, &tunnels,
        [&ctx](const QString &via, SshSession::State state, const QString &text) {
            if (state == SshSession::State::Failed) {
                ctx.err << "ssh:" << via << ": " << text << '\n';
            }
        });
    DnsDiscoverySource source(config);
    int exitCode = ExitOk;
    QObject::connect(&source, &DnsDiscoverySource::errorOccurred, &source,
                     [&ctx](const SourceError &e) { ctx.err << e.toString() << '\n'; });
    if (watch) {
        bool first = true;
        QObject::connect(&source, &DnsDiscoverySource::answersChanged, &source,
                         [&](const DnsAnswerDiff &d) {
                             if (!first) {
                                 printDiff(d, json, ctx.out);
                             }
                         });
        QObject::connect(&source, &DnsDiscoverySource::snapshotReady, &source,
                         [&](const DnsDiscoverySnapshot &snap) {
                             if (first) {
                                 first = false;
                                 if (json) {
                                     ctx.out << QJsonDocument(snapshotJson(snap)).toJson(QJsonDocument::Compact)
                                             << '\n';
                                 } else {
                                     printText(snap, ctx.out);
                                 }
                                 ctx.out.flush();
                             }
                         });
    } else {
        QObject::connect(&source, &DnsDiscoverySource::snapshotReady, &source,
                         [&](const DnsDiscoverySnapshot &snap) {
                             if (json) {
                                 ctx.out << QJsonDocument(snapshotJson(snap)).toJson(QJsonDocument::Indented);
                             } else {
                                 printText(snap, ctx.out);
                             }
                             for (const DnsServiceState &s : snap.services) {
                                 if (s.error.isError()) {
                                     exitCode = ExitProblems;
                                 }
                             }
                             source.stop();
                             QCoreApplication::exit(0);
                         });
        QObject::connect(&source, &DnsDiscoverySource::errorOccurred, &source,
                         [&](const SourceError &e) {
                             if (e.kind == SourceError::Kind::Config || e.kind == SourceError::Kind::Timeout) {
                                 if (source.status() != PollingSource::Status::Ok) {
                                     exitCode = ExitProblems;
                                 }
                             }
                         });
    }
    if (!watch) {
        // Hard stop: every name has its own query timeout, this only guards the whole wait.
        const int budget
            = options.timeoutMs > 0 ? options.timeoutMs : profile->poll.timeoutMs * 3 + 5000;
        QTimer::singleShot(budget, &source, [&, budget] {
            ctx.err << "hopscope-cli dns: not every name answered within " << budget
                    << " ms (the hard stop); what follows is incomplete\n";
            const DnsDiscoverySnapshot snap = source.snapshot();
            if (json) {
                ctx.out << QJsonDocument(snapshotJson(snap)).toJson(QJsonDocument::Indented);
            } else {
                printText(snap, ctx.out);
            }
            exitCode = ExitProblems;
            source.stop();
            QCoreApplication::exit(0);
        });
    }
    // Through a fresh tunnel the first queries wait for the SSH handshake, not time out on it.
    tunnels.whenSettled(profile->dnsVia, &source, [&source] { source.start(); });
    QCoreApplication::exec();
    return exitCode;
}

} // namespace hopscope::cli
