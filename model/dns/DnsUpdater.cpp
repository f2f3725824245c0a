// Over 500 lines: building and signing an UPDATE (ldns), reading and verifying the answer, and
// carrying one exchange over UDP then TCP under one deadline are one unit of RFC 2136 + TSIG.
// The transport (sendUdp/sendTcp/timedOut) is the part to split out first if it grows.

#include "dns/DnsUpdater.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QNetworkDatagram>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>
#include <QUdpSocket>
#include <QtEndian>

#include <ldns/ldns.h>

namespace hopscope {

namespace {

constexpr int s_udpLimit = 512; // RFC 1035: larger UPDATEs go over TCP
constexpr quint16 s_fudge = 300;

QString absolute(QString name)
{
    if (!name.endsWith(u'.')) {
        name += u'.';
    }
    return name.toLower();
}

QString tsigErrorName(int e)
{
    switch (e) {
    case 16: return QStringLiteral("BADSIG");
    case 17: return QStringLiteral("BADKEY");
    case 18: return QStringLiteral("BADTIME");
    case 22: return QStringLiteral("BADTRUNC");
    default: return QStringLiteral("TSIG error %1").arg(e);
    }
}

struct PktDeleter
{
    void operator()(ldns_pkt *p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

PktPtr parse(const QByteArray &wire)
{
    ldns_pkt *pkt = nullptr;
    if (ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t *>(wire.constData()), size_t(wire.size()))
        != LDNS_STATUS_OK) {
        return {};
    }
    return PktPtr(pkt);
}

QByteArray rdfBytes(const ldns_rdf *rdf)
{
    if (!rdf) {
        return {};
    }
    return QByteArray(reinterpret_cast<const char *>(ldns_rdf_data(rdf)), int(ldns_rdf_size(rdf)));
}

} // namespace

QString DnsUpdateRecord::toString() const
{
    return QStringLiteral("%1 %2 IN %3 %4").arg(absolute(owner)).arg(ttl).arg(type, rdata);
}

QJsonObject DnsUpdateRecord::toJson() const
{
    return QJsonObject{{QStringLiteral("owner"), absolute(owner)},
        {QStringLiteral("type"), type},
        {QStringLiteral("rdata"), rdata},
        {QStringLiteral("ttl"), qint64(ttl)}};
}

std::optional<DnsUpdateRecord> DnsUpdateRecord::fromJson(const QJsonObject &o)
{
    DnsUpdateRecord r;
    r.owner = o.value(QStringLiteral("owner")).toString();
    r.type = o.value(QStringLiteral("type")).toString();
    r.rdata = o.value(QStringLiteral("rdata")).toString();
    const qint64 ttl = o.value(QStringLiteral("ttl")).toInteger(-1);
    if (r.owner.isEmpty() || r.type.isEmpty() || r.rdata.isEmpty() || ttl < 0 || ttl > 0x7fffffff) {
        return std::nullopt;
    }
    r.ttl = quint32(ttl);
    return r;
}

struct DnsUpdater::Exchange
{
    quint64 id = 0;
    DnsUpdateOperation op = DnsUpdateOperation::Remove;
    QList<DnsUpdateRecord> records;
    QByteArray wire;
    QByteArray requestMac;
    quint16 messageId = 0;
    QUdpSocket *udp = nullptr;
    QTcpSocket *tcp = nullptr;
    QTimer *timer = nullptr;
    QByteArray tcpBuffer; // at most 2 + 65535 octets: the framing bounds a DNS message
    QDeadlineTimer deadline; // the whole exchange, UDP and the TCP fallback together
    bool written = false; // the UPDATE went out at least once: the server may have applied it
    QString transport;
    QString udpNote; // why TCP was used
};

DnsUpdater::DnsUpdater(HostPort server, QString zone, DnsTsigKey key, QObject *parent)
    : QObject(parent)
    , m_server(std::move(server))
    , m_zone(std::move(zone))
    , m_key(std::move(key))
{
    qRegisterMetaType<hopscope::DnsUpdateResult>();
}

DnsUpdater::~DnsUpdater()
{
    for (Exchange *x : std::as_const(m_exchanges)) {
        delete x;
    }
}

QString DnsUpdater::rcodeName(int rcode)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
        "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode >= 0 && rcode < int(std::size(names))) {
        return QLatin1String(names[rcode]);
    }
    return QStringLiteral("RCODE %1").arg(rcode);
}

