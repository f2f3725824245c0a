#!/usr/bin/env python3
"""AWS API emulator for hopscope's tests: Cloud Map and Elastic Load Balancing v2. Stdlib only.

No AWS endpoint and no AWS emulator package is reachable from the test machines, so this one
process on 127.0.0.1 (per-run port) answers the calls hopscope makes, on the real wire protocols
(docs/PROTOCOLS-2.md sections 2-5), and is itself checked against the official AWS SDK for
JavaScript v3 (tests/peers/aws-oracle, CTest `aws_oracle_sdk`):

  * Cloud Map, `POST /`, `X-Amz-Target: Route53AutoNaming_v20170314.<Op>`, JSON 1.1
    (aws_cloudmap.py): ListNamespaces ListServices GetService DiscoverInstances
    DiscoverInstancesRevision GetInstancesHealthStatus ListInstances
    UpdateInstanceCustomHealthStatus DeregisterInstance RegisterInstance GetOperation.
    (Drain layers: also GetInstance, in aws_cloudmap.py's additions.)
  * ECS, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`, JSON 1.1 (aws_ecs.py):
    ListTasks DescribeTasks (awsvpc tasks: ENI address, last/desired/health status, stop reason).
  * ELBv2, `POST /` form body `Action=...&Version=2015-12-01`, XML replies (aws_elbv2.py):
    DescribeLoadBalancers DescribeListeners DescribeRules DescribeTargetGroups
    DescribeTargetGroupAttributes DescribeTargetHealth DeregisterTargets RegisterTargets.

Every request's SigV4 signature is verified (aws_sigv4_verify.py) against the configured key
pairs, region and the service the request is for, with AWS's 15-minute skew window; failures get
AWS's error shapes (JSON: 400 `{"__type":"InvalidSignatureException","message":...}`,
UnrecognizedClientException, MissingAuthenticationTokenException; Query: 403
`<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>...`,
InvalidClientTokenId, MissingAuthenticationToken). Pages are small (state "pageSize", default 2)
so clients must follow NextToken / NextMarker. Responses carry `Date` (the emulator's clock) and
`x-amzn-RequestId`.

Control endpoints (unsigned, loopback test harness only; JSON in and out):
  POST /_emulator/fault  {"throttle": N, "status": 400|429|503, "service": "servicediscovery"|
        "ecs"|"elasticloadbalancing"|"" (any), "code": optional}  -> the next N signed calls fail with
        400 ThrottlingException / Throttling, 429 TooManyRequestsException / Throttling or 503
        ServiceUnavailable (code overridable, e.g. RequestLimitExceeded).
  POST /_emulator/clock  {"offsetSeconds": S}  -> the emulator's "now" (skew check, Date header).
  POST /_emulator/drop   {"count": N, "service": S, "op": optional}  -> the next N signed calls of S
        (and op) are carried out (or refused) and their reply is lost (connection closed).
  GET  /_emulator/state  -> Cloud Map services/instances/health and ELBv2 targets as now.
  GET  /_emulator/stats  -> {"calls": {"<service>.<op>": n}, "rejected": {"signature": n, ...},
        "throttled": n}.

Usage:
  aws_emulator.py serve --state FILE [--addr 127.0.0.1] [--port 0]
        prints `aws_emulator ready http://ADDR:PORT` on stdout once listening, then logs to stderr.
  aws_emulator.py up --dir DIR [--state FILE]   start in the background; writes DIR/aws.json
        {pid, url, addr, port, region, accessKeyId, secretAccessKey, sessionToken, log}.
  aws_emulator.py down --dir DIR                stop exactly the PID in DIR/aws.json.
  aws_emulator.py fault --dir DIR --throttle N [--status 400] [--service S] [--code C]
The state file (tests/peers/aws/state.json is the demo one) holds region, account, credentials,
pageSize, cloudMap {namespaces [{id, name, services [{id, name, dnsTtl, healthCheckCustom,
instances [{id, attributes, health}]}]}]} and elbv2 {loadBalancers, targetGroups}.
"""
import argparse
import email.utils
import http.server
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aws_cloudmap  # noqa: E402
import aws_ecs  # noqa: E402
import aws_elbv2  # noqa: E402
import aws_sigv4_verify  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_STATE = os.path.join(HERE, "aws", "state.json")
CLOUDMAP_PREFIX = "Route53AutoNaming_v20170314."
# JSON 1.1 services by X-Amz-Target prefix: SigV4 scope service name and handler attribute.
JSON_SERVICES = {CLOUDMAP_PREFIX: ("servicediscovery", "cloudmap"), aws_ecs.TARGET_PREFIX: ("ecs", "ecs")}
MAX_BODY = 1 << 20
READY_PREFIX = "aws_emulator ready "

