#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslError>
#include <QString>

namespace hopscope {

// The SPKI SHA-256 pin of a certificate: base64 of the SHA-256 of the DER SubjectPublicKeyInfo
// of its public key, as `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst
// -sha256 -binary | base64` prints it. Empty for a null certificate or a key Qt cannot read.
QString spkiSha256(const QSslCertificate &certificate);

// A certificate in a few words: "CN=127.0.0.1, issued by CN=hopscope test CA, valid 2026-11-30
// to 2026-12-02".
QString describeCertificate(const QSslCertificate &certificate);

// What a failed TLS connection means, in plain words, from the verification errors QtNetwork
// reported and the transport's own error text: expired, not yet valid, wrong host name, unknown
// issuer / self-signed, client certificate required or rejected. `trustedBy` names what was
// trusted ("the profile's CA file:/etc/ssl/corp.pem", "the system CAs"); `clientCertificate`:
// whether one was offered. Empty when nothing here is about TLS.
QString tlsFailureText(const QList<QSslError> &errors, const QString &transportError,
    const QString &host, const QString &trustedBy, bool clientCertificate);

} // namespace hopscope
