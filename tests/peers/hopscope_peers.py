#!/usr/bin/env python3
"""hopscope peer harness: real BIND 9, HAProxy 2.6, HTTP task backends, emulated Envoy sidecars
and a gentle traffic generator on a per-run loopback /24 with per-run free ports.

  up       --dir DIR [--only named,haproxy,web,envoy,traffic] [--timeout S] [--rate R]
  down     --dir DIR
  run      --dir DIR [same options as up]      up, print a summary, wait for SIGINT/SIGTERM, down
  status   --dir DIR
  backend  --dir DIR fail|recover|error|ok|slow|fast ADDR:PORT [--share S] [--ms N]
  kill     --dir DIR NAME                      NAME: named, haproxy, web, traffic or a sidecar id
  start    --dir DIR NAME
  nsupdate --dir DIR add|delete NAME TYPE [RDATA] [TTL]
  via-profile --dir DIR --ssh-dir SSHDIR [--out FILE] [--host-key SHA256:...] [--tls-front FDIR]
                                               the demo profile with every endpoint behind the
                                               throwaway sshd of tests/peers/ssh_peer.py (issue 12);
                                               --tls-front: the sidecars' admin through the TLS
                                               fronts of `tls_peer.py front` (https://localhost)

Everything a test needs is in DIR/state.json; the demo profile is DIR/demo.hopscope.json.
Recipes and gotchas: docs/PEERS.md (loopback BIND/HAProxy), docs/PROTOCOLS.md §1 (Envoy admin).
Python standard library only; also importable (tests/peers/test_peers.py uses it).
"""
import argparse
import base64
import contextlib
import datetime
import fcntl
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ZONE = "corp.internal"
MARKER_NAME = "_hopscope-marker." + ZONE
GROUPS = ["named", "haproxy", "web", "envoy", "traffic"]
SIDECARS = ["order-1-envoy", "payments-1-envoy", "payments-2-envoy"]
DEFAULT_TIMEOUT = 20.0
STOP_GRACE = 3.0
POLL = 0.02
STATE_SCHEMA = 1
DIR_MARKER = ".hopscope-peers"


class PeerError(Exception):
    """A failure with a message meant for the operator."""


def log(msg):
    print("hopscope-peers: " + msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# Small protocol clients (DNS over UDP, HAProxy CLI, HTTP)
# ------------------------------------------------------------------------------------------
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28, "SRV": 33}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 9: "NOTAUTH"}


