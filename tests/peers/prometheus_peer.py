#!/usr/bin/env python3
"""A real Prometheus 2.42 scraping a real HAProxy 2.6 promex endpoint and Envoy sidecars (the
emulator's /stats/prometheus), on loopback, per-run ports.

  up    --dir DIR [--demo-dir D] [--timeout S]
                                  start HAProxy, one Envoy emulator sidecar and Prometheus, wait
                                  until Prometheus has scraped every server state and every
                                  sidecar's envoy_server_state (query API, not /-/ready:
                                  docs/PEERS.md §4); with --demo-dir (the running demo harness,
                                  tests/peers/hopscope_peers.py) it scrapes the demo's sidecars too
  down  --dir DIR                 stop exactly the PIDs this script started
  kill  --dir DIR                 stop Prometheus only (HAProxy keeps running)
  start --dir DIR [--timeout S]   start Prometheus again (same config and data dir) and wait
  capture-exporter --dir DIR --out FILE [--timeout S]
                                  with the fixture up: run the community haproxy_exporter
                                  (Debian prometheus-haproxy-exporter) against the fixture's
                                  HAProxy, let Prometheus scrape it (config reload), write the
                                  answer to hopscope's query for its series (job
                                  "haproxy_exporter") to FILE, then stop it and reload again;
                                  for tests/data/prometheus/haproxy_exporter_vector.json
  capture-promex --dir DIR --out FILE
                                  with the fixture up: write Prometheus's answer to hopscope's
                                  query for the promex series of be_app (job "haproxy") to FILE,
                                  for tests/data/prometheus/haproxy_promex_weight0_vector.json

The HAProxy (its own, not the demo harness's) has one backend `be_app` with five servers whose
states Prometheus must carry: app1 UP, app2 DRAIN (set over the runtime socket at start), app3
DOWN (checks a closed port), app4 MAINT (`disabled`), app5 `weight 0` (drained by weight: HAProxy
still says UP, promex state="UP" with haproxy_server_weight 0). The checked servers check HAProxy's own
stats listener (each on a port of its own, so the servers have distinct addresses when read
directly over the runtime socket), so no extra backend process is needed. The Envoy emulator
sidecar `fleet-envoy` (its own, so tests may fail its health check) has one cluster
`fleet_backend` with a healthy host (HAProxy's stats page) and an unhealthy one (a closed port).
HAProxy also terminates TLS in front of Prometheus (https://127.0.0.1:PORT, a certificate
for IP 127.0.0.1 from a per-run CA made by openssl, DIR/tls/ca/ca.pem) for the profile's
"prometheus.tls". Prometheus is configured with a
`remote_read` endpoint that fails (HAProxy's stats listener answers 503 there), so every query
returns a partial response: local data plus a `warnings` entry, as Prometheus 2.42 does for a
failing secondary store. The profile DIR/prometheus.hopscope.json reads the LB from Prometheus
only (no runtime socket, `"source": "prometheus"`); DIR/prometheus-envoy.hopscope.json reads
every scraped sidecar from Prometheus (`"source": "prometheus"`, selected by instance = admin
address). With --demo-dir the HAProxy also has backends be_serviceb and be_servicea over the demo's
serviceB (A records) and serviceA (SRV) tasks, their servers named as DNS knows them (serviceB's
by ADDRESS:PORT, one of them `disabled`; serviceA's by the SRV host's first label, a-1, a-2), and
DIR/prometheus-dns.hopscope.json reads them from Prometheus with the demo's DNS: the servers
known by name only must merge with DNS's targets (model/topology/NameOnlyMatch.h).
Everything else is in DIR/prometheus.json ("envoy": {ID: {admin_url, service, task}}).
Python standard library only.
"""
import argparse
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hopscope_peers as hp  # noqa: E402  (PortPicker, spawn, stop_pid, haproxy_cli)
import tls_peer  # noqa: E402  (make_ca, issue, crt_file: a per-run CA with openssl)

DEFAULT_TIMEOUT = 40.0
EXPECTED = {"app1": "UP", "app2": "DRAIN", "app3": "DOWN", "app4": "MAINT", "app5": "UP"}


