#pragma once

#include "discover/DiscoveryInput.h"
#include "discover/ProfileDiscovery.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

class QNetworkAccessManager;

namespace hopscope {

class AwsDiscovery;
class DnsResolver;
class PollingSource;

// Gathers one answer from every endpoint of a DiscoveryRequest with the existing sources
// (HaproxyRuntimeSource, HaproxyStatsHttpSource, EnvoyAdminSource: one poll each) and the DNS
// resolver (type detection: SRV, then A, then AAAA), all at once on the owner's event loop,
// under one hard stop (request.timeoutMs) — nothing blocks. Then runs ProfileDiscovery off the
// thread and emits finished(). cancel() stops everything; no signal but cancelled() follows.
// Shared by `hopscope-cli profile discover` and the window's DiscoverDialog.
class DiscoveryRun : public QObject
{
    Q_OBJECT

public:
    explicit DiscoveryRun(QObject *parent = nullptr);
    ~DiscoveryRun() override;

    // The request must be complete (DiscoveryRequest::incomplete() empty).
    void start(const DiscoveryRequest &request);
    void cancel();
    bool isRunning() const { return m_running; }
    // What was gathered (complete once finished() was emitted).
    const DiscoveryInput &input() const { return m_input; }

Q_SIGNALS:
    // `done` of `total` endpoints have answered or failed; `text` says which one.
    void progress(int done, int total, const QString &text);
    void finished(const hopscope::DiscoveryResult &result);
    void cancelled();

private:
    void startHaproxies(const DiscoveryRequest &request, int pollTimeoutMs);
    void startEnvoys(const DiscoveryRequest &request, int pollTimeoutMs);
    void startDns(const DiscoveryRequest &request);
    void startAws(const DiscoveryRequest &request, int pollTimeoutMs);
    void lookup(int index, DnsRecordType type);
    void itemDone(const QString &what);
    void onDeadline();
    void stopAll();
    void complete();

    DiscoveryInput m_input;
    QList<QPointer<PollingSource>> m_sources;
    QList<bool> m_haproxyDone;
    QList<bool> m_envoyDone;
    QList<bool> m_dnsDone;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<DnsResolver> m_resolver;
    QPointer<AwsDiscovery> m_aws;
    QTimer m_deadline;
    int m_timeoutMs = 0;
    int m_total = 0;
    int m_done = 0;
    quint64 m_generation = 0;
    bool m_running = false;
};

} // namespace hopscope
