#include "core/TlsCertificateText.h"

#include <QCryptographicHash>
#include <QSslKey>

namespace hopscope {

namespace {

QString subjectOf(const QSslCertificate &c)
{
    const QStringList cn = c.subjectInfo(QSslCertificate::CommonName);
    return cn.isEmpty() ? c.subjectDisplayName() : QStringLiteral("CN=") + cn.join(u',');
}

QString issuerOf(const QSslCertificate &c)
{
    const QStringList cn = c.issuerInfo(QSslCertificate::CommonName);
    return cn.isEmpty() ? c.issuerDisplayName() : QStringLiteral("CN=") + cn.join(u',');
}

// The names a server certificate is valid for: its subject alternative names, else its CN.
QString namesOf(const QSslCertificate &c)
{
    QStringList names;
    const auto alt = c.subjectAlternativeNames();
    for (auto it = alt.cbegin(); it != alt.cend(); ++it) {
        names.append(it.value());
    }
    if (names.isEmpty()) {
        names = c.subjectInfo(QSslCertificate::CommonName);
    }
    return names.isEmpty() ? QStringLiteral("no name") : names.join(QStringLiteral(", "));
}

QString day(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
}

} // namespace

QString spkiSha256(const QSslCertificate &certificate)
{
    if (certificate.isNull()) {
        return {};
    }
    // QSslKey writes a public key as a "PUBLIC KEY" block (SubjectPublicKeyInfo), whose DER
    // is what the pin hashes.
    const QByteArray der = certificate.publicKey().toDer();
    if (der.isEmpty()) {
        return {};
    }
    return QString::fromLatin1(
        QCryptographicHash::hash(der, QCryptographicHash::Sha256).toBase64());
}

QString describeCertificate(const QSslCertificate &c)
{
    if (c.isNull()) {
        return QStringLiteral("no certificate");
    }
    return QStringLiteral("%1, issued by %2, valid %3 to %4")
        .arg(subjectOf(c), issuerOf(c), day(c.effectiveDate()), day(c.expiryDate()));
}

QString tlsFailureText(const QList<QSslError> &errors, const QString &transportError,
    const QString &host, const QString &trustedBy, bool clientCertificate)
{
    QStringList words;
    const auto add = [&words](const QString &w) {
        if (!words.contains(w)) {
            words.append(w);
        }
    };
    for (const QSslError &e : errors) {
        const QSslCertificate c = e.certificate();
        switch (e.error()) {
        case QSslError::CertificateExpired:
            add(QStringLiteral("the server's certificate expired on %1 (%2)")
                    .arg(day(c.expiryDate()), subjectOf(c)));
            break;
        case QSslError::CertificateNotYetValid:
            add(QStringLiteral("the server's certificate is not yet valid: valid from %1 (%2)")
                    .arg(day(c.effectiveDate()), subjectOf(c)));
            break;
        case QSslError::HostNameMismatch:
            add(QStringLiteral("wrong host name: the server's certificate is for %1, not %2")
                    .arg(namesOf(c), host));
            break;
        case QSslError::SelfSignedCertificate:
            add(QStringLiteral("unknown issuer: the server's certificate (%1) is self-signed and "
                               "not trusted by %2")
                    .arg(subjectOf(c), trustedBy));
            break;
        case QSslError::UnableToGetLocalIssuerCertificate:
        case QSslError::UnableToGetIssuerCertificate:
        case QSslError::SelfSignedCertificateInChain:
        case QSslError::UnableToVerifyFirstCertificate:
        case QSslError::CertificateUntrusted:
        case QSslError::CertificateSignatureFailed:
        case QSslError::InvalidCaCertificate:
            add(QStringLiteral("unknown issuer: the server's certificate (%1, issued by %2) is "
                               "not signed by a CA trusted by %3")
                    .arg(subjectOf(c), issuerOf(c), trustedBy));
            break;
        case QSslError::NoPeerCertificate:
            add(QStringLiteral("the server sent no certificate"));
            break;
        default:
            add(QStringLiteral("certificate not accepted: ") + e.errorString()
                + (c.isNull() ? QString() : QStringLiteral(" (") + subjectOf(c) + u')'));
            break;
        }
    }
    if (!words.isEmpty()) {
        return words.join(QStringLiteral("; "));
    }
    // Alerts the server sent during or right after the handshake (TLS 1.3 asks for the client
    // certificate after the client thinks the handshake is done).
    const QString t = transportError.toLower();
    if (t.contains(u"certificate required")) {
        return clientCertificate
            ? QStringLiteral("the server rejected the client certificate (it asked for one again)")
            : QStringLiteral("client certificate required: the server asks for mutual TLS and "
                             "no \"cert\"/\"key\" is configured in \"tls\"");
    }
    for (const char *alert : { "unknown ca", "bad certificate", "certificate unknown",
             "certificate revoked", "certificate expired", "unsupported certificate",
             "access denied", "decrypt error", "handshake failure" }) {
        if (t.contains(QLatin1String(alert))) {
            return clientCertificate
                ? QStringLiteral("the server rejected the client certificate (TLS alert \"%1\")")
                      .arg(QLatin1String(alert))
                : QStringLiteral("TLS handshake refused by the server (TLS alert \"%1\"); if it "
                                 "asks for a client certificate, configure \"cert\" and \"key\"")
                      .arg(QLatin1String(alert));
        }
    }
    if (t.contains(u"ssl") || t.contains(u"tls") || t.contains(u"handshake")) {
        return QStringLiteral("TLS failed: ") + transportError;
    }
    return {};
}

} // namespace hopscope
