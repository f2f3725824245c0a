#include "ops/AuditReader.h"

#include "core/BoundedFile.h"
#include "ops/AuditLineReader.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace hopscope {

namespace {

constexpr qint64 s_maxHeadBytes = 4096;

struct Head
{
    bool present = false;
    qint64 seq = -1;
    QByteArray hash;
    QString error;
};

Head readHead(const QString &logPath)
{
    Head h;
    const QString path = AuditLog::headPath(logPath);
    const BoundedRead r = readRegularFile(path, s_maxHeadBytes);
    if (!r.ok()) {
        if (!QFile::exists(path)) {
            return h;
        }
        h.present = true;
        h.error = r.error;
        return h;
    }
    h.present = true;
    const QJsonObject o = QJsonDocument::fromJson(r.data).object();
    h.seq = o.value(QStringLiteral("seq")).toInteger(-1);
    h.hash = o.value(QStringLiteral("sha256")).toString().toLatin1();
    if (h.seq < 1 || h.hash.size() != 64) {
        h.error = QStringLiteral("the head record %1 is not readable").arg(path);
    }
    return h;
}

// The drains being collected while the log streams by.
class DrainCollector
{
public:
    void add(const QJsonObject &o, qint64 seq)
    {
        const QString target = o.value(QStringLiteral("target")).toString();
        if (target.isEmpty()) {
            return;
        }
        const QString event = o.value(QStringLiteral("event")).toString();
        if (event == u"plan") {
            QStringList names;
            const QJsonArray cap = o.value(QStringLiteral("after"))
                                       .toObject()
                                       .value(QStringLiteral("capacity"))
                                       .toArray();
            for (const QJsonValue &c : cap) {
                names << c.toObject().value(QStringLiteral("name")).toString();
            }
            m_service.insert(target, names.join(QStringLiteral(", ")));
            return;
        }
        if (event == u"undone" || event == u"dismissed") {
            // Only a completed undo closes a drain, or a dismissal (the task is gone for good;
            // DrainDismissal); a later plan or dry run changes nothing.
            m_open.remove(target);
            m_uncertain.remove(target);
            return;
        }
        const bool intent = event == u"intent";
        const bool outcome = event == u"step";
        const bool rejected = event == u"failed"
            && o.value(QStringLiteral("detail"))
                   .toObject()
                   .value(QStringLiteral("notApplied"))
                   .toBool();
        if (!intent && !outcome && !rejected) {
            return;
        }
        const auto step = DrainStep::fromJson(o.value(QStringLiteral("detail"))
                                                  .toObject()
                                                  .value(QStringLiteral("drainStep"))
                                                  .toObject());
        if (!step) {
            return;
        }
        const QString key = AuditReader::stepKey(*step);
        QSet<QString> &uncertain = m_uncertain[target];
        auto it = m_open.find(target);
        if (rejected) {
            // The server answered that it did not apply the change: the intent is void.
            if (it != m_open.end() && uncertain.contains(key)) {
                uncertain.remove(key);
                removeStep(*it, key);
                if (it->steps.isEmpty()) {
                    m_open.erase(it);
                }
            }
            return;
        }
        const QDateTime time
            = QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
        if (it == m_open.end()) {
            OpenDrain d;
            d.target = target;
            d.profile = o.value(QStringLiteral("profile")).toString();
            d.service = m_service.value(target);
            d.since = time;
            d.user = o.value(QStringLiteral("user")).toString();
            it = m_open.insert(target, d);
        }
        it->lastSeq = seq;
        const auto at = std::find_if(it->steps.begin(), it->steps.end(),
            [&](const DrainStep &s) { return AuditReader::stepKey(s) == key; });
        if (at == it->steps.end()) {
            it->steps.append(*step);
            if (intent) {
                uncertain.insert(key);
            }
        } else if (outcome) {
            *at = *step; // the outcome names the exact slot the command went to
            uncertain.remove(key);
        }
        if (step->kind == DrainStepKind::DnsRemove && (outcome || !it->dnsRemovedAt.isValid())) {
            it->dnsRemovedAt = time;
        }
    }

