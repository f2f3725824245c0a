#include "SshHostConfig.h"

#include "core/BoundedFile.h"

namespace hopscope {

namespace {
constexpr qint64 kMaxKeyFileBytes = 64 * 1024; // an RSA-16384 key is ~13 KiB
}

SshIdentity SshIdentity::fromKeyFile(const QString &path, QString *error)
{
    SshIdentity identity;
    identity.kind = Kind::PrivateKey;
    identity.source = QStringLiteral("file:") + path;
    const BoundedRead read = readRegularFile(path, kMaxKeyFileBytes);
    if (!read.ok()) {
        if (error) {
            *error = QStringLiteral("identity: ") + read.error;
        }
        return identity;
    }
    identity.privateKey = read.data;
    return identity;
}

SshIdentity SshIdentity::agent(const QString &socketPath)
{
    SshIdentity identity;
    identity.kind = Kind::Agent;
    identity.agentSocket = socketPath;
    identity.source = QStringLiteral("agent");
    return identity;
}

SshIdentity SshIdentity::fromSecret(const SecretRef &ref)
{
    SshIdentity identity;
    identity.kind = Kind::PrivateKey;
    identity.secret = ref;
    identity.source = ref.toString();
    return identity;
}

QString SshHostConfig::label() const
{
    return user + QLatin1Char('@') + host + QLatin1Char(':') + QString::number(port);
}

QString SshHostConfig::knownHostsName() const
{
    if (port == 22) {
        return host;
    }
    return QLatin1Char('[') + host + QStringLiteral("]:") + QString::number(port);
}

} // namespace hopscope
