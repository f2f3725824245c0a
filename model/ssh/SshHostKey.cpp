#include "SshHostKey.h"

#include "core/BoundedFile.h"

#include <QList>

namespace hopscope::SshHostKey {

namespace {
constexpr qint64 kMaxKnownHostsBytes = 4 * 1024 * 1024;
}

QString fingerprint(ssh_key key)
{
    if (!key) {
        return QString();
    }
    unsigned char *hash = nullptr;
    size_t length = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
        return QString();
    }
    char *text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
    const QString result = text ? QString::fromLatin1(text) : QString();
    ssh_string_free_char(text);
    ssh_clean_pubkey_hash(&hash);
    return result;
}

QString typeName(ssh_key key)
{
    const char *name = key ? ssh_key_type_to_char(ssh_key_type(key)) : nullptr;
    return name ? QString::fromLatin1(name) : QStringLiteral("unknown key type");
}

QString normalizeFingerprint(const QString &text)
{
    QString body = text.trimmed();
    if (body.startsWith(QLatin1String("SHA256:"), Qt::CaseInsensitive)) {
        body = body.mid(7);
    }
    while (body.endsWith(QLatin1Char('='))) {
        body.chop(1);
    }
    return QStringLiteral("SHA256:") + body;
}

QStringList recordedKeys(const QByteArray &knownHostsText, const QString &hostName)
{
    QStringList keys;
    const QByteArray host = hostName.toUtf8();
    const QList<QByteArray> lines = knownHostsText.split('\n');
    for (const QByteArray &raw : lines) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty() || line.startsWith('#') || line.startsWith('@')) {
            continue;
        }
        ssh_knownhosts_entry *entry = nullptr;
        // SSH_OK only when the line names this host; SSH_AGAIN for other hosts.
        if (ssh_known_hosts_parse_line(host.constData(), line.constData(), &entry) == SSH_OK
            && entry) {
            keys.append(fingerprint(entry->publickey) + QStringLiteral(" (")
                + typeName(entry->publickey) + QLatin1Char(')'));
        }
        if (entry) {
            ssh_knownhosts_entry_free(entry);
        }
    }
    return keys;
}

Verdict verify(ssh_session session, const SshHostConfig &config)
{
    Verdict v;
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK) {
        v.noKey = true;
        v.error = QStringLiteral("%1 sent no host key: %2")
                      .arg(config.label(), QString::fromUtf8(ssh_get_error(session)));
        return v;
    }
    v.serverFingerprint = fingerprint(key);
    const QString presented
        = v.serverFingerprint + QStringLiteral(" (") + typeName(key) + QLatin1Char(')');
    ssh_key_free(key);

    if (!config.expectedFingerprint.isEmpty()) {
        const QString expected = normalizeFingerprint(config.expectedFingerprint);
        if (!v.serverFingerprint.isEmpty() && expected == v.serverFingerprint) {
            v.accepted = true;
            return v;
        }
        v.error
            = (QStringLiteral("host key of %1 does not match: the server presents %2, the profile "
                              "expects %3; refusing to connect")
                    .arg(config.label(), presented, expected));
        return v;
    }

    const BoundedRead file = readRegularFile(config.knownHostsFile, kMaxKnownHostsBytes);
    if (!file.ok()) {
        v.error = (QStringLiteral("cannot check the host key of %1: known_hosts %2")
                       .arg(config.label(), file.error));
        return v;
    }
    switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
        v.accepted = true;
        return v;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        QStringList recorded = recordedKeys(file.data, config.knownHostsName());
        if (recorded.isEmpty()) {
            recorded << QStringLiteral("another key");
        }
        v.error
            = (QStringLiteral("host key of %1 does not match %2: the server presents %3, the file "
                              "records %4 for %5; refusing to connect")
                    .arg(config.label(), config.knownHostsFile, presented,
                        recorded.join(QStringLiteral(", ")), config.knownHostsName()));
        return v;
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        v.error
            = (QStringLiteral("host key of %1 is unknown: the server presents %2 and %3 records no "
                              "key for %4; refusing an unknown key")
                    .arg(
                        config.label(), presented, config.knownHostsFile, config.knownHostsName()));
        return v;
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    v.error = (QStringLiteral("cannot check the host key of %1 against %2: %3")
                   .arg(config.label(), config.knownHostsFile,
                       QString::fromUtf8(ssh_get_error(session))));
    return v;
}

} // namespace hopscope::SshHostKey
