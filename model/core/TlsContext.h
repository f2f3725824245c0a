#pragma once

#include "profile/ClusterProfile.h"
#include "profile/ProfileStore.h"

#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QStringList>

#include <memory>

class QNetworkAccessManager;

namespace hopscope {

class SecretResolver;

// What a loaded "tls" block gives each HTTPS request.
struct TlsSettings
{
    QSslConfiguration configuration; // CAs (the profile's or the system's), client cert + key
    QStringList pins; // base64 SPKI SHA-256; empty: no pinning
    bool verify = true;
    bool clientCertificate = false;
    QString trustedBy; // "the profile's CA file:/etc/ssl/corp.pem", "the system CAs"
    QString path; // "proxies[0].tls"
};

// One profile "tls" block, loaded once and shared by the requests of the sources that use it.
// load() reads the CA and certificate files off the calling thread (runOffThread, bounded regular
// files) and the key through SecretResolver (file:, env:, keychain:), then emits settled() with
// state() Ready or Failed (error() in plain words naming the JSON path and the reference, never
// a byte of the key). Lives on its owner's thread, which it never blocks. Owns the
// QNetworkAccessManager its sources use: QtNetwork keys reusable connections by host and port,
// not by certificates, so a shared one could hand a source a connection made with another
// source's client certificate or trust.
class TlsContext : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Loading, Ready, Failed };

    explicit TlsContext(TlsSpec spec, QObject *parent = nullptr);
    ~TlsContext() override;

    const TlsSpec &spec() const { return m_spec; }
    State state() const { return m_state; }
    QString error() const { return m_error; }
    const TlsSettings &settings() const { return m_settings; }
    QNetworkAccessManager *networkAccessManager() const;
    // Non-empty when the block turns verification off: the warning its sources show.
    QString warning() const;
    // The name the server's certificate must carry and the SNI sent, when the URL's host is not
    // it: an endpoint behind an SSH jump host is fetched from its local forward (127.0.0.1:port)
    // but is the profile's host. Empty: the URL's host, as usual.
    void setPeerVerifyName(const QString &name) { m_peerVerifyName = name; }
    QString peerVerifyName() const { return m_peerVerifyName; }

    void load(); // once; later calls do nothing

    // profile check: reads and parses the files and the key now, on this thread (CLI only).
    // keychain: keys are not asked for.
    static QList<ProfileProblem> check(const TlsSpec &spec);

Q_SIGNALS:
    void settled();

private:
    void onFilesRead(
        const QList<QSslCertificate> &ca, const QSslCertificate &cert, const QString &error);
    void onKey(const QByteArray &secret);
    void fail(const QString &error);
    void ready();

    TlsSpec m_spec;
    QString m_peerVerifyName;
    State m_state = State::Idle;
    QString m_error;
    TlsSettings m_settings;
    QSslCertificate m_cert;
    QList<QSslCertificate> m_ca;
    QPointer<SecretResolver> m_resolver;
    std::unique_ptr<QNetworkAccessManager> m_nam;
};

} // namespace hopscope