def _dns_name(msg, off):
    labels, jumped, end = [], False, None
    for _ in range(128):
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((ln & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if ln == 0:
            break
        labels.append(msg[off:off + ln].decode("ascii", "replace"))
        off += ln
    return ".".join(labels) + ".", (end if jumped else off)


def dns_query(addr, port, name, qtype, timeout=0.5):
    """One UDP query. -> dict(rcode, aa, answers=[(name, type, ttl, value)]). Raises OSError on timeout."""
    qid = random.getrandbits(16)
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", QTYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((addr, port))
        s.send(q)
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            msg = s.recv(4096)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == qid:
                break
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = _dns_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        rname, off = _dns_name(msg, off)
        rtype, _, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        if rtype == 1:
            val = socket.inet_ntoa(rd)
        elif rtype == 16:
            parts, i = [], 0
            while i < len(rd):
                parts.append(rd[i + 1:i + 1 + rd[i]].decode("utf-8", "replace"))
                i += 1 + rd[i]
            val = "".join(parts)
        elif rtype == 6:
            _, o = _dns_name(msg, off)
            _, o = _dns_name(msg, o)
            val = struct.unpack(">I", msg[o:o + 4])[0]  # serial
        elif rtype == 33:
            prio, w, p = struct.unpack(">HHH", rd[:6])
            val = (prio, w, p, _dns_name(msg, off + 6)[0])
        elif rtype == 5:
            val = _dns_name(msg, off)[0]
        else:
            val = rd
        answers.append((rname, rtype, ttl, val))
        off += rdlen
    return {"rcode": RCODES.get(flags & 0xF, str(flags & 0xF)), "aa": bool(flags & 0x0400), "answers": answers}


def haproxy_cli(target, command, timeout=1.0):
    """Send one command to the HAProxy runtime API. target: unix path or (addr, port)."""
    if isinstance(target, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = tuple(target)
    with s:
        s.settimeout(timeout)
        s.connect(target)
        s.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode("utf-8", "replace")


def show_stat(target):
    """`show stat` as a list of dicts keyed by header name (parse by name, not position)."""
    text = haproxy_cli(target, "show stat")
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines or not lines[0].startswith("# "):
        raise PeerError("unexpected `show stat` reply: %r" % text[:200])
    header = lines[0][2:].rstrip(",").split(",")
    rows = []
    for l in lines[1:]:
        vals = l.rstrip(",").split(",")  # our names/addresses contain no quoted commas
        rows.append(dict(zip(header, vals)))
    return rows


def http_get(addr, port, path, timeout=1.0, method="GET"):
    conn = http.client.HTTPConnection(addr, port, timeout=timeout)
    try:
        conn.request(method, path, headers={"Connection": "close"})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def tcp_connect(addr, port, timeout=0.5):
    with socket.create_connection((addr, port), timeout=timeout):
        return True


# ------------------------------------------------------------------------------------------
# Processes: detached start, identity by (pid, start time), stop by PID only
# ------------------------------------------------------------------------------------------
def proc_stat(pid):
    """-> (state letter, start time in clock ticks) or None when there is no such process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[19])


def is_ours_and_alive(pid, start_time):
    """Alive (zombies count as gone, docs/PEERS.md §0) and still the process we started (no PID reuse)."""
    if not pid:
        return False
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return start_time is None or st[1] == start_time


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_pid(pid, start_time, grace=STOP_GRACE):
    """SIGTERM, wait up to `grace` s, then SIGKILL. -> 'not running' | 'stopped' | 'killed'."""
    if not is_ours_and_alive(pid, start_time):
        if pid:
            _reap(pid)
        return "not running"
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return "not running"
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_ours_and_alive(pid, start_time):
            return "stopped"
        time.sleep(POLL)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return "stopped"
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_ours_and_alive(pid, start_time):
            return "killed"
        time.sleep(POLL)
    raise PeerError("pid %d survived SIGKILL" % pid)


def tail(path, n=25):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 16384))
            lines = f.read().decode("utf-8", "replace").splitlines()[-n:]
    except OSError as e:
        return "  (cannot read %s: %s)" % (path, e)
    return "\n".join("  | " + l for l in lines) if lines else "  (empty)"


# ------------------------------------------------------------------------------------------
# State directory
# ------------------------------------------------------------------------------------------
def state_path(d):
    return os.path.join(d, "state.json")


def load_state(d):
    p = state_path(d)
    try:
        with open(p) as f:
            return json.load(f)
    except FileNotFoundError:
        raise PeerError("no %s: run `hopscope_peers.py up --dir %s` first" % (p, d))


def write_json(path, obj, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


@contextlib.contextmanager
def state_lock(d):
    with open(os.path.join(d, ".state.lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def update_server_state(d, name, **fields):
    with state_lock(d):
        st = load_state(d)
        st["servers"][name].update(fields)
        write_json(state_path(d), st)


# ------------------------------------------------------------------------------------------
# Address and port plan
# ------------------------------------------------------------------------------------------
def _bound_loopback_addrs():
    """Local IPv4 addresses that currently have a socket bound (from /proc/net/{tcp,udp})."""
    addrs = set()
    for fn in ("/proc/net/tcp", "/proc/net/udp"):
        try:
            with open(fn) as f:
                next(f)
                for line in f:
                    hexaddr = line.split()[1].split(":")[0]
                    addrs.add(socket.inet_ntoa(struct.pack("<I", int(hexaddr, 16))))
        except OSError:
            pass
    return addrs


def pick_subnet():
    busy = _bound_loopback_addrs()
    busy_nets = {a.rsplit(".", 1)[0] for a in busy}
    for _ in range(200):
        net = "127.%d.%d" % (random.randint(2, 250), random.randint(0, 255))
        if net not in busy_nets:
            return net
    raise PeerError("could not find an unused 127.x.y.0/24")


class PortPicker:
    """Free ports by binding port 0 (TCP, and UDP as well when asked); never hands out a port twice."""

    def __init__(self):
        self.used = set()

    def _try(self, addrs, port, udp):
        socks = []
        try:
            for a in addrs:
                for typ in ([socket.SOCK_STREAM, socket.SOCK_DGRAM] if udp else [socket.SOCK_STREAM]):
                    s = socket.socket(socket.AF_INET, typ)
                    socks.append(s)
                    s.bind((a, port))
            return True
        except OSError:
            return False
        finally:
            for s in socks:
                s.close()

    def get(self, addrs, udp=False):
        if isinstance(addrs, str):
            addrs = [addrs]
        for _ in range(200):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((addrs[0], 0))
                port = s.getsockname()[1]
            if port in self.used or port < 1024:
                continue
            if self._try(addrs, port, udp):
                self.used.add(port)
                return port
        raise PeerError("no free port on %s" % ", ".join(addrs))


def make_plan(d, rate):
    """Addresses, ports, keys and paths for one run (the bulk of state.json)."""
    net = pick_subnet()
    ip = lambda n: "%s.%d" % (net, n)
    pp = PortPicker()
    infra = ip(1)
    token = secrets.token_hex(12)
    bind_dir = os.path.join(d, "bind")

    def task(addr, port, host=None):
        t = {"addr": addr, "port": port}
        if host:
            t["host"] = host
        return t

    pb = pp.get([ip(11), ip(12), ip(13)])
    pu = pp.get([ip(41), ip(42)])
    pay = pp.get([ip(61), ip(62)])
    services = {
        "servicea": {"name": "serviceA", "dns": {"name": "_http._tcp.servicea." + ZONE, "type": "SRV"},
                     "tasks": [task(ip(5), pp.get(ip(5)), "a-1.servicea." + ZONE),
                               task(ip(6), pp.get(ip(6)), "a-2.servicea." + ZONE)]},
        "serviceb": {"name": "serviceB", "dns": {"name": "serviceb." + ZONE, "type": "A", "port": pb},
                     "tasks": [task(ip(n), pb) for n in (11, 12, 13)]},
        "servicec": {"name": "serviceC", "dns": {"name": "servicec." + ZONE, "type": "SRV"},
                     "tasks": [task(ip(21), pp.get(ip(21)), "task-1.servicec." + ZONE),
                               task(ip(22), pp.get(ip(22)), "task-2.servicec." + ZONE)]},
        "user": {"name": "user", "dns": {"name": "user." + ZONE, "type": "A", "port": pu},
                 "tasks": [task(ip(41), pu), task(ip(42), pu)]},
        "order": {"name": "order", "dns": {"name": "order." + ZONE, "type": "A", "port": 0},
                  "tasks": [task(ip(51), pp.get(ip(51)))]},
        "payments": {"name": "payments", "dns": {"name": "payments." + ZONE, "type": "A", "port": pay},
                     "tasks": [task(ip(61), pay), task(ip(62), pay)]},
    }
    services["order"]["dns"]["port"] = services["order"]["tasks"][0]["port"]
    backends = ["%s:%d" % (t["addr"], t["port"]) for s in services.values() for t in s["tasks"]]

    envoy = {}
    for sid, svc, idx in (("order-1-envoy", "order", 0), ("payments-1-envoy", "payments", 0),
                          ("payments-2-envoy", "payments", 1)):
        t = services[svc]["tasks"][idx]
        e = {"service": svc, "task": "%s:%d" % (t["addr"], t["port"]),
             "admin": {"addr": t["addr"], "port": pp.get(t["addr"])},
             "listeners": {"ingress": {"addr": t["addr"], "port": pp.get(t["addr"])}},
             "config": os.path.join(d, "envoy", sid + ".json"),
             "log": os.path.join(d, "envoy", sid + ".log")}
        if sid == "order-1-envoy":
            e["listeners"]["egress_payments"] = {"addr": t["addr"], "port": pp.get(t["addr"])}
        # payments-2 behaves like an older Envoy (uint64 as JSON strings) so clients meet both renderings.
        e["stat_values"], e["version"] = ("string", "1.22.11") if sid == "payments-2-envoy" else ("number", "1.29.4")
        e["admin_url"] = "http://%s:%d" % (e["admin"]["addr"], e["admin"]["port"])
        envoy[sid] = e

    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    hap_dir = os.path.join(d, "haproxy")
    # named only listens on addresses configured on an interface (lo has just 127.0.0.1/8), so it
    # cannot bind 127.x.y.1 like the others; it gets 127.0.0.1 with a per-run port and the
    # ownership check below (marker TXT + no foreign socket on its addr:port) guards the rest.
    dns_addr = "127.0.0.1"
    dns = {"addr": dns_addr, "port": pp.get(dns_addr, udp=True), "rndc_port": pp.get(dns_addr),
           "conf": os.path.join(bind_dir, "named.conf"),
           "zone_template": os.path.join(bind_dir, ZONE + ".db.tmpl"),
           "zone_file": os.path.join(bind_dir, ZONE + ".db"),
           "journal": os.path.join(bind_dir, ZONE + ".db.jnl"),
           "ddns_key_file": os.path.join(bind_dir, "ddns.key"),
           "rndc_key_file": os.path.join(bind_dir, "rndc.key"),
           "log": os.path.join(bind_dir, "named.log")}
    haproxy = {"cfg": os.path.join(hap_dir, "haproxy.cfg"),
               "socket": os.path.join(hap_dir, "admin.sock"),
               "cli": {"addr": infra, "port": pp.get(infra)},
               "frontend": {"addr": infra, "port": pp.get(infra)},
               "stats": {"addr": infra, "port": pp.get(infra)},
               "log": os.path.join(hap_dir, "haproxy.log")}
    haproxy["runtime"] = "tcp:%s:%d" % (infra, haproxy["cli"]["port"])
    haproxy["stats_url"] = "http://%s:%d/stats;csv" % (infra, haproxy["stats"]["port"])
    haproxy["metrics_url"] = "http://%s:%d/metrics" % (infra, haproxy["stats"]["port"])
    haproxy["frontend_url"] = "http://%s:%d" % (infra, haproxy["frontend"]["port"])
    if len(haproxy["socket"]) >= 100:
        raise PeerError("DIR is too long for a unix socket path (%d chars): %s" % (len(haproxy["socket"]), haproxy["socket"]))

    return {
        "schema": STATE_SCHEMA,
        "dir": d,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "subnet": net + ".0/24",
        "zone": ZONE,
        "marker": {"name": MARKER_NAME, "type": "TXT", "token": token},
        "dns": dns,
        "tsig": {"name": "ddns-key", "algorithm": "hmac-sha256", "secret": secret,
                 "secret_file": os.path.join(bind_dir, "ddns.secret"), "key_file": dns["ddns_key_file"]},
        "haproxy": haproxy,
        "services": services,
        "backends": backends,
        "web": {"control_dir": os.path.join(d, "web"), "log": os.path.join(d, "web", "web.log")},
        "envoy": envoy,
        "traffic": {"rate": rate, "log": os.path.join(d, "traffic", "traffic.log")},
        "profile": os.path.join(d, "demo.hopscope.json"),
        "servers": {},
    }


# ------------------------------------------------------------------------------------------
# Config files
# ------------------------------------------------------------------------------------------
def write_bind(st):
    dns, svc, d = st["dns"], st["services"], os.path.dirname(st["dns"]["conf"])
    os.makedirs(d, exist_ok=True)
    with open(dns["ddns_key_file"], "w") as f:
        f.write('key "ddns-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' % st["tsig"]["secret"])
    with open(st["tsig"]["secret_file"], "w") as f:
        f.write(st["tsig"]["secret"] + "\n")
    with open(dns["rndc_key_file"], "w") as f:
        f.write('key "rndc-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n'
                % base64.b64encode(secrets.token_bytes(32)).decode())
    for p in (dns["ddns_key_file"], st["tsig"]["secret_file"], dns["rndc_key_file"]):
        os.chmod(p, 0o600)
    a = dns["addr"]
    with open(dns["conf"], "w") as f:
        f.write("""// generated by hopscope_peers.py -- standalone, no /etc/bind includes
include "{ddns}";
include "{rndc}";

options {{
    directory "{dir}";
    pid-file "{dir}/named.pid";
    session-keyfile "{dir}/session.key";
    managed-keys-directory "{dir}";
    listen-on port {port} {{ {a}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    allow-query {{ 127.0.0.0/8; }};
    allow-transfer {{ none; }};
    dnssec-validation no;
    notify no;
    minimal-responses no;        // keep additional-section glue for SRV targets
    querylog no;
}};

controls {{
    inet {a} port {rndc_port} allow {{ 127.0.0.0/8; }} keys {{ "rndc-key"; }};
}};

logging {{
    channel default_log {{ file "{log}" versions 2 size 10m; print-time yes; severity info; }};
    category default {{ default_log; }};
    category update {{ default_log; }};
}};

zone "{zone}" {{
    type primary;
    file "{zone_file}";
    allow-update {{ key "ddns-key"; }};
    journal "{journal}";
}};
""".format(ddns=dns["ddns_key_file"], rndc=dns["rndc_key_file"], dir=d, port=dns["port"], a=a,
           rndc_port=dns["rndc_port"], log=dns["log"], zone=ZONE, zone_file=dns["zone_file"],
           journal=dns["journal"]))

    z = ["$ORIGIN %s." % ZONE, "$TTL 10",
         "@       IN SOA  ns1.{z}. hostmaster.{z}. ( 1 60 30 3600 10 )".format(z=ZONE),
         "        IN NS   ns1.%s." % ZONE,
         "ns1     IN A    %s" % a,
         "",
         "; per-run ownership marker (docs/PEERS.md §0: a second named on the same port steals queries)",
         '_hopscope-marker 10 IN TXT "%s"' % st["marker"]["token"],
         "",
         "; Cloud Map / ECS awsvpc mode: multivalue A, one record per task, one shared port, TTL 10"]
    z += ["serviceb        10 IN A   %s" % t["addr"] for t in svc["serviceb"]["tasks"]]
    z += ["", "; Cloud Map / ECS bridge mode: SRV per task (dynamic host ports) -> task host name + A record"]
    for i, t in enumerate(svc["servicec"]["tasks"], 1):
        z.append("servicec        10 IN SRV 1 1 %d task-%d.servicec.%s." % (t["port"], i, ZONE))
    for i, t in enumerate(svc["servicec"]["tasks"], 1):
        z.append("task-%d.servicec 10 IN A   %s" % (i, t["addr"]))
    z += ["; HAProxy only sends SRV queries for names starting with '_': alias for it",
          "_http._tcp.servicec 10 IN CNAME servicec.%s." % ZONE,
          "", "; Consul/Kubernetes-style _service._proto SRV"]
    for i, t in enumerate(svc["servicea"]["tasks"], 1):
        z.append("_http._tcp.servicea 10 IN SRV 0 10 %d a-%d.servicea.%s." % (t["port"], i, ZONE))
    for i, t in enumerate(svc["servicea"]["tasks"], 1):
        z.append("a-%d.servicea    10 IN A   %s" % (i, t["addr"]))
    z += ["", "; plain A records for the LB- and mesh-fronted services"]
    for name in ("user", "order", "payments"):
        z += ["%-15s 10 IN A   %s" % (name, t["addr"]) for t in svc[name]["tasks"]]
    with open(dns["zone_template"], "w") as f:
        f.write("\n".join(z) + "\n")


def reset_zone(st):
    """Fresh zone from the template before every named start (named rewrites the zone and replays .jnl)."""
    dns = st["dns"]
    for p in (dns["journal"], dns["zone_file"]):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
    shutil.copyfile(dns["zone_template"], dns["zone_file"])


def write_haproxy(st):
    h, dns, svc = st["haproxy"], st["dns"], st["services"]
    os.makedirs(os.path.dirname(h["cfg"]), exist_ok=True)
    user = svc["user"]["tasks"]
    order = svc["order"]["tasks"][0]
    cfg = """# generated by hopscope_peers.py (recipe: docs/PEERS.md §3)
global
    log stderr format short local0 info
    stats socket {sock} mode 600 level admin
    stats socket ipv4@{cli_a}:{cli_p} level admin
    stats timeout 30s
    nbthread 2

defaults
    mode http
    log global
    option httplog
    option dontlognull
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 1s

resolvers corpdns
    nameserver bind1 {dns_a}:{dns_p}
    accepted_payload_size 8192
    resolve_retries 2
    timeout resolve 1s
    timeout retry 1s
    hold valid 10s
    hold obsolete 0s
    hold nx 5s
    hold other 5s
    hold refused 5s
    hold timeout 5s

frontend stats
    bind {st_a}:{st_p}
    http-request use-service prometheus-exporter if {{ path /metrics }}
    stats enable
    stats uri /stats
    stats refresh 5s
    stats show-legends
    stats admin if TRUE

frontend fe_main
    bind {fe_a}:{fe_p}
    use_backend be_user  if {{ path_beg /api/user/ }}
    use_backend be_order if {{ path_beg /api/order/ }}
    default_backend be_servicea

backend be_user
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
    server user1 {u1} check
    server user2 {u2} check

backend be_order
    option httpchk GET /health
    server order1 {o1} check inter 1s fall 2 rise 2

# Consul/K8s-style SRV: name starts with "_" => SRV queries, port from the SRV record
backend be_servicea
    balance roundrobin
    option httpchk GET /health
    default-server inter 1s fall 2 rise 2
    server-template a 4 _http._tcp.servicea.{zone} resolvers corpdns init-addr none check

# Cloud Map awsvpc-style multivalue A: one slot per A record, port fixed here
backend be_serviceb
    balance roundrobin
    option httpchk GET /health
    default-server inter 1s fall 2 rise 2
    server-template b 5 serviceb.{zone}:{pb} resolvers corpdns resolve-prefer ipv4 init-addr none check

# Cloud Map bridge-mode SRV via the _http._tcp.servicec CNAME alias
backend be_servicec
    balance roundrobin
    option httpchk GET /health
    default-server inter 1s fall 2 rise 2
    server-template c 3 _http._tcp.servicec.{zone} resolvers corpdns init-addr none check
""".format(sock=h["socket"], cli_a=h["cli"]["addr"], cli_p=h["cli"]["port"], dns_a=dns["addr"],
           dns_p=dns["port"], st_a=h["stats"]["addr"], st_p=h["stats"]["port"], fe_a=h["frontend"]["addr"],
           fe_p=h["frontend"]["port"], u1="%s:%d" % (user[0]["addr"], user[0]["port"]),
           u2="%s:%d" % (user[1]["addr"], user[1]["port"]), o1="%s:%d" % (order["addr"], order["port"]),
           zone=ZONE, pb=svc["serviceb"]["dns"]["port"])
    with open(h["cfg"], "w") as f:
        f.write(cfg)


def write_envoy(st):
    svc = st["services"]
    os.makedirs(os.path.join(st["dir"], "envoy"), exist_ok=True)
    td = "5f1c2d3e-hopscope-demo"
    pay_cluster = "payments.default.dc1.internal.%s.consul" % td
    hc = {"path": "/health", "interval_ms": 1000, "timeout_ms": 500, "unhealthy_threshold": 2, "healthy_threshold": 2}
    for sid, e in st["envoy"].items():
        addr, port = e["task"].rsplit(":", 1)
        ing = e["listeners"]["ingress"]
        zone = "loopback-%s" % ("a" if addr.endswith((".51", ".61")) else "b")
        spec = {
            "id": sid,
            "node": {"id": sid, "cluster": e["service"],
                     "metadata": {"namespace": "default", "partition": "default", "envoy_version": e["version"],
                                  "hopscope_emulator": True},
                     "locality": {"region": "local", "zone": zone}},
            "version": e["version"], "stat_values": e["stat_values"], "drain_time_s": 30,
            "admin": {"address": e["admin"]["addr"], "port": e["admin"]["port"]},
            "listeners": [{"name": "public_listener:%s:%d" % (ing["addr"], ing["port"]), "address": ing["addr"],
                           "port": ing["port"], "direction": "INBOUND", "cluster": "local_app",
                           "stat_prefix": "public_listener", "health_check_path": "/health"}],
            "clusters": [{"name": "local_app", "added_via_api": True, "timeout_ms": 5000,
                          "hosts": [{"address": addr, "port": int(port), "locality": {"region": "local", "zone": zone}}],
                          "health_check": hc}],
        }
        if "egress_payments" in e["listeners"]:
            eg = e["listeners"]["egress_payments"]
            spec["listeners"].append({"name": "payments:%s:%d" % (eg["addr"], eg["port"]), "address": eg["addr"],
                                      "port": eg["port"], "direction": "OUTBOUND", "cluster": pay_cluster,
                                      "stat_prefix": "upstream.payments"})
            hosts = []
            for psid in ("payments-1-envoy", "payments-2-envoy"):
                pi = st["envoy"][psid]["listeners"]["ingress"]
                hosts.append({"address": pi["addr"], "port": pi["port"],
                              "locality": {"region": "local", "zone": "loopback-%s" % ("a" if psid.startswith("payments-1") else "b")}})
            spec["clusters"].append({
                "name": pay_cluster, "observability_name": pay_cluster, "eds_service_name": pay_cluster,
                "added_via_api": True, "timeout_ms": 5000, "hosts": hosts, "health_check": hc,
                "outlier_detection": {"consecutive_5xx": 3, "interval_ms": 5000, "base_ejection_time_ms": 10000,
                                      "max_ejection_percent": 50, "success_rate_request_volume": 5,
                                      "success_rate_minimum_hosts": 5}})
            e["upstream_cluster"] = pay_cluster
        write_json(e["config"], spec)


def write_profile(st):
    svc, h = st["services"], st["haproxy"]
    dns_server = "%s:%d" % (st["dns"]["addr"], st["dns"]["port"])
    services = []
    for sid, s in svc.items():
        dns = {"name": s["dns"]["name"], "type": s["dns"]["type"]}
        if s["dns"]["type"] == "A":
            dns["port"] = s["dns"]["port"]
        services.append({"id": sid, "name": s["name"], "dns": dns})
    profile = {
        "schema": 1,
        "name": "demo (loopback)",
        "observeOnly": False,
        "production": False,
        "poll": {"intervalMs": 2000, "timeoutMs": 1500},
        "dns": {"servers": [dns_server]},
        "services": services,
        "loadBalancers": [{
            "id": "internal-lb", "kind": "haproxy", "runtime": h["runtime"], "statsUrl": h["stats_url"],
            "routes": [{"pathPrefix": "/api/user/", "backend": "be_user", "service": "user"},
                       {"pathPrefix": "/api/order/", "backend": "be_order", "service": "order"}]}],
        "proxies": [{"id": sid, "kind": "envoy", "admin": e["admin_url"], "service": e["service"], "task": e["task"]}
                    for sid, e in st["envoy"].items()],
        "edges": [
            {"from": "servicea", "to": "serviceb", "via": "dns"},
            {"from": "servicea", "to": "servicec", "via": "dns"},
            {"from": "serviceb", "to": "user", "via": "lb:internal-lb"},
            {"from": "serviceb", "to": "order", "via": "lb:internal-lb"},
            {"from": "order", "to": "payments", "via": "mesh"},
        ],
        "dnsUpdate": {"server": dns_server, "zone": ZONE,
                      "tsigKey": {"name": st["tsig"]["name"], "algorithm": st["tsig"]["algorithm"],
                                  "secret": "file:" + st["tsig"]["secret_file"]}},
    }
    declared = {s["id"] for s in services}
    for e in profile["edges"]:
        assert e["from"] in declared and e["to"] in declared, e
    write_json(st["profile"], profile)


def write_via_profile(st, ssh, out, host_key=None, tls_front=None):
    """The demo profile with every endpoint reached through the jump host `ssh` (ssh_peer.py's
    state.json): HAProxy's runtime API as its unix socket on the jump host (direct-streamlocal),
    the Envoy admin ports and BIND (queries and RFC 2136 updates, over TCP) by direct-tcpip."""
    with open(st["profile"]) as f:
        profile = json.load(f)
    profile["name"] = "demo via ssh (loopback)"
    profile["sshHosts"] = [{
        "id": "jump", "host": "127.0.0.1", "port": ssh["port"], "user": ssh["user"],
        "identity": "file:" + ssh["user_key"], "hostKey": host_key or ssh["host_key_fingerprint"]}]
    profile["dns"]["via"] = "jump"  # dnsUpdate inherits it
    for lb in profile["loadBalancers"]:
        lb["runtime"] = "unix:" + st["haproxy"]["socket"]
        lb["via"] = "jump"
    for px in profile["proxies"]:
        px["via"] = "jump"
    if tls_front:
        # Every HTTP endpoint is TLS too: each sidecar's admin through its TLS front, by the name
        # its certificate carries (the jump host resolves it), trusted through the run's CA.
        profile["name"] = "demo via ssh + tls (loopback)"
        profile["tls"] = {"ca": "file:" + tls_front["ca"]}
        for px in profile["proxies"]:
            px["admin"] = tls_front["fronts"][px["id"]]["url"]
    write_json(out, profile)


def cmd_via_profile(args):
    d = os.path.abspath(args.dir)
    st = load_state(d)
    with open(os.path.join(os.path.abspath(args.ssh_dir), "state.json")) as f:
        ssh = json.load(f)
    tls_front = None
    if args.tls_front:
        with open(os.path.join(os.path.abspath(args.tls_front), "state.json")) as f:
            tls_front = json.load(f)
    out = args.out or os.path.join(d, "demo-via-ssh%s.hopscope.json" % ("-tls" if tls_front else ""))
    write_via_profile(st, ssh, out, args.host_key, tls_front)
    log("wrote %s (every endpoint through ssh %s@127.0.0.1:%d)" % (out, ssh["user"], ssh["port"]))
    return 0


def write_aws_profile(aws_dir, out):
    """The --aws demo profile (issue 16): the AWS API emulator (aws_emulator.py up --dir AWS_DIR)
    as the cluster. Services from its Cloud Map DNS namespaces (with the ECS service of the same
    name when there is one, and ECS-only services), each ELBv2 load balancer with its first
    listener and the target groups named like a service, and edges through the ALB. The key pair
    goes into two 0600 files the profile names with file: references, never into the profile."""
    with open(os.path.join(aws_dir, "aws.json")) as f:
        info = json.load(f)
    with open(info["state"]) as f:
        state = json.load(f)
    refs = {}
    for key, fname in (("accessKeyId", "aws-access-key-id"), ("secretAccessKey", "aws-secret-access-key")):
        path = os.path.join(aws_dir, fname)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(info[key] + "\n")
        os.replace(path + ".tmp", path)
        refs[key] = "file:" + path
    ecs = {}  # service name -> cluster
    for c in state.get("ecs", {}).get("clusters", []):
        for svc in c.get("services", []):
            ecs.setdefault(svc["name"], c["name"])
    services = []
    for ns in state.get("cloudMap", {}).get("namespaces", []):
        if not ns.get("type", "").startswith("DNS"):
            continue
        for svc in ns.get("services", []):
            s = {"id": svc["name"], "name": svc["name"],
                 "cloudMap": {"namespace": ns["name"], "service": svc["name"]}}
            if svc["name"] in ecs:
                s["ecs"] = {"cluster": ecs.pop(svc["name"]), "service": svc["name"]}
            services.append(s)
    for name, cluster in ecs.items():
        services.append({"id": name, "name": name, "ecs": {"cluster": cluster, "service": name}})
    ids = {s["id"] for s in services}
    lbs, edges = [], []
    elbv2 = state.get("elbv2", {})
    for lb in elbv2.get("loadBalancers", []):
        groups = [{"arn": tg["arn"], "service": tg["name"]} for tg in elbv2.get("targetGroups", [])
                  if tg["name"] in ids]
        entry = {"id": lb["name"], "kind": "elbv2", "targetGroups": groups}
        if lb.get("listeners"):
            entry["listenerArn"] = lb["listeners"][0]["arn"]
        lbs.append(entry)
        callers = [i for i in ("users",) if i in ids] or [s["id"] for s in services[:1]]
        for caller in callers:
            for g in groups:
                if g["service"] != caller:
                    edges.append({"from": caller, "to": g["service"], "via": "lb:" + lb["name"]})
    if "orders" in ids and "payments" in ids:
        edges.append({"from": "orders", "to": "payments", "via": "dns"})
    profile = {"schema": 1, "name": "aws demo (emulator)", "observeOnly": False,
               "poll": {"intervalMs": 2000, "timeoutMs": 1500},
               "aws": {"region": info["region"], "credentials": refs, "endpointUrl": info["url"]},
               "services": services, "loadBalancers": lbs, "edges": edges}
    write_json(out, profile)
    return profile


def cmd_aws_profile(args):
    d = os.path.abspath(args.aws_dir)
    out = args.out or os.path.join(d, "aws-demo.hopscope.json")
    p = write_aws_profile(d, out)
    log("wrote %s (%d services, %d load balancers; AWS API at %s)"
        % (out, len(p["services"]), len(p["loadBalancers"]), p["aws"]["endpointUrl"]))
    return 0


# ------------------------------------------------------------------------------------------
# Servers: how to start each one and how to tell it is ready (by protocol)
# ------------------------------------------------------------------------------------------
def server_specs(st):
    """name -> dict(group, argv, cwd, logs=[...], primary_log)."""
    d, py = st["dir"], sys.executable
    specs = {
        "web": {"group": "web", "argv": [py, os.path.join(HERE, "web.py"), "--dir", st["web"]["control_dir"]] + st["backends"],
                "cwd": st["web"]["control_dir"], "log": st["web"]["log"]},
        "named": {"group": "named", "argv": ["named", "-f", "-c", st["dns"]["conf"]],
                  "cwd": os.path.dirname(st["dns"]["conf"]),
                  "log": os.path.join(d, "bind", "named.stdout.log"), "extra_logs": [st["dns"]["log"]]},
        "haproxy": {"group": "haproxy", "argv": ["haproxy", "-db", "-f", st["haproxy"]["cfg"]],
                    "cwd": os.path.dirname(st["haproxy"]["cfg"]), "log": st["haproxy"]["log"]},
    }
    for sid, e in st["envoy"].items():
        specs[sid] = {"group": "envoy", "argv": [py, os.path.join(HERE, "envoy_emulator.py"), "--config", e["config"]],
                      "cwd": os.path.dirname(e["config"]), "log": e["log"]}
    specs["traffic"] = {"group": "traffic",
                        "argv": [py, os.path.join(HERE, "traffic.py"), "--state", state_path(d),
                                 "--rate", str(st["traffic"]["rate"])] + st["traffic"].get("knobs", []),
                        "cwd": os.path.dirname(st["traffic"]["log"]), "log": st["traffic"]["log"]}
    return specs


# Start stages: later stages depend on earlier ones being ready (web before health checks,
# named before HAProxy's resolvers, everything before traffic). Within a stage all start at once.
STAGES = [["web", "named"], ["haproxy"] + SIDECARS, ["traffic"]]


def check_ready(st, name, proc_info, settle=False):
    """-> None when ready, else a string saying what is not ready yet."""
    try:
        if name == "web":
            for b in st["backends"]:
                a, p = b.rsplit(":", 1)
                code, _ = http_get(a, int(p), "/health", timeout=0.3)
                if code != 200:
                    return "GET http://%s/health -> %d" % (b, code)
            return None
        if name == "named":
            dns = st["dns"]
            r = dns_query(dns["addr"], dns["port"], ZONE, "SOA", timeout=0.3)
            if r["rcode"] == "REFUSED":
                return "SOA %s from %s:%d: REFUSED (another DNS server sharing this port? docs/PEERS.md §0)" % (
                    ZONE, dns["addr"], dns["port"])
            if r["rcode"] != "NOERROR" or not r["answers"] or not r["aa"]:
                return "SOA %s from %s:%d: %s, %d answers, aa=%s" % (ZONE, dns["addr"], dns["port"], r["rcode"], len(r["answers"]), r["aa"])
            return None
        if name == "haproxy":
            info = haproxy_cli(st["haproxy"]["socket"], "show info", timeout=0.5)
            pid = _field(info, "Pid")
            if pid is None:
                return "show info on %s: no Pid line in %r" % (st["haproxy"]["socket"], info[:120])
            if int(pid) != proc_info["pid"]:
                return "show info on %s answered by pid %s, not ours (%d)" % (st["haproxy"]["socket"], pid, proc_info["pid"])
            info = haproxy_cli((st["haproxy"]["cli"]["addr"], st["haproxy"]["cli"]["port"]), "show info", timeout=0.5)
            if _field(info, "Pid") != pid:
                return "show info on tcp %s:%d: Pid %s" % (st["haproxy"]["cli"]["addr"], st["haproxy"]["cli"]["port"], _field(info, "Pid"))
            if settle == "checks":
                return haproxy_checks_settled(st, every_task=False)
            return haproxy_checks_settled(st) if settle else None
        if name in st["envoy"]:
            e = st["envoy"][name]
            code, body = http_get(e["admin"]["addr"], e["admin"]["port"], "/ready", timeout=0.3)
            if code != 200:
                return "GET %s/ready -> %d %s" % (e["admin_url"], code, body.strip())
            code, body = http_get(e["admin"]["addr"], e["admin"]["port"], "/server_info", timeout=0.3)
            node = json.loads(body).get("node", {}).get("id")
            if node != name:
                return "%s/server_info node.id is %r, not %r (someone else's admin port?)" % (e["admin_url"], node, name)
            return None
        if name == "traffic":
            with open(st["traffic"]["log"], "rb") as f:
                f.seek(proc_info.get("log_offset", 0))
                if b"traffic: started" in f.read():
                    return None
            return "no 'traffic: started' line in %s yet" % st["traffic"]["log"]
    except (OSError, ValueError, http.client.HTTPException) as e:
        return "%s: %s" % (type(e).__name__, e)
    return "unknown server %s" % name


HAPROXY_BACKENDS = {"be_servicea": "servicea", "be_serviceb": "serviceb", "be_servicec": "servicec",
                    "be_user": "user", "be_order": "order"}


def haproxy_checks_settled(st, every_task=True):
    """None when every task of every backend is filled in (DNS-fed slots resolved) and has a
    finished health check; else what is still pending. Servers start as "UP" before their
    first check (docs/PEERS.md §3), so a test that starts right after `up` would otherwise see
    INI(tializing) checks and half-filled server-template slots. every_task=False (a restart):
    only the servers that have an address must have finished their first check, as tests may
    have taken names out of the zone."""
    text = haproxy_cli(st["haproxy"]["socket"], "show stat", timeout=0.5)
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        return "show stat: no header"
    header = lines[0][2:].split(",")
    col = {name: i for i, name in enumerate(header)}
    filled = {b: 0 for b in HAPROXY_BACKENDS}
    for line in lines[1:]:
        row = line.split(",")
        if len(row) < len(header) - 1 or row[col["svname"]] in ("FRONTEND", "BACKEND"):
            continue
        backend = row[col["pxname"]]
        if backend not in filled or not row[col["addr"]]:
            continue
        check = row[col["check_status"]].replace("* ", "")
        if not check or check.startswith("INI"):
            return "%s/%s: health check not finished yet (%r)" % (backend, row[col["svname"]], check)
        filled[backend] += 1
    if not every_task:
        return None
    for backend, sid in HAPROXY_BACKENDS.items():
        want = len(st["services"][sid]["tasks"])
        if filled[backend] < want:
            return "%s: %d of %d tasks resolved and checked" % (backend, filled[backend], want)
    return None


def _field(info, key):
    for line in info.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


def udp_socket_owners(addr, port):
    """Inodes of UDP sockets bound to exactly addr:port."""
    want = "%08X:%04X" % (struct.unpack("<I", socket.inet_aton(addr))[0], port)
    inodes = set()
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[1] == want:
                inodes.add(parts[9])
    return inodes


def pid_socket_inodes(pid):
    out = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        with contextlib.suppress(OSError):
            link = os.readlink(os.path.join(fd_dir, fd))
            if link.startswith("socket:["):
                out.add(link[8:-1])
    return out


def find_inode_pids(inodes):
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        with contextlib.suppress(OSError):
            if pid_socket_inodes(int(p)) & inodes:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    pids.append("%s (%s)" % (p, f.read().replace(b"\0", b" ").decode(errors="replace").strip()))
    return pids


def verify_named_ownership(st, pid):
    """The marker TXT must come from *our* named, and no other socket may share its UDP addr:port."""
    dns, mk = st["dns"], st["marker"]
    for i in range(6):  # several fresh source ports: SO_REUSEPORT spreads them over the group
        r = dns_query(dns["addr"], dns["port"], mk["name"], "TXT", timeout=0.5)
        vals = [a[3] for a in r["answers"] if a[1] == 16]
        if r["rcode"] != "NOERROR" or vals != [mk["token"]] or not r["aa"]:
            raise PeerError("ownership check failed: %s TXT from %s:%d answered %s %r (expected our marker %r); "
                            "another DNS server shares this port (docs/PEERS.md §0)"
                            % (mk["name"], dns["addr"], dns["port"], r["rcode"], vals, mk["token"]))
    foreign = udp_socket_owners(dns["addr"], dns["port"]) - pid_socket_inodes(pid)
    if foreign:
        raise PeerError("ownership check failed: other UDP sockets are bound to %s:%d: %s"
                        % (dns["addr"], dns["port"], ", ".join(find_inode_pids(foreign)) or "inodes " + ", ".join(sorted(foreign))))


def spawn(name, spec):
    os.makedirs(spec["cwd"], exist_ok=True)
    os.makedirs(os.path.dirname(spec["log"]), exist_ok=True)
    logf = open(spec["log"], "ab")
    logf.write(("=== %s start %s: %s\n" % (datetime.datetime.now().isoformat(timespec="milliseconds"), name,
                                          " ".join(spec["argv"]))).encode())
    logf.flush()
    offset = logf.tell()
    try:
        proc = subprocess.Popen(spec["argv"], cwd=spec["cwd"], stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    except OSError as e:
        raise PeerError("%s: cannot start %s: %s" % (name, spec["argv"][0], e))
    finally:
        logf.close()
    st = proc_stat(proc.pid)
    return proc, {"pid": proc.pid, "start_time": st[1] if st else None, "argv": spec["argv"], "cwd": spec["cwd"],
                  "log": spec["log"], "logs": [spec["log"]] + spec.get("extra_logs", []), "group": spec["group"],
                  "state": "starting", "log_offset": offset}


def failure_report(name, info, why):
    lines = ["%s failed: %s" % (name, why)]
    for lp in info.get("logs", []):
        lines.append("--- last lines of %s ---" % lp)
        lines.append(tail(lp))
    return "\n".join(lines)


def start_servers(st, names, timeout, procs, settle=False):
    """Start `names` stage by stage and wait for each by protocol. Records into st['servers'].
    On failure raises PeerError (the caller stops what was started)."""
    specs = server_specs(st)
    deadline = time.monotonic() + timeout
    t_begin = time.monotonic()
    for stage in STAGES:
        batch = [n for n in stage if n in names]
        if not batch:
            continue
        pending = {}
        for n in batch:
            if n == "named":
                reset_zone(st)
            proc, info = spawn(n, specs[n])
            procs[n] = proc
            info["started_at"] = round(time.monotonic() - t_begin, 3)
            st["servers"][n] = info
            pending[n] = info
        last_why = {}
        while pending:
            for n in list(pending):
                info = pending[n]
                rc = procs[n].poll()
                if rc is not None:
                    raise PeerError(failure_report(n, info, "exited with status %d during start-up" % rc))
                why = check_ready(st, n, info, settle)
                if why is None:
                    if n == "named":
                        verify_named_ownership(st, info["pid"])
                    info["state"] = "running"
                    info["ready_s"] = round(time.monotonic() - t_begin, 3)
                    del pending[n]
                else:
                    last_why[n] = why
            if pending and time.monotonic() > deadline:
                n = sorted(pending)[0]
                raise PeerError(failure_report(n, pending[n], "not ready after %.1f s: %s"
                                               % (timeout, last_why.get(n, "?"))))
            if pending:
                time.sleep(POLL)


def stop_servers(st, names=None, quiet=False):
    """Stop servers by the PIDs recorded in state (reverse start order)."""
    order = [n for stage in reversed(STAGES) for n in stage]
    results = {}
    for n in order:
        info = st["servers"].get(n)
        if not info or (names is not None and n not in names):
            continue
        res = stop_pid(info.get("pid"), info.get("start_time"))
        info["state"] = "stopped"
        results[n] = res
        if not quiet and res != "not running":
            log("%s (pid %s) %s" % (n, info.get("pid"), res))
    return results


# ------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------
def parse_only(text):
    if not text:
        return list(GROUPS)
    groups = [g.strip() for g in text.split(",") if g.strip()]
    bad = [g for g in groups if g not in GROUPS]
    if bad:
        raise PeerError("--only: unknown server group(s) %s (known: %s)" % (", ".join(bad), ", ".join(GROUPS)))
    return groups


def names_for_groups(st, groups):
    return [n for n, s in server_specs(st).items() if s["group"] in groups]


def prepare_dir(d):
    """Recreate DIR fresh; stop a previous run recorded there first. Refuse to wipe foreign dirs."""
    if os.path.exists(d):
        if not os.path.isdir(d):
            raise PeerError("%s exists and is not a directory" % d)
        entries = os.listdir(d)
        if entries and DIR_MARKER not in entries and "state.json" not in entries:
            raise PeerError("refusing to wipe %s: it is not empty and was not made by hopscope_peers.py" % d)
        if "state.json" in entries:
            with contextlib.suppress(Exception):
                old = load_state(d)
                stop_servers(old, quiet=True)
        shutil.rmtree(d)
    os.makedirs(d)
    open(os.path.join(d, DIR_MARKER), "w").close()


def cmd_up(args, keep_procs=None):
    d = os.path.abspath(args.dir)
    groups = parse_only(args.only)
    t0 = time.monotonic()
    prepare_dir(d)
    st = make_plan(d, args.rate)
    # Error and latency knobs of the traffic generator (traffic.py --errors / --latency).
    st["traffic"]["knobs"] = (["--errors=" + k for k in (getattr(args, "traffic_errors", None) or [])]
                              + ["--latency=" + k for k in (getattr(args, "traffic_latency", None) or [])])
    for sub in ("bind", "haproxy", "web", "envoy", "traffic"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    write_bind(st)
    write_haproxy(st)
    write_envoy(st)
    write_profile(st)
    st["only"] = groups
    names = names_for_groups(st, groups)
    write_json(state_path(d), st)
    procs = {} if keep_procs is None else keep_procs
    try:
        # A fresh cluster is ready once HAProxy has filled its DNS-fed slots and finished its
        # first health checks (only then do tests see a settled picture). A restarted single
        # server may face a zone that tests changed, so `start` waits only for the checks of
        # the servers that have an address.
        start_servers(st, names, args.timeout, procs, settle="named" in names and "haproxy" in names)
    except (PeerError, KeyboardInterrupt) as e:
        stop_servers(st, quiet=True)
        write_json(state_path(d), st)
        if isinstance(e, KeyboardInterrupt):
            log("interrupted; stopped what was started")
            return 130
        log("up failed: " + str(e))
        log("stopped what was started; logs kept in %s" % d)
        return 1
    st["up_seconds"] = round(time.monotonic() - t0, 3)
    write_json(state_path(d), st)
    log("up in %.2f s: %s (state %s)" % (st["up_seconds"], ", ".join(names), state_path(d)))
    return 0


def cmd_down(args):
    d = os.path.abspath(args.dir)
    if not os.path.exists(state_path(d)):
        log("nothing to stop: no %s" % state_path(d))
        return 0
    with state_lock(d):
        st = load_state(d)
        stop_servers(st)
        write_json(state_path(d), st)
    return 0


def summary(st):
    h, dns = st["haproxy"], st["dns"]
    out = ["hopscope demo cluster on %s (zone %s)" % (st["subnet"], ZONE)]
    run = lambda n: st["servers"].get(n, {}).get("state") == "running"
    if run("named"):
        out.append("  BIND 9       dns %s:%d  rndc %s:%d  TSIG ddns-key (hmac-sha256)" % (dns["addr"], dns["port"], dns["addr"], dns["rndc_port"]))
    if run("haproxy"):
        out.append("  HAProxy      frontend %s  runtime %s / unix:%s" % (h["frontend_url"], h["runtime"], h["socket"]))
        out.append("               stats %s  metrics %s" % (h["stats_url"], h["metrics_url"]))
    if run("web"):
        for sid, s in st["services"].items():
            out.append("  %-12s %s" % (sid, " ".join("%s:%d" % (t["addr"], t["port"]) for t in s["tasks"])))
    for sid, e in st["envoy"].items():
        if run(sid):
            ls = " ".join("%s %s:%d" % (k, v["addr"], v["port"]) for k, v in e["listeners"].items())
            out.append("  %-16s admin %s  task %s  %s" % (sid, e["admin_url"], e["task"], ls))
    if run("traffic"):
        out.append("  traffic      ~%s req/s (log %s)" % (st["traffic"]["rate"], st["traffic"]["log"]))
    out.append("  profile      %s" % st["profile"])
    out.append("  state        %s" % state_path(st["dir"]))
    return "\n".join(out)


def cmd_run(args):
    stop = {"sig": None}

    def on_signal(signum, frame):
        stop["sig"] = signum
        if signum == signal.SIGINT and not stop.get("up_done"):
            raise KeyboardInterrupt

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    procs = {}
    rc = cmd_up(args, keep_procs=procs)
    if rc != 0:
        return rc
    stop["up_done"] = True
    d = os.path.abspath(args.dir)
    st = load_state(d)
    print(summary(st), flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    reported = set()
    while stop["sig"] is None:
        for n, p in procs.items():
            if n not in reported and p.poll() is not None:
                reported.add(n)
                log("%s exited with status %s (see %s)" % (n, p.returncode, st["servers"][n]["log"]))
        time.sleep(0.2)
    log("%s received, stopping" % signal.Signals(stop["sig"]).name)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    cmd_down(args)
    return 0


def cmd_status(args):
    d = os.path.abspath(args.dir)
    st = load_state(d)
    bad = 0
    for n, info in st["servers"].items():
        alive = is_ours_and_alive(info.get("pid"), info.get("start_time"))
        want = info.get("state") == "running"
        bad += want and not alive
        print("%-18s pid %-8s %s%s" % (n, info.get("pid"), "running" if alive else "not running",
                                       "  (expected running!)" if want and not alive else ""))
    return 1 if bad else 0


def cmd_backend(args):
    d = os.path.abspath(args.dir)
    st = load_state(d)
    if args.target not in st["backends"]:
        raise PeerError("%s is not a backend of this run; known: %s" % (args.target, " ".join(st["backends"])))
    addr, port = args.target.rsplit(":", 1)
    kind = {"fail": "down", "recover": "down", "slow": "slow", "fast": "slow"}.get(args.action, "error")
    path = os.path.join(st["web"]["control_dir"], "%s-%s-%s" % (kind, addr, port))
    if args.action == "slow":
        with open(path, "w") as f:
            f.write("%g\n" % (args.ms or 100))
    elif args.action in ("fail", "error"):
        with open(path, "w") as f:
            # error --share S: that share of the requests; no share: all of them (as before)
            f.write("%g\n" % args.share if args.action == "error" and args.share is not None else "")
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return 0


def resolve_name(st, name):
    if name in st["servers"] or name in server_specs(st):
        return name
    if name in GROUPS and name != "envoy":
        return name
    raise PeerError("unknown server %r; known: %s" % (name, ", ".join(server_specs(st))))


def cmd_kill(args):
    d = os.path.abspath(args.dir)
    with state_lock(d):
        st = load_state(d)
        name = resolve_name(st, args.name)
        info = st["servers"].get(name)
        if not info:
            log("%s was never started in this run" % name)
            return 0
        res = stop_pid(info.get("pid"), info.get("start_time"))
        info["state"] = "stopped"
        write_json(state_path(d), st)
    log("%s (pid %s) %s" % (name, info.get("pid"), res))
    return 0


def cmd_start(args):
    d = os.path.abspath(args.dir)
    with state_lock(d):
        st = load_state(d)
        name = resolve_name(st, args.name)
        info = st["servers"].get(name)
        if info and is_ours_and_alive(info.get("pid"), info.get("start_time")):
            log("%s already running (pid %d)" % (name, info["pid"]))
            return 0
        stage = [n for s in STAGES for n in s if n == name]
        if not stage:
            raise PeerError("unknown server %r" % name)
        procs = {}
        try:
            # A restarted HAProxy reports its servers "UP 1/2 INI" until their first checks
            # ran; a test that acts on the cluster right after `start` would meet "unknown".
            start_servers(st, [name], args.timeout, procs, settle="checks" if name == "haproxy" else False)
        except PeerError as e:
            stop_servers(st, [name], quiet=True)
            write_json(state_path(d), st)
            log("start failed: " + str(e))
            return 1
        write_json(state_path(d), st)
    log("%s started (pid %d), ready in %.2f s" % (name, st["servers"][name]["pid"], st["servers"][name]["ready_s"]))
    return 0


def cmd_nsupdate(args):
    d = os.path.abspath(args.dir)
    st = load_state(d)
    name = args.name
    if not name.endswith("."):
        name = name if name == ZONE or name.endswith("." + ZONE) else name + "." + ZONE
        name += "."
    rtype = args.type.upper()
    ttl = args.ttl if args.ttl is not None else 10
    extra = list(args.rest)
    rdata = extra.pop(0) if extra else ""
    if extra:
        if len(extra) == 1 and extra[0].isdigit():
            ttl = int(extra[0])
        else:
            raise PeerError("expected [RDATA] [TTL]; quote RDATA that has spaces, e.g. '1 1 8080 t.%s.'" % ZONE)
    if args.action == "add":
        if not rdata:
            raise PeerError("add needs RDATA")
        line = "update add %s %d IN %s %s" % (name, ttl, rtype, rdata)
    else:
        line = ("update delete %s %s %s" % (name, rtype, rdata)).rstrip()
    script = "server %s %d\nzone %s\n%s\nsend\n" % (st["dns"]["addr"], st["dns"]["port"], ZONE, line)
    r = subprocess.run(["nsupdate", "-t", "3", "-k", st["dns"]["ddns_key_file"]], input=script.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        log("nsupdate failed (rc %d) for: %s\n%s" % (r.returncode, line, r.stdout.decode(errors="replace")))
    return r.returncode


def build_parser():
    ap = argparse.ArgumentParser(prog="hopscope_peers.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n")[1])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def with_dir(p):
        p.add_argument("--dir", required=True, help="run directory (state.json, configs, logs)")
        return p

    for name, hlp in (("up", "start the cluster detached and exit"), ("run", "up, then stay in the foreground until Ctrl+C")):
        p = with_dir(sub.add_parser(name, help=hlp))
        p.add_argument("--only", help="comma-separated subset of %s (default: all)" % ",".join(GROUPS))
        p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="total readiness timeout, s (default 20)")
        p.add_argument("--rate", type=float, default=6.0, help="traffic generator requests/s (default 6)")
        p.add_argument("--traffic-errors", action="append", metavar="ID=SHARE",
                       help="traffic to ID (user, order, servicea, serviceb, payments) fails with 503 on SHARE (0..1)")
        p.add_argument("--traffic-latency", action="append", metavar="ID=MS",
                       help="ID's backend sleeps MS before answering the generator's requests")
    with_dir(sub.add_parser("down", help="stop the PIDs recorded in state.json"))
    with_dir(sub.add_parser("status", help="show which recorded servers are alive"))
    p = with_dir(sub.add_parser("backend", help="make a backend's /health fail or its responses 500"))
    p.add_argument("action", choices=["fail", "recover", "error", "ok", "slow", "fast"])
    p.add_argument("target", metavar="ADDR:PORT")
    p.add_argument("--share", type=float, help="error: answer 500 on this share (0..1) of the requests")
    p.add_argument("--ms", type=float, help="slow: sleep this many ms before answering (default 100)")
    for name in ("kill", "start"):
        p = with_dir(sub.add_parser(name, help="%s one server (named, haproxy, web, traffic, sidecar id)" % name))
        p.add_argument("name")
        p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    p = with_dir(sub.add_parser("nsupdate", help="RFC 2136 update with the run's TSIG key"))
    p.add_argument("action", choices=["add", "delete"])
    p.add_argument("name", help="owner name (relative names get .%s)" % ZONE)
    p.add_argument("type")
    p.add_argument("rest", nargs="*", metavar="RDATA [TTL]")
    p.add_argument("--ttl", type=int)
    p = with_dir(sub.add_parser("via-profile", help="write the demo profile with every endpoint behind an ssh_peer.py sshd"))
    p.add_argument("--ssh-dir", required=True, help="the ssh_peer.py run directory (its state.json)")
    p.add_argument("--out", help="profile path (default DIR/demo-via-ssh.hopscope.json)")
    p.add_argument("--host-key", help="the hostKey to write instead of the server's (tests: a wrong one)")
    p.add_argument("--tls-front", metavar="FDIR", help="tls_peer.py front's directory: the sidecars' admin over TLS")
    p = sub.add_parser("aws-profile", help="write the --aws demo profile for a running aws_emulator.py")
    p.add_argument("--aws-dir", required=True, help="the aws_emulator.py up --dir directory (its aws.json)")
    p.add_argument("--out", help="profile path (default AWS_DIR/aws-demo.hopscope.json)")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    fn = {"up": cmd_up, "down": cmd_down, "run": cmd_run, "status": cmd_status, "backend": cmd_backend,
          "kill": cmd_kill, "start": cmd_start, "nsupdate": cmd_nsupdate,
          "via-profile": cmd_via_profile, "aws-profile": cmd_aws_profile}[args.cmd]
    try:
        return fn(args)
    except PeerError as e:
        log(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
