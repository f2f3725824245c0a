#include "topology/NameOnlyMatch.h"

#include <QHostAddress>

namespace hopscope {

namespace {

QString keyOf(const QString &address, quint16 port)
{
    const QString host
        = address.contains(u':') ? QLatin1Char('[') + address + QLatin1Char(']') : address;
    return host + QLatin1Char(':') + QString::number(port);
}

// `name` -> `key` in an index where a name two targets share maps to "" (ambiguous: no match).
void indexName(QHash<QString, QString> &index, const QString &name, const QString &key)
{
    const auto it = index.constFind(name);
    if (it == index.cend()) {
        index.insert(name, key);
    } else if (*it != key) {
        index.insert(name, QString());
    }
}

} // namespace

std::optional<std::pair<QString, quint16>> addressInServerName(const QString &name)
{
    QString host = name;
    QString port;
    if (name.startsWith(u'[')) {
        const qsizetype close = name.indexOf(u']');
        if (close < 0 || (close + 1 < name.size() && name.at(close + 1) != u':')) {
            return std::nullopt;
        }
        host = name.mid(1, close - 1);
        port = name.mid(close + 2);
    } else if (name.count(u':') == 1) {
        host = name.section(u':', 0, 0);
        port = name.section(u':', 1);
    }
    QHostAddress address;
    if (!address.setAddress(host)
        || (address.protocol() == QAbstractSocket::IPv4Protocol && host.count(u'.') != 3)) {
        return std::nullopt; // not an address (Qt would also read "10.5" as 10.0.0.5)
    }
    bool ok = true;
    const quint16 p = port.isEmpty() ? 0 : port.toUShort(&ok);
    if (!ok || (!port.isEmpty() && p == 0)) {
        return std::nullopt;
    }
    return std::make_pair(address.toString(), p);
}

QHash<QString, QString> nameOnlyMatches(const QMap<QString, TargetNode> &byKey)
{
    QHash<QString, QString> byServer;
    QHash<QString, QString> byAddress;
    QHash<QString, QString> byHost;
    bool nameOnly = false;
    for (const TargetNode &t : byKey) {
        if (t.address.isEmpty()) {
            nameOnly = nameOnly || !t.lbServer.isEmpty();
            continue;
        }
        if (!t.lbServer.isEmpty()) {
            indexName(byServer, t.lbServer, t.key);
        }
        indexName(byAddress, t.address, t.key);
        QString host = t.fqdn.toLower();
        while (host.endsWith(u'.')) {
            host.chop(1);
        }
        if (!host.isEmpty()) {
            indexName(byHost, host, t.key);
            const QString label = host.section(u'.', 0, 0);
            if (label != host) {
                indexName(byHost, label, t.key);
            }
        }
    }
    QHash<QString, QString> into;
    if (!nameOnly) {
        return into;
    }
    for (const TargetNode &t : byKey) {
        if (!t.address.isEmpty() || t.lbServer.isEmpty()) {
            continue;
        }
        QString key = byServer.value(t.lbServer);
        const QString server = t.lbServer.section(u'/', 1);
        if (key.isEmpty()) {
            if (const auto named = addressInServerName(server)) {
                if (named->second == 0) {
                    key = byAddress.value(named->first);
                } else if (byKey.contains(keyOf(named->first, named->second))) {
                    key = keyOf(named->first, named->second);
                }
            }
        }
        if (key.isEmpty()) {
            QString host = server.toLower();
            while (host.endsWith(u'.')) {
                host.chop(1);
            }
            key = byHost.value(host);
        }
        if (!key.isEmpty()) {
            into.insert(t.key, key);
        }
    }
    return into;
}

} // namespace hopscope
