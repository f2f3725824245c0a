#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>

#include <utility>

namespace hopscope {

// AWS credentials as the signer needs them. Never logged, never written to a profile or the
// audit log; the secret stays in this struct for the length of a call.
struct AwsCredentials
{
    QByteArray accessKeyId;
    QByteArray secretAccessKey;
    QByteArray sessionToken; // empty for long-term keys
};

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

// An HTTP request as it goes on the wire: the method, the request target exactly as on the
// request line ("/path?query", already percent-encoded for the wire), the headers in order
// (repeated names allowed) and the body.
struct SignableRequest
{
    QByteArray method;
    QByteArray target;
    HttpHeaders headers;
    QByteArray body;
};

struct SigV4Options
{
    // Remove "." and ".." segments and empty segments from the path before signing: every AWS
    // service except S3 signs the normalized path.
    bool normalizePath = true;
    // Add and sign x-amz-content-sha256 with the body's hash (S3-style); other services only
    // need the body's hash in the canonical request, which is always there.
    bool signBodyHeader = false;
    // Add X-Amz-Security-Token after signing instead of signing it (older STS-era services).
    bool omitSessionToken = false;
};

// The steps of one signature (each is checked against AWS's published test suite) and the
// headers to add to the request, in the order AWS's examples add them.
struct SigV4Signature
{
    QByteArray canonicalRequest;
    QByteArray stringToSign;
    QByteArray signature; // lower-case hex
    QByteArray authorization; // the Authorization header's value
    HttpHeaders
        addedHeaders; // X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256, Authorization
};

// Signature Version 4 (AWS4-HMAC-SHA256), written from AWS's "Create a signed AWS API request"
// (docs/PROTOCOLS-2.md §2) with QCryptographicHash and QMessageAuthenticationCode: no AWS SDK
// is packaged for Debian 12. Pure: the time comes from the caller (the injected Clock), so a
// request is signed the same way every time it is signed at the same second.
class SigV4
{
public:
    static SigV4Signature sign(const SignableRequest &request, const AwsCredentials &credentials,
        const QByteArray &region, const QByteArray &service, const QDateTime &when,
        const SigV4Options &options = {});

    // The parts, public for tests and for the emulator check.
    static QByteArray canonicalPath(const QByteArray &path, bool normalize);
    static QByteArray canonicalQuery(const QByteArray &query);
    static QByteArray uriEncode(const QByteArray &bytes, bool keepSlash);
    static QByteArray signingKey(const QByteArray &secret, const QByteArray &date,
        const QByteArray &region, const QByteArray &service);
    static QByteArray amzDate(const QDateTime &when); // 20150830T123600Z
};

} // namespace hopscope