    QList<OpenDrain> result() const
    {
        QList<OpenDrain> out;
        for (auto it = m_open.cbegin(); it != m_open.cend(); ++it) {
            OpenDrain d = it.value();
            const QSet<QString> uncertain = m_uncertain.value(it.key());
            for (const DrainStep &s : std::as_const(d.steps)) {
                const QString kind = DrainStep::kindName(s.kind);
                d.layers << kind;
                if (uncertain.contains(AuditReader::stepKey(s))) {
                    d.uncertainLayers << kind;
                }
            }
            d.mayHaveHappened = !d.uncertainLayers.isEmpty();
            out.append(d);
        }
        std::sort(out.begin(), out.end(),
            [](const OpenDrain &a, const OpenDrain &b) { return a.lastSeq < b.lastSeq; });
        return out;
    }

private:
    static void removeStep(OpenDrain &d, const QString &key)
    {
        d.steps.erase(std::remove_if(d.steps.begin(), d.steps.end(),
                          [&](const DrainStep &s) { return AuditReader::stepKey(s) == key; }),
            d.steps.end());
    }

    QHash<QString, OpenDrain> m_open;
    QHash<QString, QSet<QString>> m_uncertain;
    QHash<QString, QString> m_service;
};

} // namespace

DrainToUndo AuditReader::drainToUndo(const AuditLog &log, const QString &target)
{
    DrainToUndo out;
    out.key = target;
    if (const auto hp = HostPort::parse(target, 0)) {
        out.key = hp->toString();
    }
    QStringList paths{log.filePath()};
    if (!log.legacyFilePath().isEmpty() && log.legacyFilePath() != paths.first()
        && QFileInfo::exists(log.legacyFilePath())) {
        paths << log.legacyFilePath();
    }
    bool anyLog = false;
    for (const QString &path : std::as_const(paths)) {
        const AuditScan s = scan(path);
        if (s.missing) {
            continue;
        }
        anyLog = true;
        if (!s.verify.ok()) {
            const auto &p = s.verify.problems.first();
            out.why = QStringLiteral("the audit log %1 is not intact (line %2: %3); refusing to undo from it")
                          .arg(path)
                          .arg(p.line)
                          .arg(p.what);
            return out;
        }
        for (const OpenDrain &d : s.drains) {
            if (d.target == out.key) {
                out.found = true;
                out.drain = d;
                if (path != paths.first()) {
                    out.legacyLog = path;
                }
                return out;
            }
        }
    }
    out.why = anyLog ? QStringLiteral("the audit log shows no drain of %1 that is not undone yet").arg(out.key)
                     : QStringLiteral("no audit log to undo from (%1)").arg(paths.join(QStringLiteral(", ")));
    return out;
}

QString AuditReader::stepKey(const DrainStep &step)
{
    switch (step.kind) {
    case DrainStepKind::DnsRemove: {
        QStringList recs;
        for (const DnsUpdateRecord &r : step.records) {
            const QString owner = r.owner.endsWith(u'.') ? r.owner.chopped(1) : r.owner;
            recs << QStringLiteral("%1 %2 %3").arg(owner, r.type, r.rdata).toLower();
        }
        recs.sort();
        return QStringLiteral("dns|%1|%2").arg(step.zone.toLower(), recs.join(u';'));
    }
    case DrainStepKind::LbDrain:
        return QStringLiteral("lb|%1|%2").arg(step.loadBalancer, step.backend);
    case DrainStepKind::SidecarFail:
        return QStringLiteral("sidecar|%1").arg(step.sidecar);
    case DrainStepKind::CloudMapDrain:
        return QStringLiteral("cloudmap|%1|%2").arg(step.aws.serviceId, step.aws.instanceId);
    case DrainStepKind::Elbv2Deregister:
        return QStringLiteral("elbv2|%1|%2").arg(step.aws.targetGroupArn, step.aws.targetText());
    }
    return {};
}

