#!/usr/bin/env python3
"""Gentle, bounded traffic for the hopscope demo cluster (stdlib only).

Reads the run's state.json and, until SIGTERM/SIGINT, sends about --rate requests/s in total
(default 6, capped at 50) round robin over:
  * HAProxy's main frontend: /api/user/N (be_user), /api/order/N (be_order), /servicea/N (default be_servicea)
  * each serviceb task directly (Cloud Map style client-side load balancing)
  * the order sidecar's egress listener to payments (order -> payments through the emulated mesh)
It only ever targets addresses inside the run's own loopback /24 and refuses to start otherwise.
One summary line per 30 s goes to stdout (the harness sends it to DIR/traffic/traffic.log).
"""
import argparse
import collections
import http.client
import ipaddress
import json
import signal
import sys
import threading
import time

MAX_RATE = 50.0


def targets_from_state(st):
    only = set(st.get("only", ["named", "haproxy", "web", "envoy", "traffic"]))
    out = []
    fe = st["haproxy"]["frontend"]
    if "haproxy" in only:
        out += [("lb /api/user/", fe["addr"], fe["port"], "/api/user/%d"),
                ("lb /api/order/", fe["addr"], fe["port"], "/api/order/%d"),
                ("lb default", fe["addr"], fe["port"], "/servicea/%d")]
    if "web" in only:
        for t in st["services"]["serviceb"]["tasks"]:
            out.append(("serviceb %s" % t["addr"], t["addr"], t["port"], "/b/%d"))
    if "envoy" in only:
        eg = st["envoy"]["order-1-envoy"]["listeners"]["egress_payments"]
        out += [("mesh order->payments", eg["addr"], eg["port"], "/payments/charge/%d")] * 2
    net = ipaddress.ip_network(st["subnet"])
    for name, addr, _, _ in out:
        if ipaddress.ip_address(addr) not in net:
            raise SystemExit("traffic: refusing target %s (%s) outside the run's %s" % (name, addr, net))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--state", required=True, help="the run's state.json")
    ap.add_argument("--rate", type=float, default=6.0, help="total requests per second (default 6, max 50)")
    ap.add_argument("--summary-every", type=float, default=30.0, help="seconds between summary lines")
    args = ap.parse_args(argv)
    rate = max(0.1, min(args.rate, MAX_RATE))
    with open(args.state) as f:
        st = json.load(f)
    targets = targets_from_state(st)
    if not targets:
        print("traffic: no targets for servers %s; idling" % st.get("only"), flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    print("traffic: started, %.1f req/s over %d targets" % (rate, len(targets)), flush=True)

    counts = collections.defaultdict(collections.Counter)
    last_summary = time.monotonic()
    next_at = time.monotonic()
    i = 0
    while not stop.is_set():
        if targets:
            name, addr, port, path = targets[i % len(targets)]
            conn = http.client.HTTPConnection(addr, port, timeout=2.0)
            try:
                conn.request("GET", path % i, headers={"User-Agent": "hopscope-traffic/1", "Connection": "close"})
                r = conn.getresponse()
                r.read()
                counts[name][str(r.status)] += 1
            except (OSError, http.client.HTTPException) as e:
                counts[name][type(e).__name__] += 1
            finally:
                conn.close()
            i += 1
        now = time.monotonic()
        if now - last_summary >= args.summary_every:
            print("traffic: last %.0f s: %s" % (now - last_summary, "; ".join(
                "%s %s" % (n, dict(c)) for n, c in sorted(counts.items()))), flush=True)
            counts.clear()
            last_summary = now
        next_at = max(next_at + 1.0 / rate, now)  # never burst to catch up
        stop.wait(max(0.0, next_at - time.monotonic()))
    print("traffic: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
