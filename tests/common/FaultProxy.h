#pragma once

// tests/peers/fault_proxy.py from a Qt test: started as a child process with per-run ports,
// ready when its state file appears, switched over its control socket, stopped by its PID (the
// QProcess) in the destructor. Header-only test helper; see fault_proxy.py for the modes.

#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTcpSocket>
#include <QTemporaryDir>

class FaultProxy
{
public:
    FaultProxy() = default;
    FaultProxy(const FaultProxy &) = delete;
    FaultProxy &operator=(const FaultProxy &) = delete;
    ~FaultProxy() { stop(); }

    static QString script()
    {
        return QFileInfo(qEnvironmentVariable("HOPSCOPE_PEERS_SCRIPT")).absolutePath()
            + QStringLiteral("/fault_proxy.py");
    }

    // routes: "NAME=tcp|http|dns:HOST:PORT". Returns false and says why in *error.
    bool start(const QStringList &routes, QString *error)
    {
        m_statePath = m_dir.filePath(QStringLiteral("fault-proxy.json"));
        QStringList args { script(), QStringLiteral("serve"), QStringLiteral("--state"),
            m_statePath, QStringLiteral("--max-seconds"), QStringLiteral("1800") };
        for (const QString &r : routes) {
            args << QStringLiteral("--route") << r;
        }
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral("python3"), args);
        if (!m_process.waitForStarted(10000)) {
            *error = QStringLiteral("cannot start %1: %2").arg(script(), m_process.errorString());
            return false;
        }
        QDeadlineTimer deadline(15000);
        while (!QFile::exists(m_statePath)) {
            // Polls the ready file while watching the process: it may exit with a message.
            if (m_process.waitForFinished(20) || deadline.hasExpired()) {
                *error = QStringLiteral("fault proxy not ready within 15 s (exit %1)")
                             .arg(m_process.exitCode());
                return false;
            }
        }
        QFile f(m_statePath);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read %1").arg(m_statePath);
            return false;
        }
        m_state = QJsonDocument::fromJson(f.read(1 << 20)).object();
        return !m_state.isEmpty();
    }

    void stop()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5000)) {
                m_process.kill();
                m_process.waitForFinished(5000);
            }
        }
    }

    QString host() const { return QStringLiteral("127.0.0.1"); }
    quint16 port(const QString &route) const
    {
        return quint16(m_state[QStringLiteral("routes")][route][QStringLiteral("listen")]
                              [QStringLiteral("port")]
                                  .toInt());
    }
    QString hostPort(const QString &route) const
    {
        return host() + u':' + QString::number(port(route));
    }

    // One control command; the reply ({"ok":false,"error":...} on failure to talk to it).
    QJsonObject command(const QJsonObject &cmd) const
    {
        QTcpSocket s;
        const QJsonObject control = m_state[QStringLiteral("control")].toObject();
        s.connectToHost(control[QStringLiteral("addr")].toString(),
            quint16(control[QStringLiteral("port")].toInt()));
        if (!s.waitForConnected(5000)) {
            return { { QStringLiteral("ok"), false },
                { QStringLiteral("error"), s.errorString() } };
        }
        s.write(QJsonDocument(cmd).toJson(QJsonDocument::Compact) + '\n');
        QByteArray line;
        QDeadlineTimer deadline(5000);
        while (!line.endsWith('\n') && !deadline.hasExpired() && line.size() < (1 << 20)) {
            if (!s.bytesAvailable() && !s.waitForReadyRead(int(deadline.remainingTime()))) {
                break;
            }
            line += s.read(1 << 20);
        }
        const QJsonObject reply = QJsonDocument::fromJson(line).object();
        return reply.isEmpty() ? QJsonObject { { QStringLiteral("ok"), false },
            { QStringLiteral("error"), QStringLiteral("no reply") } }
                               : reply;
    }

    // set ROUTE MODE with options ("match", "close", "ms", "rate", "times").
    bool set(const QString &route, const QString &mode, QJsonObject options = {}) const
    {
        options.insert(QStringLiteral("cmd"), QStringLiteral("set"));
        options.insert(QStringLiteral("route"), route);
        options.insert(QStringLiteral("mode"), mode);
        return command(options)[QStringLiteral("ok")].toBool();
    }

    bool release(const QString &route, bool forward) const
    {
        return command({ { QStringLiteral("cmd"), QStringLiteral("release") },
            { QStringLiteral("route"), route },
            { QStringLiteral("forward"), forward } })[QStringLiteral("ok")]
            .toBool();
    }

    // A counter of fault_proxy.py's stats (requests, matched, faulted, held, forwarded, answered,
    // delivered).
    int counter(const QString &route, const QString &key) const
    {
        return command({ { QStringLiteral("cmd"),
            QStringLiteral("stats") } })[QStringLiteral("routes")][route][key]
            .toInt(-1);
    }

private:
    QTemporaryDir m_dir;
    QString m_statePath;
    QProcess m_process;
    QJsonObject m_state;
};
