#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <optional>

namespace hopscope {

// Plain immutable values describing what one Envoy admin endpoint reported in one poll.
// Produced by the pure parsers in this folder (EnvoyClustersParser, EnvoyServerInfoParser,
// EnvoyStatsParser) on any thread; consumed by the topology/health engine and the CLI.
// Identity rule: a host is keyed by address:port (or its pipe path), never by its position.

// Envoy's HEALTH_FLAG enum in its emission order [host_utility.cc]; JSON fields map onto it.
enum class EnvoyHealthFlag : quint16 {
    FailedActiveHc = 1 << 0, // failed_active_health_check
    FailedOutlierCheck = 1 << 1, // failed_outlier_check
    FailedEdsHealth = 1 << 2, // eds_health_status UNHEALTHY (or TIMEOUT)
    DegradedActiveHc = 1 << 3, // failed_active_degraded_check
    DegradedEdsHealth = 1 << 4, // eds_health_status DEGRADED
    PendingDynamicRemoval = 1 << 5, // pending_dynamic_removal
    PendingActiveHc = 1 << 6, // pending_active_hc
    ExcludedViaImmediateHcFail = 1 << 7, // excluded_via_immediate_hc_fail
    ActiveHcTimeout = 1 << 8, // active_hc_timeout
    EdsStatusDraining = 1 << 9, // eds_health_status DRAINING
};

// The flag set, with the text names Envoy prints in `/clusters` (without the leading slash).
struct EnvoyHealthFlags
{
    quint16 bits = 0;

    bool has(EnvoyHealthFlag flag) const { return bits & quint16(flag); }
    void set(EnvoyHealthFlag flag) { bits |= quint16(flag); }
    bool operator==(const EnvoyHealthFlags &other) const { return bits == other.bits; }

    QStringList names() const; // in emission order: "failed_active_hc", "failed_outlier_check", ...
    static std::optional<EnvoyHealthFlag> fromName(QStringView name); // "failed_active_hc"
    static QString name(EnvoyHealthFlag flag);
    static const QList<EnvoyHealthFlag> &all();
};

struct EnvoyLocality
{
    QString region;
    QString zone;
    QString subZone;

    bool isEmpty() const { return region.isEmpty() && zone.isEmpty() && subZone.isEmpty(); }
    bool operator==(const EnvoyLocality &o) const
    {
        return region == o.region && zone == o.zone && subZone == o.subZone;
    }
};

// One upstream host of a cluster as Envoy sees it.
struct EnvoyHost
{
    enum class AddressKind {
        Socket, // IP (IPv6 without brackets) or name, with a port
        Pipe, // unix socket path (or "@abstract"); no port
        Internal, // envoy_internal_address; no port
    };

    AddressKind addressKind = AddressKind::Socket;
    QString address; // "10.0.1.12", "2001:db8::1", "/run/app.sock"
    std::optional<quint16> port; // nullopt for pipe and internal addresses
    QString hostname; // optional, from EDS
    EnvoyHealthFlags healthFlags;
    QStringList unknownHealthFlags; // flags this client does not know, as printed (no slash)
    quint32 weight = 1;
    quint32 priority = 0;
    EnvoyLocality locality;
    std::optional<double> successRate; // 0..100; nullopt when Envoy has not computed one
    std::optional<double> localOriginSuccessRate;

    // Per-host stats [doc: counters then gauges]; absent ones are 0 (proto3 omits defaults).
    quint64 cxActive = 0;
    quint64 cxConnectFail = 0;
    quint64 cxTotal = 0;
    quint64 rqActive = 0;
    quint64 rqError = 0;
    quint64 rqSuccess = 0;
    quint64 rqTimeout = 0;
    quint64 rqTotal = 0;

    // "Usable for load balancing" (docs/PROTOCOLS.md §1.3): no failed_* flag, not pending removal,
    // not excluded by an immediate HC failure, and EDS does not say UNHEALTHY or DRAINING.
    bool isHealthy() const;
    // Routes only when too few healthy hosts remain (active HC or EDS said degraded).
    bool isDegraded() const;
    // "10.0.1.12:8080", "[2001:db8::1]:8080", "/run/app.sock": the identity key.
    QString key() const;
};

struct EnvoyCluster
{
    QString name;
    QString observabilityName;
    QString edsServiceName;
    bool addedViaApi = false;
    std::optional<double> successRateEjectionThreshold;
    QList<EnvoyHost> hosts;
};

// The parsed `/clusters` document (JSON, text, or the istioctl camelCase array).
struct EnvoyClusters
{
    enum class Format { Json, Text, IstioctlJson };

