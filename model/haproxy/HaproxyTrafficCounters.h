#pragma once

#include <QtGlobal>

#include <optional>

namespace hopscope {

// The traffic columns of one `show stat` row (backend, server or frontend), as HAProxy printed
// them; nullopt when the column is absent or empty for that row type (docs/PROTOCOLS.md §2.2:
// req_tot is filled on frontends and backends only; rtime/ttime on backends and servers).
// Counters are cumulative since HAProxy started (or `clear counters`); rtime/ttime are averages
// over the last 1024 requests and *_max the largest since start. model/traffic/ turns successive
// values into rates.
struct HaproxyTrafficCounters
{
    std::optional<qint64> reqTot; // HTTP requests
    std::optional<qint64> stot; // sessions (HTTP mode: one per request on a server)
    std::optional<qint64> hrsp1xx;
    std::optional<qint64> hrsp2xx;
    std::optional<qint64> hrsp3xx;
    std::optional<qint64> hrsp4xx;
    std::optional<qint64> hrsp5xx;
    std::optional<qint64> hrspOther;
    std::optional<qint64> econ; // connection errors to servers
    std::optional<qint64> eresp; // response errors (includes srv_abrt)
    std::optional<qint64> scur; // current sessions (gauge)
    std::optional<qint64> qcur; // queued requests (gauge)
    std::optional<qint64> rtime; // ms, average response time over the last 1024 requests
    std::optional<qint64> ttime; // ms, average total time over the last 1024 requests
    std::optional<qint64> rtimeMax; // ms, largest since start
    std::optional<qint64> ttimeMax;
};

} // namespace hopscope
