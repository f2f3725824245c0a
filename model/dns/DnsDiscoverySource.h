#pragma once

#include "DnsAnswerTracker.h"
#include "DnsResolver.h"
#include "DnsTypes.h"
#include "core/Clock.h"
#include "core/PollingSource.h"

#include <memory>
#include <vector>

namespace hopscope {

// What a DnsDiscoverySource asks and how often; built from a profile by fromProfile().
struct DnsDiscoveryConfig
{
    struct Name
    {
        QString id;   // ServiceSpec::id
        QString name; // FQDN
        DnsRecordType type = DnsRecordType::A;
        quint16 port = 0; // A/AAAA: the profile's port
    };
    QList<HostPort> servers;
    QList<Name> names;
    int minIntervalMs = 1000;  // never re-ask a name sooner (TTL 0, Consul's default)
    int maxIntervalMs = 60'000; // never wait longer, whatever the TTL
    DnsResolver::Options resolver;

    // profile.dnsServers; services[].dns; the optional keys dns.minIntervalMs / dns.maxIntervalMs
    // (kept in ClusterProfile::dnsRaw; defaults: min = poll.intervalMs / 2, max = 60 s);
    // per-try timeout = poll.timeoutMs / tries.
    static DnsDiscoveryConfig fromProfile(const ClusterProfile &profile);
};

// Polls every DNS discovery name of a profile through one DnsResolver (GUI thread, event loop
// only). Each name is re-asked when its TTL runs out, bounded by [minIntervalMs, maxIntervalMs].
// Emits snapshotReady() with an immutable DnsDiscoverySnapshot after every poll,
// answersChanged() per name whose answer set changed, and errorOccurred() per failing name
// (the last good answer stays, marked stale).
class DnsDiscoverySource : public PollingSource
{
    Q_OBJECT

public:
    explicit DnsDiscoverySource(DnsDiscoveryConfig config, const Clock &clock = Clock::system(),
                                QObject *parent = nullptr);
    ~DnsDiscoverySource() override;

    const DnsDiscoveryConfig &config() const { return m_config; }
    DnsDiscoverySnapshot snapshot() const { return m_snapshot; }
    bool setServers(const QList<HostPort> &servers, QString *why = nullptr);

    // Re-queries every name at the next poll, whatever its TTL says: after an operation
    // (a drain's DNS step) the change must be confirmed by observation now, not at TTL expiry.
    void requeryAll();
    void refreshNow() override { requeryAll(); }

    // Each name is re-asked when its TTL runs out, not every interval, and each record carries
    // its own stale flag: the source as a whole is stale only until its first answer (a failing
    // source is stale through its status). The interval comes from the TTLs, bounded by the
    // config's [minIntervalMs, maxIntervalMs]; the timeout from the resolver's tries.
    bool isStale(const QDateTime &now, int missedIntervals = 3) const override;
    void applyPollSettings(int intervalMs, int timeoutMs) override;

Q_SIGNALS:
    void snapshotReady(const hopscope::DnsDiscoverySnapshot &snapshot);
    void answersChanged(const hopscope::DnsAnswerDiff &diff);

protected:
    void startPoll() override;
    void cancelPoll() override;
    int nextIntervalMs() const override;

private:
    void onResult(int index, const DnsResult &result);
    void publish();
    void conclude(); // finishes the poll: failing when every name's last answer failed
    bool everyNameFailing() const;

    DnsDiscoveryConfig m_config;
    bool m_requeryAll = false;
    const Clock &m_clock;
    std::unique_ptr<DnsResolver> m_resolver;
    std::vector<DnsAnswerTracker> m_trackers;
    QList<quint64> m_inFlight;
    int m_pending = 0;
    QList<SourceError> m_pollErrors;
    DnsDiscoverySnapshot m_snapshot;
    QString m_configError;
};

} // namespace hopscope
