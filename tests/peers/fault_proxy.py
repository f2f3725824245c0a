#!/usr/bin/env python3
"""hopscope fault-injecting proxy: sits on loopback in front of a real server (BIND, HAProxy's
runtime API, an Envoy admin port) and, switched at run time, loses, delays, floods or resets the
server's replies -- after the request has really reached the server.

  serve --state FILE --route NAME=PROTO:HOST:PORT [--route ...] [--addr 127.0.0.1] [--max-seconds S]
  ctl   --state FILE JSON        one command, prints the JSON reply (exit 1 when ok is false)
  stop  --state FILE             SIGTERM to the PID in FILE (checked against its start time)

PROTO: tcp (a byte stream: HAProxy runtime), http (a TCP stream whose endless reply is an HTTP 200
with a chunked body that never ends: Envoy admin), dns (UDP and TCP on one port number: BIND).
Every listener gets a free per-run port on --addr. FILE is written (atomically) once every socket
is bound, so its existence is the ready check: {pid, start_time, control{addr,port},
routes{NAME{proto, listen{addr,port}, upstream{addr,port}}}}. The proxy exits when its parent
dies, on SIGTERM, or after --max-seconds.

Control: one JSON object per line to control{addr,port} (or `ctl`), one JSON line back.
  {"cmd":"set","route":R,"mode":M, ...options}  -> {"ok":true}
  {"cmd":"stats"}                               -> {"ok":true,"routes":{R:{counters}}}
  {"cmd":"release","route":R,"forward":bool}    -> {"ok":true,"released":N}
Modes (what happens to a request that matches, i.e. contains the bytes of option "match";
every request when "match" is absent; only the first "times" matches when given, then pass):
  pass      relay both ways
  drop      forward the request, discard the reply; "close":true closes the client connection
            once the server has answered (FIN), otherwise it stays open and silent
  delay     forward the request, hold the reply "ms" milliseconds, then relay it
  endless   forward the request; once the server answers, discard its reply and send the client
            an endless one: HTTP 200 chunked (http), an endless line stream (tcp), a 65535-octet
            length prefix then endless bytes (dns/tcp), stray datagrams with a foreign id
            (dns/udp); "rate" bytes/s (0 or absent: as fast as the client reads)
  reset     forward the request; once the server answers, reset the client connection (RST);
            on UDP (no connection to reset) the reply is discarded as in drop
  hold      keep the request (do not forward it) until {"cmd":"release"}: "forward":true sends it
            on (and relays the reply), false discards it and closes the client connection
  stall     forward the request; relay the start of the server's reply, then go silent with the
            connection open: http sends the status line and headers (through the blank line),
            tcp and dns/tcp the first "bytes" octets (default 1)
  trickle   forward the request; relay the server's reply at "rate" bytes per second (default 1)
            until the client goes away
  garbage   forward the request; once the server answers, discard its reply and send instead
            "size" octets (default 4096) of random bytes: http as a complete "200 OK" with that
            Content-Length and "Connection: close", tcp as the whole reply; then FIN
  huge      forward the request; once the server answers, discard its reply and send an HTTP
            200 with "Content-Length: size" (default 2 GiB; "chunked":true: no length, chunked
            encoding) and stream that many bytes (tcp: just the bytes) as fast as the client
            reads, until it goes away
            (stall, trickle, garbage and huge are for streams: on UDP the reply is discarded)
Counters per route (for tests to synchronise on, never on sleeps): connections, datagrams,
requests (TCP connections that sent bytes + datagrams), matched, faulted, held, forwarded
(matched requests that reached the server), answered (matched requests the server answered),
delivered (matched requests whose reply reached the client), last_request (first 200 bytes),
sent (octets a faulted reply wrote to clients: stall, trickle, garbage, huge).
forwarded, answered, delivered and sent count only the faults of the route's current setting: a
fault that matched before the last "set" (a delayed reply still on its way, a held request released
later) still does what it was set to do, but ticks none of them: it ticks stale instead (once
per event). So a test that sets a route and waits for a counter never wakes on an earlier case's
late reply (a delayed reply written, after its client was killed, into a socket the kernel still
accepts writes on, was counted as delivered: tst_DrainFaults killed its next CLI too early).

Python 3 standard library only. One file of ~700 lines on purpose: tests start it as a single
script (python3 fault_proxy.py serve ...), and the three protocols share the mode logic.
"""
import argparse
import json
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

MODES = ("pass", "drop", "delay", "endless", "reset", "hold", "stall", "trickle", "garbage", "huge")
CHUNK = 65536
MATCH_WINDOW = 8192


