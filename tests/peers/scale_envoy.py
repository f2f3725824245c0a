#!/usr/bin/env python3
"""Hundreds of emulated Envoy sidecars in ONE process, cheaply (issue 15 §2).

The sidecars are envoy_emulator.py's own (Sidecar, AdminHandler: the same admin API, the same
formats); only the serving differs. envoy_emulator.py runs a serve_forever thread per admin socket,
which wakes every 0.1 s: 500 sidecars are 5,000 wake-ups a second fighting over the GIL, two busy
cores before a single request. Here ONE thread waits on all admin sockets with a selector (no
timeout wake-ups) and hands each accepted connection to a thread of its own, as the emulator does.
Sidecars with health checks, outlier detection or data-plane listeners are refused: those need
the full emulator.

Usage: scale_envoy.py --config FILE    (the emulator's {"sidecars": [...]} config)
Prints `admin <id> ADDR:PORT` per sidecar like the emulator. Python standard library only.
"""
import argparse
import os
import selectors
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import envoy_emulator as ee  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    args = ap.parse_args(argv)
    sel = selectors.DefaultSelector()
    sidecars = []
    for spec in ee.load_config(args.config):
        if spec.get("listeners") or any(c.get("health_check") or c.get("outlier_detection")
                                        for c in spec.get("clusters", [])):
            print("scale_envoy: %s has listeners, health checks or outlier detection: use envoy_emulator.py"
                  % spec.get("id"), file=sys.stderr, flush=True)
            return 2
        sc = ee.Sidecar(spec, None)
        try:
            sc.admin_server = ee.make_server(sc.admin_addr, ee.AdminHandler, sc)
        except OSError as e:
            print("scale_envoy: cannot start sidecar %s: %s" % (sc.id, e), file=sys.stderr, flush=True)
            return 1
        sc.admin_addr = sc.admin_server.server_address[:2]
        sc.check_initialized()  # no health checks: LIVE at once
        sel.register(sc.admin_server, selectors.EVENT_READ, sc)
        sidecars.append(sc)
        print("admin %s %s:%d" % (sc.id, sc.admin_addr[0], sc.admin_addr[1]), flush=True)

    stop = threading.Event()
    wake_r, wake_w = os.pipe()
    sel.register(wake_r, selectors.EVENT_READ, None)

    def on_signal(*_):
        stop.set()
        os.write(wake_w, b"x")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    ee.log("serving %d sidecars from one selector thread" % len(sidecars))
    while not stop.is_set():
        for key, _ in sel.select():
            if key.data is None:
                continue
            # ThreadingMixIn: accept, then the connection (keep-alive) gets a thread of its own.
            key.fileobj._handle_request_noblock()
    for sc in sidecars:
        sc.stopping.set()
        sc.admin_server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
