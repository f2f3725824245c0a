#pragma once

#include "SshForward.h"
#include "SshSession.h"
#include "core/SourceError.h"
#include "profile/ClusterProfile.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>

namespace hopscope {

struct DnsDiscoveryConfig;

// How a profile's endpoints are reached: the one place that knows about jump hosts. One
// SshSession per `sshHosts[]` entry, shared by every endpoint whose "via" names it, opened
// lazily (on the first connection through one of its forwards), kept alive and reconnected with
// backoff by the session itself; one SshForward (127.0.0.1:<ephemeral>) per distinct target
// behind a jump host, shared by whoever reaches that target (a source and the drain that borrows
// its client, the DNS discovery and the RFC 2136 updates). The rewriting helpers hand callers
// the local endpoint, so sources and drain layers stay unchanged; the failure helpers say why an
// endpoint behind a tunnel is unreachable in the tunnel's words. Lives on the owner's thread
// (the GUI's or the CLI's) and never blocks it: all SSH work is on the event loop.
class TunnelSet : public QObject
{
    Q_OBJECT
public:
    // reconnectMaxMs: the longest wait between reconnect attempts of a session that lost its
    // jump host (a monitor passes about its poll interval: sources answer again soon after).
    explicit TunnelSet(
        const QList<SshHostSpec> &hosts, QObject *parent = nullptr, int reconnectMaxMs = 15'000);
    ~TunnelSet() override;

    // The session configuration of one `sshHosts[]` entry (the key is read when it connects).
    static SshHostConfig hostConfig(const SshHostSpec &spec, int reconnectMaxMs = 15'000);

    bool isEmpty() const { return m_sessions.isEmpty(); }
    SshSession *session(const QString &via) const { return m_sessions.value(via); }

    // 127.0.0.1:<port> of the forward to `target` through `via` (made on first request, then
    // shared). Port 0 when the forward cannot listen; setupError(via) says why.
    HostPort forward(const QString &via, const SshForwardTarget &target);
    // A profile endpoint as this process reaches it: unchanged when `via` is empty.
    RuntimeEndpoint runtime(const QString &via, const RuntimeEndpoint &endpoint);
    QUrl url(const QString &via, const QUrl &url);
    HostPort hostPort(const QString &via, const HostPort &hp);
    // How messages name endpoints reached through `via`: as the profile does, with the jump
    // host ("10.0.0.2:53 via jump"), never the local forward the bytes go to.
    static QString describe(const QString &via, const QStringList &asTheProfileSays);
    // DNS discovery behind `via`: every server through its forward, queries over TCP only (a
    // forward carries TCP). Returns the local ports; nothing changes when `via` is empty.
    QList<quint16> reachDns(const QString &via, DnsDiscoveryConfig &config);

    // Why endpoints behind `via` are unreachable now: the session's failure ("failed: …"), a
    // forward that could not listen, or, when `localPorts` are given, the last refusal of a
    // channel to one of them (the jump host could not connect to the target) since its last
    // clean connection. Kind None while the tunnel is idle, connecting or up.
    SourceError failure(
        const QString &via, const QString &sourceName, const QList<quint16> &localPorts = {}) const;
    // Calls `fn` (in `context`) once `via`'s session has settled: authenticated, or failed (its
    // reason is then what the endpoints behind it show). Opens the session if it is idle; calls
    // at once when `via` is empty, unknown or settled already. Bounded by the session's connect
    // deadline. So a first poll through a fresh tunnel is not spent waiting for the handshake.
    void whenSettled(const QString &via, QObject *context, const std::function<void()> &fn);
    // A blocking failure (host key, authentication, identity): not retried.
    bool isBlocked(const QString &via) const;
    // "connecting", "authenticated", "failed: …" of `via`'s session, for a status line.
    QString stateText(const QString &via) const;

Q_SIGNALS:
    // A jump host's session changed state; `text` says how, in words for the event log.
    void tunnelChanged(const QString &via, hopscope::SshSession::State state, const QString &text);

private:
    struct Forward
    {
        SshForward *forward = nullptr;
        QString lastRefusal; // the last connectionFailed() reason since a clean close
    };
    void onStateChanged(const QString &via, SshSession::State state);

    QHash<QString, SshSession *> m_sessions;
    QHash<QString, Forward> m_forwards; // by via + '\n' + target.describe()
    QHash<quint16, QString> m_forwardByPort;
    QHash<QString, QString> m_setupErrors; // by via
};

} // namespace hopscope
