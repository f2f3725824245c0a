#include "DiscoveryInput.h"

namespace hopscope {

namespace {

bool say(QString *why, const QString &text)
{
    if (why) {
        *why = text;
    }
    return false;
}

// The profile's rule for admin and stats URLs (ProfileReader::httpUrl): http(s) with a host,
// no credentials or secret-looking query parameters. The message never repeats a secret.
std::optional<QUrl> httpUrl(const QString &option, const QString &text, QString *why)
{
    if (const QString secret = secretInUrl(text); !secret.isEmpty()) {
        say(why, option + QStringLiteral(": ") + secret);
        return std::nullopt;
    }
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")
        || url.host().isEmpty()) {
        const QString shown
            = text.contains(u'@') ? QStringLiteral("the value") : u'"' + text + u'"';
        say(why,
            option + QStringLiteral(": ") + shown
                + QStringLiteral(" is not an http:// or https:// URL with a host"));
        return std::nullopt;
    }
    return url;
}

} // namespace

bool DiscoveryRequest::addHaproxyRuntime(const QString &text, QString *why)
{
    QString reason;
    const auto endpoint = RuntimeEndpoint::parse(text.trimmed(), &reason);
    if (!endpoint) {
        return say(why, QStringLiteral("--haproxy \"%1\": %2").arg(text, reason));
    }
    haproxyRuntimes.append(*endpoint);
    return true;
}

bool DiscoveryRequest::addHaproxyStatsUrl(const QString &text, QString *why)
{
    const auto url = httpUrl(QStringLiteral("--haproxy-stats"), text, why);
    if (!url) {
        return false;
    }
    haproxyStatsUrls.append(*url);
    return true;
}

bool DiscoveryRequest::addEnvoyAdmin(const QString &text, QString *why)
{
    const auto url = httpUrl(QStringLiteral("--envoy"), text, why);
    if (!url) {
        return false;
    }
    envoyAdmins.append(*url);
    return true;
}

bool DiscoveryRequest::addDnsName(const QString &text, QString *why)
{
    const QStringList parts = text.trimmed().split(u':');
    DnsName n;
    n.name = parts.value(0);
    QString reason;
    if (!isValidDnsName(n.name, &reason)) {
        return say(why, QStringLiteral("--dns \"%1\": \"%2\" %3").arg(text, n.name, reason));
    }
    if (n.name.endsWith(u'.')) {
        n.name.chop(1);
    }
    if (parts.size() > 3) {
        return say(
            why, QStringLiteral("--dns \"%1\": expected NAME[:A|AAAA|SRV[:PORT]]").arg(text));
    }
    if (parts.size() >= 2) {
        const QString type = parts[1].toUpper();
        if (type == u"A") {
            n.type = DnsRecordType::A;
        } else if (type == u"AAAA") {
            n.type = DnsRecordType::AAAA;
        } else if (type == u"SRV") {
            n.type = DnsRecordType::SRV;
        } else {
            return say(why,
                QStringLiteral("--dns \"%1\": \"%2\" is not one of A, AAAA, SRV")
                    .arg(text, parts[1]));
        }
    }
    if (parts.size() == 3) {
        bool ok = false;
        const uint port = parts[2].toUInt(&ok);
        if (n.type == DnsRecordType::SRV) {
            return say(why,
                QStringLiteral("--dns \"%1\": SRV records carry their own ports; remove the port")
                    .arg(text));
        }
        if (!ok || port == 0 || port > 65535) {
            return say(why,
                QStringLiteral("--dns \"%1\": \"%2\" is not a port (1 to 65535)")
                    .arg(text, parts[2]));
        }
        n.port = quint16(port);
    }
    dnsNames.append(n);
    return true;
}

bool DiscoveryRequest::setDnsServer(const QString &text, QString *why)
{
    QString reason;
    const auto server = HostPort::parse(text, 53, &reason);
    if (!server) {
        return say(why, QStringLiteral("--dns-server \"%1\": %2").arg(text, reason));
    }
    if (!server->isIpLiteral()) {
        return say(why,
            QStringLiteral("--dns-server \"%1\": give the server's IP address, not a name")
                .arg(text));
    }
    dnsServer = *server;
    return true;
}

QString DiscoveryRequest::incomplete() const
{
    if (isEmpty()) {
        return QStringLiteral(
            "name at least one endpoint: --haproxy, --haproxy-stats, --envoy, --dns or --aws-*");
    }
    if (!dnsNames.isEmpty() && !dnsServer) {
        return QStringLiteral("--dns needs --dns-server IP:PORT (the server to ask)");
    }
    if (aws.count() > 0 && aws.region.isEmpty()) {
        return QStringLiteral("--aws-* needs a region: --aws-region NAME (or AWS_REGION)");
    }
    return QString();
}

} // namespace hopscope
