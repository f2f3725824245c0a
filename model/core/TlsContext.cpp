#include "core/TlsContext.h"

#include "core/BoundedFile.h"
#include "core/OffThread.h"
#include "ops/SecretResolver.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>

namespace hopscope {

namespace {

constexpr qint64 s_maxPemBytes = 1024 * 1024;

struct TlsFiles
{
    QList<QSslCertificate> ca;
    QSslCertificate cert;
    QList<ProfileProblem> problems;
};

QString where(const QString &path, const char *key)
{
    return path + u'.' + QLatin1String(key);
}

// The CA bundle and the client certificate; safe on any thread.
TlsFiles readFiles(const TlsSpec &spec)
{
    TlsFiles files;
    if (spec.ca) {
        const BoundedRead read = readRegularFile(spec.ca->value, s_maxPemBytes);
        if (!read.ok()) {
            files.problems.append({ where(spec.path, "ca"),
                QStringLiteral("cannot read the CA file: ") + read.error });
        } else {
            files.ca = QSslCertificate::fromData(read.data, QSsl::Pem);
            if (files.ca.isEmpty()) {
                files.problems.append({ where(spec.path, "ca"),
                    spec.ca->value
                        + QStringLiteral(
                            " holds no PEM certificate (-----BEGIN CERTIFICATE-----)") });
            }
        }
    }
    if (spec.cert) {
        const BoundedRead read = readRegularFile(spec.cert->value, s_maxPemBytes);
        if (!read.ok()) {
            files.problems.append({ where(spec.path, "cert"),
                QStringLiteral("cannot read the certificate file: ") + read.error });
        } else {
            const QList<QSslCertificate> certs = QSslCertificate::fromData(read.data, QSsl::Pem);
            if (certs.isEmpty()) {
                files.problems.append({ where(spec.path, "cert"),
                    spec.cert->value
                        + QStringLiteral(
                            " holds no PEM certificate (-----BEGIN CERTIFICATE-----)") });
            } else {
                files.cert = certs.first();
            }
        }
    }
    return files;
}

// An unencrypted private key in PEM or DER, of any algorithm Qt reads. Never says what it held.
QSslKey parseKey(const QByteArray &bytes)
{
    for (const QSsl::EncodingFormat format : { QSsl::Pem, QSsl::Der }) {
        for (const QSsl::KeyAlgorithm algorithm : { QSsl::Ec, QSsl::Rsa, QSsl::Dsa }) {
            QSslKey key(bytes, algorithm, format, QSsl::PrivateKey);
            if (!key.isNull()) {
                return key;
            }
        }
    }
    return {};
}

QString keyProblem(const TlsSpec &spec)
{
    return spec.key->toString()
        + QStringLiteral(" is not an unencrypted PEM or DER private key (EC, RSA or DSA)");
}

} // namespace

TlsContext::TlsContext(TlsSpec spec, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
{ }

TlsContext::~TlsContext() = default;

QNetworkAccessManager *TlsContext::networkAccessManager() const
{
    if (!m_nam) {
        auto *self = const_cast<TlsContext *>(this);
        self->m_nam = std::make_unique<QNetworkAccessManager>();
        // Admin endpoints are local or inside the VPC: never through a system proxy.
        self->m_nam->setProxy(QNetworkProxy::NoProxy);
    }
    return m_nam.get();
}

QString TlsContext::warning() const
{
    if (m_spec.verify) {
        return {};
    }
    return QStringLiteral("TLS verification is off (%1.verify is false): the server's certificate "
                          "and host name are not checked%2")
        .arg(m_spec.path,
            m_spec.pinsSha256.isEmpty() ? QString() : QStringLiteral("; only its key pin is"));
}

void TlsContext::load()
{
    if (m_state != State::Idle) {
        return;
    }
    m_state = State::Loading;
    const TlsSpec spec = m_spec;
    runOffThread(
        this, [spec] { return readFiles(spec); },
        [this](const TlsFiles &files) {
            onFilesRead(files.ca, files.cert,
                files.problems.isEmpty() ? QString() : files.problems.first().toString());
        });
}

void TlsContext::onFilesRead(
    const QList<QSslCertificate> &ca, const QSslCertificate &cert, const QString &error)
{
    if (!error.isEmpty()) {
        fail(error);
        return;
    }
    m_ca = ca;
    m_cert = cert;
    if (!m_spec.key) {
        ready();
        return;
    }
    m_resolver = new SecretResolver(this);
    connect(m_resolver, &SecretResolver::resolved, this, [this](const QByteArray &secret) {
        m_resolver->deleteLater();
        onKey(secret);
    });
    connect(m_resolver, &SecretResolver::failed, this, [this](const QString &why) {
        m_resolver->deleteLater();
        fail(where(m_spec.path, "key") + QStringLiteral(": ") + why);
    });
    m_resolver->resolve(*m_spec.key);
}

void TlsContext::onKey(const QByteArray &secret)
{
    const QSslKey key = parseKey(secret);
    if (key.isNull()) {
        fail(where(m_spec.path, "key") + QStringLiteral(": ") + keyProblem(m_spec));
        return;
    }
    m_settings.configuration.setPrivateKey(key);
    ready();
}

void TlsContext::fail(const QString &error)
{
    m_state = State::Failed;
    m_error = QStringLiteral("TLS setup failed: ") + error;
    Q_EMIT settled();
}

void TlsContext::ready()
{
    QSslConfiguration &c = m_settings.configuration;
    const QSslKey key = c.privateKey();
    c = QSslConfiguration::defaultConfiguration();
    if (m_spec.ca) {
        c.setCaCertificates(m_ca); // only the profile's CAs: the system ones are not loaded
        m_settings.trustedBy
            = QStringLiteral("the profile's CA %1 (%2.ca)").arg(m_spec.ca->toString(), m_spec.path);
    } else {
        m_settings.trustedBy = QStringLiteral("the system CAs");
    }
    if (m_spec.cert) {
        c.setLocalCertificate(m_cert);
        c.setPrivateKey(key);
        m_settings.clientCertificate = true;
    }
    c.setPeerVerifyMode(m_spec.verify ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);
    m_settings.pins = m_spec.pinsSha256;
    m_settings.verify = m_spec.verify;
    m_settings.path = m_spec.path;
    m_ca.clear();
    m_state = State::Ready;
    Q_EMIT settled();
}

QList<ProfileProblem> TlsContext::check(const TlsSpec &spec)
{
    QList<ProfileProblem> problems = readFiles(spec).problems;
    if (!spec.key) {
        return problems;
    }
    QByteArray secret;
    switch (spec.key->kind) {
    case SecretRef::Kind::File: {
        const BoundedRead read = readRegularFile(spec.key->value, SecretResolver::maxSecretBytes);
        if (!read.ok()) {
            problems.append({ where(spec.path, "key"),
                QStringLiteral("cannot read the key file: ") + read.error });
            return problems;
        }
        secret = read.data;
        break;
    }
    case SecretRef::Kind::Env:
        if (!qEnvironmentVariableIsSet(spec.key->value.toLocal8Bit().constData())) {
            problems.append({ where(spec.path, "key"),
                QStringLiteral("the environment variable %1 is not set").arg(spec.key->value) });
            return problems;
        }
        secret = qgetenv(spec.key->value.toLocal8Bit().constData());
        break;
    default:
        return problems; // keychain: asked when the profile is opened, not by a check
    }
    if (parseKey(secret).isNull()) {
        problems.append({ where(spec.path, "key"), keyProblem(spec) });
    }
    secret.fill('\0');
    return problems;
}

} // namespace hopscope