std::optional<QByteArray> DnsUpdater::buildMessage(const QString &zone, DnsUpdateOperation op,
    const QList<DnsUpdateRecord> &records, quint16 id, const DnsTsigKey *key, QByteArray *requestMac,
    QString *error)
{
    auto fail = [&](const QString &why) -> std::optional<QByteArray> {
        if (error) {
            *error = why;
        }
        return std::nullopt;
    };
    const QString zoneName = absolute(zone);
    if (zone.isEmpty() || !isValidDnsName(zone)) {
        return fail(QStringLiteral("'%1' is not a valid zone name").arg(zone));
    }
    if (records.isEmpty()) {
        return fail(QStringLiteral("no records to update"));
    }
    ldns_rr_list *updates = ldns_rr_list_new();
    for (const DnsUpdateRecord &r : records) {
        const QString owner = absolute(r.owner);
        if (owner != zoneName && !owner.endsWith(u'.' + zoneName)) {
            ldns_rr_list_deep_free(updates);
            return fail(QStringLiteral("%1 is outside zone %2").arg(owner, zoneName));
        }
        if (r.type != u"A" && r.type != u"AAAA" && r.type != u"SRV") {
            ldns_rr_list_deep_free(updates);
            return fail(QStringLiteral("record type %1 cannot be updated (A, AAAA, SRV)").arg(r.type));
        }
        const QByteArray text = QStringLiteral("%1 %2 IN %3 %4")
                                    .arg(owner)
                                    .arg(r.ttl)
                                    .arg(r.type, r.rdata)
                                    .toUtf8();
        ldns_rr *rr = nullptr;
        if (ldns_rr_new_frm_str(&rr, text.constData(), 0, nullptr, nullptr) != LDNS_STATUS_OK || !rr) {
            ldns_rr_list_deep_free(updates);
            return fail(QStringLiteral("cannot read record '%1'").arg(QString::fromUtf8(text)));
        }
        if (op == DnsUpdateOperation::Remove) {
            // RFC 2136 §2.5.4: delete one RR = CLASS NONE, TTL 0, the exact RDATA.
            ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
            ldns_rr_set_ttl(rr, 0);
        }
        ldns_rr_list_push_rr(updates, rr);
    }
    ldns_rdf *zoneRdf = ldns_dname_new_frm_str(zoneName.toUtf8().constData());
    ldns_pkt *raw = zoneRdf ? ldns_update_pkt_new(zoneRdf, LDNS_RR_CLASS_IN, nullptr, updates, nullptr)
                            : nullptr;
    ldns_rr_list_deep_free(updates); // ldns_update_pkt_new cloned it
    if (!raw) {
        return fail(QStringLiteral("ldns could not build the UPDATE message"));
    }
    PktPtr pkt(raw);
    ldns_pkt_set_rd(pkt.get(), false); // ldns_pkt_query_new sets RD; an UPDATE has flags 0x2800
    ldns_pkt_set_id(pkt.get(), id);
    if (key) {
        const QByteArray keyName = absolute(key->name).toUtf8();
        const QByteArray algorithm = absolute(key->algorithm).toUtf8();
        if (algorithm != "hmac-sha256." && algorithm != "hmac-sha512.") {
            return fail(QStringLiteral("TSIG algorithm %1 is not supported (hmac-sha256, hmac-sha512)")
                            .arg(key->algorithm));
        }
        const ldns_status s = ldns_pkt_tsig_sign(
            pkt.get(), keyName.constData(), key->secret.constData(), s_fudge, algorithm.constData(), nullptr);
        if (s != LDNS_STATUS_OK) {
            // Never quote the secret: the usual cause is that it is not base64.
            return fail(QStringLiteral("cannot sign with key %1: %2")
                            .arg(key->name, QString::fromLatin1(ldns_get_errorstr_by_id(s))));
        }
        if (requestMac) {
            *requestMac = rdfBytes(ldns_rr_rdf(ldns_pkt_tsig(pkt.get()), 3));
        }
    }
    uint8_t *wire = nullptr;
    size_t size = 0;
    if (ldns_pkt2wire(&wire, pkt.get(), &size) != LDNS_STATUS_OK) {
        return fail(QStringLiteral("ldns could not encode the UPDATE message"));
    }
    QByteArray out(reinterpret_cast<const char *>(wire), int(size));
    LDNS_FREE(wire);
    return out;
}