AuditScan AuditReader::scan(const QString &auditPath)
{
    AuditScan s;
    AuditVerifyResult &r = s.verify;
    AuditLineReader reader(auditPath);
    if (!reader.open()) {
        s.missing = reader.missing();
        r.addProblem(0, reader.error());
        return s;
    }
    const Head head = readHead(auditPath);
    DrainCollector drains;
    QByteArray prevHash = AuditLog::genesisHash();
    qint64 expectedSeq = 1;
    QByteArray hashAtHeadSeq;
    QList<int> torn; // lines that are no record, since the last intact one
    int lastIntactLine = 0;
    AuditLineReader::Line line;
    while (reader.next(&line)) {
        r.lines = line.number;
        const int n = line.number;
        if (line.overlong) {
            torn << n;
            continue;
        }
        QJsonParseError pe {};
        const QJsonDocument doc
            = line.terminated ? QJsonDocument::fromJson(line.bytes, &pe) : QJsonDocument();
        if (!line.terminated || pe.error != QJsonParseError::NoError || !doc.isObject()) {
            torn << n;
            continue;
        }
        const QJsonObject o = doc.object();
        const qint64 seq = o.value(QStringLiteral("seq")).toInteger(-1);
        const QByteArray prev = o.value(QStringLiteral("prev")).toString().toLatin1();
        const bool chained = seq == expectedSeq && prev == prevHash;
        for (int t : std::as_const(torn)) {
            // A line cut short by an interrupted write that the next record skipped over (its
            // seq and prev continue from the last intact line) hides nothing; anything else
            // between two records is tampering.
            if (chained) {
                r.addNotice(t,
                    QStringLiteral("torn line (a write was interrupted: crash or full disk); "
                                   "the chain continues after line %1")
                        .arg(lastIntactLine));
            } else {
                r.addProblem(t, QStringLiteral("not a JSON record: tampered or truncated"));
            }
        }
        torn.clear();
        if (seq != expectedSeq) {
            r.addProblem(n,
                QStringLiteral("sequence number %1 where %2 was expected: "
                               "lines were removed, inserted or reordered")
                    .arg(seq)
                    .arg(expectedSeq));
        }
        if (prev != prevHash) {
            r.addProblem(n,
                expectedSeq == 1 ? QStringLiteral("the first line does not start the chain: "
                                                  "lines before it were removed")
                                 : QStringLiteral("hash chain broken: the record before line %1 "
                                                  "was changed, removed or moved")
                                       .arg(n));
        }
        prevHash = AuditLog::hashLine(line.bytes);
        expectedSeq = seq + 1;
        r.lastSeq = seq;
        lastIntactLine = n;
        if (seq == head.seq) {
            hashAtHeadSeq = prevHash;
        }
        drains.add(o, seq);
    }
    if (!reader.error().isEmpty()) {
        r.addProblem(r.lines, reader.error());
    }
    for (int t : std::as_const(torn)) {
        // Torn lines at the end: the last write was interrupted (the next append continues the
        // chain after them). A cut made on purpose is caught by the head record below.
        r.addNotice(t,
            QStringLiteral("torn line at the end (a write was interrupted: crash or full "
                           "disk); the last intact record is line %1")
                .arg(lastIntactLine));
    }
    if (r.lines == 0) {
        r.addProblem(0, QStringLiteral("the log is empty"));
    } else if (r.lastSeq == 0) {
        r.addProblem(r.lines,
            QStringLiteral("not one intact record in %1 line(s): not an audit log").arg(r.lines));
    }
    const QString headFile = AuditLog::headPath(auditPath);
    if (!head.present) {
        if (r.lastSeq > 0) {
            r.addProblem(r.lines,
                QStringLiteral("the head record %1 is missing: records cut off the end "
                               "cannot be detected; only records 1 to %2 are proven")
                    .arg(headFile)
                    .arg(r.lastSeq));
        }
    } else if (!head.error.isEmpty()) {
        r.addProblem(r.lines, head.error);
    } else if (head.seq > r.lastSeq) {
        r.addProblem(r.lines,
            QStringLiteral("truncated: the head record says record %1 was written, "
                           "the log ends at %2")
                .arg(head.seq)
                .arg(r.lastSeq));
    } else if (hashAtHeadSeq != head.hash) {
        r.addProblem(r.lines,
            QStringLiteral("record %1 differs from the one the head record saw written")
                .arg(head.seq));
    }
    s.drains = drains.result();
    return s;
}

QList<OpenDrain> AuditReader::openDrains(const QString &auditPath, QString *error)
{
    const AuditScan s = scan(auditPath);
    if (s.missing) {
        return {};
    }
    if (!s.verify.ok()) {
        if (error) {
            const auto &p = s.verify.problems.first();
            *error = QStringLiteral(
                "the audit log %1 is not intact (line %2: %3); refusing to undo from it")
                         .arg(auditPath)
                         .arg(p.line)
                         .arg(p.what);
        }
        return {};
    }
    return s.drains;
}

std::optional<OpenDrain> AuditReader::openDrain(
    const QString &auditPath, const QString &target, QString *error)
{
    for (const OpenDrain &d : openDrains(auditPath, error)) {
        if (d.target == target) {
            return d;
        }
    }
    return std::nullopt;
}

QList<OpenDrain> openDrains(const QString &auditPath, QString *error)
{
    return AuditReader::openDrains(auditPath, error);
}

} // namespace hopscope