# AWS's answers to authentication failures, by protocol: (status, code).
JSON_AUTH = {"missing": (400, "MissingAuthenticationTokenException"), "token": (400, "UnrecognizedClientException"),
             "signature": (400, "InvalidSignatureException"), "expired": (400, "InvalidSignatureException")}
QUERY_AUTH = {"missing": (400, "MissingAuthenticationToken"), "token": (403, "InvalidClientTokenId"),
              "signature": (403, "SignatureDoesNotMatch"), "expired": (403, "SignatureDoesNotMatch")}
THROTTLE_JSON = {400: "ThrottlingException", 429: "TooManyRequestsException", 503: "ServiceUnavailableException"}
THROTTLE_QUERY = {400: "Throttling", 429: "Throttling", 503: "ServiceUnavailable"}


def log(msg):
    print("%s aws_emulator: %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Emulator:
    def __init__(self, state):
        self.lock = threading.Lock()
        self.region = state.get("region", "eu-west-1")
        self.account = state.get("account", "123456789012")
        self.credentials = {c["accessKeyId"]: {"secret": c["secretAccessKey"], "sessionToken": c.get("sessionToken")}
                            for c in state["credentials"]}
        page = int(state.get("pageSize", 2))
        self.cloudmap = aws_cloudmap.CloudMap(state.get("cloudMap", {}), page, self.region, self.account)
        self.elbv2 = aws_elbv2.Elbv2(state.get("elbv2", {}), page)
        self.ecs = aws_ecs.Ecs(state.get("ecs", {}), page, self.region, self.account)
        self.clock_offset = 0.0
        self.fault = {"throttle": 0}
        self.stats = {"calls": {}, "rejected": {}, "throttled": 0}

    def now(self):
        return time.time() + self.clock_offset

    def take_fault(self, service):
        f = self.fault
        if f["throttle"] > 0 and f.get("service") in (None, "", service):
            f["throttle"] -= 1
            self.stats["throttled"] += 1
            return f
        return None


def raw_target(path):
    """http.server decodes the request line as ISO-8859-1; the signer saw UTF-8 bytes."""
    return path.encode("iso-8859-1").decode("utf-8", "replace")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hopscope-aws-emulator"
    sys_version = ""
    emu = None  # set by serve()
    timeout = 30  # seconds a connection may sit idle or trickle a request before it is dropped

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(self.emu.now(), usegmt=True)

    def _send(self, status, body, ctype, request_id):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(data)

    def _json_error(self, status, code, message, rid, lower=False):
        body = {"__type": code, ("message" if lower else "Message"): message}
        self._send(status, json.dumps(body), "application/x-amz-json-1.1", rid)

    def _query_error(self, status, code, message, rid, type_="Sender"):
        self._send(status, aws_elbv2.error_xml(code, message, rid, type_), "text/xml", rid)

    def _body(self):
        n = self.headers.get("Content-Length")
        if n is None or not n.isdigit() or int(n) > MAX_BODY:
            return None
        return self.rfile.read(int(n))

    def do_GET(self):
        if self.path.startswith("/_emulator/"):
            return self._control(b"")
        rid = str(uuid.uuid4())
        self._query_error(400, "InvalidAction", "Only POST / is served here", rid)

    def do_POST(self):
        rid = str(uuid.uuid4())
        body = self._body()
        if body is None:
            self.close_connection = True
            return self._query_error(411 if self.headers.get("Content-Length") is None else 413, "InvalidRequest",
                                     "A Content-Length of at most %d bytes is required" % MAX_BODY, rid)
        if self.path.startswith("/_emulator/"):
            return self._control(body)
        target = self.headers.get("X-Amz-Target", "")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if target:
            prefix = next((p for p in JSON_SERVICES if target.startswith(p)), None)
            if prefix is None:
                return self._json_error(400, "UnknownOperationException", "", rid)
            service, proto = JSON_SERVICES[prefix][0], "json"
        elif ctype == "application/x-www-form-urlencoded":
            service, proto = "elasticloadbalancing", "query"
        else:
            return self._query_error(400, "InvalidAction", "Neither X-Amz-Target nor a form body", rid)
        emu = self.emu
        with emu.lock:
            try:
                aws_sigv4_verify.verify(self.command, raw_target(self.path), list(self.headers.items()), body, emu.credentials,
                                        emu.region, service, emu.now())
            except aws_sigv4_verify.AuthError as e:
                emu.stats["rejected"][e.kind] = emu.stats["rejected"].get(e.kind, 0) + 1
                log("%s rejected (%s): %s" % (service, e.kind, e.message))
                if e.expected_creq:
                    log("expected canonical request:\n%s" % e.expected_creq)
                if proto == "json":
                    status, code = JSON_AUTH[e.kind]
                    return self._json_error(status, code, e.message, rid, lower=True)
                status, code = QUERY_AUTH[e.kind]
                return self._query_error(status, code, e.message, rid)
            if proto == "json":
                return self._json_call(prefix, target, ctype, body, rid)
            return self._elbv2(body, rid)

    def _count(self, key):
        self.emu.stats["calls"][key] = self.emu.stats["calls"].get(key, 0) + 1

    def _json_call(self, prefix, target, ctype, body, rid):
        if ctype != "application/x-amz-json-1.1":
            return self._json_error(400, "SerializationException", "Content-Type must be application/x-amz-json-1.1",
                                    rid)
        service, attr = JSON_SERVICES[prefix]
        op = target[len(prefix):]
        self._count(service + "." + op)
        f = self.emu.take_fault(service)
        if f:
            st = f.get("status", 400)
            return self._json_error(st, f.get("code") or THROTTLE_JSON.get(st, "ThrottlingException"),
                                    "Rate exceeded", rid)
        try:
            req = json.loads(body.decode("utf-8") or "{}")
            out = getattr(self.emu, attr).call(op, req)
        except (ValueError, UnicodeDecodeError):
            return self._json_error(400, "SerializationException", "Request body is not valid JSON", rid)
        except aws_cloudmap.JsonError as e:
            return self._json_error(e.status, e.code, e.message, rid)
        self._send(200, json.dumps(out), "application/x-amz-json-1.1", rid)

    def _elbv2(self, body, rid):
        try:
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            return self._query_error(400, "MalformedQueryString", "The body is not UTF-8", rid)
        self._count("elasticloadbalancing." + params.get("Action", ""))
        f = self.emu.take_fault("elasticloadbalancing")
        if f:
            st = f.get("status", 400)
            return self._query_error(st, f.get("code") or THROTTLE_QUERY.get(st, "Throttling"), "Rate exceeded", rid,
                                     "Receiver" if st >= 500 else "Sender")
        try:
            action, result = self.emu.elbv2.call(params)
        except aws_elbv2.QueryError as e:
            return self._query_error(e.status, e.code, e.message, rid, e.type)
        self._send(200, aws_elbv2.response(action, result, rid), "text/xml", rid)

    def _control(self, body):
        emu, rid = self.emu, str(uuid.uuid4())
        path = self.path.split("?")[0]
        try:
            req = json.loads(body.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            return self._send(400, '{"error":"body is not JSON"}', "application/json", rid)
        with emu.lock:
            if path == "/_emulator/fault" and self.command == "POST":
                n, status = req.get("throttle"), req.get("status", 400)
                if not isinstance(n, int) or n < 0 or status not in (400, 429, 503):
                    return self._send(400, '{"error":"throttle must be an int >= 0, status 400|429|503"}',
                                      "application/json", rid)
                emu.fault = {"throttle": n, "status": status, "service": req.get("service"), "code": req.get("code")}
                out = emu.fault
            elif path == "/_emulator/clock" and self.command == "POST":
                emu.clock_offset = float(req.get("offsetSeconds", 0))
                out = {"offsetSeconds": emu.clock_offset}
            elif path == "/_emulator/state":
                out = {"cloudMap": emu.cloudmap.snapshot(), "elbv2": emu.elbv2.snapshot()}
            elif path == "/_emulator/stats":
                out = emu.stats
            else:
                return self._send(404, '{"error":"unknown control path"}', "application/json", rid)
            self._send(200, json.dumps(out), "application/json", rid)


def load_state(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def serve(args):
    Handler.emu = Emulator(load_state(args.state))
    srv = http.server.ThreadingHTTPServer((args.addr, args.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown, daemon=True).start())
    print("%shttp://%s:%d" % (READY_PREFIX, args.addr, srv.server_address[1]), flush=True)
    # Nothing more on stdout: `up` stops reading it once the ready line is in.
    sys.stdout = sys.stderr
    log("serving %s with %d key pair(s), region %s" % (args.state, len(Handler.emu.credentials), Handler.emu.region))
    srv.serve_forever()
    return 0


def up(args):
    os.makedirs(args.dir, exist_ok=True)
    info_path = os.path.join(args.dir, "aws.json")
    logf = os.path.join(args.dir, "aws_emulator.log")
    state = load_state(args.state)
    with open(logf, "ab") as lf:
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", "--state", args.state,
                                 "--addr", args.addr, "--port", str(args.port)],
                                stdout=subprocess.PIPE, stderr=lf, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline, buf = time.monotonic() + args.timeout, b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            proc.kill() if proc.poll() is None else None
            with open(logf, "rb") as lf:
                tail = lf.read()[-2000:].decode("utf-8", "replace")
            print("aws_emulator up: no ready line within %.0f s (exit %s); log %s:\n%s"
                  % (args.timeout, proc.poll(), logf, tail), file=sys.stderr)
            return 1
        r, _, _ = select.select([proc.stdout], [], [], left)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk and proc.wait(timeout=5) is not None:
                continue
            buf += chunk
    line = buf.split(b"\n", 1)[0].decode()
    if not line.startswith(READY_PREFIX):
        proc.kill()
        print("aws_emulator up: unexpected first line %r" % line, file=sys.stderr)
        return 1
    url = line[len(READY_PREFIX):]
    cred = state["credentials"][0]
    info = {"pid": proc.pid, "url": url, "addr": args.addr, "port": int(url.rsplit(":", 1)[1]),
            "region": state.get("region", "eu-west-1"), "accessKeyId": cred["accessKeyId"],
            "secretAccessKey": cred["secretAccessKey"], "sessionToken": cred.get("sessionToken"),
            "state": os.path.abspath(args.state), "log": logf}
    tmp = info_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, info_path)
    print("aws_emulator up: pid %d at %s (%s)" % (proc.pid, url, info_path))
    return 0


def _is_ours(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"aws_emulator.py" in f.read()
    except OSError:
        return False


def down(args):
    info_path = os.path.join(args.dir, "aws.json")
    try:
        info = load_state(info_path)
    except (OSError, ValueError) as e:
        print("aws_emulator down: cannot read %s: %s" % (info_path, e), file=sys.stderr)
        return 1
    pid = int(info["pid"])
    if not _is_ours(pid):
        print("aws_emulator down: pid %d is not running (or not the emulator); nothing to stop" % pid)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _is_ours(pid) and time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        except ChildProcessError:
            pass
        time.sleep(0.05)
    if _is_ours(pid):
        os.kill(pid, signal.SIGKILL)
    print("aws_emulator down: stopped pid %d" % pid)
    return 0


def fault(args):
    info = load_state(os.path.join(args.dir, "aws.json"))
    body = json.dumps({"throttle": args.throttle, "status": args.status, "service": args.service,
                       "code": args.code}).encode()
    req = urllib.request.Request(info["url"] + "/_emulator/fault", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        print(r.read().decode())
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    u = sub.add_parser("up")
    for p in (s, u):
        p.add_argument("--state", default=DEFAULT_STATE)
        p.add_argument("--addr", default="127.0.0.1")
        p.add_argument("--port", type=int, default=0)
    u.add_argument("--dir", required=True)
    u.add_argument("--timeout", type=float, default=20)
    d = sub.add_parser("down")
    d.add_argument("--dir", required=True)
    f = sub.add_parser("fault")
    f.add_argument("--dir", required=True)
    f.add_argument("--throttle", type=int, required=True)
    f.add_argument("--status", type=int, default=400)
    f.add_argument("--service", default="")
    f.add_argument("--code")
    args = ap.parse_args(argv)
    return {"serve": serve, "up": up, "down": down, "fault": fault}[args.cmd](args)


# --- drain-layer additions (issue 16 section 3): lost replies ------------------------------------
# POST /_emulator/drop {"count": N, "service": "servicediscovery"|"ecs"|"elasticloadbalancing",
#       "op": optional operation} -> the next N signed calls of that service (and operation) are
#       CARRIED OUT (or refused), then the connection is closed without a reply: the client cannot
#       tell whether the call happened and must read the state back. {"count": 0} clears it.
#       (HTTP clients may resend a request once on a closed connection: give N >= 3; the resend
#       of a call that was carried out may be refused, e.g. InstanceNotFound, and is lost too.)
_plain_send = Handler._send
_plain_count = Handler._count
_plain_control = Handler._control
_plain_post = Handler.do_POST


def _post_forgetting_the_last_op(self):
    self._op_key = None  # a keep-alive connection's previous call is not this one
    _plain_post(self)


def _count_and_remember(self, key):
    self._op_key = key
    _plain_count(self, key)


def _send_or_drop(self, status, body, ctype, request_id):
    drop, key = getattr(self.emu, "drop", None), getattr(self, "_op_key", None)
    if (drop and drop["count"] > 0 and key and not self.path.startswith("/_emulator/")
            and key.split(".", 1)[0] == drop["service"] and drop.get("op") in (None, "", key.split(".", 1)[1])):
        drop["count"] -= 1
        self.emu.stats["dropped"] = self.emu.stats.get("dropped", 0) + 1
        log("%s carried out; reply dropped, connection closed" % key)
        self.close_connection = True
        return
    _plain_send(self, status, body, ctype, request_id)


def _control_with_drop(self, body):
    if self.path.split("?")[0] != "/_emulator/drop" or self.command != "POST":
        return _plain_control(self, body)
    rid = str(uuid.uuid4())
    try:
        req = json.loads(body.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        return _plain_send(self, 400, '{"error":"body is not JSON"}', "application/json", rid)
    n = req.get("count")
    if not isinstance(n, int) or n < 0 or (n > 0 and req.get("service") not in ("servicediscovery", "ecs",
                                                                             "elasticloadbalancing")):
        return _plain_send(self, 400, '{"error":"count must be an int >= 0 and service a known one"}',
                           "application/json", rid)
    with self.emu.lock:
        self.emu.drop = {"count": n, "service": req.get("service"), "op": req.get("op")}
        return _plain_send(self, 200, json.dumps(self.emu.drop), "application/json", rid)


Handler.do_POST = _post_forgetting_the_last_op
Handler._count = _count_and_remember
Handler._send = _send_or_drop
Handler._control = _control_with_drop

if __name__ == "__main__":
    sys.exit(main())
