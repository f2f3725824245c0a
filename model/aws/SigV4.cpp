#include "SigV4.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QTimeZone>

#include <algorithm>
#include <map>

namespace hopscope {

namespace {

QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

QByteArray hmac(const QByteArray &key, const QByteArray &message)
{
    return QMessageAuthenticationCode::hash(message, key, QCryptographicHash::Sha256);
}

bool unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '~';
}

// Header values: trimmed, runs of white space (including folded continuation lines) one space.
QByteArray canonicalValue(const QByteArray &value)
{
    return value.simplified();
}

} // namespace

QByteArray SigV4::uriEncode(const QByteArray &bytes, bool keepSlash)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(bytes.size() * 3);
    for (const char c : bytes) {
        if (unreserved(c) || (keepSlash && c == '/')) {
            out += c;
        } else {
            const auto u = static_cast<unsigned char>(c);
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

QByteArray SigV4::canonicalPath(const QByteArray &path, bool normalize)
{
    QByteArray p = path.isEmpty() ? QByteArray("/") : path;
    if (normalize) {
        // RFC 3986 §5.2.4 dot-segment removal; empty segments dropped as AWS does for every
        // service but S3. A trailing slash stays.
        const bool trailingSlash = p.endsWith('/');
        QList<QByteArray> kept;
        for (const QByteArray &segment : p.split('/')) {
            if (segment.isEmpty() || segment == ".") {
                continue;
            }
            if (segment == "..") {
                if (!kept.isEmpty()) {
                    kept.removeLast();
                }
                continue;
            }
            kept.append(segment);
        }
        p = '/' + kept.join('/');
        if (trailingSlash && !kept.isEmpty()) {
            p += '/';
        }
    }
    // The path is encoded as sent (each byte not unreserved becomes %XX, '/' kept): a path that
    // was percent-encoded for the wire is thereby encoded twice, as AWS requires outside S3.
    return uriEncode(p, true);
}

QByteArray SigV4::canonicalQuery(const QByteArray &query)
{
    std::multimap<std::pair<QByteArray, QByteArray>, int> sorted; // (key, value), stable
    int n = 0;
    for (const QByteArray &pair : query.split('&')) {
        if (pair.isEmpty()) {
            continue;
        }
        const qsizetype eq = pair.indexOf('=');
        const QByteArray key = eq < 0 ? pair : pair.left(eq);
        const QByteArray value = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        sorted.emplace(std::make_pair(uriEncode(QByteArray::fromPercentEncoding(key), false),
                           uriEncode(QByteArray::fromPercentEncoding(value), false)),
            n++);
    }
    QByteArray out;
    for (const auto &[kv, order] : sorted) {
        Q_UNUSED(order)
        if (!out.isEmpty()) {
            out += '&';
        }
        out += kv.first + '=' + kv.second;
    }
    return out;
}

QByteArray SigV4::signingKey(const QByteArray &secret, const QByteArray &date,
    const QByteArray &region, const QByteArray &service)
{
    const QByteArray kDate = hmac("AWS4" + secret, date);
    const QByteArray kRegion = hmac(kDate, region);
    const QByteArray kService = hmac(kRegion, service);
    return hmac(kService, "aws4_request");
}

QByteArray SigV4::amzDate(const QDateTime &when)
{
    return when.toTimeZone(QTimeZone::utc())
        .toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'"))
        .toLatin1();
}

SigV4Signature SigV4::sign(const SignableRequest &request, const AwsCredentials &credentials,
    const QByteArray &region, const QByteArray &service, const QDateTime &when,
    const SigV4Options &options)
{
    SigV4Signature out;
    const QByteArray date = amzDate(when);
    const QByteArray day = date.left(8);
    const QByteArray payloadHash = sha256Hex(request.body);

    HttpHeaders headers = request.headers;
    out.addedHeaders.append({ "X-Amz-Date", date });
    if (!credentials.sessionToken.isEmpty()) {
        out.addedHeaders.append({ "X-Amz-Security-Token", credentials.sessionToken });
    }
    if (options.signBodyHeader) {
        out.addedHeaders.append({ "x-amz-content-sha256", payloadHash });
    }
    for (const auto &h : std::as_const(out.addedHeaders)) {
        if (options.omitSessionToken && h.first == "X-Amz-Security-Token") {
            continue;
        }
        headers.append(h);
    }

    // Names lower-cased and sorted; repeated names joined with ',' in the order sent.
    std::map<QByteArray, QByteArray> canonical;
    for (const auto &[name, value] : std::as_const(headers)) {
        QByteArray &joined = canonical[name.trimmed().toLower()];
        if (!joined.isNull()) {
            joined += ',';
        } else {
            joined = QByteArray("");
        }
        joined += canonicalValue(value);
    }
    QByteArray canonicalHeaders;
    QByteArray signedHeaders;
    for (const auto &[name, value] : canonical) {
        canonicalHeaders += name + ':' + value + '\n';
        if (!signedHeaders.isEmpty()) {
            signedHeaders += ';';
        }
        signedHeaders += name;
    }

    const qsizetype q = request.target.indexOf('?');
    const QByteArray path = q < 0 ? request.target : request.target.left(q);
    const QByteArray query = q < 0 ? QByteArray() : request.target.mid(q + 1);
    out.canonicalRequest = request.method + '\n' + canonicalPath(path, options.normalizePath) + '\n'
        + canonicalQuery(query) + '\n' + canonicalHeaders + '\n' + signedHeaders + '\n'
        + payloadHash;

    const QByteArray scope = day + '/' + region + '/' + service + "/aws4_request";
    out.stringToSign
        = "AWS4-HMAC-SHA256\n" + date + '\n' + scope + '\n' + sha256Hex(out.canonicalRequest);
    out.signature
        = hmac(signingKey(credentials.secretAccessKey, day, region, service), out.stringToSign)
              .toHex();
    out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.accessKeyId + '/' + scope
        + ", SignedHeaders=" + signedHeaders + ", Signature=" + out.signature;
    out.addedHeaders.append({ "Authorization", out.authorization });
    return out;
}

} // namespace hopscope