    Format format = Format::Json;
    QList<EnvoyCluster> clusters;

    int hostCount() const;
    static QString formatName(Format format);
};

// `/server_info` (docs/PROTOCOLS.md §1.6).
struct EnvoyServerInfo
{
    enum class State { Live, Draining, PreInitializing, Initializing, Unknown };

    State state = State::Unknown;
    QString stateName; // as Envoy printed it ("LIVE")
    QString version; // full version string "<sha>/1.29.4/Clean/RELEASE/BoringSSL"
    QString semver; // "1.29.4" when found
    qint64 uptimeSeconds = 0; // current epoch
    qint64 uptimeAllEpochsSeconds = 0;
    QString hotRestartVersion;
    QString nodeId;
    QString nodeCluster;
    EnvoyLocality nodeLocality;
    std::optional<qint64> drainTimeSeconds;
    QString drainStrategy; // "Gradual" | "Immediate"
    std::optional<qint64> restartEpoch;

    static State stateFromName(QStringView name);
};

// Connection and request counts of one cluster or listener, derived from `/stats`.
struct EnvoyTrafficStats
{
    QString name; // cluster name or listener stat prefix
    std::optional<quint64> cxActive; // upstream_cx_active / downstream_cx_active
    std::optional<quint64> rqActive; // upstream_rq_active / downstream_rq_active
    std::optional<quint64> rqTotal; // upstream_rq_total / downstream_rq_total
    std::optional<quint64> cxTotal; // upstream_cx_total / downstream_cx_total
    std::optional<quint64> membershipHealthy;
    std::optional<quint64> membershipTotal;
};

// One histogram's computed quantiles from `/stats?format=json` (docs/PROTOCOLS.md §1.5): per
// supported quantile (0..100), the value over Envoy's last flush interval and since start, in the
// histogram's unit (ms for upstream_rq_time); nullopt where Envoy printed null (nothing recorded).
struct EnvoyHistogramQuantiles
{
    QString name; // "cluster.payments.upstream_rq_time"
    QList<double> quantiles; // supported_quantiles: 0, 25, 50, ..., 100
    QList<std::optional<double>> interval;
    QList<std::optional<double>> cumulative;

    // The interval (or cumulative) value at quantile q (50, 99); nullopt when not supported.
    std::optional<double> at(double q, bool intervalValue = true) const;
};

// `/stats` (text or JSON): counter and gauge values, plus the per-cluster / per-listener view.
// Text readouts are skipped; histograms are kept as computed quantiles from the JSON format only.
struct EnvoyStats
{
    struct Value
    {
        QString name;
        quint64 value = 0;
    };

    QList<Value> values; // in document order
    QList<EnvoyTrafficStats> clusters;
    QList<EnvoyTrafficStats> listeners; // listener.<addr>.downstream_cx_*
    QList<EnvoyTrafficStats> httpManagers; // http.<stat_prefix>.downstream_{cx,rq}_*
    std::optional<quint64> serverState; // server.state: 0 LIVE, 1 DRAINING, ...
    std::optional<quint64> serverLive;
    QList<EnvoyHistogramQuantiles> histograms; // ?format=json only (for model/traffic/)

    std::optional<quint64> value(QStringView name) const;
};

// Everything one poll of an Envoy admin endpoint produced.
struct EnvoyAdminSnapshot
{
    QDateTime fetchedAt;
    EnvoyClusters clusters;
    EnvoyServerInfo serverInfo;
    // What /ready answers: 200 LIVE, 503 otherwise; 0 when the state is not known. The admin
    // source takes it from server_info's state (the same thing, one request less).
    int readyHttpStatus = 0;
    QString readyBody; // "LIVE"
    std::optional<EnvoyStats> stats; // nullopt when /stats could not be read
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::EnvoyAdminSnapshot)