bool DnsUpdater::verifySignature(
    const QByteArray &wire, const DnsTsigKey &key, const QByteArray &requestMac, QString *why)
{
    PktPtr pkt = parse(wire);
    if (!pkt) {
        if (why) {
            *why = QStringLiteral("the message cannot be parsed");
        }
        return false;
    }
    if (!ldns_pkt_tsig(pkt.get())) {
        if (why) {
            *why = QStringLiteral("the message carries no TSIG record");
        }
        return false;
    }
    ldns_rdf *mac = requestMac.isEmpty()
        ? nullptr
        : ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, size_t(requestMac.size()), requestMac.constData());
    const QByteArray keyName = absolute(key.name).toUtf8();
    const bool ok = ldns_pkt_tsig_verify(pkt.get(), reinterpret_cast<const uint8_t *>(wire.constData()),
        size_t(wire.size()), keyName.constData(), key.secret.constData(), mac);
    if (mac) {
        ldns_rdf_deep_free(mac);
    }
    if (!ok && why) {
        *why = QStringLiteral("the TSIG MAC does not match");
    }
    return ok;
}

DnsUpdateResult DnsUpdater::interpretResponse(const QByteArray &wire, quint16 id,
    const DnsTsigKey &key, const QByteArray &requestMac, qint64 nowSecs)
{
    DnsUpdateResult r;
    auto bad = [&](SourceError::Kind kind, const QString &message) {
        r.ok = false;
        r.message = message;
        r.error.kind = kind;
        r.error.message = message;
        return r;
    };
    PktPtr pkt = parse(wire);
    if (!pkt) {
        return bad(SourceError::Kind::Malformed, QStringLiteral("the server's answer cannot be parsed"));
    }
    if (ldns_pkt_id(pkt.get()) != id || !ldns_pkt_qr(pkt.get())
        || ldns_pkt_get_opcode(pkt.get()) != LDNS_PACKET_UPDATE) {
        return bad(SourceError::Kind::Malformed,
            QStringLiteral("the answer does not belong to this UPDATE (id, QR or opcode differ)"));
    }
    r.rcode = int(ldns_pkt_get_rcode(pkt.get()));
    r.rcodeName = rcodeName(r.rcode);
    const ldns_rr *tsig = ldns_pkt_tsig(pkt.get());
    QByteArray mac;
    if (tsig && ldns_rr_rd_count(tsig) >= 7) {
        r.tsigError = int(ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)));
        mac = rdfBytes(ldns_rr_rdf(tsig, 3));
        if (r.tsigError) {
            r.rcodeName += u'/' + tsigErrorName(r.tsigError);
        }
        if (r.tsigError == 18) {
            const QByteArray other = rdfBytes(ldns_rr_rdf(tsig, 6));
            if (other.size() >= 8) { // 2-octet length, then the server's 48-bit time
                const auto *p = reinterpret_cast<const uchar *>(other.constData()) + 2;
                const qint64 serverTime = (qint64(qFromBigEndian<quint16>(p)) << 32)
                    | qint64(qFromBigEndian<quint32>(p + 2));
                r.clockSkewSeconds = serverTime - nowSecs;
            }
        }
    }
    const bool signedAnswer = tsig && mac.size() > 2;
    if (signedAnswer) {
        QString why;
        if (!verifySignature(wire, key, requestMac, &why)) {
            return bad(SourceError::Kind::Auth,
                QStringLiteral("the server's answer (%1) failed TSIG verification: %2; not trusting it")
                    .arg(r.rcodeName, why));
        }
    }
    const QString keyName = key.name;
    switch (r.rcode) {
    case 0:
        if (!signedAnswer) {
            return bad(SourceError::Kind::Auth,
                QStringLiteral("the server answered NOERROR without a TSIG signature; not trusting it"));
        }
        r.ok = true;
        r.message = QStringLiteral("applied (NOERROR)");
        return r;
    case 5:
        return bad(SourceError::Kind::Refused,
            QStringLiteral("the server refused the update (REFUSED): its allow-update / update-policy "
                           "does not let key '%1' change these names")
                .arg(keyName));
    case 9:
        switch (r.tsigError) {
        case 16:
            return bad(SourceError::Kind::Auth,
                QStringLiteral("the key's secret is wrong: the server rejected the signature of key '%1' "
                               "(NOTAUTH/BADSIG)")
                    .arg(keyName));
        case 17:
            return bad(SourceError::Kind::Auth,
                QStringLiteral("the server does not know key '%1' with algorithm %2 (NOTAUTH/BADKEY)")
                    .arg(keyName, key.algorithm));
        case 18: {
            const QString skew = r.clockSkewSeconds
                ? QStringLiteral("the server's clock is %1 s %2 this machine's")
                      .arg(qAbs(*r.clockSkewSeconds))
                      .arg(*r.clockSkewSeconds >= 0 ? QStringLiteral("ahead of")
                                                    : QStringLiteral("behind"))
                : QStringLiteral("the server did not say its time");
            return bad(SourceError::Kind::Auth,
                QStringLiteral("the clocks disagree by more than the %1 s fudge (NOTAUTH/BADTIME): %2")
                    .arg(s_fudge)
                    .arg(skew));
        }
        case 0:
            return bad(SourceError::Kind::Refused,
                QStringLiteral("the server is not authoritative for this zone (NOTAUTH)"));
        default:
            return bad(SourceError::Kind::Auth,
                QStringLiteral("TSIG failed (%1)").arg(r.rcodeName));
        }
    case 10:
        return bad(SourceError::Kind::Config,
            QStringLiteral("a record lies outside the zone (NOTZONE)"));
    case 2:
        return bad(SourceError::Kind::Network,
            QStringLiteral("the server failed to apply the update (SERVFAIL); retry later"));
    case 1:
        return bad(SourceError::Kind::Malformed,
            QStringLiteral("the server could not read the update (FORMERR)"));
    case 4:
        return bad(SourceError::Kind::Refused,
            QStringLiteral("the server does not support dynamic updates (NOTIMP)"));
    default:
        return bad(SourceError::Kind::Refused,
            QStringLiteral("the update failed: %1").arg(r.rcodeName));
    }
}

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
    auto *x = new Exchange;
    x->id = m_nextId++;
    x->op = op;
    x->records = records;
    x->messageId = quint16(QRandomGenerator::system()->bounded(1, 0x10000));
    m_exchanges.insert(x->id, x);
    const quint64 id = x->id;
    QString error;
    const std::optional<QByteArray> wire =
        buildMessage(m_zone, op, records, x->messageId, &m_key, &x->requestMac, &error);
    if (!wire) {
        QTimer::singleShot(0, this, [this, id, error] { fail(id, SourceError::Kind::Config, error); });
        return id;
    }
    x->wire = *wire;
    x->deadline = QDeadlineTimer(m_timeoutMs);
    x->timer = new QTimer(this);
    x->timer->setSingleShot(true);
    connect(x->timer, &QTimer::timeout, this, [this, id] {
        Exchange *e = m_exchanges.value(id);
        if (!e) {
            return;
        }
        if (e->udp && !e->tcp && !e->deadline.hasExpired()) {
            e->udpNote = QStringLiteral("no UDP answer within %1 ms")
                             .arg(m_timeoutMs - e->deadline.remainingTime());
            sendTcp(e);
        } else {
            timedOut(e);
        }
    });
    if (x->wire.size() > s_udpLimit) {
        x->udpNote = QStringLiteral("message of %1 octets is over 512").arg(x->wire.size());
        sendTcp(x);
    } else {
        sendUdp(x);
    }
    return id;
}