def log(msg):
    print("prometheus-peer: " + msg, file=sys.stderr, flush=True)


def state_file(d):
    return os.path.join(d, "prometheus.json")


def load(d):
    with open(state_file(d)) as f:
        return json.load(f)


def plan(d):
    ports = hp.PortPicker()
    st = {
        "dir": d,
        "haproxy": {"cfg": os.path.join(d, "haproxy", "haproxy.cfg"),
                    "socket": os.path.join(d, "haproxy", "admin.sock"),
                    "stats": {"addr": "127.0.0.1", "port": ports.get("127.0.0.1")},
                    "closed_port": ports.get("127.0.0.1"),
                    # app1, app2, app4, app5: HAProxy's own stats listener, a port each
                    "check_ports": {n: ports.get("127.0.0.1") for n in ("app1", "app2", "app4", "app5")}},
        "prometheus": {"cfg": os.path.join(d, "prom", "prometheus.yml"),
                       "data": os.path.join(d, "prom", "data"),
                       "addr": "127.0.0.1", "port": ports.get("127.0.0.1")},
        "servers": {},
        "envoy": {},
    }
    admin = ports.get("127.0.0.1")
    st["own_envoy"] = {"id": "fleet-envoy", "config": os.path.join(d, "envoy", "fleet-envoy.json"),
                       "cluster": "fleet_backend", "admin_port": admin}
    st["envoy"]["fleet-envoy"] = {"admin_url": "http://127.0.0.1:%d" % admin, "service": "fleet",
                                  "task": "127.0.0.1:%d" % ports.get("127.0.0.1"), "own": True}
    st["tls"] = {"dir": os.path.join(d, "tls"), "port": ports.get("127.0.0.1")}
    st["tls"]["url"] = "https://127.0.0.1:%d" % st["tls"]["port"]
    st["tls"]["ca"] = os.path.join(st["tls"]["dir"], "ca", "ca.pem")
    st["tls"]["crt"] = os.path.join(st["tls"]["dir"], "server.crt")
    st["haproxy"]["metrics_url"] = "http://127.0.0.1:%d/metrics" % st["haproxy"]["stats"]["port"]
    st["prometheus"]["url"] = "http://127.0.0.1:%d" % st["prometheus"]["port"]
    st["expected"] = EXPECTED
    return st


def write_haproxy(st):
    h = st["haproxy"]
    os.makedirs(os.path.dirname(h["cfg"]), exist_ok=True)
    stats = "%s:%d" % (h["stats"]["addr"], h["stats"]["port"])
    checks = {n: "127.0.0.1:%d" % p for n, p in h["check_ports"].items()}
    t, p = st["tls"], st["prometheus"]
    cfg = """# generated by prometheus_peer.py (recipe: docs/PEERS.md §3, promex §2.8)
global
    stats socket {sock} mode 600 level admin
    stats timeout 30s
    nbthread 1

defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout check 500ms

frontend stats
    bind {stats}
    bind {app1}
    bind {app2}
    bind {app4}
    bind {app5}
    http-request use-service prometheus-exporter if {{ path /metrics }}
    stats enable
    stats uri /stats

backend be_app
    default-server inter 300ms fall 1 rise 1
    server app1 {app1} check
    server app2 {app2} check
    server app3 127.0.0.1:{closed} check
    server app4 {app4} check disabled
    server app5 {app5} check weight 0

# Prometheus over TLS (the certificate of a per-run CA): for "prometheus.tls"
frontend prometheus_tls
    bind 127.0.0.1:{tls_port} ssl crt {crt}
    default_backend prometheus

backend prometheus
    server prom {prom}
""".format(sock=h["socket"], stats=stats, closed=h["closed_port"], tls_port=t["port"], crt=t["crt"],
           prom="%s:%d" % (p["addr"], p["port"]), **checks)
    cfg += dns_merge_backends(st)
    with open(h["cfg"], "w") as f:
        f.write(cfg)


