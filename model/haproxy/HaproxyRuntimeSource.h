#pragma once

#include "core/Parsed.h"
#include "core/PollingSource.h"
#include "haproxy/HaproxyRuntimeClient.h"
#include "haproxy/HaproxySnapshot.h"

namespace hopscope {

// Polls one HAProxy runtime API endpoint: `show stat;show servers state;show info` in one batch
// per poll, parsed off the GUI thread with runOffThread (a 2,000-server dump must not cost it).
// Lives on its owner's thread; emits snapshotReady after every successful poll and the
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
    void snapshotReady(const hopscope::HaproxySnapshot &snapshot);

protected:
    void startPoll() override;
    void cancelPoll() override;

private:
    void startParse(quint64 generation, const QList<QByteArray> &outputs);
    void onParsed(quint64 generation, const Parsed<HaproxySnapshot> &parsed);

    HaproxyRuntimeClient m_client;
    quint64 m_requestId = 0;
    quint64 m_generation = 0;
    HaproxySnapshot m_snapshot;
    bool m_hasSnapshot = false;
};

} // namespace hopscope
