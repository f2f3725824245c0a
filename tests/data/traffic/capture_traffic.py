#!/usr/bin/env python3
"""Capture successive real HAProxy 2.6 `show stat` / `show info` and Envoy emulator `/stats?format=json`
/ `/clusters?format=json` answers into tests/data/traffic/ (rerunnable) for tst_TrafficRate.

  capture_traffic.py [--out DIR]

Starts its own demo cluster (tests/peers, traffic generator at 20 req/s with 20 % errors on user
and payments, order slowed by 40 ms), captures five rounds two seconds apart, restarting HAProxy
and resetting the order sidecar's counters (POST /reset_counters) between rounds 3 and 4, then
stops the cluster by PID. captures.json lists each round's files and when it was read;
demo.hopscope.json is that run's profile (its addresses match the dumps).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS_DIR = os.path.join(HERE, "..", "..", "peers")
sys.path.insert(0, PEERS_DIR)
import hopscope_peers as peers  # noqa: E402

PEERS = os.path.join(PEERS_DIR, "hopscope_peers.py")
STATS_FILTER = "^(cluster\\.payments\\..*|server\\.(state|live|uptime))$"


def harness(*args):
    subprocess.run([sys.executable, PEERS] + list(args), check=True, stdout=subprocess.DEVNULL)


def get(url):
    with urllib.request.urlopen(url, timeout=3) as r:
        return r.read().decode()


def capture(st, out, n, rounds):
    cli = (st["haproxy"]["cli"]["addr"], st["haproxy"]["cli"]["port"])
    admin = st["envoy"]["order-1-envoy"]["admin_url"]
    files = {}
    at = datetime.datetime.now(datetime.timezone.utc)
    for kind, text in (("stat.csv", peers.haproxy_cli(cli, "show stat", timeout=2.0)),
                       ("info.txt", peers.haproxy_cli(cli, "show info", timeout=2.0)),
                       ("envoy_stats.json", get(admin + "/stats?format=json&filter=" + urllib.parse.quote(STATS_FILTER))),
                       ("envoy_clusters.json", get(admin + "/clusters?format=json"))):
        name = "round%d.%s" % (n, kind)
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        files[kind] = name
    rounds.append({"round": n, "at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"), "files": files})
    print("captured round", n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="hopscope-traffic-capture-")
    harness("up", "--dir", d, "--rate", "20", "--traffic-errors", "user=0.2",
            "--traffic-errors", "payments=0.2", "--traffic-latency", "order=40")
    try:
        st = peers.load_state(d)
        with open(st["profile"]) as f, open(os.path.join(args.out, "demo.hopscope.json"), "w") as g:
            g.write(f.read())
        time.sleep(4)
        rounds = []
        for n in (1, 2, 3):
            capture(st, args.out, n, rounds)
            time.sleep(2)
        harness("kill", "--dir", d, "haproxy")
        harness("start", "--dir", d, "haproxy")
        req = urllib.request.Request(st["envoy"]["order-1-envoy"]["admin_url"] + "/reset_counters", method="POST")
        urllib.request.urlopen(req, timeout=3).read()
        time.sleep(2)
        for n in (4, 5):
            capture(st, args.out, n, rounds)
            time.sleep(2)
        meta = {"generator": {"rate": 20, "errors": {"user": 0.2, "payments": 0.2}, "latencyMs": {"order": 40}},
                "restartBefore": 4, "rounds": rounds}
        with open(os.path.join(args.out, "captures.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
    finally:
        harness("down", "--dir", d)


if __name__ == "__main__":
    main()