def write_tls(st):
    """A per-run CA and a server certificate for IP 127.0.0.1, as HAProxy's crt file."""
    t = st["tls"]
    os.makedirs(t["dir"], exist_ok=True)
    ca_dir = tls_peer.make_ca(t["dir"], "ca", "hopscope prometheus test CA %s" % os.urandom(4).hex())
    tls_peer.issue(t["dir"], ca_dir, "server", "127.0.0.1", "server_ip")
    tls_peer.crt_file(t["dir"], "server", t["crt"])


def write_envoy(st):
    """The fixture's own sidecar: one cluster, a host that passes its checks and one that fails."""
    e, h = st["own_envoy"], st["haproxy"]
    os.makedirs(os.path.dirname(e["config"]), exist_ok=True)
    hc = {"path": "/stats", "interval_ms": 300, "timeout_ms": 250, "unhealthy_threshold": 1,
          "healthy_threshold": 1}
    spec = {
        "id": e["id"], "node": {"id": e["id"], "cluster": "fleet"}, "drain_time_s": 30,
        "admin": {"address": "127.0.0.1", "port": e["admin_port"]},
        "listeners": [],
        "clusters": [{"name": e["cluster"], "added_via_api": True, "timeout_ms": 2000, "health_check": hc,
                      "hosts": [{"address": "127.0.0.1", "port": h["check_ports"]["app1"]},
                                {"address": "127.0.0.1", "port": h["closed_port"]}]}],
    }
    hp.write_json(e["config"], spec)


def add_demo_sidecars(st, demo_dir):
    """The demo harness's sidecars (its state.json), scraped at their admin addresses."""
    with open(os.path.join(demo_dir, "state.json")) as f:
        demo = json.load(f)
    for sid, e in demo["envoy"].items():
        st["envoy"][sid] = {"admin_url": e["admin_url"], "service": e["service"], "task": e["task"],
                            "own": False}


def add_demo_dns(st, demo_dir):
    """The demo's DNS server and its serviceB / serviceA tasks, for the name-merge backends."""
    with open(os.path.join(demo_dir, "state.json")) as f:
        demo = json.load(f)
    st["dns_merge"] = {"dns": "%s:%d" % (demo["dns"]["addr"], demo["dns"]["port"]),
                       "services": {sid: demo["services"][sid] for sid in ("serviceb", "servicea")}}


def dns_merge_backends(st):
    """HAProxy config of be_serviceb (servers named ADDRESS:PORT, the second in MAINT) and
    be_servicea (servers named by their SRV host's first label). No checks: UP unless disabled."""
    if "dns_merge" not in st:
        return ""
    svc = st["dns_merge"]["services"]
    lines = ["backend be_serviceb"]
    for i, t in enumerate(svc["serviceb"]["tasks"]):
        addr = "%s:%d" % (t["addr"], t["port"])
        lines.append("    server %s %s%s" % (addr, addr, " disabled" if i == 1 else ""))
    lines.append("backend be_servicea")
    for t in svc["servicea"]["tasks"]:
        lines.append("    server %s %s:%d" % (t["host"].split(".")[0], t["addr"], t["port"]))
    return "\n".join(lines) + "\n"


def instance(admin_url):
    return urllib.parse.urlsplit(admin_url).netloc


def write_prometheus(st):
    p, h = st["prometheus"], st["haproxy"]
    os.makedirs(os.path.dirname(p["cfg"]), exist_ok=True)
    envoys = ", ".join("'%s'" % instance(e["admin_url"]) for e in st["envoy"].values())
    cfg = """# generated by prometheus_peer.py (recipe: docs/PEERS.md §4)
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: haproxy
    metrics_path: /metrics
    static_configs:
      - targets: ['{stats}']
  - job_name: envoy
    metrics_path: /stats/prometheus
    static_configs:
      - targets: [{envoys}]
# A secondary store that always fails: queries answer from local data with a warning.
remote_read:
  - url: http://{stats}/no-remote-read-here
    read_recent: true
    remote_timeout: 1s
""".format(stats="%s:%d" % (h["stats"]["addr"], h["stats"]["port"]), envoys=envoys)
    with open(p["cfg"], "w") as f:
        f.write(cfg)


