#include "DnsDiscoverySource.h"

#include <algorithm>

namespace hopscope {

DnsDiscoveryConfig DnsDiscoveryConfig::fromProfile(const ClusterProfile &profile)
{
    DnsDiscoveryConfig c;
    c.servers = profile.dnsServers;
    for (const ServiceSpec &s : profile.services) {
        if (s.dns) {
            c.names.append({s.id, s.dns->name, s.dns->type, s.dns->port});
        }
    }
    c.minIntervalMs = profile.dnsMinIntervalMs > 0 ? profile.dnsMinIntervalMs
                                                   : std::max(100, profile.poll.intervalMs / 2);
    c.maxIntervalMs = std::max(c.minIntervalMs, profile.dnsMaxIntervalMs > 0 ? profile.dnsMaxIntervalMs : 60'000);
    c.resolver.tries = 2;
    c.resolver.timeoutMs = std::max(100, profile.poll.timeoutMs / c.resolver.tries);
    return c;
}

DnsDiscoverySource::DnsDiscoverySource(DnsDiscoveryConfig config, const Clock &clock,
                                       QObject *parent)
    : PollingSource(QStringLiteral("dns"), parent)
    , m_config(std::move(config))
    , m_clock(clock)
    , m_resolver(std::make_unique<DnsResolver>(m_config.resolver))
{
    qRegisterMetaType<DnsDiscoverySnapshot>();
    qRegisterMetaType<DnsAnswerDiff>();
    for (const DnsDiscoveryConfig::Name &n : std::as_const(m_config.names)) {
        m_trackers.emplace_back(n.id, DnsAnswerParser::normalizedName(n.name), n.type, n.port);
    }
    if (!m_resolver->setServers(m_config.servers, &m_configError)) {
        m_configError = QStringLiteral("DNS servers: ") + m_configError;
    }
    // The slowest name: every try of the main query, then every try of an SRV follow-up,
    // plus slack. c-ares reports per-name timeouts before the whole poll times out.
    const int perQuery = m_config.resolver.timeoutMs * std::max(1, m_config.resolver.tries);
    setTimeoutMs(3 * perQuery + 1000);
    setIntervalMs(m_config.minIntervalMs);
    m_snapshot.taken = m_clock.now();
    for (const DnsAnswerTracker &t : m_trackers) {
        m_snapshot.services.append(t.state(m_snapshot.taken));
    }
}

DnsDiscoverySource::~DnsDiscoverySource() = default;

bool DnsDiscoverySource::setServers(const QList<HostPort> &servers, QString *why)
{
    QString reason;
    if (!m_resolver->setServers(servers, &reason)) {
        if (why) {
            *why = reason;
        }
        return false;
    }
    m_config.servers = servers;
    m_configError.clear();
    return true;
}

void DnsDiscoverySource::startPoll()
{
    if (!m_configError.isEmpty()) {
        failPoll(makeError(SourceError::Kind::Config, m_configError));
        return;
    }
    const QDateTime now = m_clock.now();
    m_pollErrors.clear();
    m_inFlight.clear();
    m_pending = 0;
    QList<int> due;
    for (int i = 0; i < int(m_trackers.size()); ++i) {
        const QDateTime next = m_trackers[size_t(i)].nextQueryAt(m_config.minIntervalMs,
                                                                 m_config.maxIntervalMs);
        // A little early is fine: the timer fires on the earliest due name.
        if (m_requeryAll || !next.isValid() || now.msecsTo(next) <= 50) {
            due.append(i);
        }
    }
    m_requeryAll = false;
    if (due.isEmpty() && everyNameFailing()) {
        // Failing, and a poll came before any name was due (pollNow(), a timer a little early):
        // ask them all again rather than report the failure of an earlier poll once more (which
        // would back off further) or call the source ok for having asked nothing.
        for (int i = 0; i < int(m_trackers.size()); ++i) {
            due.append(i);
        }
    }
    if (due.isEmpty()) {
        publish();
        conclude();
        return;
    }
    m_pending = int(due.size());
    for (const int i : std::as_const(due)) {
        const DnsDiscoveryConfig::Name &n = m_config.names[i];
        m_inFlight.append(m_resolver->lookup(n.name, n.type, this,
                                             [this, i](const DnsResult &r) { onResult(i, r); }));
    }
}

void DnsDiscoverySource::requeryAll()
{
    m_requeryAll = true;
    pollNow();
}

bool DnsDiscoverySource::isStale(const QDateTime &now, int missedIntervals) const
{
    Q_UNUSED(now)
    Q_UNUSED(missedIntervals)
    return !lastSuccess().isValid();
}

void DnsDiscoverySource::applyPollSettings(int intervalMs, int timeoutMs)
{
    // The profile's poll settings are already in m_config (fromProfile): min interval
    // poll.intervalMs / 2, per-try timeout poll.timeoutMs / tries.
    Q_UNUSED(intervalMs)
    Q_UNUSED(timeoutMs)
}

void DnsDiscoverySource::cancelPoll()
{
    for (const quint64 id : std::as_const(m_inFlight)) {
        m_resolver->cancel(id);
    }
    m_inFlight.clear();
    m_pending = 0;
}

void DnsDiscoverySource::onResult(int index, const DnsResult &result)
{
    const QDateTime now = m_clock.now();
    DnsAnswerTracker &tracker = m_trackers[size_t(index)];
    const DnsAnswerDiff diff = tracker.apply(result, now);
    if (!result.isOk()) {
        m_pollErrors.append(tracker.state(now).error);
    }
    if (!diff.isEmpty()) {
        Q_EMIT answersChanged(diff);
    }
    if (--m_pending > 0) {
        return;
    }
    m_inFlight.clear();
    publish();
    conclude();
}

// Names are re-asked on their own TTLs, so once their schedules drift apart a poll asks only
// some of them (or none, after pollNow()). The source is failing while every name's LAST answer
// is an error, whichever poll asked it: a poll whose one due name failed while the others failed
// before (a dead server or tunnel) must not read "ok", nor may a poll that asked nothing.
bool DnsDiscoverySource::everyNameFailing() const
{
    return !m_trackers.empty()
        && std::all_of(m_trackers.cbegin(), m_trackers.cend(),
            [](const DnsAnswerTracker &t) { return t.lastError().isError(); });
}

void DnsDiscoverySource::conclude()
{
    if (!everyNameFailing()) {
        for (const SourceError &e : std::as_const(m_pollErrors)) {
            Q_EMIT errorOccurred(e);
        }
        finishPoll();
        return;
    }
    // Every name is failing: the source itself is failing (and backs off).
    SourceError e = m_pollErrors.isEmpty() ? m_trackers.front().lastError() : m_pollErrors.first();
    if (m_trackers.size() > 1) {
        e.message += QStringLiteral(" (and %1 more names)").arg(m_trackers.size() - 1);
    }
    for (int i = 1; i < m_pollErrors.size(); ++i) {
        Q_EMIT errorOccurred(m_pollErrors[i]);
    }
    failPoll(e);
}

void DnsDiscoverySource::publish()
{
    const QDateTime now = m_clock.now();
    DnsDiscoverySnapshot snap;
    snap.taken = now;
    for (const DnsAnswerTracker &t : m_trackers) {
        DnsServiceState s = t.state(now);
        s.nextQuery = t.nextQueryAt(m_config.minIntervalMs, m_config.maxIntervalMs);
        snap.services.append(std::move(s));
    }
    m_snapshot = snap;
    Q_EMIT snapshotReady(m_snapshot);
}

int DnsDiscoverySource::nextIntervalMs() const
{
    const QDateTime now = m_clock.now();
    qint64 wait = m_config.maxIntervalMs;
    for (const DnsAnswerTracker &t : m_trackers) {
        const QDateTime next = t.nextQueryAt(m_config.minIntervalMs, m_config.maxIntervalMs);
        wait = next.isValid() ? std::min(wait, now.msecsTo(next)) : 0;
        if (wait <= 0) {
            break;
        }
    }
    return int(std::clamp<qint64>(wait, 10, m_config.maxIntervalMs));
}

} // namespace hopscope
