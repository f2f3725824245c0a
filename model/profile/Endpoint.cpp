#include "Endpoint.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace hopscope {

namespace {
bool parsePort(QStringView text, quint16 *port)
{
    bool ok = false;
    const uint value = text.toUInt(&ok);
    if (!ok || value == 0 || value > 65535 || text.startsWith(u'+')) {
        return false;
    }
    *port = quint16(value);
    return true;
}

void say(QString *why, const QString &text)
{
    if (why) {
        *why = text;
    }
}
} // namespace

bool HostPort::isIpLiteral() const
{
    return !QHostAddress(host).isNull();
}

QString HostPort::toString() const
{
    const QString h = host.contains(u':') ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    return h + QLatin1Char(':') + QString::number(port);
}

std::optional<HostPort> HostPort::parse(QStringView text, quint16 defaultPort, QString *why)
{
    text = text.trimmed();
    if (text.isEmpty()) {
        say(why, QStringLiteral("is empty; expected HOST:PORT"));
        return std::nullopt;
    }
    HostPort hp;
    QStringView portText;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0) {
            say(why, QStringLiteral("has an unclosed '[' in an IPv6 address"));
            return std::nullopt;
        }
        hp.host = text.mid(1, close - 1).toString();
        QStringView rest = text.mid(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(u':')) {
                say(why, QStringLiteral("expected ':' after ']'"));
                return std::nullopt;
            }
            portText = rest.mid(1);
        }
        if (QHostAddress(hp.host).protocol() != QAbstractSocket::IPv6Protocol) {
            say(why, QStringLiteral("\"%1\" is not an IPv6 address").arg(hp.host));
            return std::nullopt;
        }
    } else {
        const qsizetype colons = text.count(u':');
        if (colons > 1) {
            say(why, QStringLiteral("write IPv6 addresses in brackets, e.g. [::1]:53"));
            return std::nullopt;
        }
        if (colons == 1) {
            const qsizetype colon = text.indexOf(u':');
            hp.host = text.left(colon).toString();
            portText = text.mid(colon + 1);
        } else {
            hp.host = text.toString();
        }
        if (hp.host.isEmpty()) {
            say(why, QStringLiteral("has no host before ':'"));
            return std::nullopt;
        }
        if (QHostAddress(hp.host).isNull()) {
            QString nameWhy;
            if (!isValidDnsName(hp.host, &nameWhy)) {
                say(why, QStringLiteral("\"%1\" is neither an IP address nor a host name").arg(hp.host));
                return std::nullopt;
            }
        }
    }
    if (portText.isNull()) {
        if (defaultPort == 0) {
            say(why, QStringLiteral("has no port; expected HOST:PORT"));
            return std::nullopt;
        }
        hp.port = defaultPort;
    } else if (!parsePort(portText, &hp.port)) {
        say(why, QStringLiteral("port \"%1\" is not a number from 1 to 65535").arg(portText));
        return std::nullopt;
    }
    return hp;
}

QString RuntimeEndpoint::toString() const
{
    switch (kind) {
    case Kind::Unix:
        return QStringLiteral("unix:") + path;
    case Kind::Tcp:
        return QStringLiteral("tcp:") + tcp.toString();
    case Kind::None:
        break;
    }
    return {};
}

std::optional<RuntimeEndpoint> RuntimeEndpoint::parse(QStringView text, QString *why)
{
    RuntimeEndpoint ep;
    if (text.startsWith(u"unix:")) {
        ep.kind = Kind::Unix;
        ep.path = text.mid(5).toString();
        if (!ep.path.startsWith(u'/')) {
            say(why, QStringLiteral("unix socket path must be absolute, e.g. unix:/run/haproxy/admin.sock"));
            return std::nullopt;
        }
        if (ep.path.toUtf8().size() > 107) {
            say(why, QStringLiteral("unix socket path is longer than the 107 bytes a socket address holds"));
            return std::nullopt;
        }
        return ep;
    }
    if (text.startsWith(u"tcp:")) {
        QString hpWhy;
        const auto hp = HostPort::parse(text.mid(4), 0, &hpWhy);
        if (!hp) {
            say(why, QStringLiteral("tcp address ") + hpWhy);
            return std::nullopt;
        }
        ep.kind = Kind::Tcp;
        ep.tcp = *hp;
        return ep;
    }
    say(why, QStringLiteral("\"%1\" is not a socket spec; use unix:PATH or tcp:HOST:PORT").arg(text));
    return std::nullopt;
}

QString SecretRef::toString() const
{
    switch (kind) {
    case Kind::Env:
        return QStringLiteral("env:") + value;
    case Kind::File:
        return QStringLiteral("file:") + value;
    case Kind::Keychain:
        return QStringLiteral("keychain:") + value;
    case Kind::None:
        break;
    }
    return {};
}

bool looksLikeKeyMaterial(QStringView text)
{
    // Hex: 128 bits or more.
    static const QRegularExpression hex(QStringLiteral("^[0-9A-Fa-f]{32,}$"));
    if (hex.match(text).hasMatch()) {
        return true;
    }
    // Base64 (standard or URL-safe alphabet, optional padding): at least 16 characters mixing
    // upper case, lower case and digits, and either padded, with '+', or with a run of 20 or more
    // characters between slashes (a path has short words between its slashes).
    static const QRegularExpression base64(QStringLiteral("^[A-Za-z0-9+/_-]{16,}={0,2}$"));
    if (!base64.match(text).hasMatch()) {
        return false;
    }
    bool upper = false;
    bool lower = false;
    bool digit = false;
    qsizetype run = 0;
    qsizetype longestRun = 0;
    for (QChar c : text) {
        upper = upper || (c >= u'A' && c <= u'Z');
        lower = lower || (c >= u'a' && c <= u'z');
        digit = digit || (c >= u'0' && c <= u'9');
        run = (c == u'/' || c == u'_' || c == u'-' || c == u'=') ? 0 : run + 1;
        longestRun = qMax(longestRun, run);
    }
    if (!(upper && lower && digit)) {
        return false;
    }
    return text.endsWith(u'=') || text.contains(u'+') || longestRun >= 20;
}

