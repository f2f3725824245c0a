#include "ops/DnsDrainLayer.h"

#include "dns/DnsDiscoverySource.h"
#include "dns/DnsUpdater.h"
#include "ops/SecretResolver.h"

#include <QJsonArray>

namespace hopscope {

namespace {

QString bare(QString name)
{
    name = name.toLower();
    if (name.endsWith(u'.')) {
        name.chop(1);
    }
    return name;
}

// A failed query leaves the last good answer in place: that is no observation. A negative answer
// (NXDOMAIN / NODATA, e.g. after the last record of a name was removed) is one.
bool staleAnswer(const DnsServiceState &svc)
{
    return svc.isStale() && svc.lastStatus != DnsResult::Status::NxDomain
        && svc.lastStatus != DnsResult::Status::NoData;
}

// Is this exact record (owner + address/SRV data) in the discovery snapshot's answers?
bool dnsLists(const DnsDiscoverySnapshot &snap, const DnsUpdateRecord &rec, QString *staleWhy)
{
    for (const DnsServiceState &svc : snap.services) {
        if (svc.lastStatus == DnsResult::Status::NxDomain
            || svc.lastStatus == DnsResult::Status::NoData) {
            continue; // a negative answer lists nothing (records kept there are the last good ones)
        }
        for (const DnsTarget &t : svc.records) {
            const DnsRecord &r = t.record;
            if (bare(r.owner) != bare(rec.owner)) {
                continue;
            }
            const QString rdata = r.type == DnsRecordType::SRV ? QStringLiteral("%1 %2 %3 %4.")
                                                                     .arg(r.priority)
                                                                     .arg(r.weight)
                                                                     .arg(r.port)
                                                                     .arg(r.target)
                                                               : r.address.toString();
            if (bare(rdata) == bare(rec.rdata)) {
                if (staleAnswer(svc) && staleWhy) {
                    *staleWhy = svc.error.message;
                }
                return true;
            }
        }
        if (staleAnswer(svc) && staleWhy && bare(svc.name) == bare(rec.owner)) {
            *staleWhy = svc.error.message;
        }
    }
    return false;
}

} // namespace

DnsDrainLayer::DnsDrainLayer(DrainStep step, std::optional<DnsUpdateSpec> spec,
    DnsDiscoverySource *source, const Clock &clock, QObject *parent)
    : DrainLayer(std::move(step), parent)
    , m_spec(std::move(spec))
    , m_source(source)
    , m_clock(clock)
{
    if (source) {
        connect(source, &PollingSource::pollFinished, this, &DrainLayer::polled);
    }
}

DnsDrainLayer::~DnsDrainLayer() = default;

QString DnsDrainLayer::undoText() const
{
    return QStringLiteral("re-add the record(s) if absent");
}

void DnsDrainLayer::prepare(Direction)
{
    if (!m_spec) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("the profile has no dnsUpdate section"), {}, {} });
        return;
    }
    if (m_secrets) {
        m_secrets->deleteLater();
    }
    m_secrets = new SecretResolver(this);
    connect(m_secrets, &SecretResolver::failed, this, [this](const QString &why) {
        Q_EMIT prepared(
            { LayerCommand::Kind::Error, QStringLiteral("TSIG secret: %1").arg(why), {}, {} });
    });
    connect(m_secrets, &SecretResolver::resolved, this, [this](const QByteArray &secret) {
        m_secret = secret;
        Q_EMIT prepared({ LayerCommand::Kind::Send, {}, {}, {} });
    });
    m_secrets->resolve(m_spec->tsigKey.secret);
}

void DnsDrainLayer::send(Direction d)
{
    if (m_updater) {
        m_updater->deleteLater();
    }
    m_updater = new DnsUpdater(m_reach.isValid() ? m_reach : m_spec->server, m_spec->zone,
        DnsTsigKey { m_spec->tsigKey.name, m_spec->tsigKey.algorithm, m_secret }, this);
    m_updater->setTcpOnly(m_reach.isValid());
    if (m_reach.isValid()) {
        m_updater->setServerLabel(m_reachLabel);
    }
    m_secret.fill('\0');
    m_secret.clear();
    const bool undo = d == Direction::Undo;
    connect(m_updater, &DnsUpdater::finished, this, [this, undo](const DnsUpdateResult &r) {
        if (!r.ok) {
            // An answer with an error rcode: the server did not apply it. No answer: the UPDATE
            // may have been applied and the reply lost.
            QString why = r.message;
            if (const QString tunnel = r.rcode < 0 && m_tunnelWhy ? m_tunnelWhy() : QString();
                !tunnel.isEmpty()) {
                why += QStringLiteral(" (%1)").arg(tunnel);
            }
            Q_EMIT sent({ r.rcode >= 0 ? LayerReply::Kind::Refused : LayerReply::Kind::NoAnswer,
                QStringLiteral("DNS update: %1").arg(why), {}, {} });
            return;
        }
        QJsonArray recs;
        for (const DnsUpdateRecord &rec : r.records) {
            recs.append(rec.toJson());
        }
        if (!undo) {
            m_removedAt = m_clock.now();
            for (const DnsUpdateRecord &rec : m_step.records) {
                m_ttl = std::max(m_ttl, int(rec.ttl));
            }
        }
        Q_EMIT sent({ LayerReply::Kind::Ok,
            QStringLiteral("%1 over %2: %3")
                .arg(undo ? QStringLiteral("re-added") : QStringLiteral("removed"), r.transport,
                    r.message),
            undo ? QJsonValue(QJsonArray()) : QJsonValue(recs),
            undo ? QJsonValue(recs) : QJsonValue(QJsonArray()) });
    });
    if (undo) {
        m_updater->addRecords(m_step.records);
    } else {
        m_updater->removeRecords(m_step.records);
    }
}

LayerObservation DnsDrainLayer::observe(Direction d) const
{
    if (!m_source) {
        return { false, QStringLiteral("no source observes DNS") };
    }
    const bool undo = d == Direction::Undo;
    const DnsDiscoverySnapshot snap = m_source->snapshot();
    QStringList wrong;
    QString staleWhy;
    for (const DnsUpdateRecord &r : m_step.records) {
        if (dnsLists(snap, r, &staleWhy) != undo) {
            wrong << r.toString();
        }
    }
    if (!staleWhy.isEmpty()) {
        return { false, QStringLiteral("DNS answer is stale: %1").arg(staleWhy) };
    }
    if (wrong.isEmpty()) {
        return { true,
            QStringLiteral("DNS answers %1 the record(s) (query at %2)")
                .arg(undo ? QStringLiteral("list") : QStringLiteral("no longer list"),
                    snap.taken.toString(Qt::ISODate)) };
    }
    return { false,
        QStringLiteral("DNS still answers %1 for: %2")
            .arg(undo ? QStringLiteral("without") : QStringLiteral("with"),
                wrong.join(QStringLiteral(", "))) };
}

void DnsDrainLayer::pollNow()
{
    // Re-query every name instead of waiting out the TTL.
    if (m_source) {
        m_source->requeryAll();
    }
}

void DnsDrainLayer::addHolding(DrainCountdown &c, const QDateTime &now) const
{
    const qint64 left = m_removedAt.isValid()
        ? std::max<qint64>(0, now.msecsTo(m_removedAt.addSecs(m_ttl)) + 999) / 1000
        : 0;
    c.dnsStaleSecondsLeft = left;
    if (left > 0) {
        c.holding << QStringLiteral("DNS: resolvers and clients may still hold the record for %1 s")
                         .arg(left);
    }
}

} // namespace hopscope
