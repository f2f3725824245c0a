#!/usr/bin/env python3
"""Gentle, bounded traffic for the hopscope demo cluster (stdlib only).

Reads the run's state.json and, until SIGTERM/SIGINT, sends about --rate requests/s in total
(default 6, capped at 50) round robin over:
  * HAProxy's main frontend: /api/user/N (be_user), /api/order/N (be_order), /servicea/N (default be_servicea)
  * each serviceb task directly (Cloud Map style client-side load balancing)
  * the order sidecar's egress listener to payments (order -> payments through the emulated mesh)
It only ever targets addresses inside the run's own loopback /24 and refuses to start otherwise.

Knobs (for the traffic view): each target has a short id (user, order, servicea, serviceb,
payments). `--targets user,payments` sends only to those (each once, rate split evenly);
`--errors ID=SHARE` makes that share of the requests to ID fail with a 503 from the backend
(X-Hopscope-Fail, evenly spread, so the share sent is exact); `--latency ID=MS` makes its
backend sleep MS before answering (X-Hopscope-Sleep-Ms). Repeatable.
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
        out += [("lb /api/user/", fe["addr"], fe["port"], "/api/user/%d", "user"),
                ("lb /api/order/", fe["addr"], fe["port"], "/api/order/%d", "order"),
                ("lb default", fe["addr"], fe["port"], "/servicea/%d", "servicea")]
    if "web" in only:
        for t in st["services"]["serviceb"]["tasks"]:
            out.append(("serviceb %s" % t["addr"], t["addr"], t["port"], "/b/%d", "serviceb"))
    if "envoy" in only:
        eg = st["envoy"]["order-1-envoy"]["listeners"]["egress_payments"]
        out += [("mesh order->payments", eg["addr"], eg["port"], "/payments/charge/%d", "payments")] * 2
    net = ipaddress.ip_network(st["subnet"])
    for name, addr, _, _, _ in out:
        if ipaddress.ip_address(addr) not in net:
            raise SystemExit("traffic: refusing target %s (%s) outside the run's %s" % (name, addr, net))
    return out


def knob(text):
    tid, sep, value = text.partition("=")
    try:
        return tid, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected ID=NUMBER, got %r" % text) from None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--state", required=True, help="the run's state.json")
    ap.add_argument("--rate", type=float, default=6.0, help="total requests per second (default 6, max 50)")
    ap.add_argument("--summary-every", type=float, default=30.0, help="seconds between summary lines")
    ap.add_argument("--targets", help="comma-separated target ids (user,order,servicea,serviceb,payments)")
    ap.add_argument("--errors", action="append", default=[], type=knob, metavar="ID=SHARE",
                    help="fail that share (0..1) of the requests to ID with a 503")
    ap.add_argument("--latency", action="append", default=[], type=knob, metavar="ID=MS",
                    help="make ID's backend sleep MS (at most 5000) before answering")
    args = ap.parse_args(argv)
    rate = max(0.1, min(args.rate, MAX_RATE))
    with open(args.state) as f:
        st = json.load(f)
    targets = targets_from_state(st)
    if args.targets:
        wanted = args.targets.split(",")
        known = sorted({t[4] for t in targets})
        bad = [w for w in wanted if w not in known]
        if bad:
            raise SystemExit("traffic: unknown target id(s) %s (known: %s)" % (", ".join(bad), ", ".join(known)))
        seen = set()
        targets = [t for t in targets if t[4] in wanted and not (t[0] in seen or seen.add(t[0]))]
    errors = dict(args.errors)
    latency = dict(args.latency)
    sent = collections.Counter()
    if not targets:
        print("traffic: no targets for servers %s; idling" % st.get("only"), flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    print("traffic: started, %.1f req/s over %d targets%s%s" % (
        rate, len(targets), "".join(" errors %s=%g" % kv for kv in sorted(errors.items())),
        "".join(" latency %s=%gms" % kv for kv in sorted(latency.items()))), flush=True)

    counts = collections.defaultdict(collections.Counter)
    last_summary = time.monotonic()
    next_at = time.monotonic()
    i = 0
    while not stop.is_set():
        if targets:
            name, addr, port, path, tid = targets[i % len(targets)]
            headers = {"User-Agent": "hopscope-traffic/1", "Connection": "close"}
            n = sent[tid]
            sent[tid] += 1
            share = min(max(errors.get(tid, 0.0), 0.0), 1.0)
            if int((n + 1) * share) > int(n * share):  # evenly spread: never a burst of 5xx
                headers["X-Hopscope-Fail"] = "503"
            if latency.get(tid):
                headers["X-Hopscope-Sleep-Ms"] = str(int(latency[tid]))
            conn = http.client.HTTPConnection(addr, port, timeout=2.0 + latency.get(tid, 0) / 1000.0)
            try:
                conn.request("GET", path % i, headers=headers)
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
