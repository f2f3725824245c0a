#pragma once

#include "haproxy/HaproxyTrafficCounters.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace hopscope {

// Plain immutable values describing what one HAProxy load balancer reported in one poll.
// Produced by the pure parsers in this folder (HaproxyStatParser, HaproxyServersStateParser,
// HaproxyInfoParser) on any thread; consumed by the topology/health engine and the CLI.
// Identity rule: a server is keyed by address:port (+ FQDN for DNS-discovered slots), never by its
// slot name, because server-template slots are reused for different DNS records.

// What the `status` column of `show stat` says, split on its first space (docs/PROTOCOLS.md §2.6).
enum class HaproxyServerStatus {
    Unknown, // empty or a string this client does not know
    Up, // "UP", "UP x/y" (transitional: checks failing)
    Down, // "DOWN", "DOWN x/y" (transitional: recovering), "DOWN (agent)"
    NoLb, // "NOLB", "NOLB x/y": soft-stopping, no new LB traffic
    Drain, // "DRAIN", "DRAIN x/y", "DRAIN (agent)"
    Maint, // "MAINT", "MAINT (via b/s)", "MAINT (resolution)"
    NoCheck, // "no check": running with health checks disabled
    Open, // frontend / listener
    Stop, // frontend stopped
    Full, // listener full
    Waiting, // listener waiting
};

// srv_op_state of `show servers state`.
enum class HaproxyOpState { Stopped = 0, Starting = 1, Running = 2, Stopping = 3, Unknown = -1 };

// srv_admin_state bits of `show servers state` (docs/PROTOCOLS.md §2.4).
enum HaproxyAdminBit : quint32 {
    AdminForcedMaint = 0x01, // FMAINT: CLI maint
    AdminInheritedMaint = 0x02, // IMAINT: tracked server in maint
    AdminConfigMaint = 0x04, // CMAINT: `disabled` in the config
    AdminForcedDrain = 0x08, // FDRAIN: CLI drain
    AdminInheritedDrain = 0x10, // IDRAIN
    AdminResolutionMaint = 0x20, // RMAINT: DNS resolution failed / unfilled template slot
    AdminFqdnFromCli = 0x40, // HMAINT: FQDN set from the CLI
};

// One server row of `show stat`.
struct HaproxyStatServer
{
    QString name; // slot name ("user1", "a3"): display only, not identity
    std::optional<QString> address; // IP (IPv6 without brackets) or "unix"; nullopt when hidden
    std::optional<quint16> port;
    QString status; // raw status string ("UP 1/2", "MAINT (resolution)")
    HaproxyServerStatus state = HaproxyServerStatus::Unknown;
    bool transitional = false; // status carries "x/y"
    QString trackedBy; // "b/s" of "MAINT (via b/s)"
    std::optional<qint64> weight; // effective weight
    std::optional<qint64> userWeight;
    std::optional<qint64> scur; // current sessions
    std::optional<qint64> stot;
    std::optional<qint64> qcur;
    std::optional<qint64> lastChangeSeconds;
    QString checkStatus; // "L7OK", "L4CON"; "* " prefix (check running) removed
    bool checkInProgress = false;
    std::optional<qint64> checkCode;
    QString checkDesc;
    QString lastCheck;
    bool backup = false;
    HaproxyTrafficCounters traffic; // for model/traffic/
    // Read through Prometheus: its labels name the server but carry no address (nor port), so
    // the topology keys it by "<backend>/<server>" until another source gives its address.
    bool nameOnly = false;

    // "10.0.1.11:8080"; "[::1]:8080"; empty when the address is hidden or unset.
    QString key() const;
};

// One proxy (frontend, backend or listener) and, for backends, its servers.
struct HaproxyStatProxy
{
    enum class Type { Frontend, Backend, Server, Listener };
    QString name;
    Type type = Type::Backend;
    QString status; // the FRONTEND/BACKEND row's status ("UP", "DOWN", "OPEN")
    HaproxyServerStatus state = HaproxyServerStatus::Unknown;
    std::optional<qint64> scur;
    std::optional<qint64> weight;
    QString mode; // tcp / http
    HaproxyTrafficCounters traffic; // the BACKEND / FRONTEND row's, for model/traffic/
    QList<HaproxyStatServer> servers;
    QList<HaproxyStatServer> listeners; // type 3 rows of a frontend

    static QString typeName(Type type);
};

// `show stat` as a whole.
struct HaproxyStatSnapshot
{
    QList<HaproxyStatProxy> proxies;
    int columnCount = 0; // header columns, module columns included
    bool addressesVisible = false; // some row has an address (socket level >= operator)

    const HaproxyStatProxy *proxy(const QString &name, HaproxyStatProxy::Type type) const;
};

// One line of `show servers state`.
struct HaproxyServerState
{
    int backendId = 0;
    QString backend;
    int serverId = 0;
    QString name;
    std::optional<QString> address; // nullopt for "-"
    std::optional<quint16> port; // nullopt for 0 (unfilled slot)
    std::optional<QString> fqdn; // SRV target or FQDN; nullopt for "-"
    std::optional<QString> srvRecord;
    HaproxyOpState opState = HaproxyOpState::Unknown;
    quint32 adminState = 0; // HaproxyAdminBit mask
    int userWeight = 0;
    int initialWeight = 0;
    qint64 secondsSinceChange = 0;
    int checkStatus = 0; // enum healthcheck_status
    int checkResult = 0;
    int checkHealth = 0;
    int checkState = 0;

    QStringList adminStateNames() const; // ["FDRAIN", "RMAINT"]
    static QString opStateName(HaproxyOpState state);
    static QString checkStatusName(int status);
    QString key() const; // "addr:port" (+ "/fqdn" when known); empty for an unfilled slot
};

struct HaproxyServersStateSnapshot
{
    int formatVersion = 1;
    QList<HaproxyServerState> servers;
};

// `show info`: the fields the app shows, plus every pair in order.
struct HaproxyInfo
{
    QString name;
    QString version;
    std::optional<qint64> pid;
    std::optional<qint64> uptimeSeconds;
    std::optional<qint64> currentConnections;
    std::optional<qint64> maxConnections;
    bool stopping = false;
    QString node;
    QList<std::pair<QString, QString>> fields;
};

// What one poll of a HAProxy runtime source yields.
struct HaproxySnapshot
{
    HaproxyStatSnapshot stat;
    HaproxyServersStateSnapshot serversState;
    HaproxyInfo info;
};

// Classifies a status string; fills transitional / trackedBy when given.
HaproxyServerStatus classifyHaproxyStatus(
    QStringView status, bool *transitional = nullptr, QString *trackedBy = nullptr);

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::HaproxySnapshot)
Q_DECLARE_METATYPE(hopscope::HaproxyStatSnapshot)