void DnsUpdater::sendUdp(Exchange *x)
{
    const quint64 id = x->id;
    x->transport = QStringLiteral("udp");
    x->udp = new QUdpSocket(this);
    connect(x->udp, &QUdpSocket::connected, this, [this, id] {
        if (Exchange *e = m_exchanges.value(id)) {
            e->written = e->udp->write(e->wire) > 0 || e->written;
        }
    });
    connect(x->udp, &QUdpSocket::readyRead, this, [this, id] {
        Exchange *e = m_exchanges.value(id);
        if (!e || !e->udp) {
            return;
        }
        while (e->udp->hasPendingDatagrams()) {
            const QByteArray d = e->udp->receiveDatagram().data();
            if (d.size() < 12 || qFromBigEndian<quint16>(d.constData()) != e->messageId) {
                continue; // a stray datagram: not our answer
            }
            if (d.at(2) & 0x02) { // TC: the answer did not fit, ask again over TCP
                e->udpNote = QStringLiteral("UDP answer truncated");
                sendTcp(e);
                return;
            }
            onAnswer(id, d, QStringLiteral("udp"));
            return;
        }
    });
    connect(x->udp, &QUdpSocket::errorOccurred, this, [this, id](QAbstractSocket::SocketError err) {
        Exchange *e = m_exchanges.value(id);
        if (!e || e->tcp) {
            return;
        }
        if (err == QAbstractSocket::ConnectionRefusedError) {
            fail(id, SourceError::Kind::Refused,
                QStringLiteral("nothing answers DNS on %1 (connection refused)").arg(m_server.toString()));
        } else if (err == QAbstractSocket::HostNotFoundError) {
            fail(id, SourceError::Kind::Network,
                QStringLiteral("cannot resolve the DNS update server %1").arg(m_server.host));
        } else {
            e->udpNote = e->udp->errorString();
            sendTcp(e);
        }
    });
    // Half the budget for UDP, so a lost datagram leaves the TCP retry the other half.
    x->timer->start(std::max(1, m_timeoutMs / 2));
    x->udp->connectToHost(m_server.host, m_server.port);
}

