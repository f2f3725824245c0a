#include "TunnelSet.h"

#include "SshHostKey.h"
#include "dns/DnsDiscoverySource.h"

#include <QDateTime>

#include <algorithm>
#include <memory>

namespace hopscope {

namespace {

const QString s_local = QStringLiteral("127.0.0.1");

QString forwardKey(const QString &via, const SshForwardTarget &target)
{
    return via + QLatin1Char('\n') + target.describe();
}

SourceError::Kind kindOf(SshSession::Failure failure)
{
    switch (failure) {
    case SshSession::Failure::HostKey:
    case SshSession::Failure::Auth:
    case SshSession::Failure::Identity:
        return SourceError::Kind::Auth;
    case SshSession::Failure::Timeout:
        return SourceError::Kind::Timeout;
    case SshSession::Failure::None:
    case SshSession::Failure::Resolve:
    case SshSession::Failure::Connect:
    case SshSession::Failure::Protocol:
    case SshSession::Failure::Lost:
        break;
    }
    return SourceError::Kind::Network;
}

} // namespace

TunnelSet::TunnelSet(const QList<SshHostSpec> &hosts, QObject *parent, int reconnectMaxMs)
    : QObject(parent)
{
    qRegisterMetaType<SshSession::State>();
    for (const SshHostSpec &spec : hosts) {
        auto *session = new SshSession(hostConfig(spec, reconnectMaxMs), this);
        m_sessions.insert(spec.id, session);
        connect(session, &SshSession::stateChanged, this,
            [this, via = spec.id](SshSession::State state) { onStateChanged(via, state); });
    }
}

TunnelSet::~TunnelSet()
{
    // Forwards (and their bridges) go before the sessions they use.
    for (const Forward &f : std::as_const(m_forwards)) {
        delete f.forward;
    }
    m_forwards.clear();
    for (SshSession *session : std::as_const(m_sessions)) {
        session->disconnect(this);
    }
}

SshHostConfig TunnelSet::hostConfig(const SshHostSpec &spec, int reconnectMaxMs)
{
    SshHostConfig c;
    c.id = spec.id;
    c.host = spec.host;
    c.port = spec.port;
    c.user = spec.user;
    c.expectedFingerprint
        = spec.hostKey.isEmpty() ? QString() : SshHostKey::normalizeFingerprint(spec.hostKey);
    c.knownHostsFile = spec.knownHosts;
    c.identity = spec.agent ? SshIdentity::agent() : SshIdentity::fromSecret(spec.identity);
    // A monitor wants its sources back soon after the jump host is: retry at most every 15 s
    // (or as often as the caller polls).
    c.reconnectMaxMs = std::max(c.reconnectBaseMs, reconnectMaxMs);
    return c;
}

HostPort TunnelSet::forward(const QString &via, const SshForwardTarget &target)
{
    const QString key = forwardKey(via, target);
    if (const auto it = m_forwards.constFind(key); it != m_forwards.constEnd()) {
        return HostPort { s_local, it->forward->localPort() };
    }
    SshSession *session = m_sessions.value(via);
    if (!session) {
        m_setupErrors.insert(via, QStringLiteral("no sshHosts entry with id \"%1\"").arg(via));
        return HostPort { s_local, 0 };
    }
    auto *fwd = new SshForward(session, target, this);
    QString error;
    if (!fwd->listen(&error)) {
        delete fwd;
        m_setupErrors.insert(via, error);
        return HostPort { s_local, 0 };
    }
    m_forwards.insert(key, Forward { fwd, QString() });
    m_forwardByPort.insert(fwd->localPort(), key);
    connect(fwd, &SshForward::connectionFailed, this,
        [this, key](const QString &reason) { m_forwards[key].lastRefusal = reason; });
    connect(fwd, &SshForward::connectionClosed, this,
        [this, key] { m_forwards[key].lastRefusal.clear(); });
    return HostPort { s_local, fwd->localPort() };
}

RuntimeEndpoint TunnelSet::runtime(const QString &via, const RuntimeEndpoint &endpoint)
{
    if (via.isEmpty()) {
        return endpoint;
    }
    RuntimeEndpoint local;
    local.kind = RuntimeEndpoint::Kind::Tcp;
    local.tcp = forward(via,
        endpoint.kind == RuntimeEndpoint::Kind::Unix
            ? SshForwardTarget::unixSocket(endpoint.path)
            : SshForwardTarget::tcp(endpoint.tcp.host, endpoint.tcp.port));
    return local;
}

QUrl TunnelSet::url(const QString &via, const QUrl &url)
{
    if (via.isEmpty() || url.isEmpty()) {
        return url;
    }
    const int defaultPort = url.scheme() == u"https" ? 443 : 80;
    const HostPort local
        = forward(via, SshForwardTarget::tcp(url.host(), quint16(url.port(defaultPort))));
    QUrl rewritten = url;
    rewritten.setHost(local.host);
    rewritten.setPort(local.port);
    return rewritten;
}

HostPort TunnelSet::hostPort(const QString &via, const HostPort &hp)
{
    if (via.isEmpty()) {
        return hp;
    }
    return forward(via, SshForwardTarget::tcp(hp.host, hp.port));
}

QString TunnelSet::describe(const QString &via, const QStringList &asTheProfileSays)
{
    return asTheProfileSays.join(QStringLiteral(", ")) + QStringLiteral(" via ") + via;
}

QList<quint16> TunnelSet::reachDns(const QString &via, DnsDiscoveryConfig &config)
{
    QList<quint16> ports;
    if (via.isEmpty()) {
        return ports;
    }
    config.resolver.tcpOnly = true;
    QStringList asTheProfileSays;
    for (const HostPort &server : std::as_const(config.servers)) {
        asTheProfileSays.append(server.toString());
    }
    // Errors name the server the profile names, not the local forward it is reached through.
    config.resolver.serversLabel = describe(via, asTheProfileSays);
    for (HostPort &server : config.servers) {
        server = hostPort(via, server);
        ports.append(server.port);
    }
    return ports;
}

SourceError TunnelSet::failure(
    const QString &via, const QString &sourceName, const QList<quint16> &localPorts) const
{
    SourceError e;
    if (via.isEmpty()) {
        return e;
    }
    e.source = sourceName;
    e.when = QDateTime::currentDateTimeUtc();
    const SshSession *session = m_sessions.value(via);
    if (m_setupErrors.contains(via)) {
        e.kind = SourceError::Kind::Config;
        e.message
            = QStringLiteral("through SSH jump host \"%1\": %2").arg(via, m_setupErrors.value(via));
        return e;
    }
    if (session && session->state() == SshSession::State::Failed) {
        e.kind = kindOf(session->failure());
        e.message
            = QStringLiteral("through SSH jump host \"%1\": %2").arg(via, session->errorString());
        e.detail = session->isReconnectScheduled()
            ? QStringLiteral("reconnecting with backoff")
            : QStringLiteral("not retried: fix the profile or the jump host, then reopen it");
        return e;
    }
    for (const quint16 port : localPorts) {
        const auto key = m_forwardByPort.value(port);
        const QString refusal = m_forwards.value(key).lastRefusal;
        if (!refusal.isEmpty()) {
            e.kind = SourceError::Kind::Network;
            e.message = refusal;
            return e;
        }
    }
    return SourceError {};
}

void TunnelSet::whenSettled(const QString &via, QObject *context, const std::function<void()> &fn)
{
    SshSession *session = m_sessions.value(via);
    const auto settled = [session] {
        return !session || session->state() == SshSession::State::Authenticated
            || session->state() == SshSession::State::Failed;
    };
    if (session && session->state() == SshSession::State::Idle) {
        session->open();
    }
    if (settled()) {
        fn();
        return;
    }
    // Freed with the slot: when it ran, or when `context` or the session went first.
    const auto once = std::make_shared<QMetaObject::Connection>();
    *once = connect(
        session, &SshSession::stateChanged, context, [once, settled, fn](SshSession::State) {
            if (settled()) {
                QObject::disconnect(*once);
                fn();
            }
        });
}

bool TunnelSet::isBlocked(const QString &via) const
{
    const SshSession *session = m_sessions.value(via);
    return session && session->state() == SshSession::State::Failed
        && !session->isReconnectScheduled();
}

QString TunnelSet::stateText(const QString &via) const
{
    const SshSession *session = m_sessions.value(via);
    if (!session) {
        return QStringLiteral("no such jump host");
    }
    switch (session->state()) {
    case SshSession::State::Idle:
        return QStringLiteral("idle (opens on first use)");
    case SshSession::State::Connecting:
        return QStringLiteral("connecting to %1").arg(session->config().label());
    case SshSession::State::Authenticated:
        return QStringLiteral("authenticated as %1 (host key %2)")
            .arg(session->config().label(), session->serverFingerprint());
    case SshSession::State::Failed:
        return QStringLiteral("failed: %1%2")
            .arg(session->errorString(),
                session->isReconnectScheduled() ? QStringLiteral(" (reconnecting with backoff)")
                                                : QStringLiteral(" (not retried)"));
    }
    return {};
}

void TunnelSet::onStateChanged(const QString &via, SshSession::State state)
{
    if (state == SshSession::State::Authenticated) {
        // Refusals seen while the session was down say nothing about the new one.
        for (auto it = m_forwards.begin(); it != m_forwards.end(); ++it) {
            if (it.key().startsWith(via + QLatin1Char('\n'))) {
                it->lastRefusal.clear();
            }
        }
    }
    Q_EMIT tunnelChanged(via, state, stateText(via));
}

} // namespace hopscope
