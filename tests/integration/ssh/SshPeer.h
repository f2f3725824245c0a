#pragma once

#include "ssh/SshHostConfig.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>

// The throwaway sshd of the `peers_ssh` fixture (tests/peers/ssh_peer.py): its state.json and
// the script's kill/start. Header-only test helper.
class SshPeer
{
public:
    SshPeer()
        : m_dir(qEnvironmentVariable("HOPSCOPE_SSH_PEER_DIR"))
    {
        QFile f(m_dir + QStringLiteral("/state.json"));
        if (f.open(QIODevice::ReadOnly)) {
            m_state = QJsonDocument::fromJson(f.readAll()).object();
        }
    }

    bool isUp() const { return m_state.contains(QStringLiteral("port")); }
    QString value(const char *key) const { return m_state[QLatin1String(key)].toString(); }
    int port() const { return m_state[QStringLiteral("port")].toInt(); }
    QJsonObject http() const { return m_state[QStringLiteral("http")].toObject(); }

    // A config that authenticates: the right user, key and host fingerprint.
    hopscope::SshHostConfig config() const
    {
        hopscope::SshHostConfig c;
        c.id = QStringLiteral("jump");
        c.host = QStringLiteral("127.0.0.1");
        c.port = static_cast<quint16>(port());
        c.user = value("user");
        c.expectedFingerprint = value("host_key_fingerprint");
        QString error;
        c.identity = hopscope::SshIdentity::fromKeyFile(value("user_key"), &error);
        c.deadlineMs = 10'000;
        c.reconnectBaseMs = 100;
        c.reconnectMaxMs = 500;
        return c;
    }

    // ssh_peer.py kill|start --dir DIR; true on exit 0. Output in *log.
    bool run(const QString &command, QString *log = nullptr) const
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("python3"),
            { qEnvironmentVariable("HOPSCOPE_SSH_PEER_SCRIPT"), command, QStringLiteral("--dir"),
                m_dir });
        const bool finished = p.waitForFinished(60000);
        if (log) {
            *log = QString::fromUtf8(p.readAll());
        }
        return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

private:
    QString m_dir;
    QJsonObject m_state;
};
