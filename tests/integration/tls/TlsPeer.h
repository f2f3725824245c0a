#pragma once

#include "profile/ClusterProfile.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QUrl>

// The HAProxy TLS terminator of the `peers_tls` fixture (tests/peers/tls_peer.py): its state.json
// (frontend URLs, the per-run CA, client certificates, pins) and its `swap` command.
// Header-only test helper.
class TlsPeer
{
public:
    TlsPeer()
        : m_dir(qEnvironmentVariable("HOPSCOPE_TLS_PEER_DIR"))
    {
        QFile f(m_dir + QStringLiteral("/state.json"));
        if (f.open(QIODevice::ReadOnly)) {
            m_state = QJsonDocument::fromJson(f.readAll()).object();
        }
    }

    bool isUp() const { return m_state.contains(QStringLiteral("frontends")); }
    QString value(const char *key) const { return m_state[QLatin1String(key)].toString(); }
    QUrl url(const char *frontend) const
    {
        return QUrl(
            m_state[QStringLiteral("frontends")][QLatin1String(frontend)][QStringLiteral("url")]
                .toString());
    }
    QString pin(const char *cert) const
    {
        return m_state[QStringLiteral("pins")][QLatin1String(cert)].toString();
    }
    static hopscope::SecretRef file(const QString &path)
    {
        return { hopscope::SecretRef::Kind::File, path };
    }
    // A "tls" block trusting the per-run CA (and nothing else).
    hopscope::TlsSpec trustingCa() const
    {
        hopscope::TlsSpec spec;
        spec.ca = file(value("ca"));
        spec.path = QStringLiteral("proxies[0].tls");
        return spec;
    }
    hopscope::TlsSpec withClientCert(
        const char *cert = "client_cert", const char *key = "client_key") const
    {
        hopscope::TlsSpec spec = trustingCa();
        spec.cert = file(value(cert));
        spec.key = file(value(key));
        return spec;
    }

    // tls_peer.py swap --dir DIR --to NAME; true on exit 0. Output in *log.
    bool swap(const QString &to, QString *log = nullptr) const
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("python3"),
            { qEnvironmentVariable("HOPSCOPE_TLS_PEER_SCRIPT"), QStringLiteral("swap"),
                QStringLiteral("--dir"), m_dir, QStringLiteral("--to"), to });
        const bool finished = p.waitForFinished(30000);
        if (log) {
            *log = QString::fromUtf8(p.readAll());
        }
        return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

private:
    QString m_dir;
    QJsonObject m_state;
};
