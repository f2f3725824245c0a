#include "cli/CliSupport.h"
#include "cli/Commands.h"

#include "ops/AuditLineReader.h"
#include "ops/AuditLog.h"
#include "ops/DrainDismissal.h"
#include "profile/ProfileStore.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <memory>
#include <unistd.h>

namespace hopscope::cli {

namespace {
const char *const s_usage
    = "usage: hopscope-cli audit verify FILE\n"
      "       hopscope-cli audit show PROFILE [--json]\n"
      "       hopscope-cli audit path PROFILE\n"
      "       hopscope-cli audit dismiss PROFILE ADDR:PORT [--yes] [--reason TEXT]\n"
      "  A *.hopscope.json file selects the log of its cluster (keyed by the cluster's endpoints,\n"
      "  not its name); a bare name selects the log written under that name by older versions.\n"
      "  verify  checks every line's hash link, sequence number and the head record; exit 1 when\n"
      "          the log was tampered with, reordered or truncated.\n"
      "  show    prints the audit log of a profile (a *.hopscope.json file or a profile name);\n"
      "          --json prints the raw lines.\n"
      "  path    prints where that log is stored ($HOPSCOPE_AUDIT_DIR overrides the directory).\n"
      "  dismiss forgets the open drain of a task that is gone for good (terminated): it records\n"
      "          \"dismissed\" (who, when, --reason) in the log, under the cluster's drain lock, "
      "and\n"
      "          sends nothing to the cluster. If the task still runs, use undrain to put it "
      "back.\n"
      "          Asks for confirmation on a terminal; otherwise --yes is required. Exit 1 when "
      "there\n"
      "          is no open drain of the target, the drain lock is held or the log is "
      "unwritable.\n";

// The log of a profile file (by cluster identity), or of a bare profile name (the log written
// before logs were keyed by cluster identity).
QString logPathOf(const QString &arg, QTextStream &err, bool *ok, QString *legacy)
{
    *ok = true;
    if (QFileInfo(arg).isFile()) {
        const ProfileLoadResult loaded = ProfileStore::load(arg);
        if (!loaded.ok()) {
            printProfileProblems(err, arg, loaded.problems);
            *ok = false;
            return {};
        }
        const AuditLog log(*loaded.profile);
        if (QFileInfo::exists(log.legacyFilePath())) {
            *legacy = log.legacyFilePath();
        }
        return log.filePath();
    }
    return AuditLog::legacyPathForProfile(arg);
}

void printVerify(QTextStream &out, const QString &path, const AuditVerifyResult &r)
{
    for (const AuditVerifyResult::Problem &p : r.notices) {
        out << path << ':' << p.line << ": note: " << p.what << '\n';
    }
    if (r.noticeCount > r.notices.size()) {
        out << path << ": ... and " << (r.noticeCount - r.notices.size()) << " more note(s)\n";
    }
    for (const AuditVerifyResult::Problem &p : r.problems) {
        out << path << ':' << p.line << ": " << p.what << '\n';
    }
    if (r.problemCount > r.problems.size()) {
        out << path << ": ... and " << (r.problemCount - r.problems.size())
            << " more problem(s) not listed\n";
    }
}

QString text(const QJsonValue &v)
{
    if (v.isNull() || v.isUndefined()) {
        return QStringLiteral("-");
    }
    if (v.isString()) {
        return v.toString();
    }
    if (v.isObject()) {
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    }
    if (v.isArray()) {
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    }
    return v.toVariant().toString();
}
// audit dismiss PROFILE ADDR:PORT [--yes] [--reason TEXT]
int dismiss(CliContext &ctx, const QStringList &args)
{
    bool yes = false;
    QString reason;
    QStringList positional;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == u"--yes" || a == u"-y") {
            yes = true;
        } else if (a == u"--reason" && i + 1 < args.size()) {
            reason = args[++i];
        } else if (a.startsWith(u'-')) {
            ctx.err << s_usage;
            return ExitUsage;
        } else {
            positional << a;
        }
    }
    if (positional.size() != 2) {
        ctx.err << s_usage;
        return ExitUsage;
    }
    std::unique_ptr<AuditLog> log;
    QString profileName = positional[0];
    if (QFileInfo(positional[0]).isFile()) {
        const ProfileLoadResult loaded = ProfileStore::load(positional[0]);
        if (!loaded.ok()) {
            printProfileProblems(ctx.err, positional[0], loaded.problems);
            return ExitProblems;
        }
        log = std::make_unique<AuditLog>(*loaded.profile);
        profileName = loaded.profile->name;
    } else {
        log = std::make_unique<AuditLog>(AuditLog::legacyPathForProfile(positional[0]));
    }
    const QString &target = positional[1];
    QString error;
    const auto drain = DrainDismissal::find(*log, target, &error);
    if (!drain) {
        ctx.err << "hopscope-cli audit dismiss: "
                << (error.isEmpty() ? QStringLiteral("the audit log shows no open drain of %1 (%2)")
                                          .arg(target, log->filePath())
                                    : error)
                << '\n';
        return ExitProblems;
    }
    ctx.err << DrainDismissal::confirmationText(*drain) << '\n';
    if (!yes) {
        if (!::isatty(STDIN_FILENO)) {
            ctx.err << "refusing: stdin is not a terminal and --yes was not given; nothing "
                       "dismissed\n";
            return ExitProblems;
        }
        ctx.err << "dismiss? [y/N] ";
        ctx.err.flush();
        QFile in;
        const QString answer = in.open(stdin, QIODevice::ReadOnly)
            ? QString::fromLocal8Bit(in.readLine(256)).trimmed()
            : QString();
        if (answer.compare(u"y", Qt::CaseInsensitive) != 0
            && answer.compare(u"yes", Qt::CaseInsensitive) != 0) {
            ctx.err << "not confirmed; nothing dismissed\n";
            return ExitProblems;
        }
    }
    QString message;
    if (!DrainDismissal::dismiss(*log, profileName, target, reason, &message)) {
        ctx.err << "hopscope-cli audit dismiss: " << message << '\n';
        return ExitProblems;
    }
    ctx.out << message << '\n';
    return ExitOk;
}
} // namespace

