#include "dns/DnsUpdater.h"

#include "dns/DnsUpdateTransport.h"

#include <QRandomGenerator>
#include <QTimer>

namespace hopscope {

DnsUpdater::DnsUpdater(HostPort server, QString zone, DnsTsigKey key, QObject *parent)
    : DnsUpdater(std::move(server), std::move(zone), std::move(key), Clock::system(), parent)
{ }

DnsUpdater::DnsUpdater(
    HostPort server, QString zone, DnsTsigKey key, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_server(std::move(server))
    , m_zone(std::move(zone))
    , m_key(std::move(key))
    , m_clock(&clock)
{
    qRegisterMetaType<hopscope::DnsUpdateResult>();
}

DnsUpdater::~DnsUpdater() = default; // the transports are children

quint64 DnsUpdater::removeRecords(const QList<DnsUpdateRecord> &records)
{
    return start(DnsUpdateOperation::Remove, records);
}

quint64 DnsUpdater::addRecords(const QList<DnsUpdateRecord> &records)
{
    return start(DnsUpdateOperation::Add, records);
}

quint64 DnsUpdater::start(DnsUpdateOperation op, const QList<DnsUpdateRecord> &records)
{
    const quint64 id = m_nextId++;
    Exchange &x = m_exchanges[id];
    x.op = op;
    x.records = records;
    x.messageId = quint16(QRandomGenerator::system()->bounded(1, 0x10000));
    QString error;
    std::optional<DnsSignedMessage> message;
    if (const auto wire
        = DnsUpdateMessage::encode({ m_zone, x.messageId, op, records, {} }, &error)) {
        message = DnsUpdateMessage::sign(*wire, m_key, m_clock->now(), &error);
    }
    if (!message) {
        QTimer::singleShot(
            0, this, [this, id, error] { fail(id, SourceError::Kind::Config, error, {}, {}); });
        return id;
    }
    x.requestMac = message->mac;
    x.transport = new DnsUpdateTransport(m_server, m_timeoutMs, this);
    connect(x.transport, &DnsUpdateTransport::answered, this,
        [this, id](
            const QByteArray &wire, const QString &transport) { onAnswer(id, wire, transport); });
    connect(x.transport, &DnsUpdateTransport::failed, this,
        [this, id](SourceError::Kind kind, const QString &why, const QString &detail,
            const QString &transport) { fail(id, kind, why, detail, transport); });
    x.transport->setTcpOnly(m_tcpOnly);
    x.transport->setServerLabel(m_serverLabel);
    x.transport->send(message->wire);
    return id;
}

void DnsUpdater::onAnswer(quint64 id, const QByteArray &wire, const QString &transport)
{
    const auto it = m_exchanges.constFind(id);
    if (it == m_exchanges.constEnd()) {
        return;
    }
    DnsUpdateResult r
        = DnsUpdateAnswer::read(wire, it->messageId, m_key, it->requestMac, m_clock->now());
    r.transport = transport;
    if (!r.ok) {
        r.error.source = QStringLiteral("dns-update %1").arg(serverLabel());
        r.error.when = m_clock->now();
    }
    complete(id, r);
}

void DnsUpdater::fail(quint64 id, SourceError::Kind kind, const QString &message,
    const QString &detail, const QString &transport)
{
    DnsUpdateResult r;
    r.message = message;
    r.transport = transport;
    r.error.kind = kind;
    r.error.message = message;
    r.error.detail = detail;
    r.error.source = QStringLiteral("dns-update %1").arg(serverLabel());
    r.error.when = m_clock->now();
    complete(id, r);
}

void DnsUpdater::complete(quint64 id, DnsUpdateResult result)
{
    const auto it = m_exchanges.find(id);
    if (it == m_exchanges.end()) {
        return;
    }
    const Exchange x = *it;
    m_exchanges.erase(it);
    result.id = id;
    result.operation = x.op;
    result.records = x.records;
    if (x.transport) {
        x.transport->disconnect(this);
        x.transport->deleteLater();
    }
    Q_EMIT finished(result);
}

} // namespace hopscope
