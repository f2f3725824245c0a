#pragma once

#include "DnsTypes.h"

namespace hopscope {

// The history of one discovery name across polls: which records are live (first/last seen,
// hold-until), which left and until when clients may still hold them, the negative-cache
// window, and when to ask again. Pure arithmetic on the `now` it is given (tests use a
// ManualClock); no I/O, no QObject.
class DnsAnswerTracker
{
public:
    DnsAnswerTracker(QString id, QString name, DnsRecordType type, quint16 profilePort = 0);

    // Folds one lookup result in and returns what changed. Failures (and negative answers) keep
    // the last good records, marked stale with the reason; they are never silently erased.
    DnsAnswerDiff apply(const DnsResult &result, const QDateTime &now);

    // When this name is due again: the smallest TTL of the answer (or the negative TTL),
    // clamped to [minMs, maxMs]; after a failure, minMs.
    QDateTime nextQueryAt(int minMs, int maxMs) const;

    DnsServiceState state(const QDateTime &now) const; // prunes removed targets past holdUntil
    // The last query failed (or answered negatively): why. Kind None before the first answer
    // and while the last one was good.
    const SourceError &lastError() const { return m_state.error; }
    const QString &id() const { return m_state.id; }

private:
    DnsServiceState m_state;
    qint64 m_ttlMs = -1; // smallest TTL of the last answer, or negative TTL
};

} // namespace hopscope
