#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

namespace hopscope {

struct ClusterProfile;

// One event of an operator action (plan, confirmation, step, verification, failure, undo...).
struct AuditEntry
{
    QString event; // "plan", "confirm", "refused", "step", "verified", "failed", "watch", "safe",
                   // "undo", ...
    QString profile; // the profile's name
    QString target; // "addr:port"
    QString step; // "dns-remove", "lb-drain", "sidecar-fail", ... (empty for whole-plan events)
    QJsonValue before;
    QJsonValue after;
    QString result; // "ok", "failed: ...", "refused: ..."
    QJsonObject detail;
    QDateTime time; // filled by append() when null
    QString user; // filled by append() when empty (the OS user)
};

// Outcome of checking a log file's chain.
struct AuditVerifyResult
{
    struct Problem
    {
        int line = 0; // 1-based
        QString what;
    };
    static constexpr int maxListed = 50; // problems/notices kept in the lists; the count is exact

    int lines = 0;
    qint64 lastSeq = 0; // the newest intact record's seq
    QList<Problem> problems; // the first maxListed problems: tampering, reordering, cut tail
    int problemCount = 0; // all problems, listed or not
    // Not tampering: torn lines left by an interrupted write (crash, full disk) that the chain
    // continues across. Reported, but the log stays usable for undo.
    QList<Problem> notices;
    int noticeCount = 0;
    bool ok() const { return problemCount == 0 && problems.isEmpty(); }
    void addProblem(int line, const QString &what)
    {
        if (problems.size() < maxListed) {
            problems.append({ line, what });
        }
        ++problemCount;
    }
    void addNotice(int line, const QString &what)
    {
        if (notices.size() < maxListed) {
            notices.append({ line, what });
        }
        ++noticeCount;
    }
};

// Append-only, tamper-evident audit trail of one profile: one JSON object per line, each
// carrying "seq" and "prev" (the SHA-256 of the previous line's bytes), written with O_APPEND
// under an exclusive flock (GUI and CLI may append to the same file) and fsync'd before
// append() returns, so an action is only reported done once its line is on disk. A small
// "<file>.head" records the newest line's hash so that cutting whole lines off the end is
// detected too. Plain class, used from one thread; no signals.
class AuditLog
{
public:
    explicit AuditLog(QString filePath);
    // The log of a cluster: pathForProfile(profile), with the log its display name used to
    // select (before the identity) as the legacy log to read old drains from.
    explicit AuditLog(const ClusterProfile &profile);

    QString filePath() const { return m_path; }
    // Where drains written before logs were keyed by cluster identity may be (read only, to
    // undo them); empty when none.
    QString legacyFilePath() const { return m_legacyPath; }

    // Writes one line and fsyncs it. On failure returns false and says why; the caller must
    // then not report the action as done.
    bool append(const AuditEntry &entry, QString *error = nullptr);

    // Where logs live: $HOPSCOPE_AUDIT_DIR, else <AppDataLocation>/audit.
    static QString directory();
    // The log file of a cluster: keyed by its identity (clusterIdentity()), never by the display
    // name, so two profiles of different clusters never share a log.
    static QString pathForProfile(const ClusterProfile &profile);
    // The cluster's identity: the first 16 hex digits of the SHA-256 of its canonical endpoints
    // (DNS servers, the dnsUpdate server and zone, load balancers' runtime and stats endpoints,
    // proxies' admin URLs, ELBv2 target group ARNs, Cloud Map services with the AWS region and
    // endpoint; lower-cased, sorted). Same endpoints, same log, whatever the name.
    static QString clusterIdentity(const ClusterProfile &profile);
    // The pre-identity log file of a profile name (sanitised into a file name): read only.
    static QString legacyPathForProfile(const QString &profileName);
    // The OS user running this process.
    static QString osUser();

    // Checks every line's JSON, its sequence number and its hash link, and the head record.
    static AuditVerifyResult verify(const QString &filePath);

    static QByteArray hashLine(const QByteArray &line); // hex SHA-256
    static const QByteArray &genesisHash(); // 64 zeros: the "prev" of line 1
    static QString headPath(const QString &logPath); // "<log>.head"

private:
    QString m_path;
    QString m_legacyPath;
};

} // namespace hopscope
