#pragma once

#include "SshHostConfig.h"

#include <QString>
#include <QStringList>

#include <libssh/libssh.h>

namespace hopscope {

// Host-key helpers over libssh: the OpenSSH "SHA256:<base64>" fingerprint of a key, the same
// form normalised for comparison, and the keys a known_hosts file records for one host (to name
// the recorded fingerprint when the server presents another). Pure functions; any thread.
namespace SshHostKey {

// "SHA256:<base64 without padding>" (the `ssh-keygen -lf` form), or an empty string.
QString fingerprint(ssh_key key);
// "ssh-ed25519", "ssh-rsa", ...
QString typeName(ssh_key key);
// Accepts "SHA256:abc", "sha256:abc=", "abc"; returns "SHA256:abc" (base64 is case-sensitive).
QString normalizeFingerprint(const QString &text);

// "SHA256:… (ssh-ed25519)" for every key `knownHostsText` records for `hostName`
// ("host" or "[host]:port"), hashed (|1|…) entries included, parsed by libssh.
QStringList recordedKeys(const QByteArray &knownHostsText, const QString &hostName);

// The host-key decision for a session whose key exchange finished: accepted when the server's
// key matches config.expectedFingerprint, else the known_hosts file (read as a capped regular
// file first: libssh would block on a FIFO). A refusal names both fingerprints, or says that
// the file records none for this host. Never accepts an unknown key.
struct Verdict
{
    bool accepted = false;
    bool noKey = false; // the server sent no host key (a protocol failure, not a refusal)
    QString serverFingerprint;
    QString error;
};
Verdict verify(ssh_session session, const SshHostConfig &config);

} // namespace SshHostKey
} // namespace hopscope
