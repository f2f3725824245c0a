#pragma once

// Reading the demo cluster back after a drain, for the drain tests (tst_Drain, tst_DrainSafety,
// tst_DrainFaults): a command-line tool's output, HAProxy's view of one address:port through
// its runtime API, and the audit log of a profile's cluster. Each wait is bounded.

#include "haproxy/HaproxyRuntimeClient.h"
#include "ops/AuditLog.h"
#include "profile/ProfileStore.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonObject>
#include <QProcess>

namespace hopscope::readback {

// stdout + stderr of `program args` (dig, curl, ...), within 20 s.
inline QString tool(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(20000);
    return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
}

// HAProxy's status column for the server at `key` (address:port) from `show stat` over the
// runtime API named in the harness state; "absent" when no server has it, "no answer" after 10 s.
inline QString haproxyStatus(const QJsonObject &state, const QString &key)
{
    const auto ep = RuntimeEndpoint::parse(state.value(QStringLiteral("haproxy"))
                                               .toObject()
                                               .value(QStringLiteral("runtime"))
                                               .toString());
    HaproxyRuntimeClient client(*ep);
    QString status = QStringLiteral("absent");
    bool done = false;
    client.send({ QStringLiteral("show stat") }, [&](const HaproxyRuntimeReply &r) {
        for (const QByteArray &line : r.outputs.value(0).split('\n')) {
            const QList<QByteArray> cols = line.split(',');
            if (cols.size() > 73 && QString::fromLatin1(cols[73]) == key) {
                status = QString::fromLatin1(cols[17]);
            }
        }
        done = true;
    });
    QDeadlineTimer deadline(10000);
    while (!done && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    }
    return done ? status : QStringLiteral("no answer");
}

// The audit log of a profile file's cluster (keyed by its endpoints, not its name).
inline QString clusterLog(const QString &profilePath)
{
    const ProfileLoadResult loaded = ProfileStore::load(profilePath);
    return loaded.ok() ? AuditLog(*loaded.profile).filePath() : QString();
}

} // namespace hopscope::readback
