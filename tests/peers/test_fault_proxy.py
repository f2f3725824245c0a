#!/usr/bin/env python3
"""Self-test of fault_proxy.py against small real servers on loopback: a line server that
answers and closes (HAProxy runtime style), an HTTP server (Envoy admin style) and a UDP
answerer (DNS style).

Run: python3 -m unittest -v tests/peers/test_fault_proxy.py
Every wait polls a counter with a bounded deadline; nothing sleeps to "let things settle".
"""
import http.client
import http.server
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fault_proxy  # noqa: E402


def wait_for(fn, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


class LineHandler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(4096)
        self.server.seen.append(line)
        self.wfile.write(b"answer to " + line + b"\n")


class DnsTcpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        size = struct.unpack("!H", self.rfile.read(2))[0]
        msg = self.rfile.read(size)
        self.wfile.write(struct.pack("!H", 8) + msg[:2] + b"answer")


class HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.server.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"OK\n")

    def do_GET(self):
        self.server.seen.append(self.path)
        body = b'{"path": "%s", "padding": "%s"}' % (self.path.encode(), b"p" * 64)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Servers:
    def __init__(self):
        self.line = socketserver.ThreadingTCPServer(("127.0.0.1", 0), LineHandler)
        self.line.seen = []
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HttpHandler)
        self.http.seen = []
        self.udp_seen = []
        # DNS answers on UDP and TCP of one port: a free UDP port's TCP twin may be taken by
        # another process, so pick again (bounded) until both bind.
        for attempt in range(100):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            try:
                self.dns_tcp = socketserver.ThreadingTCPServer(("127.0.0.1", self.udp.getsockname()[1]),
                                                               DnsTcpHandler)
                break
            except OSError:
                self.udp.close()
                if attempt == 99:
                    raise
        for srv in (self.line, self.http, self.dns_tcp):
            srv.daemon_threads = True
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        threading.Thread(target=self.answer_udp, daemon=True).start()

    def answer_udp(self):
        while True:
            try:
                data, addr = self.udp.recvfrom(4096)
            except OSError:
                return
            self.udp_seen.append(data)
            self.udp.sendto(data[:2] + b"answer", addr)

    def close(self):
        for srv in (self.line, self.http, self.dns_tcp):
            srv.shutdown()
            srv.server_close()
        self.udp.close()


class FaultProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = Servers()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.state_path = os.path.join(cls.tmp.name, "proxy.json")
        s = cls.servers
        cls.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fault_proxy.py"), "serve",
                                     "--state", cls.state_path, "--max-seconds", "300",
                                     "--route", "line=tcp:127.0.0.1:%d" % s.line.server_address[1],
                                     "--route", "http=http:127.0.0.1:%d" % s.http.server_address[1],
                                     "--route", "dns=dns:127.0.0.1:%d" % s.udp.getsockname()[1]])
        wait_for(lambda: os.path.exists(cls.state_path), "the proxy's state file (ready)")
        with open(cls.state_path) as f:
            cls.state = json.load(f)

    @classmethod
    def tearDownClass(cls):
        fault_proxy.main(["stop", "--state", cls.state_path])
        cls.proc.wait(5)
        cls.servers.close()
        cls.tmp.cleanup()

    def ctl(self, **cmd):
        reply = fault_proxy.control(self.state, cmd)
        self.assertTrue(reply.get("ok"), reply)
        return reply

    def stats(self, route):
        return self.ctl(cmd="stats")["routes"][route]

    def setUp(self):
        for r in ("line", "http", "dns"):
            self.ctl(cmd="set", route=r, mode="pass")

    def port(self, route):
        return self.state["routes"][route]["listen"]["port"]

    def line_request(self, text, timeout=3.0):
        s = socket.create_connection(("127.0.0.1", self.port("line")), timeout=timeout)
        s.sendall(text.encode() + b"\n")
        return s

    def wait_counter(self, route, key, value):
        wait_for(lambda: self.stats(route)[key] >= value, "%s %s >= %d" % (route, key, value))

    def test_pass_relays_both_ways(self):
        with self.line_request("show info") as s:
            self.assertEqual(s.makefile("rb").read(), b"answer to show info\n\n")

    def test_drop_keeps_the_connection_open_and_silent(self):
        self.ctl(cmd="set", route="line", mode="drop")
        before = self.stats("line")["answered"]
        with self.line_request("set server a/b state drain") as s:
            self.wait_counter("line", "answered", before + 1)  # the server did answer
            s.settimeout(0.3)
            with self.assertRaises(socket.timeout):
                s.recv(100)
        self.assertIn(b"set server a/b state drain\n", self.servers.line.seen)

    def test_drop_close_ends_the_connection_without_a_reply(self):
        self.ctl(cmd="set", route="line", mode="drop", close=True)
        with self.line_request("set server a/b state drain") as s:
            self.assertEqual(s.recv(100), b"")

    def test_delay_holds_the_reply(self):
        self.ctl(cmd="set", route="line", mode="delay", ms=400)
        t = time.monotonic()
        with self.line_request("show info") as s:
            self.assertEqual(s.makefile("rb").read(), b"answer to show info\n\n")
        self.assertGreaterEqual(time.monotonic() - t, 0.39)

    def test_endless_tcp_never_ends(self):
        self.ctl(cmd="set", route="line", mode="endless")
        with self.line_request("show stat") as s:
            got = 0
            while got < 4 << 20:
                data = s.recv(65536)
                self.assertTrue(data, "the endless reply ended")
                got += len(data)

    def test_endless_http_is_a_200_with_a_body_that_never_ends(self):
        self.ctl(cmd="set", route="http", mode="endless", match="/healthcheck/fail")
        c = http.client.HTTPConnection("127.0.0.1", self.port("http"), timeout=3)
        c.request("POST", "/healthcheck/fail", headers={"Content-Length": "0"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        got = 0
        while got < 4 << 20:
            data = r.read1(65536)
            self.assertTrue(data)
            got += len(data)
        c.close()
        self.assertIn("/healthcheck/fail", self.servers.http.seen)

    def test_reset_after_the_request(self):
        self.ctl(cmd="set", route="line", mode="reset")
        with self.line_request("set server a/b state drain") as s:
            with self.assertRaises(ConnectionResetError):
                while s.recv(100):
                    pass
        self.assertIn(b"set server a/b state drain\n", self.servers.line.seen)

    def test_hold_then_release(self):
        self.ctl(cmd="set", route="line", mode="hold")
        before = self.stats("line")["held"]
        with self.line_request("hold me") as s:
            self.wait_counter("line", "held", before + 1)
            self.assertNotIn(b"hold me\n", self.servers.line.seen)
            self.assertEqual(self.ctl(cmd="release", route="line", forward=True)["released"], 1)
            self.assertEqual(s.makefile("rb").read(), b"answer to hold me\n\n")

    def test_match_and_times_fault_only_the_named_request(self):
        self.ctl(cmd="set", route="line", mode="drop", close=True, match="state drain", times=1)
        with self.line_request("show stat") as s:
            self.assertEqual(s.makefile("rb").read(), b"answer to show stat\n\n")
        with self.line_request("set server a/b state drain") as s:
            self.assertEqual(s.recv(100), b"")
        with self.line_request("set server a/b state drain") as s:  # times exhausted: pass
            self.assertEqual(s.makefile("rb").read(), b"answer to set server a/b state drain\n\n")

    def http_get(self, path, timeout=3.0):
        c = http.client.HTTPConnection("127.0.0.1", self.port("http"), timeout=timeout)
        c.request("GET", path)
        return c, c.getresponse()

    def test_stall_http_sends_the_headers_then_nothing(self):
        self.ctl(cmd="set", route="http", mode="stall", match="GET /clusters")
        c, r = self.http_get("/clusters?format=json", timeout=0.5)
        self.assertEqual(r.status, 200)  # the server's own status line and headers arrived
        self.assertGreater(int(r.getheader("Content-Length")), 0)
        with self.assertRaises(socket.timeout):
            r.read(1)
        c.close()
        self.assertIn("/clusters?format=json", self.servers.http.seen)

    def test_stall_tcp_sends_one_byte_then_nothing(self):
        self.ctl(cmd="set", route="line", mode="stall")
        with self.line_request("show stat", timeout=0.5) as s:
            self.assertEqual(s.recv(100), b"a")
            with self.assertRaises(socket.timeout):
                s.recv(100)

    def test_trickle_relays_the_reply_at_the_rate(self):
        self.ctl(cmd="set", route="line", mode="trickle", rate=40)
        t = time.monotonic()
        with self.line_request("show info") as s:
            self.assertEqual(s.makefile("rb").read(21), b"answer to show info\n\n")
        self.assertGreaterEqual(time.monotonic() - t, 20 / 40.0)  # 21 octets at 40/s
        self.ctl(cmd="set", route="http", mode="trickle", match="GET /stats")  # 1 byte per second
        c = http.client.HTTPConnection("127.0.0.1", self.port("http"), timeout=3)
        c.request("GET", "/stats")
        s = c.sock
        self.assertEqual(s.recv(100), b"H")
        t = time.monotonic()
        got = b""
        while time.monotonic() - t < 2.0:  # 2 s after the first byte: 2 more, never the reply
            s.settimeout(max(0.01, 2.0 - (time.monotonic() - t)))
            try:
                got += s.recv(100)
            except socket.timeout:
                break
        self.assertLessEqual(len(got), 3)
        self.assertTrue(b"TTP/1.".startswith(got), got)
        c.close()

    def test_garbage_http_is_a_complete_200_of_random_bytes(self):
        before = self.stats("http")["sent"]
        self.ctl(cmd="set", route="http", mode="garbage", size=5000, match="GET /clusters")
        c, r = self.http_get("/clusters?format=json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Connection"), "close")
        body = r.read()
        self.assertEqual(len(body), 5000)
        self.assertNotIn(b'"path"', body)  # not the server's reply
        c.close()
        self.assertGreater(self.stats("http")["sent"], before + 5000)
        self.ctl(cmd="set", route="http", mode="pass")
        c, r = self.http_get("/clusters?format=json")
        self.assertIn(b'"path"', r.read())
        c.close()

    def test_huge_http_announces_2_gib_and_streams(self):
        self.ctl(cmd="set", route="http", mode="huge", match="GET /clusters")
        c, r = self.http_get("/clusters?format=json")
        self.assertEqual(r.status, 200)
        self.assertEqual(int(r.getheader("Content-Length")), 2 << 30)
        got = 0
        while got < 8 << 20:
            data = r.read1(65536)
            self.assertTrue(data, "the body ended early")
            got += len(data)
        c.close()
        self.ctl(cmd="set", route="http", mode="huge", chunked=True, match="GET /clusters")
        c, r = self.http_get("/clusters?format=json")
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.getheader("Content-Length"))
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        got = 0
        while got < 8 << 20:
            data = r.read1(65536)
            self.assertTrue(data, "the body ended early")
            got += len(data)
        c.close()

    def test_udp_server_killed_and_back(self):
        """An ICMP port unreachable from a dead server must not end the relay for that client."""
        dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()  # nothing listens there now
        tmp = tempfile.TemporaryDirectory()
        state_path = os.path.join(tmp.name, "p.json")
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fault_proxy.py"), "serve",
                                 "--state", state_path, "--max-seconds", "60",
                                 "--route", "dns=dns:127.0.0.1:%d" % port])
        try:
            wait_for(lambda: os.path.exists(state_path), "the second proxy's state file")
            with open(state_path) as f:
                st = json.load(f)
            listen = st["routes"]["dns"]["listen"]["port"]
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(0.3)
            c.connect(("127.0.0.1", listen))
            c.send(b"\x00\x01q")  # to the dead server: refused upstream, no reply
            with self.assertRaises(socket.timeout):
                c.recv(100)
            back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            back.bind(("127.0.0.1", port))  # the server is back on its port
            c.send(b"\x00\x02q")
            data, addr = back.recvfrom(100)
            back.sendto(data[:2] + b"answer", addr)
            self.assertEqual(c.recv(100), b"\x00\x02answer")
            back.close()
            c.close()
        finally:
            proc.terminate()
            proc.wait(5)
            tmp.cleanup()

    def udp(self, payload, timeout=0.3):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", self.port("dns")))
        s.send(payload)
        return s

    def test_udp_pass_drop_delay_and_strays(self):
        with self.udp(b"\x12\x34update") as s:
            self.assertEqual(s.recv(100), b"\x12\x34answer")
        self.ctl(cmd="set", route="dns", mode="drop")
        before = self.stats("dns")["answered"]
        with self.udp(b"\x12\x35update") as s:
            self.wait_counter("dns", "answered", before + 1)
            with self.assertRaises(socket.timeout):
                s.recv(100)
        self.ctl(cmd="set", route="dns", mode="delay", ms=300)
        t = time.monotonic()
        with self.udp(b"\x12\x36update", timeout=3) as s:
            self.assertEqual(s.recv(100), b"\x12\x36answer")
        self.assertGreaterEqual(time.monotonic() - t, 0.29)
        self.ctl(cmd="set", route="dns", mode="endless")
        with self.udp(b"\x12\x37update", timeout=3) as s:
            ids = {struct.unpack("!H", s.recv(100)[:2])[0] for _ in range(20)}
            self.assertNotIn(0x1237, ids)

    def test_dns_tcp_pass_and_endless(self):
        with socket.create_connection(("127.0.0.1", self.port("dns")), timeout=3) as s:
            s.sendall(b"\x00\x08\x12\x38update")
            self.assertEqual(s.makefile("rb").read(), b"\x00\x08\x12\x38answer")
        self.ctl(cmd="set", route="dns", mode="endless", rate=2000)
        with socket.create_connection(("127.0.0.1", self.port("dns")), timeout=3) as s:
            s.sendall(b"\x00\x08\x12\x39update")
            f = s.makefile("rb")
            self.assertEqual(f.read(2), b"\xff\xff")  # announces the largest message...
            self.assertEqual(len(f.read(300)), 300)  # ...and trickles it, never completing

    def test_a_late_reply_under_an_earlier_setting_ticks_no_counter(self):
        """A reply delayed under one setting and written after its client has gone (the kernel
        takes the write) must not count as delivered under the next setting: tst_DrainFaults
        waited for "delivered" and killed its next CLI on an earlier case's late reply."""
        def late(route, send):
            self.ctl(cmd="set", route=route, mode="delay", ms=300)
            answered = self.stats(route)["answered"]
            s = send()
            self.wait_counter(route, "answered", answered + 1)
            s.close()  # the client dies before its reply comes
            self.ctl(cmd="set", route=route, mode="delay", ms=0)  # the next case's counting
            before = self.stats(route)
            wait_for(lambda: self.stats(route)["delivered"] > before["delivered"]
                     or self.stats(route).get("stale", 0) > before.get("stale", 0),
                     "the late %s reply to be written" % route)
            self.assertEqual(self.stats(route)["delivered"], before["delivered"],
                             "%s: a late reply of the earlier setting was counted" % route)

        late("line", lambda: self.line_request("set server a/b state drain"))
        late("dns", lambda: self.udp(b"\x12\x3aupdate"))


if __name__ == "__main__":
    unittest.main()