def write_profile(st):
    profile = {
        "schema": 1,
        "name": "prometheus-fleet",
        "poll": {"intervalMs": 1000, "timeoutMs": 1500},
        "services": [{"id": "app", "name": "app"}],
        "loadBalancers": [{
            "id": "edge-lb", "kind": "haproxy", "source": "prometheus",
            "prometheusSelector": 'job="haproxy"',
            "routes": [{"pathPrefix": "/", "backend": "be_app", "service": "app"}],
        }],
        "edges": [],
        "prometheus": {"url": st["prometheus"]["url"]},
    }
    path = os.path.join(st["dir"], "prometheus.hopscope.json")
    hp.write_json(path, profile)
    st["profile"] = path
    # Every scraped sidecar through Prometheus only; each selected by its admin address.
    services = sorted({e["service"] for e in st["envoy"].values()})
    envoy_profile = {
        "schema": 1,
        "name": "prometheus-envoy",
        "poll": {"intervalMs": 1000, "timeoutMs": 1500},
        "services": [{"id": s, "name": s} for s in services],
        "proxies": [{"id": sid, "kind": "envoy", "source": "prometheus", "admin": e["admin_url"],
                     "service": e["service"], "task": e["task"]} for sid, e in sorted(st["envoy"].items())],
        "edges": [],
        "prometheus": {"url": st["prometheus"]["url"]},
    }
    path = os.path.join(st["dir"], "prometheus-envoy.hopscope.json")
    hp.write_json(path, envoy_profile)
    st["envoy_profile"] = path
    if "dns_merge" in st:
        svc = st["dns_merge"]["services"]
        dns_profile = {
            "schema": 1,
            "name": "prometheus-dns",
            "poll": {"intervalMs": 1000, "timeoutMs": 1500},
            "dns": {"servers": [st["dns_merge"]["dns"]]},
            "services": [{"id": sid, "name": sid, "dns": svc[sid]["dns"]} for sid in ("serviceb", "servicea")],
            "loadBalancers": [{
                "id": "edge-lb", "kind": "haproxy", "source": "prometheus",
                "prometheusSelector": 'job="haproxy"',
                "routes": [{"pathPrefix": "/b/", "backend": "be_serviceb", "service": "serviceb"},
                           {"pathPrefix": "/a/", "backend": "be_servicea", "service": "servicea"}],
            }],
            "edges": [],
            "prometheus": {"url": st["prometheus"]["url"]},
        }
        path = os.path.join(st["dir"], "prometheus-dns.hopscope.json")
        hp.write_json(path, dns_profile)
        st["dns_profile"] = path


def query(st, promql, timeout=1.0):
    data = urllib.parse.urlencode({"query": promql}).encode()
    req = urllib.request.Request(st["prometheus"]["url"] + "/api/v1/query", data=data)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def server_states(st):
    """-> {server: state} from Prometheus (the one-hot series with value 1)."""
    body = query(st, 'haproxy_server_status{proxy="be_app"} == 1')
    return {s["metric"]["server"]: s["metric"]["state"] for s in body["data"]["result"]}


def sidecar_states(st):
    """-> {instance: envoy_server_state} from Prometheus."""
    body = query(st, 'envoy_server_state{job="envoy"}')
    return {s["metric"]["instance"]: s["value"][1] for s in body["data"]["result"]}


def scraped(st):
    """-> None when Prometheus has every server state and every sidecar, else what is missing."""
    states = server_states(st)
    if states != EXPECTED:
        return "server states %s" % states
    sidecars = sidecar_states(st)
    missing = sorted(instance(e["admin_url"]) for e in st["envoy"].values()
                     if instance(e["admin_url"]) not in sidecars)
    return "no envoy_server_state yet for %s" % missing if missing else None


