#pragma once

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

// Access to the running demo cluster (tests/peers) for integration tests: its state.json and
// the harness CLI (backend fail/recover, kill/start, nsupdate). Header-only test helper.
class PeersHarness
{
public:
    PeersHarness()
        : m_dir(qEnvironmentVariable("HOPSCOPE_PEERS_DIR"))
    {
        QFile f(m_dir + QStringLiteral("/state.json"));
        if (f.open(QIODevice::ReadOnly)) {
            m_state = QJsonDocument::fromJson(f.readAll()).object();
        }
    }

    bool isUp() const { return !m_state.isEmpty(); }
    QString dir() const { return m_dir; }
    QString profilePath() const { return m_dir + QStringLiteral("/demo.hopscope.json"); }
    const QJsonObject &state() const { return m_state; }

    // "addr:port" of every task of a service, in state.json order.
    QStringList tasks(const QString &serviceId) const
    {
        QStringList keys;
        const QJsonArray tasks = m_state[QStringLiteral("services")].toObject()[serviceId].toObject()[QStringLiteral("tasks")].toArray();
        for (const QJsonValue &t : tasks) {
            keys.append(t[QStringLiteral("addr")].toString() + QLatin1Char(':') + QString::number(t[QStringLiteral("port")].toInt()));
        }
        return keys;
    }

    // Runs `hopscope_peers.py CMD --dir DIR ARGS...`; returns true on exit 0. Output in *log.
    bool run(const QString &command, const QStringList &args = {}, QString *log = nullptr) const
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("python3"), QStringList{qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT"), command,
                                                       QStringLiteral("--dir"), m_dir} + args);
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
