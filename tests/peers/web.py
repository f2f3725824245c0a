#!/usr/bin/env python3
"""Tiny HTTP task backends for the hopscope peer harness (stdlib only).

One process serves every task of every service, one ThreadingHTTPServer per
listener (ADDR:PORT), each in its own thread:

  GET /health  -> 200 "OK", or 503 while the file DIR/down-ADDR-PORT exists
  any other    -> 200 "ADDR:PORT PATH", or 500 while DIR/error-ADDR-PORT exists

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
    ident = "%s:%d" % (addr, port)

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
            if os.path.exists(error_file):
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
