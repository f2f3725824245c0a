#pragma once

#include "core/Clock.h"
#include "ops/DrainLayer.h"
#include "profile/ClusterProfile.h"

#include <QPointer>

#include <functional>
#include <optional>

namespace hopscope {

class DnsDiscoverySource;
class DnsUpdater;
class SecretResolver;

// The DNS layer of a drain: removes the target's records with an RFC 2136 UPDATE signed with the
// profile's TSIG key (DnsUpdater), re-adds them on undo (idempotent both ways), observes the
// change in the DNS discovery source's answers and counts down the stale window (removal + the
// longest TTL) during which resolvers may still hand the record out.
class DnsDrainLayer : public DrainLayer
{
    Q_OBJECT
public:
    // `spec`: the profile's dnsUpdate section (none: the layer refuses to act); `source` may be
    // nullptr (nothing observes DNS).
    DnsDrainLayer(DrainStep step, std::optional<DnsUpdateSpec> spec, DnsDiscoverySource *source,
        const Clock &clock, QObject *parent = nullptr);
    ~DnsDrainLayer() override;

    // Send the UPDATE to `server` over TCP only, instead of the profile's server: its local
    // forward through the SSH jump host of the dnsUpdate section (TunnelSet).
    // Through a forward: `label` is how errors name the server ("10.0.0.2:53 via jump"), and
    // `tunnelWhy` says why the tunnel failed (the jump host refused the channel, the session is
    // down; empty: no known reason), added to an UPDATE that got no answer.
    void setReach(
        const HostPort &server, const QString &label = {}, std::function<QString()> tunnelWhy = {})
    {
        m_reach = server;
        m_reachLabel = label;
        m_tunnelWhy = std::move(tunnelWhy);
    }

    QString undoText() const override;
    void prepare(Direction d) override;
    void send(Direction d) override;
    bool observable() const override { return !m_source.isNull(); }
    LayerObservation observe(Direction d) const override;
    void pollNow() override;
    void addHolding(DrainCountdown &c, const QDateTime &now) const override;

private:
    std::optional<DnsUpdateSpec> m_spec;
    QPointer<DnsDiscoverySource> m_source;
    const Clock &m_clock;
    QPointer<SecretResolver> m_secrets;
    QPointer<DnsUpdater> m_updater;
    HostPort m_reach; // empty: the profile's server, UDP then TCP
    QString m_reachLabel;
    std::function<QString()> m_tunnelWhy;
    QByteArray m_secret; // between prepare() and send() only
    QDateTime m_removedAt;
    int m_ttl = 0;
};

} // namespace hopscope
