#include "DnsAnswerTracker.h"

#include <QHash>

#include <algorithm>

namespace hopscope {

namespace {

quint32 effectiveTtl(const DnsRecord &r)
{
    // An SRV target is usable only while both the SRV and its address are cached.
    if (r.type == DnsRecordType::SRV && !r.address.isNull()) {
        return std::min(r.ttl, r.addressTtl);
    }
    return r.ttl;
}

template<typename T>
void sortByKey(QList<T> &list)
{
    std::sort(list.begin(), list.end(),
              [](const T &a, const T &b) { return a.record.key() < b.record.key(); });
}

} // namespace

DnsAnswerTracker::DnsAnswerTracker(QString id, QString name, DnsRecordType type, quint16 profilePort)
{
    m_state.id = std::move(id);
    m_state.name = std::move(name);
    m_state.type = type;
    m_state.profilePort = profilePort;
}

DnsAnswerDiff DnsAnswerTracker::apply(const DnsResult &result, const QDateTime &now)
{
    DnsAnswerDiff diff;
    diff.serviceId = m_state.id;
    diff.name = m_state.name;
    diff.when = now;
    m_state.hasAnswer = true;
    m_state.lastQueried = now;
    m_state.lastStatus = result.status;
    m_state.cnameChain = result.cnameChain;

    if (!result.isOk()) {
        m_state.error = result.toError();
        m_state.error.when = now;
        const QString reason = m_state.error.message;
        for (DnsTarget &t : m_state.records) {
            t.stale = true;
            t.staleReason = reason;
        }
        if (result.isNegative() && result.negativeTtl >= 0) {
            m_state.negativeUntil = now.addSecs(result.negativeTtl);
            m_ttlMs = qint64(result.negativeTtl) * 1000;
        } else {
            m_state.negativeUntil = {};
            m_ttlMs = -1;
        }
        return diff;
    }

    m_state.error = {};
    m_state.negativeUntil = {};
    QHash<QString, DnsTarget> previous;
    for (const DnsTarget &t : std::as_const(m_state.records)) {
        previous.insert(t.record.key(), t);
    }
    QList<DnsTarget> current;
    QHash<QString, int> seen;
    qint64 minTtl = -1;
    for (DnsRecord r : result.records) {
        if (r.type != DnsRecordType::SRV) {
            r.port = m_state.profilePort;
        }
        const QString key = r.key();
        const qint64 ttlMs = qint64(effectiveTtl(r)) * 1000;
        minTtl = minTtl < 0 ? ttlMs : std::min(minTtl, ttlMs);
        if (seen.contains(key)) {
            continue; // same target twice (two SRVs to one target:port): one row
        }
        DnsTarget t;
        t.record = r;
        t.lastSeen = now;
        t.holdUntil = now.addMSecs(ttlMs);
        const auto it = previous.constFind(key);
        if (it != previous.constEnd()) {
            t.firstSeen = it->firstSeen;
            previous.erase(it);
        } else {
            t.firstSeen = now;
            diff.added.append(t);
        }
        seen.insert(key, int(current.size()));
        current.append(t);
    }
    for (const DnsTarget &gone : std::as_const(previous)) {
        DnsRemovedTarget rt;
        rt.record = gone.record;
        rt.firstSeen = gone.firstSeen;
        rt.removedAt = now;
        rt.holdUntil = now.addMSecs(qint64(effectiveTtl(gone.record)) * 1000);
        diff.removed.append(rt);
    }
    // A target that comes back is live again, not "removed".
    m_state.removed.erase(std::remove_if(m_state.removed.begin(), m_state.removed.end(),
                                         [&](const DnsRemovedTarget &r) {
                                             return seen.contains(r.record.key());
                                         }),
                          m_state.removed.end());
    m_state.removed += diff.removed;
    sortByKey(current);
    sortByKey(m_state.removed);
    sortByKey(diff.added);
    sortByKey(diff.removed);
    m_state.records = current;
    m_ttlMs = minTtl;
    return diff;
}

QDateTime DnsAnswerTracker::nextQueryAt(int minMs, int maxMs) const
{
    if (!m_state.lastQueried.isValid()) {
        return {};
    }
    qint64 wait = m_ttlMs < 0 ? minMs : std::clamp<qint64>(m_ttlMs, minMs, std::max(minMs, maxMs));
    return m_state.lastQueried.addMSecs(wait);
}

DnsServiceState DnsAnswerTracker::state(const QDateTime &now) const
{
    DnsServiceState s = m_state;
    s.removed.erase(std::remove_if(s.removed.begin(), s.removed.end(),
                                   [&](const DnsRemovedTarget &r) { return r.holdUntil < now; }),
                    s.removed.end());
    return s;
}

} // namespace hopscope
