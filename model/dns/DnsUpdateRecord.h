#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace hopscope {

// One resource record as an RFC 2136 update names it: owner, type, RDATA in presentation form
// ("127.0.0.11"; "1 1 8080 task-1.servicea.corp.internal.") and the TTL it had (used to re-add).
// A plain value; the audit log stores it as JSON (toJson / fromJson round-trip).
struct DnsUpdateRecord
{
    QString owner; // FQDN, with or without the trailing dot
    QString type; // "A", "AAAA", "SRV"
    QString rdata;
    quint32 ttl = 0;

    QString toString() const; // "serviceb.corp.internal. 10 IN A 127.0.0.11"
    QJsonObject toJson() const;
    static std::optional<DnsUpdateRecord> fromJson(const QJsonObject &o);
    // Owner names compare as DNS names (case-insensitive, trailing dot optional): toJson() writes
    // them absolute, so a record read back from the audit log equals the one planned.
    friend bool operator==(const DnsUpdateRecord &a, const DnsUpdateRecord &b)
    {
        auto bare = [](const QString &n) { return n.endsWith(u'.') ? n.chopped(1) : n; };
        return bare(a.owner).compare(bare(b.owner), Qt::CaseInsensitive) == 0
            && a.type.compare(b.type, Qt::CaseInsensitive) == 0 && a.rdata == b.rdata
            && a.ttl == b.ttl;
    }

    // "Serviceb.Corp.Internal" -> "serviceb.corp.internal.": the form names take on the wire.
    static QString absoluteName(QString name);
};

} // namespace hopscope