def start_prometheus(st, timeout):
    p = st["prometheus"]
    spec = {"argv": ["prometheus", "--config.file=" + p["cfg"], "--storage.tsdb.path=" + p["data"],
                     "--web.listen-address=%s:%d" % (p["addr"], p["port"]), "--web.enable-lifecycle",
                     "--storage.tsdb.retention.time=1h"],
            "cwd": os.path.dirname(p["cfg"]), "log": os.path.join(os.path.dirname(p["cfg"]), "prom.log"),
            "group": "prometheus"}
    _, info = hp.spawn("prometheus", spec)
    st["servers"]["prometheus"] = info
    hp.write_json(state_file(st["dir"]), st)
    # The first scrape is queryable ~6 s after start (docs/PEERS.md §4): wait on the query API.
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not hp.is_ours_and_alive(info["pid"], info["start_time"]):
            raise hp.PeerError(hp.failure_report("prometheus", info, "exited"))
        try:
            last = scraped(st)
            if last is None:
                return
        except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.1)
    raise hp.PeerError(hp.failure_report("prometheus", info, "states not scraped within %.0f s: %s"
                                         % (timeout, last)))


def cmd_up(args):
    d = os.path.abspath(args.dir)
    if os.path.exists(state_file(d)):
        cmd_down(args)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    st = plan(d)
    if args.demo_dir:
        add_demo_sidecars(st, os.path.abspath(args.demo_dir))
        add_demo_dns(st, os.path.abspath(args.demo_dir))
    try:
        write_tls(st)
    except tls_peer.PeerError as e:
        raise hp.PeerError(str(e))
    write_haproxy(st)
    write_envoy(st)
    write_prometheus(st)
    write_profile(st)
    h = st["haproxy"]
    _, info = hp.spawn("haproxy", {"argv": ["haproxy", "-db", "-f", h["cfg"]], "cwd": os.path.dirname(h["cfg"]),
                                   "log": os.path.join(os.path.dirname(h["cfg"]), "haproxy.log"),
                                   "group": "haproxy"})
    st["servers"]["haproxy"] = info
    hp.write_json(state_file(d), st)
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            if "Pid" in hp.haproxy_cli(h["socket"], "show info"):
                break
        except OSError:
            pass
        if time.monotonic() > deadline or not hp.is_ours_and_alive(info["pid"], info["start_time"]):
            raise hp.PeerError(hp.failure_report("haproxy", info, "no runtime socket"))
        time.sleep(0.02)
    hp.haproxy_cli(h["socket"], "set server be_app/app2 state drain")
    e = st["own_envoy"]
    emulator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "envoy_emulator.py")
    _, info = hp.spawn("envoy", {"argv": [sys.executable, emulator, "--config", e["config"]],
                                 "cwd": os.path.dirname(e["config"]),
                                 "log": os.path.join(os.path.dirname(e["config"]), "envoy.log"), "group": "envoy"})
    st["servers"]["envoy"] = info
    hp.write_json(state_file(d), st)
    start_prometheus(st, max(1.0, deadline - time.monotonic()))
    log("up: prometheus %s scraping %s (%s)" % (st["prometheus"]["url"], h["metrics_url"], EXPECTED))
    print(json.dumps({"prometheus": st["prometheus"]["url"], "profile": st["profile"]}))


# What prometheushaproxy::queries() of model/prometheus/PrometheusHaproxy.cpp ask, as one query (every
# response code; the captured answer feeds the parser tests), selector job="haproxy_exporter".
HAPROXY_QUERY = ('{__name__=~"haproxy_server_(status|check_status)"%(sel)s} == 1 or '
                 '{__name__=~"haproxy_(server_(up|current_sessions|weight|sessions_total|'
                 'connections_total|http_responses_total)|backend_(active_servers|'
                 'current_server)|process_build_info)"%(sel)s}')


