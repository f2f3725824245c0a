#!/usr/bin/env python3
"""Tiny HTTP task backends for the hopscope peer harness (stdlib only).

One process serves every task of every service, one ThreadingHTTPServer per
listener (ADDR:PORT), each in its own thread:

  GET /health  -> 200 "OK", or 503 while the file DIR/down-ADDR-PORT exists
  any other    -> 200 "ADDR:PORT PATH", or 500 while DIR/error-ADDR-PORT exists

Error and latency knobs (the traffic view's demo and tests):
  * DIR/error-ADDR-PORT holding a share (e.g. "0.2") answers 500 on that share of requests,
    spread evenly (never two in a row below 0.5, so outlier detection does not eject the task);
    an empty file (as before) answers 500 on all of them.
  * DIR/slow-ADDR-PORT holding milliseconds (e.g. "150") sleeps that long before answering.
  * A request header X-Hopscope-Fail: CODE (500-599) answers CODE, and X-Hopscope-Sleep-Ms: N
    sleeps N ms (at most 5000): the traffic generator decides which requests fail, so the share
    it sent is known exactly. Both headers pass through HAProxy and the Envoy emulator.

The control files are what `hopscope_peers.py backend fail|recover|error|ok`
creates and removes, so a test can make a health check fail without killing
anything. Nothing is logged per request (a demo runs for hours); start-up,
bind errors and shutdown are.

Usage: web.py --dir DIR ADDR:PORT [ADDR:PORT ...]
"""
import argparse
import http.server
import os
import signal
import socketserver
import sys
import threading
import time


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # Health checkers (HAProxy) reset the connection after reading the status line; that is normal.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _make_handler(addr, port, control_dir):
    down_file = os.path.join(control_dir, "down-%s-%d" % (addr, port))
    error_file = os.path.join(control_dir, "error-%s-%d" % (addr, port))
    slow_file = os.path.join(control_dir, "slow-%s-%d" % (addr, port))
    ident = "%s:%d" % (addr, port)
    counter = {"n": 0}
    lock = threading.Lock()

    def read_number(path):
        """None when the file does not exist, "" when empty, else its float (bad text: None)."""
        try:
            with open(path) as f:
                text = f.read(64).strip()
        except OSError:
            return None
        if not text:
            return ""
        try:
            return float(text)
        except ValueError:
            return None

    def should_fail():
        share = read_number(error_file)
        if share is None:
            return False
        if share == "":
            return True
        share = min(max(share, 0.0), 1.0)
        with lock:
            n = counter["n"]
            counter["n"] += 1
        # Bresenham: request n fails when floor((n+1)*share) > floor(n*share): evenly spread.
        return int((n + 1) * share) > int(n * share)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self):
            return "hopscope-web/1"

        def log_message(self, fmt, *args):  # no per-request log lines
            pass

        def _reply(self, code, text):
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Served-By", ident)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if path == "/health":
                if os.path.exists(down_file):
                    self._reply(503, "DOWN " + ident)
                else:
                    self._reply(200, "OK " + ident)
                return
            delay_ms = read_number(slow_file)
            try:
                delay_ms = max(delay_ms or 0.0, float(self.headers.get("X-Hopscope-Sleep-Ms") or 0))
            except ValueError:
                pass
            if delay_ms:
                time.sleep(min(delay_ms, 5000.0) / 1000.0)
            forced = self.headers.get("X-Hopscope-Fail") or ""
            if forced.isdigit() and 500 <= int(forced) <= 599:
                self._reply(int(forced), "FORCED %s %s %s" % (forced, ident, self.path))
            elif should_fail():
                self._reply(500, "ERROR %s %s" % (ident, self.path))
            else:
                self._reply(200, "%s %s" % (ident, self.path))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


def parse_listen(text):
    addr, sep, port = text.rpartition(":")
    if not sep or not addr or not port.isdigit():
        raise argparse.ArgumentTypeError("expected ADDR:PORT, got %r" % text)
    return addr, int(port)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, help="directory holding down-*/error-* control files")
    ap.add_argument("listen", nargs="+", type=parse_listen, metavar="ADDR:PORT")
    args = ap.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)

    servers = []
    for addr, port in args.listen:
        try:
            srv = _Server((addr, port), _make_handler(addr, port, args.dir))
        except OSError as e:
            print("web: cannot listen on %s:%d: %s" % (addr, port, e), file=sys.stderr, flush=True)
            for s in servers:
                s.server_close()
            return 1
        servers.append(srv)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        print("listening %s:%d" % srv.server_address[:2], flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    print("web: stopping", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
