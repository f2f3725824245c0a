#!/usr/bin/env python3
"""Self-test of the peer harness against the real servers it starts.

  python3 -m unittest -v tests/peers/test_peers.py
      starts its own full cluster in a temp dir (and stops it at the end)
  HOPSCOPE_PEERS_DIR=/tmp/demo python3 -m unittest -v tests/peers/test_peers.py
      uses a cluster already started with `hopscope_peers.py up --dir /tmp/demo`
      (the tests touch it: a backend fails and recovers, HAProxy is restarted, a DNS record is
      added and deleted; all is restored). The lifecycle tests (`down`, foreign named) always use
      a private small cluster.
  HOPSCOPE_PEERS_KEEP=1 keeps the temp dirs (logs) of the clusters this test started.

A server the tests need that is not running is a failure, never a skip. Waits poll with bounded
deadlines; there are no fixed sleeps.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hopscope_peers as hp  # noqa: E402

HARNESS = os.path.join(HERE, "hopscope_peers.py")


def cli(*args, check=True, timeout=40):
    r = subprocess.run([sys.executable, HARNESS] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = r.stdout.decode(errors="replace")
    if check and r.returncode != 0:
        raise AssertionError("hopscope_peers.py %s failed (rc %d):\n%s" % (" ".join(args), r.returncode, out))
    return r.returncode, out


def dig(st, *args):
    cmd = ["dig", "@" + st["dns"]["addr"], "-p", str(st["dns"]["port"]), "+tries=1", "+time=2"] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    return r.stdout.decode(errors="replace")


def wait_for(fn, what, timeout=8.0, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1f s waiting for %s (last: %r)" % (timeout, what, last))


def http_get(addr, port, path, timeout=2.0):
    c = http.client.HTTPConnection(addr, port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def start_own_cluster(prefix, *extra):
    d = tempfile.mkdtemp(prefix=prefix)
    t0 = time.monotonic()
    rc, out = cli("up", "--dir", d, *extra, check=False)
    if rc != 0:
        raise AssertionError("`up --dir %s %s` failed (rc %d):\n%s" % (d, " ".join(extra), rc, out))
    return d, time.monotonic() - t0


def stop_own_cluster(d):
    cli("down", "--dir", d, check=False)
    if os.environ.get("HOPSCOPE_PEERS_KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


class PeersTest(unittest.TestCase):
    own_dir = None

    @classmethod
    def setUpClass(cls):
        d = os.environ.get("HOPSCOPE_PEERS_DIR")
        if d:
            cls.dir = os.path.abspath(d)
            if not os.path.exists(hp.state_path(cls.dir)):
                raise AssertionError("HOPSCOPE_PEERS_DIR=%s has no state.json; run `%s up --dir %s` first"
                                     % (d, HARNESS, d))
        else:
            cls.dir, cls.up_seconds = start_own_cluster("hopscope-peers-test-")
            cls.own_dir = cls.dir

    @classmethod
    def tearDownClass(cls):
        if cls.own_dir:
            stop_own_cluster(cls.own_dir)

    def setUp(self):
        self.st = hp.load_state(self.dir)

    def require(self, *names):
        """Fail (not skip) unless these servers run, are ours, and were recorded as running."""
        for n in names:
            info = self.st["servers"].get(n)
            if not info:
                self.fail("%s was not started in %s (started: %s)" % (n, self.dir, ", ".join(self.st["servers"]) or "none"))
            if not hp.is_ours_and_alive(info.get("pid"), info.get("start_time")):
                self.fail("%s (pid %s) is not running in %s; state %s. Log tail:\n%s"
                          % (n, info.get("pid"), self.dir, info.get("state"), hp.tail(info["log"])))

    # --- state and profile -------------------------------------------------------------------
    def test_state_json_has_everything_a_test_needs(self):
        st = self.st
        for k in ("schema", "dir", "subnet", "zone", "marker", "dns", "tsig", "haproxy", "services", "backends",
                  "web", "envoy", "traffic", "profile", "servers"):
            self.assertIn(k, st)
        self.assertEqual(st["tsig"]["name"], "ddns-key")
        self.assertEqual(st["tsig"]["algorithm"], "hmac-sha256")
        with open(st["tsig"]["secret_file"]) as f:
            self.assertEqual(f.read().strip(), st["tsig"]["secret"])
        for n, info in st["servers"].items():
            for k in ("pid", "start_time", "argv", "log", "state"):
                self.assertIn(k, info, n)

    def test_demo_profile_format(self):
        with open(self.st["profile"]) as f:
            p = json.load(f)
        self.assertEqual(list(p), ["schema", "name", "observeOnly", "production", "poll", "dns", "services",
                                   "loadBalancers", "proxies", "edges", "dnsUpdate"])
        self.assertEqual(p["schema"], 1)
        ids = {s["id"] for s in p["services"]}
        self.assertEqual(ids, {"servicea", "serviceb", "servicec", "user", "order", "payments"})
        for e in p["edges"]:
            self.assertIn(e["from"], ids)
            self.assertIn(e["to"], ids)
            self.assertTrue(e["via"] in ("dns", "mesh") or e["via"] == "lb:internal-lb", e)
        self.assertIn({"from": "order", "to": "payments", "via": "mesh"}, p["edges"])
        lb = p["loadBalancers"][0]
        self.assertEqual(lb["runtime"], self.st["haproxy"]["runtime"])
        self.assertRegex(lb["runtime"], r"^tcp:127\.\d+\.\d+\.\d+:\d+$")
        self.assertTrue(lb["statsUrl"].endswith("/stats;csv"))
        self.assertEqual({r["pathPrefix"]: r["backend"] for r in lb["routes"]},
                         {"/api/user/": "be_user", "/api/order/": "be_order"})
        self.assertEqual(sorted(x["id"] for x in p["proxies"]), sorted(hp.SIDECARS))
        for x in p["proxies"]:
            self.assertEqual(set(x), {"id", "kind", "admin", "service", "task"})
        secret = p["dnsUpdate"]["tsigKey"]["secret"]
        self.assertTrue(secret.startswith("file:/"), secret)
        with open(secret[5:]) as f:
            self.assertEqual(f.read().strip(), self.st["tsig"]["secret"])
        self.assertNotIn(self.st["tsig"]["secret"], json.dumps(p))
        self.assertNotIn("prometheus", p)

    # --- BIND -----------------------------------------------------------------------------
    def test_marker_answered_by_our_named(self):
        self.require("named")
        mk = self.st["marker"]
        for transport in ("+notcp", "+tcp"):
            out = dig(self.st, transport, "+short", mk["name"], "TXT")
            self.assertEqual(out.strip(), '"%s"' % mk["token"],
                             "marker via dig %s: another server may share %s:%d (docs/PEERS.md §0)"
                             % (transport, self.st["dns"]["addr"], self.st["dns"]["port"]))
        out = dig(self.st, self.st["zone"], "SOA")
        self.assertIn("flags: qr aa", out)
        hp.verify_named_ownership(self.st, self.st["servers"]["named"]["pid"])

    def test_zone_layout_like_cloud_map(self):
        self.require("named")
        svc = self.st["services"]
        a = set(dig(self.st, "+short", "serviceb." + hp.ZONE, "A").split())
        self.assertEqual(a, {t["addr"] for t in svc["serviceb"]["tasks"]})
        out = dig(self.st, "+noall", "+answer", "+additional", "servicec." + hp.ZONE, "SRV")
        for i, t in enumerate(svc["servicec"]["tasks"], 1):
            self.assertIn("SRV\t1 1 %d task-%d.servicec.%s." % (t["port"], i, hp.ZONE), out)
            self.assertRegex(out, r"task-%d\.servicec\.%s\.\s+\d+\s+IN\s+A\s+%s" % (i, hp.ZONE.replace(".", r"\."), t["addr"]))
        out = dig(self.st, "+noall", "+answer", "_http._tcp.servicec." + hp.ZONE, "SRV")
        self.assertIn("CNAME\tservicec.%s." % hp.ZONE, out)
        ports = {int(l.split()[2]) for l in dig(self.st, "+short", "_http._tcp.servicea." + hp.ZONE, "SRV").splitlines()}
        self.assertEqual(ports, {t["port"] for t in svc["servicea"]["tasks"]})

    def test_nsupdate_add_and_delete_visible_to_dig(self):
        self.require("named")
        addr = self.st["subnet"].rsplit(".", 1)[0] + ".99"
        name = "serviceb." + hp.ZONE
        serial0 = int(dig(self.st, "+short", hp.ZONE, "SOA").split()[2])
        cli("nsupdate", "--dir", self.dir, "add", "serviceb", "A", addr)
        try:
            self.assertIn(addr, dig(self.st, "+short", name, "A").split())
            self.assertGreater(int(dig(self.st, "+short", hp.ZONE, "SOA").split()[2]), serial0)
        finally:
            cli("nsupdate", "--dir", self.dir, "delete", "serviceb", "A", addr)
        self.assertNotIn(addr, dig(self.st, "+short", name, "A").split())
        self.assertEqual(set(dig(self.st, "+short", name, "A").split()),
                         {t["addr"] for t in self.st["services"]["serviceb"]["tasks"]})

    def test_unsigned_update_is_refused(self):
        self.require("named")
        script = "server %s %d\nzone %s\nupdate add evil.%s 10 IN A 127.0.0.9\nsend\n" % (
            self.st["dns"]["addr"], self.st["dns"]["port"], hp.ZONE, hp.ZONE)
        r = subprocess.run(["nsupdate", "-t", "3"], input=script.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"REFUSED", r.stdout)

    # --- HAProxy ---------------------------------------------------------------------------
    def hap_targets(self):
        h = self.st["haproxy"]
        return {"unix": h["socket"], "tcp": (h["cli"]["addr"], h["cli"]["port"])}

    def test_haproxy_show_info_on_unix_and_tcp(self):
        self.require("haproxy")
        pid = self.st["servers"]["haproxy"]["pid"]
        for kind, target in self.hap_targets().items():
            info = hp.haproxy_cli(target, "show info")
            self.assertEqual(hp._field(info, "Pid"), str(pid), "%s socket answered:\n%s" % (kind, info[:300]))
            self.assertTrue(hp._field(info, "Version").startswith("2.6"), info[:200])

    def server_rows(self, backend):
        return {r["svname"]: r for r in hp.show_stat(self.hap_targets()["tcp"])
                if r["pxname"] == backend and r["svname"] not in ("FRONTEND", "BACKEND")}

    def test_haproxy_fills_dns_backends(self):
        self.require("haproxy", "named", "web")
        svc = self.st["services"]
        want = {"be_servicea": svc["servicea"]["tasks"], "be_serviceb": svc["serviceb"]["tasks"],
                "be_servicec": svc["servicec"]["tasks"]}
        for be, tasks in want.items():
            expect = {"%s:%d" % (t["addr"], t["port"]) for t in tasks}
            wait_for(lambda: {r["addr"] for r in self.server_rows(be).values()
                              if r["status"] == "UP" and r["check_status"] == "L7OK"} == expect,
                     "%s UP/L7OK servers == %s" % (be, sorted(expect)), timeout=8)

    def test_failing_backend_goes_down_and_recovers(self):
        self.require("haproxy", "web")
        u = self.st["services"]["user"]["tasks"][0]
        target = "%s:%d" % (u["addr"], u["port"])
        status = lambda: self.server_rows("be_user")["user1"]["status"]
        wait_for(lambda: status() == "UP", "be_user/user1 UP before the test")
        cli("backend", "--dir", self.dir, "fail", target)
        try:
            self.assertEqual(http_get(u["addr"], u["port"], "/health")[0], 503)
            t0 = time.monotonic()
            wait_for(lambda: status() == "DOWN", "be_user/user1 DOWN (fall 2, inter 1s)", timeout=6)
            self.assertLess(time.monotonic() - t0, 6)
            self.assertEqual(self.server_rows("be_user")["user1"]["check_status"], "L7STS")
        finally:
            cli("backend", "--dir", self.dir, "recover", target)
        wait_for(lambda: status() == "UP", "be_user/user1 UP again (rise 2)", timeout=6)

    def test_backend_error_mode(self):
        self.require("web")
        t = self.st["services"]["order"]["tasks"][0]
        target = "%s:%d" % (t["addr"], t["port"])
        cli("backend", "--dir", self.dir, "error", target)
        try:
            self.assertEqual(http_get(t["addr"], t["port"], "/x")[0], 500)
            self.assertEqual(http_get(t["addr"], t["port"], "/health")[0], 200)
        finally:
            cli("backend", "--dir", self.dir, "ok", target)
        self.assertEqual(http_get(t["addr"], t["port"], "/x"), (200, "%s /x\n" % target))
        rc, out = cli("backend", "--dir", self.dir, "fail", "127.0.0.1:1", check=False)
        self.assertEqual(rc, 1)
        self.assertIn("not a backend of this run", out)

    def test_backend_error_share_slow_and_headers(self):
        """The traffic view's knobs: a share of 500s evenly spread, a sleep, and per-request headers."""
        self.require("web")
        t = self.st["services"]["order"]["tasks"][0]
        target = "%s:%d" % (t["addr"], t["port"])
        cli("backend", "--dir", self.dir, "error", target, "--share", "0.25")
        try:
            codes = [http_get(t["addr"], t["port"], "/x/%d" % i)[0] for i in range(40)]
        finally:
            cli("backend", "--dir", self.dir, "ok", target)
        # Other clients (HAProxy's checks go to /health; the demo generator to /api/order/) may
        # take some of the 500s in between; never two in a row among ours at 25 %.
        self.assertLessEqual(abs(codes.count(500) - 10), 3, codes)
        self.assertNotIn([500, 500], [codes[i:i + 2] for i in range(len(codes) - 1)])
        cli("backend", "--dir", self.dir, "slow", target, "--ms", "300")
        try:
            t0 = time.monotonic()
            self.assertEqual(http_get(t["addr"], t["port"], "/slow")[0], 200)
            self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        finally:
            cli("backend", "--dir", self.dir, "fast", target)
        c = http.client.HTTPConnection(t["addr"], t["port"], timeout=3)
        try:
            t0 = time.monotonic()
            c.request("GET", "/h", headers={"X-Hopscope-Fail": "503", "X-Hopscope-Sleep-Ms": "200"})
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 503)
            self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        finally:
            c.close()
        self.assertEqual(http_get(t["addr"], t["port"], "/x"), (200, "%s /x\n" % target))

    def test_haproxy_routes_and_http_stats(self):
        self.require("haproxy", "web")
        fe = self.st["haproxy"]["frontend"]
        users = {"%s:%d" % (t["addr"], t["port"]) for t in self.st["services"]["user"]["tasks"]}
        wait_for(lambda: all(r["status"] == "UP" for r in self.server_rows("be_user").values()), "be_user all UP")
        seen = {http_get(fe["addr"], fe["port"], "/api/user/%d" % i)[1].split()[0] for i in range(4)}
        self.assertEqual(seen, users)
        code, body = http_get(self.st["haproxy"]["stats"]["addr"], self.st["haproxy"]["stats"]["port"], "/stats;csv")
        self.assertEqual(code, 200)
        self.assertTrue(body.startswith("# pxname,svname,"), body[:80])
        code, body = http_get(self.st["haproxy"]["stats"]["addr"], self.st["haproxy"]["stats"]["port"], "/metrics")
        self.assertEqual(code, 200)
        self.assertIn('haproxy_server_status{proxy="be_user",server="user1",state="UP"}', body)

    def test_haproxy_kill_and_start(self):
        self.require("haproxy")
        old = self.st["servers"]["haproxy"]
        cli("kill", "--dir", self.dir, "haproxy")
        self.assertFalse(hp.is_ours_and_alive(old["pid"], old["start_time"]), "haproxy still alive after kill")
        with self.assertRaises(OSError):
            hp.haproxy_cli(self.hap_targets()["tcp"], "show info", timeout=0.5)
        self.assertEqual(hp.load_state(self.dir)["servers"]["haproxy"]["state"], "stopped")
        cli("start", "--dir", self.dir, "haproxy")
        new = hp.load_state(self.dir)["servers"]["haproxy"]
        self.assertEqual(new["state"], "running")
        self.assertNotEqual(new["pid"], old["pid"])
        for kind, target in self.hap_targets().items():  # same ports, same socket path
            self.assertEqual(hp._field(hp.haproxy_cli(target, "show info"), "Pid"), str(new["pid"]), kind)

    # --- Envoy emulator and traffic ------------------------------------------------------------
    def test_sidecars_ready_and_mesh_traffic_counts(self):
        self.require(*hp.SIDECARS)
        for sid, e in self.st["envoy"].items():
            self.assertEqual(http_get(e["admin"]["addr"], e["admin"]["port"], "/ready"), (200, "LIVE\n"), sid)
            info = json.loads(http_get(e["admin"]["addr"], e["admin"]["port"], "/server_info")[1])
            self.assertEqual(info["node"]["id"], sid)
        o = self.st["envoy"]["order-1-envoy"]
        cluster = o["upstream_cluster"]

        def rq_total():
            body = http_get(o["admin"]["addr"], o["admin"]["port"], "/stats?format=json")[1]
            return {s["name"]: s["value"] for s in json.loads(body)["stats"] if "name" in s}[
                "cluster.%s.upstream_rq_total" % cluster]
        before = rq_total()
        eg = o["listeners"]["egress_payments"]
        payments = {"%s:%d" % (t["addr"], t["port"]) for t in self.st["services"]["payments"]["tasks"]}
        seen = set()
        for i in range(4):
            code, body = http_get(eg["addr"], eg["port"], "/charge/%d" % i)
            self.assertEqual(code, 200, body)
            seen.add(body.split()[0])
        self.assertEqual(seen, payments)
        self.assertGreaterEqual(rq_total(), before + 4)

    def test_traffic_generator_running(self):
        self.require("traffic")
        with open(self.st["traffic"]["log"]) as f:
            self.assertIn("traffic: started", f.read())


