#include "haproxy/HaproxySnapshot.h"

namespace hopscope {

namespace {
QString hostPortKey(const std::optional<QString> &address, const std::optional<quint16> &port)
{
    if (!address || address->isEmpty()) {
        return {};
    }
    const QString host = address->contains(u':') ? u'[' + *address + u']' : *address;
    return port ? host + u':' + QString::number(*port) : host;
}
} // namespace

QString HaproxyStatServer::key() const
{
    return hostPortKey(address, port);
}

QString HaproxyStatProxy::typeName(Type type)
{
    switch (type) {
    case Type::Frontend:
        return QStringLiteral("frontend");
    case Type::Backend:
        return QStringLiteral("backend");
    case Type::Server:
        return QStringLiteral("server");
    case Type::Listener:
        return QStringLiteral("listener");
    }
    return {};
}

const HaproxyStatProxy *HaproxyStatSnapshot::proxy(
    const QString &name, HaproxyStatProxy::Type type) const
{
    for (const HaproxyStatProxy &p : proxies) {
        if (p.name == name && p.type == type) {
            return &p;
        }
    }
    return nullptr;
}

QStringList HaproxyServerState::adminStateNames() const
{
    static const std::pair<quint32, const char *> s_bits[] = {
        { AdminForcedMaint, "FMAINT" },
        { AdminInheritedMaint, "IMAINT" },
        { AdminConfigMaint, "CMAINT" },
        { AdminForcedDrain, "FDRAIN" },
        { AdminInheritedDrain, "IDRAIN" },
        { AdminResolutionMaint, "RMAINT" },
        { AdminFqdnFromCli, "HMAINT" },
    };
    QStringList names;
    quint32 known = 0;
    for (const auto &[bit, bitName] : s_bits) {
        known |= bit;
        if (adminState & bit) {
            names << QString::fromLatin1(bitName);
        }
    }
    if (adminState & ~known) {
        names << QStringLiteral("0x%1").arg(adminState & ~known, 0, 16);
    }
    return names;
}

QString HaproxyServerState::opStateName(HaproxyOpState state)
{
    switch (state) {
    case HaproxyOpState::Stopped:
        return QStringLiteral("STOPPED");
    case HaproxyOpState::Starting:
        return QStringLiteral("STARTING");
    case HaproxyOpState::Running:
        return QStringLiteral("RUNNING");
    case HaproxyOpState::Stopping:
        return QStringLiteral("STOPPING");
    case HaproxyOpState::Unknown:
        break;
    }
    return QStringLiteral("UNKNOWN");
}

QString HaproxyServerState::checkStatusName(int status)
{
    static const char *const s_names[] = {
        "UNK",
        "INI",
        "START",
        "CHECKED",
        "HANA",
        "SOCKERR",
        "L4OK",
        "L4TOUT",
        "L4CON",
        "L6OK",
        "L6TOUT",
        "L6RSP",
        "L7TOUT",
        "L7RSP",
        "L57DATA",
        "L7OK",
        "L7OKC",
        "L7STS",
        "PROCERR",
        "PROCTOUT",
        "PROCOK",
    };
    if (status >= 0 && status < int(std::size(s_names))) {
        return QString::fromLatin1(s_names[status]);
    }
    return QString::number(status);
}

QString HaproxyServerState::key() const
{
    if (!address) {
        return {};
    }
    QString k = hostPortKey(address, port);
    if (fqdn) {
        k += u'/' + *fqdn;
    }
    return k;
}

HaproxyServerStatus classifyHaproxyStatus(
    QStringView status, bool *transitional, QString *trackedBy)
{
    const qsizetype space = status.indexOf(u' ');
    const QStringView head = space < 0 ? status : status.left(space);
    const QStringView rest = space < 0 ? QStringView() : status.mid(space + 1);
    if (transitional) {
        // "UP 1/3", "DOWN 1/2": digits '/' digits
        const qsizetype slash = rest.indexOf(u'/');
        bool ok1 = false;
        bool ok2 = false;
        if (slash > 0) {
            (void)rest.left(slash).toInt(&ok1);
            (void)rest.mid(slash + 1).toInt(&ok2);
        }
        *transitional = ok1 && ok2;
    }
    if (trackedBy && head == u"MAINT" && rest.startsWith(u"(via ") && rest.endsWith(u')')) {
        *trackedBy = rest.mid(5, rest.size() - 6).toString();
    }
    if (status == u"no check") {
        return HaproxyServerStatus::NoCheck;
    }
    if (head == u"UP") {
        return HaproxyServerStatus::Up;
    }
    if (head == u"DOWN") {
        return HaproxyServerStatus::Down;
    }
    if (head == u"NOLB") {
        return HaproxyServerStatus::NoLb;
    }
    if (head == u"DRAIN") {
        return HaproxyServerStatus::Drain;
    }
    if (head == u"MAINT") {
        return HaproxyServerStatus::Maint;
    }
    if (head == u"OPEN") {
        return HaproxyServerStatus::Open;
    }
    if (head == u"STOP") {
        return HaproxyServerStatus::Stop;
    }
    if (head == u"FULL") {
        return HaproxyServerStatus::Full;
    }
    if (head == u"WAITING") {
        return HaproxyServerStatus::Waiting;
    }
    return HaproxyServerStatus::Unknown;
}

} // namespace hopscope
