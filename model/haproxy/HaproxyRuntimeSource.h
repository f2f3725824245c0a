#pragma once

#include "core/PollingSource.h"
#include "haproxy/HaproxyRuntimeClient.h"
#include "haproxy/HaproxySnapshot.h"

namespace hopscope {

// Polls one HAProxy runtime API endpoint: `show stat;show servers state;show info` in one batch
// per poll, parsed on a QtConcurrent worker (a 2,000-server dump must not cost the GUI thread)
// whose result comes back through a QFutureWatcher owned by the source.
// Lives on its owner's thread; emits snapshotUpdated after every successful poll and the
// PollingSource signals. Owns the HaproxyRuntimeClient that the drain feature can borrow.
class HaproxyRuntimeSource : public PollingSource
{
    Q_OBJECT

public:
    HaproxyRuntimeSource(QString name, RuntimeEndpoint endpoint, QObject *parent = nullptr);
    ~HaproxyRuntimeSource() override;

    HaproxyRuntimeClient *client() { return &m_client; }
    const HaproxySnapshot &snapshot() const { return m_snapshot; }
    bool hasSnapshot() const { return m_hasSnapshot; }

Q_SIGNALS:
    void snapshotUpdated(const hopscope::HaproxySnapshot &snapshot);

protected:
    void startPoll() override;
    void cancelPoll() override;

private:
    void startParse(quint64 generation, const QList<QByteArray> &outputs);
    void onParsed(quint64 generation, const HaproxySnapshot &snapshot, const SourceError &error);

    HaproxyRuntimeClient m_client;
    quint64 m_requestId = 0;
    quint64 m_generation = 0;
    HaproxySnapshot m_snapshot;
    bool m_hasSnapshot = false;
};

// What a pool-thread parse of one poll hands back to the source's thread.
struct HaproxyParseOutcome
{
    HaproxySnapshot snapshot;
    SourceError error;
};

// Parses the three outputs of a runtime poll; shared by the runtime and the HTTP source.
// Pure, any thread. On failure returns false and sets *error (kind Malformed).
bool parseHaproxyPoll(const QByteArray &stat, const QByteArray *serversState,
    const QByteArray *info, HaproxySnapshot *snapshot, QString *error);

} // namespace hopscope