class LifecycleTest(unittest.TestCase):
    """Always on a private small cluster: these tests stop things."""

    @classmethod
    def setUpClass(cls):
        cls.dir, _ = start_own_cluster("hopscope-peers-life-", "--only", "named,haproxy,web")

    @classmethod
    def tearDownClass(cls):
        stop_own_cluster(cls.dir)

    def test_1_foreign_named_on_our_port_is_detected(self):
        st = hp.load_state(self.dir)
        d = os.path.join(self.dir, "foreign")
        os.makedirs(d)
        with open(os.path.join(d, "named.conf"), "w") as f:
            f.write('options { directory "%s"; pid-file "%s/named.pid"; session-keyfile "%s/s.key";\n'
                    '  listen-on port %d { %s; }; listen-on-v6 { none; }; recursion no; };\n'
                    'controls { };\n' % (d, d, d, st["dns"]["port"], st["dns"]["addr"]))
        log = open(os.path.join(d, "named.log"), "wb")
        p = subprocess.Popen(["named", "-g", "-c", os.path.join(d, "named.conf")], stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            def foreign_bound():
                return hp.udp_socket_owners(st["dns"]["addr"], st["dns"]["port"]) - \
                    hp.pid_socket_inodes(st["servers"]["named"]["pid"])
            wait_for(foreign_bound, "the foreign named to bind our port", timeout=5, interval=0.05)
            with self.assertRaises(hp.PeerError) as cm:
                hp.verify_named_ownership(st, st["servers"]["named"]["pid"])
            self.assertIn("ownership check failed", str(cm.exception))
        finally:
            p.terminate()
            p.wait(5)
            log.close()
        hp.verify_named_ownership(st, st["servers"]["named"]["pid"])

    def test_2_down_leaves_no_process_behind(self):
        st = hp.load_state(self.dir)
        pids = {n: (i["pid"], i["start_time"]) for n, i in st["servers"].items()}
        self.assertEqual(set(pids), {"named", "haproxy", "web"})
        for n, (pid, t) in pids.items():
            self.assertTrue(hp.is_ours_and_alive(pid, t), "%s not running before down" % n)
        t0 = time.monotonic()
        cli("down", "--dir", self.dir)
        self.assertLess(time.monotonic() - t0, 5)
        for n, (pid, t) in pids.items():
            self.assertFalse(hp.is_ours_and_alive(pid, t), "%s (pid %d) survived down" % (n, pid))
        # nothing of this run listens any more
        with self.assertRaises(OSError):
            socket.create_connection((st["haproxy"]["cli"]["addr"], st["haproxy"]["cli"]["port"]), timeout=0.5)
        self.assertEqual(cli("down", "--dir", self.dir)[0], 0)  # idempotent
        self.assertTrue(os.path.exists(st["haproxy"]["log"]), "down must keep the logs")
        rc, out = cli("status", "--dir", self.dir, check=False)
        self.assertEqual(rc, 0, out)
        self.assertNotIn(" running", out.replace("not running", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
