#pragma once

#include "profile/Endpoint.h"

#include <QByteArray>
#include <QString>

namespace hopscope {

// How an SSH session proves who it is: a private key whose text the caller has resolved (a
// `file:` or `keychain:` secret), or the ssh-agent at SSH_AUTH_SOCK. The key text and the
// passphrase are secrets: no message ever contains them, only `source`.
struct SshIdentity
{
    enum class Kind { PrivateKey, Agent };
    Kind kind = Kind::PrivateKey;
    QByteArray privateKey; // OpenSSH or PEM private key file text
    QByteArray passphrase; // empty: the key must not be encrypted
    QString source; // where the key came from, for messages ("file:/home/ops/.ssh/id_ed25519")
    QString agentSocket; // Agent: empty means $SSH_AUTH_SOCK
    // PrivateKey without privateKey text: the session resolves this reference (SecretResolver,
    // never on its thread's time) before importing the key.
    SecretRef secret;

    // Reads a private key file as a capped regular file (a FIFO or a device is refused by name).
    static SshIdentity fromKeyFile(const QString &path, QString *error);
    static SshIdentity agent(const QString &socketPath = QString());
    // A key the session reads itself when it first connects ("file:…", "keychain:…").
    static SshIdentity fromSecret(const SecretRef &ref);
};

// One jump host as a profile's `sshHosts[]` entry will describe it. Exactly one of
// expectedFingerprint / knownHostsFile decides which host key is accepted; with neither, every
// key is refused (never trust on first use).
struct SshHostConfig
{
    QString id; // the profile's id of the host, for messages
    QString host;
    quint16 port = 22;
    QString user;
    QString expectedFingerprint; // "SHA256:<base64>", as `ssh-keygen -lf` prints it
    QString knownHostsFile; // an OpenSSH known_hosts file (hashed entries work)
    SshIdentity identity;

    int deadlineMs = 20'000; // whole connect: resolve, TCP, key exchange, host key, auth
    int keepaliveIntervalMs = 15'000; // keepalive@openssh.com while authenticated
    int deadPeerMs = 45'000; // silence (keepalives unanswered) or unacknowledged data
                             // this long drops the link (also TCP_USER_TIMEOUT)
    int reconnectBaseMs = 1'000; // backoff after a transport failure
    int reconnectMaxMs = 60'000;

    // "ops@bastion.example.net:22"
    QString label() const;
    // The known_hosts key: "host" on port 22, else "[host]:port".
    QString knownHostsName() const;
};

} // namespace hopscope
