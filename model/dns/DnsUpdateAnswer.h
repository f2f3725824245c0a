#pragma once

#include "core/SourceError.h"
#include "dns/DnsUpdateMessage.h"
#include "dns/DnsUpdateRecord.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace hopscope {

// What the server said to one UPDATE, in plain words.
struct DnsUpdateResult
{
    quint64 id = 0;
    DnsUpdateOperation operation = DnsUpdateOperation::Remove;
    QList<DnsUpdateRecord> records;
    bool ok = false;
    int rcode = -1; // -1: no answer
    int tsigError = 0; // 16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC
    QString rcodeName; // "NOERROR", "NOTAUTH/BADSIG"
    QString message; // the plain-words outcome
    std::optional<qint64> clockSkewSeconds; // BADTIME: server time - our time
    QString transport; // "udp" | "tcp"
    SourceError error; // kind None when ok
};

// Reads a server's answer to one UPDATE (pure): it belongs to the request (id, QR, opcode), its
// TSIG verifies against the request's MAC and our clock (DnsUpdateMessage::verify), and its
// RCODE and TSIG error become plain words an operator can act on. A NOERROR is trusted only
// when signed; BADSIG/BADKEY answers come unsigned (RFC 8945 §5.3.2) and are read as failures.
class DnsUpdateAnswer
{
public:
    static DnsUpdateResult read(const QByteArray &wire, quint16 id, const DnsTsigKey &key,
        const QByteArray &requestMac, const QDateTime &now);

    static QString rcodeName(int rcode); // 5 -> "REFUSED"
    static QString tsigErrorName(int tsigError); // 18 -> "BADTIME"
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::DnsUpdateResult)
