#pragma once

#include <QString>
#include <QStringView>
#include <QtGlobal>

#include <optional>

namespace hopscope {

// host:port as written in profiles and on the command line ("127.0.0.1:53", "[::1]:53",
// "lb.internal:9999"). IPv6 literals need brackets when a port follows.
struct HostPort
{
    QString host;
    quint16 port = 0;

    bool isValid() const { return !host.isEmpty() && port != 0; }
    bool isIpLiteral() const;
    QString toString() const; // brackets IPv6

    // defaultPort == 0 means the port is required. On failure returns nullopt and says why.
    static std::optional<HostPort> parse(QStringView text, quint16 defaultPort = 0,
                                         QString *why = nullptr);
    friend bool operator==(const HostPort &a, const HostPort &b)
    {
        return a.host == b.host && a.port == b.port;
    }
};

// Where a HAProxy runtime API ("stats socket") is reached: "unix:/run/haproxy/admin.sock" or
// "tcp:127.0.0.1:9999".
struct RuntimeEndpoint
{
    enum class Kind { None, Unix, Tcp };
    Kind kind = Kind::None;
    QString path;   // Unix
    HostPort tcp;   // Tcp

    bool isValid() const { return kind != Kind::None; }
    QString toString() const;
    static std::optional<RuntimeEndpoint> parse(QStringView text, QString *why = nullptr);
};

// A reference to a secret, never the secret: "env:NAME", "file:/path", "keychain:ID".
struct SecretRef
{
    enum class Kind { None, Env, File, Keychain };
    Kind kind = Kind::None;
    QString value;

    bool isValid() const { return kind != Kind::None && !value.isEmpty(); }
    QString toString() const;
    // why is "looks like an inline secret ..." for strings that look like key material, also
    // after env:, file: or keychain: (a key pasted where its name or path belongs). why never
    // contains any part of text: it may be the secret.
    static std::optional<SecretRef> parse(QStringView text, QString *why = nullptr);
};

// Base64 or hex text long and random-looking enough to be key material rather than a name,
// a path or an id.
bool looksLikeKeyMaterial(QStringView text);

// Why a URL written in a profile carries a secret: credentials (user:password@, any scheme) or
// a query parameter named like one (token=, password=, secret=, key=, ...). Empty when it does
// not. The answer names the parameter, never a value, so it can be shown as it is.
QString secretInUrl(QStringView text);

// RFC 1035 name syntax, relaxed to allow '_' (SRV owners) and a trailing dot.
bool isValidDnsName(QStringView name, QString *why = nullptr);

} // namespace hopscope