void DnsUpdater::sendTcp(Exchange *x)
{
    const quint64 id = x->id;
    if (x->udp) {
        x->udp->disconnect(this);
        x->udp->abort();
        x->udp->deleteLater();
        x->udp = nullptr;
    }
    x->transport = QStringLiteral("tcp");
    if (x->deadline.hasExpired()) {
        timedOut(x);
        return;
    }
    x->tcp = new QTcpSocket(this);
    x->tcp->setReadBufferSize(2 + 0xffff);
    connect(x->tcp, &QTcpSocket::connected, this, [this, id] {
        if (Exchange *e = m_exchanges.value(id)) {
            QByteArray framed(2, '\0');
            qToBigEndian<quint16>(quint16(e->wire.size()), framed.data());
            e->written = e->tcp->write(framed + e->wire) > 0 || e->written;
        }
    });
    connect(x->tcp, &QTcpSocket::readyRead, this, [this, id] {
        Exchange *e = m_exchanges.value(id);
        if (!e) {
            return;
        }
        // Never more than one framed message: a peer that keeps sending cannot grow the buffer.
        e->tcpBuffer += e->tcp->read(2 + 0xffff - e->tcpBuffer.size());
        if (e->tcpBuffer.size() >= 2) {
            const int len = qFromBigEndian<quint16>(e->tcpBuffer.constData());
            if (e->tcpBuffer.size() >= 2 + len) {
                onAnswer(id, e->tcpBuffer.mid(2, len), QStringLiteral("tcp"));
            }
        }
    });
    connect(x->tcp, &QTcpSocket::errorOccurred, this, [this, id](QAbstractSocket::SocketError err) {
        Exchange *e = m_exchanges.value(id);
        if (!e) {
            return;
        }
        // Once the UPDATE went out (by UDP before, or on this connection), a lost connection
        // says nothing about whether the server applied it.
        const bool sent = e->written && err != QAbstractSocket::ConnectionRefusedError;
        fail(id, SourceError::Kind::Network,
            QStringLiteral("DNS update over TCP to %1 failed: %2%3")
                .arg(m_server.toString(), e->tcp->errorString(),
                    sent ? QStringLiteral("; the update may or may not have been applied")
                         : QString()),
            e->udpNote);
    });
    x->timer->start(
        int(std::max<qint64>(1, x->deadline.remainingTime()))); // the rest of the budget
    x->tcp->connectToHost(m_server.host, m_server.port);
}

void DnsUpdater::timedOut(Exchange *e)
{
    // The server may have applied the update and only the answer is missing: say so.
    fail(e->id, SourceError::Kind::Timeout,
        QStringLiteral("no complete reply within %1 ms from %2 (over %3)%4")
            .arg(m_timeoutMs)
            .arg(m_server.toString(), e->transport,
                e->written ? QStringLiteral("; the update may or may not have been applied")
                           : QString()),
        e->udpNote);
}

void DnsUpdater::onAnswer(quint64 id, const QByteArray &wire, const QString &transport)
{
    Exchange *e = m_exchanges.value(id);
    if (!e) {
        return;
    }
    DnsUpdateResult r = interpretResponse(
        wire, e->messageId, m_key, e->requestMac, QDateTime::currentSecsSinceEpoch());
    r.transport = transport;
    if (!r.ok) {
        r.error.source = QStringLiteral("dns-update %1").arg(m_server.toString());
        r.error.when = QDateTime::currentDateTimeUtc();
    }
    complete(id, r);
}

void DnsUpdater::fail(quint64 id, SourceError::Kind kind, const QString &message, const QString &detail)
{
    DnsUpdateResult r;
    r.message = message;
    r.error.kind = kind;
    r.error.message = message;
    r.error.detail = detail;
    r.error.source = QStringLiteral("dns-update %1").arg(m_server.toString());
    r.error.when = QDateTime::currentDateTimeUtc();
    complete(id, r);
}

void DnsUpdater::complete(quint64 id, DnsUpdateResult result)
{
    Exchange *e = m_exchanges.take(id);
    if (!e) {
        return;
    }
    result.id = id;
    result.operation = e->op;
    result.records = e->records;
    if (result.transport.isEmpty()) {
        result.transport = e->transport;
    }
    for (QObject *o : {static_cast<QObject *>(e->udp), static_cast<QObject *>(e->tcp),
             static_cast<QObject *>(e->timer)}) {
        if (o) {
            o->disconnect(this);
            o->deleteLater();
        }
    }
    delete e;
    Q_EMIT finished(result);
}

} // namespace hopscope