def cmd_capture_exporter(args):
    d = os.path.abspath(args.dir)
    st = load(d)
    h, p = st["haproxy"], st["prometheus"]
    port = hp.PortPicker().get("127.0.0.1")
    uri = "http://%s:%d/stats;csv" % (h["stats"]["addr"], h["stats"]["port"])
    exp_dir = os.path.join(d, "exporter")
    _, info = hp.spawn("haproxy_exporter", {
        "argv": ["prometheus-haproxy-exporter", "--haproxy.scrape-uri=" + uri,
                 "--web.listen-address=127.0.0.1:%d" % port],
        "cwd": exp_dir, "log": os.path.join(exp_dir, "exporter.log"), "group": "exporter"})
    with open(p["cfg"]) as f:
        original = f.read()
    job = ("  - job_name: haproxy_exporter\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % port)
    try:
        with open(p["cfg"], "w") as f:
            f.write(original.replace("scrape_configs:\n", "scrape_configs:\n" + job, 1))
        urllib.request.urlopen(urllib.request.Request(p["url"] + "/-/reload", data=b""), timeout=5).read()
        deadline = time.monotonic() + args.timeout
        want = {"app1", "app2", "app3", "app4"}
        while True:
            body = query(st, HAPROXY_QUERY % {"sel": ',job="haproxy_exporter"'})
            servers = {s["metric"].get("server") for s in body["data"]["result"]
                       if s["metric"]["__name__"] == "haproxy_server_up"}
            if want <= servers:
                break
            if time.monotonic() > deadline:
                raise hp.PeerError("exporter series not scraped within %.0f s: %s" % (args.timeout, servers))
            time.sleep(0.2)
        with open(args.out, "w") as f:
            json.dump(body, f, indent=1, sort_keys=True)
            f.write("\n")
        log("capture-exporter: wrote %s (%d series)" % (args.out, len(body["data"]["result"])))
    finally:
        log("capture-exporter: haproxy_exporter %s" % hp.stop_pid(info["pid"], info["start_time"]))
        with open(p["cfg"], "w") as f:
            f.write(original)
        urllib.request.urlopen(urllib.request.Request(p["url"] + "/-/reload", data=b""), timeout=5).read()


def cmd_capture_promex(args):
    st = load(os.path.abspath(args.dir))
    # be_app's series, and build_info (no proxy label: the empty value matches it).
    body = query(st, HAPROXY_QUERY % {"sel": ',job="haproxy",proxy=~"be_app|"'}, timeout=10)
    servers = {s["metric"].get("server") for s in body["data"]["result"]
               if s["metric"]["__name__"] == "haproxy_server_status"}
    if servers != set(EXPECTED):
        raise hp.PeerError("capture-promex: servers %s, expected %s" % (sorted(servers), sorted(EXPECTED)))
    with open(args.out, "w") as f:
        json.dump(body, f, indent=1, sort_keys=True)
        f.write("\n")
    log("capture-promex: wrote %s (%d series)" % (args.out, len(body["data"]["result"])))


def cmd_down(args):
    d = os.path.abspath(args.dir)
    try:
        st = load(d)
    except FileNotFoundError:
        log("down: nothing started in %s" % d)
        return
    for name in ("prometheus", "envoy", "haproxy"):
        info = st["servers"].get(name)
        if info:
            log("down: %s %s" % (name, hp.stop_pid(info["pid"], info["start_time"])))


def cmd_kill(args):
    st = load(os.path.abspath(args.dir))
    info = st["servers"]["prometheus"]
    log("kill: prometheus %s" % hp.stop_pid(info["pid"], info["start_time"]))


def cmd_start(args):
    st = load(os.path.abspath(args.dir))
    info = st["servers"]["prometheus"]
    if hp.is_ours_and_alive(info["pid"], info["start_time"]):
        log("start: prometheus already running")
        return
    start_prometheus(st, args.timeout)
    log("start: prometheus answering again")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "kill", "start", "capture-exporter", "capture-promex"):
        p = sub.add_parser(name)
        p.add_argument("--dir", required=True)
        p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
        if name == "up":
            p.add_argument("--demo-dir", help="the running demo harness: scrape its sidecars too")
        if name in ("capture-exporter", "capture-promex"):
            p.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    try:
        {"up": cmd_up, "down": cmd_down, "kill": cmd_kill, "start": cmd_start,
         "capture-exporter": cmd_capture_exporter, "capture-promex": cmd_capture_promex}[args.cmd](args)
    except hp.PeerError as e:
        log(str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