std::optional<SecretRef> SecretRef::parse(QStringView text, QString *why)
{
    // No message below quotes text: whatever is refused here may be the secret itself.
    SecretRef ref;
    const auto refuseKey = [why](const char *scheme, const char *instead) {
        say(why,
            QStringLiteral("%1: is followed by what looks like the secret itself; %2")
                .arg(QLatin1String(scheme), QLatin1String(instead)));
        return std::nullopt;
    };
    if (text.startsWith(u"env:")) {
        ref.kind = Kind::Env;
        ref.value = text.mid(4).toString();
        static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
        if (looksLikeKeyMaterial(ref.value)) {
            return refuseKey("env", "put the secret in an environment variable and give its name");
        }
        if (!envName.match(ref.value).hasMatch()) {
            say(why,
                QStringLiteral("env: is not followed by an environment variable name "
                               "(letters, digits and '_', not starting with a digit)"));
            return std::nullopt;
        }
        return ref;
    }
    if (text.startsWith(u"file:")) {
        ref.kind = Kind::File;
        ref.value = text.mid(5).toString();
        if (ref.value.isEmpty()) {
            say(why, QStringLiteral("file: needs a path"));
            return std::nullopt;
        }
        if (looksLikeKeyMaterial(ref.value)) {
            return refuseKey("file", "put the secret in a file and give its path");
        }
        return ref;
    }
    if (text.startsWith(u"keychain:")) {
        ref.kind = Kind::Keychain;
        ref.value = text.mid(9).toString();
        if (ref.value.isEmpty()) {
            say(why, QStringLiteral("keychain: needs an entry id"));
            return std::nullopt;
        }
        if (looksLikeKeyMaterial(ref.value)) {
            return refuseKey("keychain", "store the secret in the keychain and give its entry id");
        }
        return ref;
    }
    // Anything else is refused; base64- or hex-looking text gets the sharper message because
    // it is most likely a pasted key that now sits in a versioned file.
    static const QRegularExpression keyLike(QStringLiteral("^[A-Za-z0-9+/=_-]{12,}$"));
    if (keyLike.match(text).hasMatch()) {
        say(why, QStringLiteral("looks like an inline secret; use env:, file: or keychain:"));
    } else {
        say(why, QStringLiteral("is not a secret reference; use env:NAME, file:PATH or keychain:ID"));
    }
    return std::nullopt;
}

QString secretInUrl(QStringView text)
{
    // The authority is what follows "//" up to the next '/', '?' or '#'; any '@' in it means
    // user information, whether or not the rest parses as a URL.
    const qsizetype slashes = text.indexOf(u"//");
    if (slashes >= 0) {
        QStringView authority = text.mid(slashes + 2);
        for (qsizetype i = 0; i < authority.size(); ++i) {
            const QChar c = authority.at(i);
            if (c == u'/' || c == u'?' || c == u'#') {
                authority = authority.left(i);
                break;
            }
        }
        if (authority.contains(u'@')) {
            return QStringLiteral("is a URL with credentials (user:password@), an inline secret; "
                                  "remove them");
        }
    }
    const qsizetype question = text.indexOf(u'?');
    if (question < 0) {
        return {};
    }
    QStringView query = text.mid(question + 1);
    if (const qsizetype hash = query.indexOf(u'#'); hash >= 0) {
        query = query.left(hash);
    }
    static const QRegularExpression secretName(
        QStringLiteral("(token|secret|passw|pwd|apikey|api_key|api-key|auth|credential|signature|"
                       "session|(^|[_.-])(key|sig|pass)$)"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression plainName(QStringLiteral("^[A-Za-z0-9_.-]{1,40}$"));
    for (QStringView pair : query.split(u'&')) {
        const qsizetype eq = pair.indexOf(u'=');
        const QStringView name = eq < 0 ? pair : pair.left(eq);
        if (secretName.match(name).hasMatch()) {
            // The name is shown only when it is a plain word (never anything that could be a
            // value).
            return plainName.match(name).hasMatch()
                ? QStringLiteral("is a URL with a secret in its query (parameter \"%1\"), an "
                                 "inline secret; remove it")
                      .arg(name)
                : QStringLiteral("is a URL with a secret in its query, an inline secret; "
                                 "remove it");
        }
    }
    return {};
}

bool isValidDnsName(QStringView name, QString *why)
{
    if (name.endsWith(u'.')) {
        name.chop(1);
    }
    if (name.isEmpty()) {
        say(why, QStringLiteral("is empty"));
        return false;
    }
    if (name.size() > 253) {
        say(why, QStringLiteral("is longer than 253 characters"));
        return false;
    }
    for (QStringView label : name.split(u'.')) {
        if (label.isEmpty()) {
            say(why, QStringLiteral("has an empty label"));
            return false;
        }
        if (label.size() > 63) {
            say(why, QStringLiteral("has a label longer than 63 characters"));
            return false;
        }
        for (QChar c : label) {
            const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z')
                            || (c >= u'0' && c <= u'9') || c == u'-' || c == u'_';
            if (!ok) {
                say(why, QStringLiteral("has the character '%1', not allowed in a DNS name").arg(c));
                return false;
            }
        }
        if (label.startsWith(u'-') || label.endsWith(u'-')) {
            say(why, QStringLiteral("has a label that starts or ends with '-'"));
            return false;
        }
    }
    return true;
}

} // namespace hopscope
