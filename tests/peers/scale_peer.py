#!/usr/bin/env python3
"""A fleet at scale on loopback (issue 15 §2), generated and started by one command.

  up    --dir DIR [--targets 10000|50000] [--timeout S]
  down  --dir DIR                stop exactly the PIDs this script started (recorded in DIR/scale.json)
  churn --dir DIR [--every S] [--fraction F]
                                 runs until killed: every S seconds F of the 10,000 HAProxy servers
                                 change health (half go to MAINT, the half set last time come back)
  status --dir DIR               what runs, counts Prometheus holds

What `up` starts (per-run ports; nothing fixed; every process is ours and recorded):
  * one real HAProxy 2.6: 500 backends x 20 servers = 10,000 servers, each on its own loopback
    address (127.B.0-39.x) and one shared port P, named "ADDRESS:P" (so a server read through
    Prometheus matches its DNS address). Per backend: 2 servers checked against a real
    backend (a small Python HTTP server on 0.0.0.0:P answers every address), 1 checked against a
    closed port (DOWN), 1 `disabled` (MAINT), 1 `weight 0` (drained by weight: HAProxy still says
    "no check" and promex "UP"), 15 without checks ("no check"; promex "UP").
    Checks use `inter 20s` with spread-checks, ~75 checks/s in all: cheap on 2 cores.
    Runtime API on a unix socket, promex on its stats listener.
  * BIND 9 with a zone of 2,000 service names: svc0000..svc0499 hold the 20 addresses of their
    HAProxy backend (so DNS and HAProxy agree on every target), svc0500..svc1999 one address each.
  * 500 Envoy sidecars served by ONE process on 500 admin ports (scale_envoy.py: the emulator's
    sidecars behind one selector thread), one per LB-fronted service, its local_app cluster
    holding that service's first server.
  * a real Prometheus 2.42 scraping the 500 sidecars every 5 s and HAProxy's promex (servers and
    backends: ~43 MB of text for 10,000 servers) every 30 s, keeping only the series hopscope asks
    for (on 2 shared cores a 43 MB scrape takes Prometheus tens of seconds). `up` waits on the query API until every series is there (not /-/ready: the first
    scrape is queryable only ~6 s after start).
  * with --targets 50000 also a synthetic promex exporter (`exporter` below: 2,500 backends x 20
    servers, promex names, 1 % of the states changing every 30 s) scraped every 30 s. To keep
    Prometheus within 2 shared cores it sends only the one-hot status series at 1 (what hopscope's
    query keeps: `== 1`) and current_sessions: 100,000 series instead of promex's ~400,000.

Profiles written:
  DIR/fleet-direct.hopscope.json       2,000 services, HAProxy over its runtime socket, DNS, 500
                                       sidecars over their admin APIs, 2,500 edges; poll every 5 s
  DIR/fleet-prometheus.hopscope.json   the same fleet, HAProxy and sidecars read from Prometheus
  DIR/fleet-50k-prometheus.hopscope.json  (--targets 50000) 2,500 services / 50,000 targets from
                                       the synthetic exporter + the 500 sidecars, all via Prometheus
Python standard library only.
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hopscope_peers as hp  # noqa: E402  (PortPicker, spawn, stop_pid, haproxy_cli, write_json)

HERE = os.path.dirname(os.path.abspath(__file__))
ZONE = "fleet.test"
BACKENDS = 500
SERVERS = 20
SERVICES = 2000
SIDECARS = 500
EDGES = 2500
BIG_BACKENDS = 2500  # --targets 50000: 2,500 x 20 synthetic servers
POLL_MS = 5000
DEFAULT_TIMEOUT = 180.0


def log(msg):
    print("scale-peer: " + msg, file=sys.stderr, flush=True)


def state_file(d):
    return os.path.join(d, "scale.json")


def load(d):
    with open(state_file(d)) as f:
        return json.load(f)


def server_addr(st, k):
    """Address of server k (0..9999) and of DNS-only service k (10000..)."""
    return "127.%d.%d.%d" % (st["octet"], k // 250, k % 250 + 1)


# --------------------------------------------------------------------------------------------
# Plan and configuration files
# --------------------------------------------------------------------------------------------
def plan(d, targets):
    pp = hp.PortPicker()
    st = {"dir": d, "targets": targets, "octet": random.randint(100, 199), "servers": {}}
    st["port"] = pp.get("0.0.0.0")          # the shared server port (the real backend answers all)
    st["closed_port"] = pp.get("0.0.0.0")   # nothing listens: DOWN servers
    st["haproxy"] = {"cfg": os.path.join(d, "haproxy", "haproxy.cfg"),
                     "socket": os.path.join(d, "haproxy", "admin.sock"),
                     "stats_port": pp.get("127.0.0.1")}
    st["dns"] = {"addr": "127.0.0.1", "port": pp.get("127.0.0.1", udp=True),
                 "conf": os.path.join(d, "bind", "named.conf"),
                 "zone_file": os.path.join(d, "bind", ZONE + ".db")}
    st["envoy"] = {"config": os.path.join(d, "envoy", "sidecars.json"),
                   "ports": [pp.get("127.0.0.1") for _ in range(SIDECARS)]}
    st["prometheus"] = {"cfg": os.path.join(d, "prom", "prometheus.yml"), "data": os.path.join(d, "prom", "data"),
                        "port": pp.get("127.0.0.1")}
    st["prometheus"]["url"] = "http://127.0.0.1:%d" % st["prometheus"]["port"]
    if targets > 10000:
        st["exporter"] = {"port": pp.get("127.0.0.1"), "backends": BIG_BACKENDS}
    return st


def server_name(st, i, j):
    """HAProxy's name for server j of backend i: its address and port, as generated configs name
    servers (consul-template's `server {{.Address}}:{{.Port}} ...`). Prometheus labels carry no
    addresses: the name is what lets hopscope match a server read through Prometheus with the
    address DNS lists for it (model/topology/NameOnlyMatch.h). Opaque names (s00..s19) could not
    be matched by any rule: 10,000 servers showed as 10,000 DNS targets + 10,000 name-only ones."""
    return "%s:%d" % (server_addr(st, i * SERVERS + j), st["port"])


def server_kind(j):
    """What server j (0..19) of every backend is: check, down, maint, drain or plain."""
    return {0: "check", 1: "check", 17: "drain", 18: "maint", 19: "down"}.get(j, "plain")


def write_haproxy(st):
    h = st["haproxy"]
    os.makedirs(os.path.dirname(h["cfg"]), exist_ok=True)
    lines = ["# generated by scale_peer.py: 500 backends x 20 servers",
             "global",
             "    stats socket %s mode 600 level admin" % h["socket"],
             "    stats timeout 30s",
             "    nbthread 1",
             "    maxconn 4000",
             "    spread-checks 50",
             "",
             "defaults",
             "    mode http",
             "    timeout connect 1s",
             "    timeout client 10s",
             "    timeout server 10s",
             "    timeout check 1s",
             "",
             "frontend stats",
             "    bind 127.0.0.1:%d" % h["stats_port"],
             "    http-request use-service prometheus-exporter if { path /metrics }",
             "    stats enable",
             "    stats uri /stats",
             ""]
    for i in range(BACKENDS):
        lines.append("backend be_%04d" % i)
        lines.append("    default-server inter 20s fastinter 5s downinter 20s fall 2 rise 1")
        for j in range(SERVERS):
            addr = server_addr(st, i * SERVERS + j)
            name = server_name(st, i, j)
            kind = server_kind(j)
            if kind == "check":
                lines.append("    server %s %s:%d check" % (name, addr, st["port"]))
            elif kind == "down":
                lines.append("    server %s %s:%d check" % (name, addr, st["closed_port"]))
            elif kind == "maint":
                lines.append("    server %s %s:%d disabled" % (name, addr, st["port"]))
            elif kind == "drain":
                lines.append("    server %s %s:%d weight 0" % (name, addr, st["port"]))
            else:
                lines.append("    server %s %s:%d" % (name, addr, st["port"]))
        lines.append("")
    with open(h["cfg"], "w") as f:
        f.write("\n".join(lines))


def service_addrs(st, n):
    if n < BACKENDS:
        return [server_addr(st, n * SERVERS + j) for j in range(SERVERS)]
    return [server_addr(st, BACKENDS * SERVERS + (n - BACKENDS))]


def write_bind(st):
    dns = st["dns"]
    d = os.path.dirname(dns["conf"])
    os.makedirs(d, exist_ok=True)
    with open(dns["conf"], "w") as f:
        f.write("""// generated by scale_peer.py -- standalone, no /etc/bind includes
options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {port} {{ {a}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    allow-query {{ 127.0.0.0/8; }};
    allow-transfer {{ none; }};
    dnssec-validation no;
    notify no;
    querylog no;
}};
logging {{
    channel default_log {{ file "{d}/named.log" versions 2 size 10m; print-time yes; severity info; }};
    category default {{ default_log; }};
}};
zone "{zone}" {{ type primary; file "{zf}"; }};
""".format(d=d, port=dns["port"], a=dns["addr"], zone=ZONE, zf=dns["zone_file"]))
    z = ["$ORIGIN %s." % ZONE, "$TTL 30",
         "@ IN SOA ns1.{z}. hostmaster.{z}. ( 1 60 30 3600 30 )".format(z=ZONE),
         "  IN NS ns1.%s." % ZONE, "ns1 IN A %s" % dns["addr"]]
    for n in range(SERVICES):
        z += ["svc%04d 30 IN A %s" % (n, a) for a in service_addrs(st, n)]
    with open(dns["zone_file"], "w") as f:
        f.write("\n".join(z) + "\n")


def write_envoy(st):
    e = st["envoy"]
    os.makedirs(os.path.dirname(e["config"]), exist_ok=True)
    sidecars = []
    for i in range(SIDECARS):
        task = server_addr(st, i * SERVERS)
        sidecars.append({
            "id": "sc%04d" % i,
            "node": {"id": "sc%04d" % i, "cluster": "svc%04d" % i},
            "admin": {"address": "127.0.0.1", "port": e["ports"][i]},
            "clusters": [{"name": "local_app", "added_via_api": True,
                          "hosts": [{"address": task, "port": st["port"]}]}],
        })
    hp.write_json(e["config"], {"sidecars": sidecars})


def write_prometheus(st):
    p = st["prometheus"]
    os.makedirs(os.path.dirname(p["cfg"]), exist_ok=True)
    sidecars = ",".join("'127.0.0.1:%d'" % port for port in st["envoy"]["ports"])
    cfg = """# generated by scale_peer.py
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
scrape_configs:
  - job_name: haproxy
    scrape_interval: 30s
    scrape_timeout: 25s
    metrics_path: /metrics
    params:
      scope: [server, backend]
    static_configs:
      - targets: ['127.0.0.1:{stats}']
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'haproxy_server_(status|check_status|current_sessions|weight|sessions_total|http_responses_total)|haproxy_backend_(active|backup)_servers'
        action: keep
  - job_name: envoy
    metrics_path: /stats/prometheus
    static_configs:
      - targets: [{sidecars}]
""".format(stats=st["haproxy"]["stats_port"], sidecars=sidecars)
    if "exporter" in st:
        cfg += """  - job_name: haproxy50k
    scrape_interval: 30s
    scrape_timeout: 25s
    static_configs:
      - targets: ['127.0.0.1:{port}']
""".format(port=st["exporter"]["port"])
    with open(p["cfg"], "w") as f:
        f.write(cfg)


def edges(services, rng, lb_ok, mesh_ok):
    """A layered DAG of EDGES edges over `services` (ids); lb/mesh edges only into services with them."""
    out, seen = [], set()
    layers = 10
    per = len(services) // layers
    while len(out) < EDGES:
        layer = rng.randrange(layers - 1)
        a = layer * per + rng.randrange(per)
        b = min(layers - 1, layer + 1 + rng.randrange(2)) * per + rng.randrange(per)
        if (a, b) in seen:
            continue
        seen.add((a, b))
        e = {"from": services[a], "to": services[b], "via": "dns"}
        roll = rng.randrange(10)
        if roll < 3 and lb_ok(b):
            e["via"] = "lb:fleet-lb"
        elif roll < 6 and mesh_ok(b):
            e["via"] = "mesh"
        out.append(e)
    return out


def write_profiles(st):
    d = st["dir"]
    ids = ["svc%04d" % n for n in range(SERVICES)]
    # Layers interleave LB-fronted and DNS-only services so every layer has some of each.
    order = [ids[(k % 4) * 500 + k // 4] for k in range(SERVICES)]
    rng = random.Random(15)
    fronted = set(ids[:BACKENDS])
    edge_list = edges(order, rng, lambda b: order[b] in fronted, lambda b: order[b] in fronted)
    services = [{"id": s, "name": s, "dns": {"name": "%s.%s" % (s, ZONE), "type": "A", "port": st["port"]}}
                for s in ids]
    routes = [{"pathPrefix": "/svc%04d/" % i, "backend": "be_%04d" % i, "service": "svc%04d" % i}
              for i in range(BACKENDS)]
    proxies = [{"id": "sc%04d" % i, "kind": "envoy", "admin": "http://127.0.0.1:%d" % st["envoy"]["ports"][i],
                "service": "svc%04d" % i, "task": "%s:%d" % (server_addr(st, i * SERVERS), st["port"])}
               for i in range(SIDECARS)]
    base = {"schema": 1, "observeOnly": True, "production": False,
            "poll": {"intervalMs": POLL_MS, "timeoutMs": 4000},
            "dns": {"servers": ["%s:%d" % (st["dns"]["addr"], st["dns"]["port"])]},
            "services": services, "edges": edge_list}
    direct = dict(base, name="fleet 10k (direct)",
                  loadBalancers=[{"id": "fleet-lb", "kind": "haproxy",
                                  "runtime": "unix:" + st["haproxy"]["socket"], "routes": routes}],
                  proxies=proxies)
    prom = dict(base, name="fleet 10k (Prometheus)",
                loadBalancers=[{"id": "fleet-lb", "kind": "haproxy", "source": "prometheus",
                                "prometheusSelector": 'job="haproxy"', "routes": routes}],
                proxies=[dict(p, source="prometheus", prometheusSelector='instance="%s"' % p["admin"][7:])
                         for p in proxies],
                prometheus={"url": st["prometheus"]["url"]})
    st["profiles"] = {"direct": os.path.join(d, "fleet-direct.hopscope.json"),
                      "prometheus": os.path.join(d, "fleet-prometheus.hopscope.json")}
    hp.write_json(st["profiles"]["direct"], direct)
    hp.write_json(st["profiles"]["prometheus"], prom)
    if "exporter" in st:
        n = st["exporter"]["backends"]
        big_ids = ["big%04d" % i for i in range(n)]
        big_proxies = [dict(p, service=big_ids[i], source="prometheus",
                            prometheusSelector='instance="%s"' % p["admin"][7:])
                       for i, p in enumerate(proxies)]
        big = {"schema": 1, "observeOnly": True, "production": False, "name": "fleet 50k (Prometheus)",
               "poll": {"intervalMs": POLL_MS, "timeoutMs": 4000},
               "services": [{"id": s, "name": s} for s in big_ids],
               "loadBalancers": [{"id": "fleet-lb", "kind": "haproxy", "source": "prometheus",
                                  "prometheusSelector": 'job="haproxy50k"',
                                  "routes": [{"pathPrefix": "/%s/" % s, "backend": "bb_%04d" % i, "service": s}
                                             for i, s in enumerate(big_ids)]}],
               "proxies": big_proxies,
               "edges": edges(big_ids, random.Random(50), lambda b: True, lambda b: b < SIDECARS),
               "prometheus": {"url": st["prometheus"]["url"]}}
        st["profiles"]["prometheus50k"] = os.path.join(d, "fleet-50k-prometheus.hopscope.json")
        hp.write_json(st["profiles"]["prometheus50k"], big)


# --------------------------------------------------------------------------------------------
# Small servers run as subcommands of this script (own processes, recorded like the others)
# --------------------------------------------------------------------------------------------
def cmd_backend(args):
    """The real backend behind every checked server: HTTP 200 on 0.0.0.0:PORT (any loopback address)."""
    async def handle(reader, writer):
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, OSError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "0.0.0.0", args.port, backlog=512)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        print("backend listening on 0.0.0.0:%d" % args.port, flush=True)
        async with server:
            await stop.wait()
    asyncio.run(main())
    return 0




def cmd_exporter(args):
    """Synthetic promex series for BACKENDS x 20 servers; 1 % of the states change every 30 s."""
    import http.server
    import threading
    n = args.backends * SERVERS
    rng = random.Random(50)
    state = [("UP" if j < 17 else ("DRAIN", "MAINT", "DOWN")[j - 17]) for _ in range(args.backends) for j in range(SERVERS)]
    lock = threading.Lock()
    body = [b""]

    def render():
        out = ["# TYPE haproxy_process_build_info gauge",
               'haproxy_process_build_info{version="2.6.12-synthetic"} 1',
               "# TYPE haproxy_backend_active_servers gauge"]
        for b in range(args.backends):
            up = sum(1 for j in range(SERVERS) if state[b * SERVERS + j] == "UP")
            out.append('haproxy_backend_active_servers{proxy="bb_%04d"} %d' % (b, up))
        out.append("# TYPE haproxy_server_status gauge")
        for k in range(n):  # only the state at 1 (promex also sends the others at 0)
            out.append('haproxy_server_status{proxy="bb_%04d",server="s%02d",state="%s"} 1'
                       % (k // SERVERS, k % SERVERS, state[k]))
        for metric, kind in (("current_sessions", "gauge"),):
            out.append("# TYPE haproxy_server_%s %s" % (metric, kind))
            for k in range(n):
                v = 1 if metric == "weight" else (k * 7) % 13
                out.append('haproxy_server_%s{proxy="bb_%04d",server="s%02d"} %d' % (metric, k // SERVERS, k % SERVERS, v))
        return ("\n".join(out) + "\n").encode()

    def churn():
        down = []
        while True:
            with lock:
                for k in down:
                    state[k] = "UP"
                down = rng.sample([k for k in range(n) if state[k] == "UP"], n // 200)
                for k in down:
                    state[k] = "MAINT"
            text = render()
            with lock:
                body[0] = text
            time.sleep(30)

    body[0] = render()
    threading.Thread(target=churn, daemon=True).start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                data = body[0]
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print("exporter on 127.0.0.1:%d, %d servers" % (args.port, n), flush=True)
    srv.serve_forever()
    return 0


def cmd_churn(args):
    """1 % of the 10,000 servers change health every interval: half the fraction goes to MAINT,
    the half set the time before comes back (so the number changing each round is the fraction)."""
    st = load(os.path.abspath(args.dir))
    rng = random.Random()
    plain = ["be_%04d/%s" % (i, server_name(st, i, j)) for i in range(BACKENDS) for j in range(SERVERS)
             if server_kind(j) == "plain"]
    per_round = max(1, int(BACKENDS * SERVERS * args.fraction / 2))
    down = []
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    rounds = 0
    while not stop[0]:
        new = rng.sample(plain, per_round)
        cmds = ["set server %s state ready" % s for s in down] + ["set server %s state maint" % s for s in new]
        for i in range(0, len(cmds), 50):
            hp.haproxy_cli(st["haproxy"]["socket"], ";".join(cmds[i:i + 50]), timeout=5)
        down = new
        rounds += 1
        print("churn round %d: %d changes" % (rounds, len(cmds)), flush=True)
        deadline = time.monotonic() + args.every
        while not stop[0] and time.monotonic() < deadline:
            time.sleep(0.1)
    if down:
        hp.haproxy_cli(st["haproxy"]["socket"], ";".join("set server %s state ready" % s for s in down), timeout=5)
    return 0


# --------------------------------------------------------------------------------------------
# up / down / status
# --------------------------------------------------------------------------------------------
def query(st, promql, timeout=30.0):
    data = urllib.parse.urlencode({"query": promql}).encode()
    req = urllib.request.Request(st["prometheus"]["url"] + "/api/v1/query", data=data)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = json.loads(r.read().decode())
    res = body["data"]["result"]
    return int(float(res[0]["value"][1])) if res else 0


def start(st, name, argv, cwd):
    _, info = hp.spawn(name, {"argv": argv, "cwd": cwd, "log": os.path.join(cwd, name + ".log"), "group": name})
    st["servers"][name] = info
    hp.write_json(state_file(st["dir"]), st)
    return info


def wait_until(what, info, deadline, check):
    last = None
    while time.monotonic() < deadline:
        if info and not hp.is_ours_and_alive(info["pid"], info["start_time"]):
            raise hp.PeerError(hp.failure_report(what, info, "exited"))
        try:
            ok, last = check()
            if ok:
                return
        except (OSError, ValueError, KeyError, IndexError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.2)
    raise hp.PeerError(hp.failure_report(what, info or {}, "not ready in time: %s" % last))


def cmd_up(args):
    d = os.path.abspath(args.dir)
    if os.path.exists(state_file(d)):
        cmd_down(args)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    st = plan(d, args.targets)
    write_haproxy(st)
    write_bind(st)
    write_envoy(st)
    write_prometheus(st)
    write_profiles(st)
    hp.write_json(state_file(d), st)
    py, me = sys.executable, os.path.abspath(__file__)
    backend = start(st, "backend", [py, me, "backend", "--port", str(st["port"])], os.path.join(d, "backend"))
    named = start(st, "named", ["named", "-f", "-c", st["dns"]["conf"]], os.path.dirname(st["dns"]["conf"]))
    haproxy = start(st, "haproxy", ["haproxy", "-db", "-f", st["haproxy"]["cfg"]], os.path.dirname(st["haproxy"]["cfg"]))
    envoy = start(st, "envoy", [py, os.path.join(HERE, "scale_envoy.py"), "--config", st["envoy"]["config"]],
                  os.path.dirname(st["envoy"]["config"]))
    if "exporter" in st:
        start(st, "exporter", [py, me, "exporter", "--port", str(st["exporter"]["port"]),
                               "--backends", str(st["exporter"]["backends"])], os.path.join(d, "exporter"))
    wait_until("backend", backend, deadline, lambda: (hp.tcp_connect("127.0.0.1", st["port"]), "connect"))
    wait_until("named", named, deadline, lambda: (
        len(hp.dns_query(st["dns"]["addr"], st["dns"]["port"], "svc0000." + ZONE, "A")["answers"]) == SERVERS, "svc0000"))
    wait_until("haproxy", haproxy, deadline,
               lambda: ("Pid" in hp.haproxy_cli(st["haproxy"]["socket"], "show info"), "show info"))

    def sidecars_ready():
        for port in st["envoy"]["ports"]:
            code, _ = hp.http_get("127.0.0.1", port, "/ready", timeout=1.0)
            if code != 200:
                return False, "127.0.0.1:%d /ready %s" % (port, code)
        return True, "all ready"
    wait_until("envoy", envoy, deadline, sidecars_ready)
    prom = st["prometheus"]
    pinfo = start(st, "prometheus", ["prometheus", "--config.file=" + prom["cfg"], "--storage.tsdb.path=" + prom["data"],
                                     "--web.listen-address=127.0.0.1:%d" % prom["port"],
                                     "--storage.tsdb.retention.time=2h"], os.path.dirname(prom["cfg"]))
    want = {"count(haproxy_server_status{job=\"haproxy\"} == 1)": BACKENDS * SERVERS,
            "count(envoy_server_state)": SIDECARS}
    if "exporter" in st:
        want["count(haproxy_server_status{job=\"haproxy50k\"} == 1)"] = st["exporter"]["backends"] * SERVERS

    def scraped():
        got = {q: query(st, q) for q in want}
        return got == want, got
    # The first scrape is queryable ~6 s after start: wait on the query API.
    wait_until("prometheus", pinfo, deadline, scraped)
    log("up in %.0f s: %s" % (time.monotonic() - t0, ", ".join(sorted(st["profiles"].values()))))
    print(json.dumps({"prometheus": prom["url"], "profiles": st["profiles"]}))
    return 0


def cmd_down(args):
    d = os.path.abspath(args.dir)
    try:
        st = load(d)
    except FileNotFoundError:
        log("down: nothing started in %s" % d)
        return 0
    for name in ("prometheus", "exporter", "envoy", "haproxy", "named", "backend", "churn"):
        info = st["servers"].get(name)
        if info:
            log("down: %s %s" % (name, hp.stop_pid(info["pid"], info["start_time"])))
    return 0


def cmd_status(args):
    st = load(os.path.abspath(args.dir))
    for name, info in st["servers"].items():
        print("%-10s pid %-7d %s" % (name, info["pid"], "alive" if hp.is_ours_and_alive(info["pid"], info["start_time"]) else "gone"))
    for q in ("count(haproxy_server_status == 1)", "count(envoy_server_state)"):
        print("%-45s %s" % (q, query(st, q, timeout=60)))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up")
    p.add_argument("--dir", required=True)
    p.add_argument("--targets", type=int, choices=[10000, 50000], default=10000)
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    for name in ("down", "status"):
        sub.add_parser(name).add_argument("--dir", required=True)
    p = sub.add_parser("churn")
    p.add_argument("--dir", required=True)
    p.add_argument("--every", type=float, default=POLL_MS / 1000)
    p.add_argument("--fraction", type=float, default=0.01)
    p = sub.add_parser("backend")
    p.add_argument("--port", type=int, required=True)
    p = sub.add_parser("exporter")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--backends", type=int, default=BIG_BACKENDS)
    args = ap.parse_args(argv)
    try:
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status, "churn": cmd_churn,
                "backend": cmd_backend, "exporter": cmd_exporter}[args.cmd](args)
    except hp.PeerError as e:
        log(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
