#include "SshHostKey.h"

#include <QList>

namespace hopscope::SshHostKey {

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

} // namespace hopscope::SshHostKey