def log(msg):
    print("fault-proxy: " + msg, file=sys.stderr, flush=True)


def proc_start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rfind(")") + 2:].split()[19])


class Fault:
    """What to do to one matched request: a frozen copy of the route's mode when it matched."""

    def __init__(self, cfg):
        self.mode = cfg.get("mode", "pass")
        self.close = bool(cfg.get("close", False))
        self.ms = int(cfg.get("ms", 0))
        self.rate = int(cfg.get("rate", 0))
        self.bytes = int(cfg.get("bytes", 1))
        self.size = int(cfg.get("size", 0))
        self.chunked = bool(cfg.get("chunked", False))
        self.at = time.monotonic()
        self.generation = -1  # the route's setting it matched under (Route.classify)
        self.release = threading.Event()
        self.forward = False


class Route:
    def __init__(self, name, proto, upstream):
        self.name, self.proto, self.upstream = name, proto, upstream
        self.lock = threading.Lock()
        self.cfg = {"mode": "pass"}
        self.generation = 0
        self.counters = dict(connections=0, datagrams=0, requests=0, matched=0, faulted=0, held=0,
                             forwarded=0, answered=0, delivered=0, last_request="", sent=0,
                             stale=0)
        self.holds = []

    def count(self, key, n=1):
        with self.lock:
            self.counters[key] += n

    def count_fault(self, fault, key, n=1):
        """Counts what a fault did, unless the route was set again since it matched."""
        with self.lock:
            if fault.generation == self.generation:
                self.counters[key] += n
            else:
                self.counters["stale"] += 1

    def configure(self, cmd):
        mode = cmd.get("mode", "pass")
        if mode not in MODES:
            raise ValueError("unknown mode %r (one of %s)" % (mode, ", ".join(MODES)))
        cfg = {k: v for k, v in cmd.items() if k not in ("cmd", "route")}
        if "match" in cfg and not isinstance(cfg["match"], str):
            raise ValueError("match must be a string")
        with self.lock:
            self.cfg = cfg
            self.generation += 1

    def classify(self, data):
        """-> Fault or None for one request (its first bytes). Counts it."""
        with self.lock:
            self.counters["requests"] += 1
            self.counters["last_request"] = data[:200].decode("latin-1")
            cfg = self.cfg
            match = cfg.get("match")
            if match is not None and match.encode("latin-1") not in data:
                return None
            self.counters["matched"] += 1
            if cfg.get("mode", "pass") == "pass":
                return None
            times = cfg.get("times")
            if times is not None:
                if times <= 0:
                    return None
                cfg["times"] = times - 1
            self.counters["faulted"] += 1
            f = Fault(cfg)
            f.generation = self.generation
            f.matched = True
            if f.mode == "hold":
                self.counters["held"] += 1
                self.holds.append(f)
            return f

    def matches(self, data):
        """True when data holds the match bytes (or no match is set): counts matched requests."""
        match = self.cfg.get("match")
        return match is None or match.encode("latin-1") in data

    def release(self, forward):
        with self.lock:
            holds, self.holds = self.holds, []
        for f in holds:
            f.forward = forward
            f.release.set()
        return len(holds)

    def stats(self):
        with self.lock:
            out = dict(self.counters)
            out["mode"] = self.cfg.get("mode", "pass")
            return out


def close_quietly(s):
    try:
        s.close()
    except OSError:
        pass