int runAudit(CliContext &ctx)
{
    if (ctx.args.isEmpty() || ctx.args.first() == u"--help" || ctx.args.first() == u"-h") {
        (ctx.args.isEmpty() ? ctx.err : ctx.out) << s_usage;
        return ctx.args.isEmpty() ? ExitUsage : ExitOk;
    }
    const QString sub = ctx.args.first();
    const QStringList rest = ctx.args.mid(1);
    if (sub == u"verify") {
        if (rest.size() != 1) {
            ctx.err << s_usage;
            return ExitUsage;
        }
        const AuditVerifyResult r = AuditLog::verify(rest.first());
        printVerify(ctx.out, rest.first(), r);
        if (r.ok()) {
            ctx.out << rest.first() << ": ok, " << r.lines
                    << " lines, hash chain intact up to the head record\n";
            return ExitOk;
        }
        ctx.out << rest.first() << ": NOT intact (" << r.problemCount << " problem"
                << (r.problemCount == 1 ? "" : "s") << " in " << r.lines << " lines)\n";
        return ExitProblems;
    }
    if (sub == u"show" || sub == u"path") {
        bool json = false;
        QString profileArg;
        for (const QString &a : rest) {
            if (a == u"--json" && sub == u"show") {
                json = true;
            } else if (a.startsWith(u'-') || !profileArg.isEmpty()) {
                ctx.err << s_usage;
                return ExitUsage;
            } else {
                profileArg = a;
            }
        }
        if (profileArg.isEmpty()) {
            ctx.err << s_usage;
            return ExitUsage;
        }
        bool ok = false;
        QString legacy;
        const QString path = logPathOf(profileArg, ctx.err, &ok, &legacy);
        if (!ok) {
            return ExitProblems; // the profile has problems (printed); 2 is for usage errors
        }
        const QString name = profileArg;
        if (sub == u"path") {
            ctx.out << path << '\n';
            if (!legacy.isEmpty()) {
                ctx.err << "also read for older drains: " << legacy << '\n';
            }
            return ExitOk;
        }
        AuditLineReader f(path);
        if (!f.open()) {
            ctx.err << "hopscope-cli audit: no audit log for profile '" << name << "' ("
                    << f.error() << ")\n";
            return ExitProblems;
        }
        AuditLineReader::Line l;
        while (f.next(&l)) {
            const QByteArray &line = l.bytes;
            if (json) {
                ctx.out << QString::fromUtf8(line) << '\n';
                continue;
            }
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            if (o.isEmpty()) {
                ctx.out << "?? unreadable line: " << QString::fromUtf8(line.trimmed()) << '\n';
                continue;
            }
            ctx.out << o.value(QStringLiteral("seq")).toInteger() << "  "
                    << o.value(QStringLiteral("time")).toString() << "  "
                    << o.value(QStringLiteral("user")).toString() << "  "
                    << o.value(QStringLiteral("target")).toString() << "  "
                    << o.value(QStringLiteral("event")).toString();
            const QString step = o.value(QStringLiteral("step")).toString();
            if (!step.isEmpty()) {
                ctx.out << " [" << step << ']';
            }
            ctx.out << "  " << o.value(QStringLiteral("result")).toString() << '\n';
            if (!o.value(QStringLiteral("before")).isNull()
                || !o.value(QStringLiteral("after")).isNull()) {
                ctx.out << "        before: " << text(o.value(QStringLiteral("before")))
                        << "\n        after:  " << text(o.value(QStringLiteral("after"))) << '\n';
            }
        }
        const AuditVerifyResult r = AuditLog::verify(path);
        if (!r.ok()) {
            ctx.err << "warning: this log is NOT intact; run 'hopscope-cli audit verify " << path
                    << "'\n";
            return ExitProblems;
        }
        return ExitOk;
    }
    if (sub == u"dismiss") {
        return dismiss(ctx, rest);
    }
    ctx.err << s_usage;
    return ExitUsage;
}

} // namespace hopscope::cli
