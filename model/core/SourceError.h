#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace hopscope {

// What went wrong in one poll or one operation of a source, in words an operator can act on.
// A plain value: cheap to copy, queued across threads, logged by EventLog.
struct SourceError
{
    enum class Kind {
        None,
        Timeout,      // no answer within the per-request timeout
        Network,      // connection refused, reset, unreachable
        Refused,      // the peer answered and said no (DNS REFUSED, HTTP 403, CLI permission)
        NotFound,     // NXDOMAIN, HTTP 404, missing socket path
        Malformed,    // the answer could not be parsed
        TooLarge,     // the answer exceeded the size cap and was not read
        Auth,         // credentials or signatures rejected
        Config,       // the profile points somewhere unusable
        Internal,
    };

    Kind kind = Kind::None;
    QString source;   // which endpoint: "dns 127.0.0.1:15353", "haproxy internal-lb", ...
    QString message;  // one line, plain words
    QString detail;   // optional: raw reply excerpt, errno text
    QDateTime when;

    bool isError() const { return kind != Kind::None; }
    QString toString() const; // "source: message (detail)"
    static QString kindName(Kind kind);
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::SourceError)
