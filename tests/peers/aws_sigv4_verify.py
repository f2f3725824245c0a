"""Server-side AWS Signature Version 4 verification for aws_emulator.py. Python stdlib only.

Written independently of hopscope's C++ signer (model/aws/SigV4) from AWS's "Create a signed AWS
API request" and docs/PROTOCOLS-2.md section 2, so a bug in one is not hidden by the same bug in
the other. verify() recomputes the signature of a received request from the raw request line,
the headers named in SignedHeaders and the body, and returns None or an AuthError carrying the
code and message AWS would answer with. The error messages never contain a secret or a session
token; the canonical request the server expected goes to the emulator's log only (with the
token redacted), as AWS's own debugging text would otherwise expose it to the client.
"""
import calendar
import hashlib
import hmac
import re
import time
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$")
_DATE_RE = re.compile(r"^(\d{8})T(\d{6})Z$")
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")
BAD_TOKEN = "The security token included in the request is invalid."


class AuthError(Exception):
    """kind: missing | token | signature | expired. AWS's code and status differ by protocol,
    so the emulator maps kind to the wire shape (see aws_emulator.auth_error_reply)."""

    def __init__(self, kind, message, expected_creq=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.expected_creq = expected_creq


def uri_encode(s, keep_slash):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def canonical_uri(raw_path):
    """Every service but S3: drop empty, '.' and '..' segments, then encode the (already
    wire-encoded) path once more, keeping '/'."""
    segs = []
    for seg in raw_path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segs:
                segs.pop()
            continue
        segs.append(seg)
    path = ("/" if raw_path.startswith("/") else "") + "/".join(segs)
    if segs and raw_path.endswith("/"):
        path += "/"
    return uri_encode(path or "/", keep_slash=True)


def canonical_query(raw_query):
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        k, _, v = part.partition("=")
        k = urllib.parse.unquote(k)
        v = urllib.parse.unquote(v)
        if k == "X-Amz-Signature":
            continue
        pairs.append((uri_encode(k, False), uri_encode(v, False)))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def parse_amz_date(value):
    m = _DATE_RE.match(value or "")
    if not m:
        return None
    try:
        return calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def _fmt(ts):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


def canonical_request(method, raw_target, headers, names, body_hash):
    """The canonical request over the headers `names` (lower-case, sorted) as received."""
    canon_headers = []
    for n in names:
        vals = [v for (k, v) in headers if k.lower() == n]
        if not vals:
            raise AuthError("signature", "The signed header '%s' is not in the request." % n)
        canon_headers.append("%s:%s\n" % (n, ",".join(re.sub(r"\s+", " ", v.strip()) for v in vals)))
    path, _, query = raw_target.partition("?")
    return "\n".join([method, canonical_uri(path), canonical_query(query), "".join(canon_headers), ";".join(names),
                      body_hash])


def verify(method, raw_target, headers, body, credentials, region, service, now):
    """headers: list of (name, value) as received. credentials: {access_key_id: {"secret":...,
    "sessionToken": ... or None}}. Returns the access key id that signed; raises AuthError."""
    def get_all(name):
        return [v for (k, v) in headers if k.lower() == name]

    auth = get_all("authorization")
    if not auth:
        raise AuthError("missing", "Missing Authentication Token")
    m = _AUTH_RE.match(auth[0].strip())
    if not m:
        raise AuthError("missing", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                        "parameters with algorithm AWS4-HMAC-SHA256.")
    credential, signed_names, signature = m.group(1), m.group(2), m.group(3).lower()
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError("signature", "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'."
                        % (parts[-1] if parts else ""))
    akid, scope_date, scope_region, scope_service = parts[0], parts[1], parts[2], parts[3]
    if akid not in credentials:
        raise AuthError("token", BAD_TOKEN)
    if scope_region != region:
        raise AuthError("signature", "Credential should be scoped to a valid region. ")
    if scope_service != service:
        raise AuthError("signature", "Credential should be scoped to correct service: '%s'. " % service)

    names = signed_names.split(";")
    if names != sorted(names) or any(n != n.lower() for n in names):
        raise AuthError("signature", "SignedHeaders must be lowercase and sorted.")
    if "host" not in names:
        raise AuthError("signature", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    amz_date = (get_all("x-amz-date") or [None])[0]
    if amz_date is None:
        raise AuthError("missing", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                        "header.")
    if "x-amz-date" not in names:
        raise AuthError("signature", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
    ts = parse_amz_date(amz_date)
    if ts is None:
        raise AuthError("signature", "Invalid X-Amz-Date '%s'; must be in the form yyyyMMdd'T'HHmmss'Z'." % amz_date)
    if amz_date[:8] != scope_date:
        raise AuthError("signature", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                        "from HTTP: '%s' != '%s', from '%s'." % (scope_date, amz_date[:8], amz_date))
    if ts < now - MAX_SKEW_SECONDS:
        raise AuthError("expired", "Signature expired: %s is now earlier than %s (%s - 15 min.)"
                        % (amz_date, _fmt(now - MAX_SKEW_SECONDS), _fmt(now)))
    if ts > now + MAX_SKEW_SECONDS:
        raise AuthError("expired", "Signature not yet current: %s is still later than %s (%s + 15 min.)"
                        % (amz_date, _fmt(now + MAX_SKEW_SECONDS), _fmt(now)))

    token = credentials[akid].get("sessionToken")
    sent_token = get_all("x-amz-security-token")
    if token and (not sent_token or not hmac.compare_digest(sent_token[0].strip(), token)):
        raise AuthError("token", BAD_TOKEN)

    body_hash = hashlib.sha256(body).hexdigest()
    content_sha = get_all("x-amz-content-sha256")
    if content_sha and content_sha[0].strip() != body_hash:
        raise AuthError("signature", "The provided 'x-amz-content-sha256' header does not match what was computed.")

    creq = canonical_request(method, raw_target, headers, names, body_hash)
    scope = "%s/%s/%s/aws4_request" % (scope_date, region, service)
    sts = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    key = signing_key(credentials[akid]["secret"], scope_date, region, service)
    expected = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        redacted = creq.replace(token, "<session token>") if token else creq
        raise AuthError("signature", MISMATCH, expected_creq=redacted)
    return akid