def rst(s):
    """Resets the connection: linger 0, and SHUT_RD wakes a thread blocked reading it, so the
    last reference goes and the kernel sends RST (close() alone waits for that reader)."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    close_quietly(s)


def endless(client, proto, rate):
    """Writes an endless reply until the client goes away."""
    try:
        if proto == "http":
            client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
            piece = b"OK" * 2048
            chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        elif proto == "dns":
            client.sendall(b"\xff\xff")
            chunk = b"\x00" * 4096
        else:
            chunk = (b"x" * 63 + b"\n") * 64
        if rate <= 0:
            while True:
                client.sendall(chunk)
        per = max(1, rate // 20)
        while True:
            client.sendall(chunk[:per] if len(chunk) >= per else chunk)
            time.sleep(0.05)
    except OSError:
        pass
    finally:
        close_quietly(client)


class TcpConnection:
    """One client connection relayed to one upstream connection, with the route's faults."""

    def __init__(self, route, client):
        self.route, self.client = route, client
        self.fault = None
        self.client_gone = threading.Event()  # the client closed its side (or the relay ended)
        self.answered_counted = False
        self.delivered_counted = False

    def run(self):
        r = self.route
        r.count("connections")
        try:
            self.upstream = socket.create_connection(r.upstream, timeout=5)
            self.upstream.settimeout(None)
        except OSError as e:
            log("%s: cannot reach upstream %s:%d: %s" % (r.name, r.upstream[0], r.upstream[1], e))
            rst(self.client)
            return
        threading.Thread(target=self.downstream, daemon=True).start()
        self.upstream_direction()

    def upstream_direction(self):
        """client -> server: classify each request, hold or forward it."""
        r, window, first = self.route, b"", True
        try:
            while True:
                data = self.client.recv(CHUNK)
                if not data:
                    break
                window = (window + data)[-MATCH_WINDOW:]
                if self.fault is None:
                    if first or r.matches(window):
                        f = r.classify(window)
                        first = False
                        # A request is classified once: on a keep-alive connection the next one
                        # must carry the match bytes itself.
                        window = b""
                        if f is not None:
                            self.fault = f
                if self.fault is not None and self.fault.mode == "hold" and not self.fault.release.is_set():
                    self.fault.release.wait()
                    if not self.fault.forward:
                        rst(self.client)
                        close_quietly(self.upstream)
                        return
                self.upstream.sendall(data)
                if self.fault is not None and self.fault.matched:
                    self.fault.matched = False
                    r.count_fault(self.fault, "forwarded")
            self.upstream.shutdown(socket.SHUT_WR)
        except OSError:
            close_quietly(self.upstream)
        finally:
            self.client_gone.set()

    def downstream(self):
        """server -> client, as the connection's fault says."""
        r = self.route
        try:
            while True:
                data = self.upstream.recv(CHUNK)
                f = self.fault
                if data and f is not None and not self.answered_counted:
                    self.answered_counted = True
                    r.count_fault(f, "answered")
                if not data:
                    break
                if f is None or f.mode in ("pass", "hold"):
                    self.client.sendall(data)
                    if f is not None:
                        self.count_delivered()
                elif f.mode == "drop":
                    if f.close:
                        close_quietly(self.upstream)
                        self.client.shutdown(socket.SHUT_RDWR)
                        close_quietly(self.client)
                        return
                elif f.mode == "delay":
                    left = f.at + f.ms / 1000.0 - time.monotonic()
                    if left > 0:
                        time.sleep(left)
                    self.client.sendall(data)
                    self.count_delivered()
                elif f.mode == "endless":
                    threading.Thread(target=self.drain_upstream, daemon=True).start()
                    endless(self.client, r.proto, f.rate)
                    return
                elif f.mode == "reset":
                    close_quietly(self.upstream)
                    rst(self.client)
                    return
                elif f.mode in ("stall", "trickle", "garbage", "huge"):
                    self.faulted_reply(f, data)
                    return
            f = self.fault
            if f is not None and f.mode == "drop" and not f.close:
                # Keep the client's connection open and silent until it gives up.
                self.client_gone.wait()
            self.client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        close_quietly(self.client)
        close_quietly(self.upstream)

    def faulted_reply(self, f, first):
        """stall / trickle / garbage / huge: the reply the client gets instead of the server's
        (`first` is the server's first chunk). Returns when the client has gone (or, for garbage
        and huge, when everything was sent and the client closed)."""
        r = self.route
        up = threading.Thread(target=self.drain_upstream, daemon=True)
        try:
            if f.mode == "stall":
                data = first
                if r.proto == "http":
                    while b"\r\n\r\n" not in data:
                        more = self.upstream.recv(CHUNK)
                        if not more:
                            break
                        data += more
                    head = data[:data.find(b"\r\n\r\n") + 4] if b"\r\n\r\n" in data else data
                else:
                    head = data[:max(0, f.bytes)]
                up.start()
                self.client.sendall(head)
                r.count_fault(f, "sent", len(head))
                self.client_gone.wait()
            elif f.mode == "trickle":
                rate = max(1, f.rate or 1)
                pending = bytearray(first)
                lock = threading.Lock()

                def collect():
                    try:
                        while True:
                            more = self.upstream.recv(CHUNK)
                            if not more:
                                return
                            with lock:
                                pending.extend(more)
                    except OSError:
                        pass

                threading.Thread(target=collect, daemon=True).start()
                per = max(1, rate // 10) if rate >= 10 else 1
                pause = per / float(rate)
                while not self.client_gone.is_set():
                    with lock:
                        piece = bytes(pending[:per])
                        del pending[:per]
                    if piece:
                        self.client.sendall(piece)
                        r.count_fault(f, "sent", len(piece))
                    self.client_gone.wait(pause)
            elif f.mode == "garbage":
                up.start()
                size = f.size or 4096
                body = bytes(random.getrandbits(8) for _ in range(size))
                if r.proto == "http":
                    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Connection: close\r\nContent-Length: %d\r\n\r\n" % size) + body
                else:
                    reply = body
                self.client.sendall(reply)
                r.count_fault(f, "sent", len(reply))
                # One garbage reply per connection: a keep-alive client must not send its next
                # request into this one (it would get no reply).
                self.client.shutdown(socket.SHUT_WR)
                self.client_gone.wait(30)
            elif f.mode == "huge":
                up.start()
                size = f.size or (2 << 30)
                chunked = r.proto == "http" and f.chunked
                if r.proto == "http":
                    length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size
                    self.client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        b"Connection: close\r\n" + length + b"\r\n\r\n")
                piece = b"[" + b"0," * (CHUNK // 2 - 1) + b"0"
                left = size
                while left > 0:
                    n = min(left, len(piece))
                    self.client.sendall(b"%x\r\n%s\r\n" % (n, piece[:n]) if chunked else piece[:n])
                    left -= n
                    r.count_fault(f, "sent", n)
                if chunked:
                    self.client.sendall(b"0\r\n\r\n")
                self.client.shutdown(socket.SHUT_WR)
                self.client_gone.wait(30)
        except OSError:
            pass
        close_quietly(self.client)
        close_quietly(self.upstream)

    def count_delivered(self):
        if not self.delivered_counted:
            self.delivered_counted = True
            self.route.count_fault(self.fault, "delivered")

    def drain_upstream(self):
        try:
            while self.upstream.recv(CHUNK):
                pass
        except OSError:
            pass
        close_quietly(self.upstream)


def serve_tcp(route, listener):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        conn = TcpConnection(route, client)
        threading.Thread(target=conn.run, daemon=True).start()


class UdpRelay:
    """DNS over UDP: one upstream socket per client address; replies handled per the fault of
    the datagram they answer (the latest one from that client)."""

    def __init__(self, route, sock):
        self.route, self.sock = route, sock
        self.peers = {}
        self.lock = threading.Lock()

    def run(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            r = self.route
            r.count("datagrams")
            f = r.classify(data)
            up = self.upstream_for(addr)
            up["fault"] = f
            if f is not None and f.mode == "hold":
                threading.Thread(target=self.held, args=(up, data, f), daemon=True).start()
                continue
            try:
                up["sock"].send(data)
                if f is not None:
                    r.count_fault(f, "forwarded")
            except OSError:
                pass

    def held(self, up, data, f):
        f.release.wait()
        if f.forward:
            try:
                up["sock"].send(data)
                self.route.count_fault(f, "forwarded")
            except OSError:
                pass

    def upstream_for(self, addr):
        with self.lock:
            up = self.peers.get(addr)
            if up is None:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.connect(self.route.upstream)
                up = {"sock": s, "fault": None}
                self.peers[addr] = up
                threading.Thread(target=self.replies, args=(addr, up), daemon=True).start()
            return up

    def replies(self, addr, up):
        r = self.route
        while True:
            try:
                data = up["sock"].recv(65535)
            except ConnectionRefusedError:
                continue  # ICMP port unreachable: the server is down (killed); it may come back
            except OSError:
                return
            f = up["fault"]
            if f is not None:
                r.count_fault(f, "answered")
            if f is None or f.mode in ("pass", "hold"):
                self.send(data, addr, f)
                continue
            if f.mode == "delay":
                left = f.at + f.ms / 1000.0 - time.monotonic()
                threading.Timer(max(0.0, left), self.send, args=(data, addr, f)).start()
            elif f.mode == "endless":
                threading.Thread(target=self.stray, args=(data, addr, f), daemon=True).start()
            # drop, reset: the reply is discarded

    def send(self, data, addr, f):
        try:
            self.sock.sendto(data, addr)
            if f is not None:
                self.route.count_fault(f, "delivered")
        except OSError:
            pass

    def stray(self, answer, addr, f):
        """Datagrams that look like DNS answers but carry another id, until the mode changes."""
        generation, r = self.route.generation, self.route
        interval = 0.005 if f.rate <= 0 else max(0.001, len(answer) / float(f.rate))
        deadline = time.monotonic() + 120
        while r.generation == generation and time.monotonic() < deadline:
            qid = (struct.unpack("!H", answer[:2])[0] + random.randint(1, 0xfffe)) & 0xffff
            try:
                self.sock.sendto(struct.pack("!H", qid) + answer[2:], addr)
            except OSError:
                return
            time.sleep(interval)


def bind_pair(addr):
    """A TCP listener and a UDP socket on the same free port."""
    for _ in range(200):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((addr, port))
        except OSError:
            t.close()
            u.close()
            continue
        return t, u, port
    raise OSError("no port free for both TCP and UDP on %s" % addr)


def handle_control(routes, line):
    try:
        cmd = json.loads(line)
        kind = cmd.get("cmd")
        if kind == "stats":
            return {"ok": True, "routes": {n: r.stats() for n, r in routes.items()}}
        route = routes.get(cmd.get("route"))
        if route is None:
            return {"ok": False, "error": "no route %r (routes: %s)" % (cmd.get("route"), ", ".join(routes))}
        if kind == "set":
            route.configure(cmd)
            return {"ok": True}
        if kind == "release":
            return {"ok": True, "released": route.release(bool(cmd.get("forward", False)))}
        return {"ok": False, "error": "unknown cmd %r (set, stats, release)" % kind}
    except (ValueError, AttributeError, TypeError) as e:
        return {"ok": False, "error": str(e)}


def serve_control(routes, listener):
    def one(conn):
        with conn:
            f = conn.makefile("rwb")
            for line in f:
                if not line.strip():
                    continue
                f.write(json.dumps(handle_control(routes, line.decode("utf-8", "replace"))).encode() + b"\n")
                f.flush()

    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=one, args=(conn,), daemon=True).start()


def parse_route(text):
    try:
        name, rest = text.split("=", 1)
        proto, host, port = rest.split(":")
        if proto not in ("tcp", "http", "dns") or not name:
            raise ValueError
        return name, proto, (host, int(port))
    except ValueError:
        raise SystemExit("fault-proxy: bad --route %r (NAME=tcp|http|dns:HOST:PORT)" % text)


def cmd_serve(args):
    routes, state = {}, {"pid": os.getpid(), "start_time": proc_start_time(os.getpid()), "routes": {}}
    for text in args.route:
        name, proto, upstream = parse_route(text)
        if name in routes:
            raise SystemExit("fault-proxy: route %s given twice" % name)
        route = Route(name, proto, upstream)
        routes[name] = route
        if proto == "dns":
            t, u, port = bind_pair(args.addr)
            threading.Thread(target=UdpRelay(route, u).run, daemon=True).start()
        else:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((args.addr, 0))
            port = t.getsockname()[1]
        t.listen(64)
        threading.Thread(target=serve_tcp, args=(route, t), daemon=True).start()
        state["routes"][name] = {"proto": proto, "listen": {"addr": args.addr, "port": port},
                                 "upstream": {"addr": upstream[0], "port": upstream[1]}}
    ctl = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ctl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ctl.bind((args.addr, 0))
    ctl.listen(8)
    state["control"] = {"addr": args.addr, "port": ctl.getsockname()[1]}
    threading.Thread(target=serve_control, args=(routes, ctl), daemon=True).start()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    tmp = args.state + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, args.state)
    log("ready: %s" % ", ".join("%s %s:%d -> %s:%d" % (n, args.addr, s["listen"]["port"], s["upstream"]["addr"],
                                                         s["upstream"]["port"]) for n, s in state["routes"].items()))
    parent, deadline = os.getppid(), time.monotonic() + args.max_seconds
    while time.monotonic() < deadline and os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def load_state(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit("fault-proxy: cannot read state %s: %s" % (path, e))


def control(state, cmd, timeout=5.0):
    c = state["control"]
    with socket.create_connection((c["addr"], c["port"]), timeout=timeout) as s:
        s.sendall(json.dumps(cmd).encode() + b"\n")
        f = s.makefile("rb")
        line = f.readline(1 << 20)
    return json.loads(line)


def cmd_ctl(args):
    reply = control(load_state(args.state), json.loads(args.json))
    print(json.dumps(reply, indent=1))
    return 0 if reply.get("ok") else 1


def cmd_stop(args):
    st = load_state(args.state)
    pid = st["pid"]
    if proc_start_time(pid) != st.get("start_time"):
        log("pid %d is not running (or is another process now)" % pid)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and proc_start_time(pid) == st.get("start_time"):
        time.sleep(0.02)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fault_proxy.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--state", required=True)
    p.add_argument("--route", action="append", required=True, metavar="NAME=PROTO:HOST:PORT")
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--max-seconds", type=float, default=3600.0)
    p.set_defaults(fn=cmd_serve)
    p = sub.add_parser("ctl")
    p.add_argument("--state", required=True)
    p.add_argument("json")
    p.set_defaults(fn=cmd_ctl)
    p = sub.add_parser("stop")
    p.add_argument("--state", required=True)
    p.set_defaults(fn=cmd_stop)
    args = ap.parse_args(argv)
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
