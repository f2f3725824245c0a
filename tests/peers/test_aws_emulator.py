"""Self-tests of the AWS API emulator that need no Node (stdlib unittest):

* its SigV4 verifier (aws_sigv4_verify.py) on AWS's published test suite (tests/data/aws/sigv4):
  the canonical request of every normalising case byte for byte, the suite's signed requests
  accepted, and a wrong secret, a changed body or header, a wrong region or service, or a
  time outside the 15-minute window rejected with AWS's codes;
* the process: `up` (ready line, aws.json), unsigned and badly signed calls answered with AWS's
  JSON 1.1 and Query error shapes, control-endpoint validation, `down` stopping exactly its PID.
The emulator against the official AWS SDK: CTest aws_oracle_sdk (aws-oracle/oracle.mjs).
"""
import calendar
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import aws_sigv4_verify as v  # noqa: E402

SUITE = os.path.join(HERE, "..", "data", "aws", "sigv4")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def parse_request(text):
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    first = lines[0]
    method, target = first[:first.index(" ")], first[first.index(" ") + 1:first.rindex(" ")]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + "\n" + line)
        elif line:
            k, _, val = line.partition(":")
            headers.append((k, val))
    return method, target, headers, body.encode("utf-8")


def cases():
    for name in sorted(os.listdir(SUITE)):
        d = os.path.join(SUITE, name)
        if not os.path.isfile(os.path.join(d, "context.json")):
            continue
        ctx = load_json(os.path.join(d, "context.json"))
        if not ctx.get("normalize", True) or ctx.get("omit_session_token"):
            continue  # S3-style (no double encoding) and unsigned-token cases are not for these services
        yield name, d, ctx


def read(d, f):
    with open(os.path.join(d, f), encoding="utf-8") as fh:
        return fh.read()


class VerifierOnAwsSuite(unittest.TestCase):
    def setUp(self):
        self.cases = list(cases())
        self.assertGreaterEqual(len(self.cases), 25, "the published suite is in tests/data/aws/sigv4")

    def _verify(self, ctx, method, target, headers, body, secret=None, now=None, region=None, service=None):
        c = ctx["credentials"]
        creds = {c["access_key_id"]: {"secret": secret or c["secret_access_key"], "sessionToken": c.get("token")}}
        ts = calendar.timegm(time.strptime(ctx["timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
        return v.verify(method, target, headers, body, creds, region or ctx["region"], service or ctx["service"],
                        ts if now is None else ts + now)

    def test_canonical_request_and_acceptance(self):
        for name, d, ctx in self.cases:
            with self.subTest(case=name):
                method, target, headers, body = parse_request(read(d, "header-signed-request.txt"))
                auth = [val for k, val in headers if k.lower() == "authorization"][0]
                names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
                creq = v.canonical_request(method, target, headers, names, v.hashlib.sha256(body).hexdigest())
                self.assertEqual(creq, read(d, "header-canonical-request.txt"))
                self.assertEqual(self._verify(ctx, method, target, headers, body), ctx["credentials"]["access_key_id"])

    def test_rejections(self):
        name, d, ctx = next(c for c in self.cases if c[0] == "post-x-www-form-urlencoded")
        method, target, headers, body = parse_request(read(d, "header-signed-request.txt"))
        self._verify(ctx, method, target, headers, body)
        tampered = [
            ("wrong secret", dict(secret="x" + ctx["credentials"]["secret_access_key"]), "signature"),
            ("body changed", dict(body=body + b"&x=1"), "signature"),
            ("header changed", dict(headers=[(k, val + "x" if k.lower() == "content-type" else val)
                                             for k, val in headers]), "signature"),
            ("path changed", dict(target=target + "x"), "signature"),
            ("wrong region", dict(region="eu-west-1"), "signature"),
            ("wrong service", dict(service="ecs"), "signature"),
            ("16 min late", dict(now=16 * 60), "expired"),
            ("16 min early", dict(now=-16 * 60), "expired"),
            ("no Authorization", dict(headers=[(k, val) for k, val in headers if k.lower() != "authorization"]),
             "missing"),
        ]
        for what, change, kind in tampered:
            with self.subTest(what=what):
                args = dict(method=method, target=target, headers=headers, body=body)
                extra = {k: change.pop(k) for k in list(change) if k in ("secret", "now", "region", "service")}
                args.update(change)
                with self.assertRaises(v.AuthError) as cm:
                    self._verify(ctx, args["method"], args["target"], args["headers"], args["body"], **extra)
                self.assertEqual(cm.exception.kind, kind)
                self.assertNotIn(ctx["credentials"]["secret_access_key"], cm.exception.message)
        # Inside the window is fine.
        self._verify(ctx, method, target, headers, body, now=14 * 60)


class EmulatorProcess(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        script = os.path.join(HERE, "aws_emulator.py")
        cls.script = script
        r = subprocess.run([sys.executable, script, "up", "--dir", cls.tmp.name], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise AssertionError("aws_emulator up failed: %s" % r.stderr)
        cls.info = load_json(os.path.join(cls.tmp.name, "aws.json"))

    @classmethod
    def tearDownClass(cls):
        subprocess.run([sys.executable, cls.script, "down", "--dir", cls.tmp.name], timeout=30, check=True)
        import aws_emulator
        if aws_emulator._is_ours(cls.info["pid"]):
            raise AssertionError("aws_emulator down left pid %d running" % cls.info["pid"])
        cls.tmp.cleanup()

    def post(self, path, body, headers):
        req = urllib.request.Request(self.info["url"] + path, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def test_unsigned_json(self):
        st, hdr, body = self.post("/", b"{}", {"Content-Type": "application/x-amz-json-1.1",
                                                "X-Amz-Target": "Route53AutoNaming_v20170314.ListNamespaces"})
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["__type"], "MissingAuthenticationTokenException")
        self.assertTrue(hdr["x-amzn-RequestId"])
        self.assertTrue(hdr["Date"])

    def test_bad_signature_query(self):
        now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        auth = ("AWS4-HMAC-SHA256 Credential=%s/%s/%s/elasticloadbalancing/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date, Signature=%s"
                % (self.info["accessKeyId"], now[:8], self.info["region"], "0" * 64))
        st, _, body = self.post("/", b"Action=DescribeLoadBalancers&Version=2015-12-01",
                                {"Content-Type": "application/x-www-form-urlencoded", "X-Amz-Date": now,
                                 "Authorization": auth})
        self.assertEqual(st, 403)
        self.assertIn("<Type>Sender</Type><Code>SignatureDoesNotMatch</Code>", body)
        self.assertIn('xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"', body)
        self.assertNotIn(self.info["secretAccessKey"], body)

    def test_control_validation(self):
        st, _, _ = self.post("/_emulator/fault", json.dumps({"throttle": 1, "status": 418}).encode(), {})
        self.assertEqual(st, 400)
        st, _, body = self.post("/_emulator/fault", json.dumps({"throttle": 0}).encode(), {})
        self.assertEqual(st, 200)
        with urllib.request.urlopen(self.info["url"] + "/_emulator/stats", timeout=10) as r:
            self.assertIn("rejected", json.load(r))


if __name__ == "__main__":
    unittest.main()
