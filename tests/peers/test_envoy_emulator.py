#!/usr/bin/env python3
"""Unit tests for envoy_emulator.py against real Python HTTP backends (web.py) on loopback.

Run: python3 -m unittest -v tests/peers/test_envoy_emulator.py
Every wait polls with a bounded deadline; nothing sleeps for a fixed time to "let things settle".
"""
import http.client
import json
import re
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
HC_INTERVAL_MS = 200


def free_port(addr):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def req(addr, port, path, method="GET", timeout=2.0):
    c = http.client.HTTPConnection(addr, port, timeout=timeout)
    try:
        c.request(method, path, headers={"Content-Length": "0"} if method == "POST" else {})
        r = c.getresponse()
        return r.status, r.read().decode(), dict((k.lower(), v) for k, v in r.getheaders())
    finally:
        c.close()


def wait_for(fn, what, timeout=6.0, interval=0.05):
    """Poll fn() until it returns a truthy value; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1f s waiting for %s (last: %r)" % (timeout, what, last))


class Proc:
    def __init__(self, argv, log):
        self.log = log
        self.f = open(log, "wb")
        self.p = subprocess.Popen(argv, stdout=self.f, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(3)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.f.close()

    def read_log(self):
        with open(self.log) as f:
            return f.read()


class EmulatorFixture:
    """web.py backends + one emulator process, all on a random 127.x.y.0/24."""

    def __init__(self, tmp, stat_values_flag=None, name="emu"):
        self.tmp = tmp
        net = "127.%d.%d" % (random.randint(2, 250), random.randint(0, 255))
        self.net = net
        self.a1, self.a2, self.a3, self.envoy = net + ".11", net + ".12", net + ".13", net + ".1"
        self.p1, self.p2, self.p3 = free_port(self.a1), free_port(self.a2), free_port(self.a3)
        self.dead = (net + ".14", free_port(net + ".14"))  # nothing ever listens here
        self.admin = free_port(self.envoy)
        self.egress = free_port(self.envoy)
        self.ingress = free_port(self.envoy)
        self.ctl = os.path.join(tmp, name + "-web")
        os.makedirs(self.ctl, exist_ok=True)
        hc = {"path": "/health", "interval_ms": HC_INTERVAL_MS, "timeout_ms": 300,
              "unhealthy_threshold": 2, "healthy_threshold": 2}
        cfg = {"id": name + "-sidecar", "node": {"id": name + "-sidecar", "cluster": "svc"},
               "admin": {"address": self.envoy, "port": self.admin}, "stat_values": "number",
               "listeners": [
                   {"name": "egress", "address": self.envoy, "port": self.egress, "direction": "OUTBOUND",
                    "cluster": "up", "stat_prefix": "egress_http"},
                   {"name": "ingress", "address": self.envoy, "port": self.ingress, "direction": "INBOUND",
                    "cluster": "up", "stat_prefix": "ingress_http", "health_check_path": "/health"}],
               "clusters": [
                   {"name": "up", "hosts": [{"address": self.a1, "port": self.p1},
                                            {"address": self.a2, "port": self.p2}],
                    "health_check": hc,
                    "outlier_detection": {"consecutive_5xx": 3, "interval_ms": 200, "base_ejection_time_ms": 1500,
                                          "max_ejection_percent": 50, "success_rate_request_volume": 1000}},
                   {"name": "killable", "hosts": [{"address": self.a3, "port": self.p3}], "health_check": hc},
                   {"name": "dead", "hosts": [{"address": self.dead[0], "port": self.dead[1]}], "health_check": hc}]}
        self.cfg_path = os.path.join(tmp, name + ".json")
        with open(self.cfg_path, "w") as f:
            json.dump(cfg, f)
        self.web = Proc([PY, os.path.join(HERE, "web.py"), "--dir", self.ctl,
                         "%s:%d" % (self.a1, self.p1), "%s:%d" % (self.a2, self.p2)], os.path.join(tmp, name + "-web.log"))
        self.emu = None
        self.web3 = Proc([PY, os.path.join(HERE, "web.py"), "--dir", self.ctl, "%s:%d" % (self.a3, self.p3)],
                         os.path.join(tmp, name + "-web3.log"))
        try:
            wait_for(lambda: self._can_connect(self.a1, self.p1) and self._can_connect(self.a3, self.p3), "web backends")
        except BaseException:
            self.close()
            raise
        argv = [PY, os.path.join(HERE, "envoy_emulator.py"), "--config", self.cfg_path]
        if stat_values_flag:
            argv += ["--stat-values", stat_values_flag]
        self.emu = None
        try:
            self.emu = Proc(argv, os.path.join(tmp, name + ".log"))
            wait_for(self._ready, "emulator /ready == 200")
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _can_connect(a, p):
        try:
            socket.create_connection((a, p), timeout=0.2).close()
            return True
        except OSError:
            return False

    def _ready(self):
        if self.emu.p.poll() is not None:
            raise AssertionError("emulator exited (%s):\n%s" % (self.emu.p.returncode, self.emu.read_log()))
        try:
            return self.adm("/ready")[0] == 200
        except OSError:
            return False

    def adm(self, path, method="GET"):
        return req(self.envoy, self.admin, path, method)

    def clusters_json(self):
        return {c["name"]: c for c in json.loads(self.adm("/clusters?format=json")[1])["cluster_statuses"]}

    def host_json(self, cluster, addr, port):
        for h in self.clusters_json()[cluster]["host_statuses"]:
            sa = h["address"]["socket_address"]
            if sa["address"] == addr and sa["port_value"] == port:
                return h
        raise AssertionError("host %s:%d not in cluster %s" % (addr, port, cluster))

    def flags_text(self, cluster, addr, port):
        key = "%s::%s:%d::health_flags::" % (cluster, addr, port)
        for line in self.adm("/clusters")[1].splitlines():
            if line.startswith(key):
                return line[len(key):]
        raise AssertionError("no %s line" % key)

    def stat(self, name):
        body = self.adm("/stats?format=json&filter=" + "%5E" + name.replace(".", "%5C.") + "%24")[1]
        vals = [s["value"] for s in json.loads(body)["stats"] if "name" in s and s["name"] == name]
        if not vals:
            raise AssertionError("stat %s not found" % name)
        return vals[0]

    def close(self):
        for p in (self.emu, self.web, self.web3):
            if p is not None:
                p.stop()


class EnvoyEmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hopscope-emu-")
        cls.fx = EmulatorFixture(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.fx.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        for f in os.listdir(self.fx.ctl):
            os.unlink(os.path.join(self.fx.ctl, f))
        self.fx.adm("/healthcheck/ok", "POST")

    def ctl_file(self, kind, addr, port):
        return os.path.join(self.fx.ctl, "%s-%s-%d" % (kind, addr, port))

    # --- server state --------------------------------------------------------------------
    def test_ready_and_server_info(self):
        code, body, hdrs = self.fx.adm("/ready")
        self.assertEqual((code, body), (200, "LIVE\n"))
        self.assertTrue(hdrs["content-type"].startswith("text/plain"))
        info = json.loads(self.fx.adm("/server_info")[1])
        self.assertEqual(info["state"], "LIVE")
        self.assertEqual(info["node"]["id"], "emu-sidecar")
        self.assertEqual(len(info["version"].split("/")), 5)
        self.assertRegex(info["uptime_current_epoch"], r"^\d+s$")
        self.assertEqual(info["command_line_options"]["base_id"], "0")  # uint64 as a string, like Envoy

    def test_get_on_mutating_endpoint_is_405_and_has_no_effect(self):
        for path in ("/healthcheck/fail", "/drain_listeners?graceful", "/quitquitquit", "/reset_counters"):
            code, body, _ = self.fx.adm(path)
            self.assertEqual(code, 405, path)
            self.assertEqual(body, "Method GET not allowed, POST required.")
        self.assertEqual(self.fx.adm("/ready")[:2], (200, "LIVE\n"))

    def test_unknown_path_is_404_with_help(self):
        code, body, _ = self.fx.adm("/nope")
        self.assertEqual(code, 404)
        self.assertTrue(body.startswith("invalid path. admin commands are:\n"), body[:80])
        self.assertIn("  /clusters: upstream cluster status\n", body)

    def test_healthcheck_fail_and_ok(self):
        fx = self.fx
        self.assertEqual(fx.adm("/healthcheck/fail", "POST")[:2], (200, "OK\n"))
        self.assertEqual(fx.adm("/ready")[:2], (503, "DRAINING\n"))
        self.assertEqual(json.loads(fx.adm("/server_info")[1])["state"], "DRAINING")
        self.assertEqual((fx.stat("server.state"), fx.stat("server.live")), (1, 0))
        # health_check filter on the ingress listener: HC path 503, other responses carry the header
        code, _, hdrs = req(fx.envoy, fx.ingress, "/health")
        self.assertEqual(code, 503)
        code, _, hdrs = req(fx.envoy, fx.ingress, "/x")
        self.assertEqual(code, 200)
        self.assertEqual(hdrs.get("x-envoy-immediate-health-check-fail"), "true")
        self.assertEqual(fx.adm("/healthcheck/ok", "POST")[:2], (200, "OK\n"))
        self.assertEqual(fx.adm("/ready")[:2], (200, "LIVE\n"))
        self.assertEqual(req(fx.envoy, fx.ingress, "/health")[0], 200)

    # --- active health checks ---------------------------------------------------------------
    def test_failing_health_endpoint_sets_failed_active_hc_then_recovers(self):
        fx = self.fx
        self.assertEqual(fx.flags_text("up", fx.a1, fx.p1), "healthy")
        open(self.ctl_file("down", fx.a1, fx.p1), "w").close()
        wait_for(lambda: fx.flags_text("up", fx.a1, fx.p1) == "/failed_active_hc", "a1 /failed_active_hc", timeout=3)
        h = fx.host_json("up", fx.a1, fx.p1)
        self.assertEqual(h["health_status"], {"failed_active_health_check": True, "eds_health_status": "HEALTHY"})
        self.assertEqual(fx.stat("cluster.up.membership_healthy"), 1)
        # traffic avoids the failed host
        for i in range(6):
            code, body, _ = req(fx.envoy, fx.egress, "/r%d" % i)
            self.assertEqual(code, 200)
            self.assertTrue(body.startswith("%s:%d " % (fx.a2, fx.p2)), body)
        os.unlink(self.ctl_file("down", fx.a1, fx.p1))
        wait_for(lambda: fx.flags_text("up", fx.a1, fx.p1) == "healthy", "a1 healthy again", timeout=3)
        self.assertNotIn("failed_active_health_check", fx.host_json("up", fx.a1, fx.p1)["health_status"])

    def test_killed_backend_fails_after_unhealthy_threshold(self):
        fx = self.fx
        wait_for(lambda: fx.flags_text("killable", fx.a3, fx.p3) == "healthy", "killable healthy")
        fx.web3.stop()
        t0 = time.monotonic()
        wait_for(lambda: fx.flags_text("killable", fx.a3, fx.p3) == "/failed_active_hc", "killable failed", timeout=3)
        # connect errors need unhealthy_threshold (2) failures: at least one interval passes
        self.assertGreaterEqual(time.monotonic() - t0, HC_INTERVAL_MS / 1000.0 * 0.5)
        fx.web3 = Proc([PY, os.path.join(HERE, "web.py"), "--dir", fx.ctl, "%s:%d" % (fx.a3, fx.p3)],
                       os.path.join(self.tmp, "web3b.log"))
        wait_for(lambda: fx.flags_text("killable", fx.a3, fx.p3) == "healthy", "killable healthy again", timeout=4)

    def test_never_reachable_host_is_failed_not_pending(self):
        fx = self.fx
        self.assertEqual(fx.flags_text("dead", *fx.dead), "/failed_active_hc")
        h = fx.host_json("dead", *fx.dead)
        self.assertTrue(h["health_status"]["failed_active_health_check"])
        self.assertNotIn("pending_active_hc", h["health_status"])

    # --- outlier detection and counters -----------------------------------------------------
    def test_consecutive_5xx_ejects_host(self):
        fx = self.fx
        before = fx.stat("cluster.up.outlier_detection.ejections_enforced_total")
        open(self.ctl_file("error", fx.a1, fx.p1), "w").close()
        codes = []

        def hit():
            codes.append(req(fx.envoy, fx.egress, "/pay")[0])
            return "/failed_outlier_check" in fx.flags_text("up", fx.a1, fx.p1)
        wait_for(hit, "a1 ejected by outlier detection", timeout=5, interval=0.01)
        self.assertEqual(codes.count(500), 3, codes)
        self.assertTrue(fx.host_json("up", fx.a1, fx.p1)["health_status"]["failed_outlier_check"])
        self.assertEqual(fx.stat("cluster.up.outlier_detection.ejections_active"), 1)
        self.assertEqual(fx.stat("cluster.up.outlier_detection.ejections_enforced_total"), before + 1)
        for _ in range(4):  # ejected: everything goes to a2
            self.assertEqual(req(fx.envoy, fx.egress, "/pay")[0], 200)
        os.unlink(self.ctl_file("error", fx.a1, fx.p1))
        wait_for(lambda: fx.flags_text("up", fx.a1, fx.p1) == "healthy", "a1 un-ejected", timeout=5)

    def test_counters_follow_real_requests(self):
        fx = self.fx
        rq0 = fx.stat("cluster.up.upstream_rq_total")
        cx0 = fx.stat("listener.%s_%d.downstream_cx_total" % (fx.envoy, fx.egress))
        hosts0 = sum(int(s["value"]) for h in fx.clusters_json()["up"]["host_statuses"]
                     for s in h["stats"] if s["name"] == "rq_total")
        for i in range(5):
            self.assertEqual(req(fx.envoy, fx.egress, "/c%d" % i)[0], 200)
        self.assertEqual(fx.stat("cluster.up.upstream_rq_total"), rq0 + 5)
        self.assertEqual(fx.stat("cluster.up.upstream_rq_active"), 0)
        self.assertEqual(fx.stat("listener.%s_%d.downstream_cx_total" % (fx.envoy, fx.egress)), cx0 + 5)
        hosts1 = sum(int(s["value"]) for h in fx.clusters_json()["up"]["host_statuses"]
                     for s in h["stats"] if s["name"] == "rq_total")
        self.assertEqual(hosts1, hosts0 + 5)
        self.assertGreaterEqual(fx.stat("http.egress_http.downstream_rq_2xx"), 5)

    # --- formats ------------------------------------------------------------------------
    def test_stats_text_filter_and_json(self):
        fx = self.fx
        body = fx.adm("/stats?filter=%5Ecluster%5C.up%5C.upstream_rq_total%24")[1]
        self.assertRegex(body, r"^cluster\.up\.upstream_rq_total: \d+\n$")
        js = json.loads(fx.adm("/stats?format=json")[1])
        plain = [s for s in js["stats"] if "name" in s]
        self.assertTrue(all(isinstance(s["value"], int) for s in plain))
        names = {s["name"] for s in plain}
        for n in ("cluster.up.upstream_cx_active", "cluster.up.upstream_rq_active", "cluster.up.upstream_rq_total",
                  "listener.%s_%d.downstream_cx_active" % (fx.envoy, fx.egress),
                  "http.egress_http.downstream_cx_active", "http.egress_http.downstream_rq_active",
                  "server.state", "server.live", "listener_manager.total_listeners_draining"):
            self.assertIn(n, names)
        hist = [s["histograms"] for s in js["stats"] if "histograms" in s]
        self.assertEqual(len(hist), 1)
        self.assertEqual(hist[0]["supported_quantiles"][0], 0)
        for q in hist[0]["computed_quantiles"]:
            self.assertEqual(len(q["values"]), len(hist[0]["supported_quantiles"]))
        self.assertEqual(fx.adm("/stats?filter=(")[0], 400)

    def test_clusters_text_format(self):
        fx = self.fx
        lines = fx.adm("/clusters")[1].splitlines()
        self.assertIn("up::added_via_api::false", lines)
        self.assertIn("up::outlier::success_rate_average::-1", lines)
        host = "up::%s:%d::" % (fx.a1, fx.p1)
        keys = [l[len(host):].split("::")[0] for l in lines if l.startswith(host)]
        self.assertEqual(keys, ["cx_active", "cx_connect_fail", "cx_total", "rq_active", "rq_error", "rq_success",
                                "rq_timeout", "rq_total", "hostname", "health_flags", "weight", "region", "zone",
                                "sub_zone", "canary", "priority", "success_rate", "local_origin_success_rate"])

    def test_clusters_json_number_mode(self):
        h = self.fx.host_json("up", self.fx.a2, self.fx.p2)
        self.assertTrue(all(isinstance(s["value"], int) for s in h["stats"]))
        self.assertEqual([s.get("type") for s in h["stats"]][-2:], ["GAUGE", "GAUGE"])
        self.assertNotIn("type", h["stats"][0])  # COUNTER is the default and omitted

    def test_prometheus(self):
        body = self.fx.adm("/stats/prometheus")[1]
        self.assertIn('envoy_cluster_upstream_rq_total{envoy_cluster_name="up"} ', body)
        self.assertIn("# TYPE envoy_cluster_membership_healthy gauge", body)
        self.assertIn('envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="up",le="+Inf"}', body)

    def test_prometheus_layout_as_envoy(self):
        """Envoy's PrometheusStatsFormatter: counters, then gauges, then histograms; a blank line
        after each family; `{}` on untagged series; the admin's default content type."""
        code, body, headers = self.fx.adm("/stats/prometheus")
        self.assertEqual(code, 200)
        self.assertEqual(headers["content-type"], "text/plain; charset=UTF-8")
        self.assertRegex(body, r"(?m)^envoy_server_state\{\} [0-3]$")
        self.assertNotRegex(body, r"(?m)^envoy_[a-z_]+ ")  # every series has braces
        types = re.findall(r"(?m)^# TYPE (\S+) (\S+)$", body)
        kinds = [t for _, t in types]
        self.assertEqual(kinds, sorted(kinds, key=["counter", "gauge", "histogram"].index))
        for typ in ("counter", "gauge", "histogram"):
            names = [n for n, t in types if t == typ]
            self.assertEqual(names, sorted(names), typ)
        self.assertEqual(len(types), len(set(n for n, _ in types)))  # one TYPE line a family
        # Each family ends with a blank line, so one precedes every TYPE line but the first.
        self.assertEqual(body.count("\n\n# TYPE "), len(types) - 1)
        self.assertTrue(body.endswith("\n\n"))
        self.assertRegex(body, r'(?m)^envoy_http_downstream_rq_xx\{envoy_http_conn_manager_prefix="admin",'
                               r'envoy_response_code_class="2"\} [1-9]')


class EnvoyEmulatorModesTest(unittest.TestCase):
    """Separate emulator processes for tests that change global state (value mode, draining)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hopscope-emu2-")
        self.fx = None

    def tearDown(self):
        if self.fx:
            self.fx.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_stat_values_string_flag(self):
        self.fx = fx = EmulatorFixture(self.tmp, stat_values_flag="string", name="strmode")
        h = fx.host_json("up", fx.a1, fx.p1)
        self.assertTrue(all(isinstance(s["value"], str) and s["value"].isdigit() for s in h["stats"]), h["stats"])
        # /stats JSON stays numeric, as in Envoy
        self.assertIsInstance(fx.stat("cluster.up.upstream_rq_total"), int)

    def test_drain_listeners_inboundonly_stops_only_inbound(self):
        self.fx = fx = EmulatorFixture(self.tmp, name="drain")
        self.assertEqual(fx.adm("/drain_listeners?skip_exit", "POST")[:2], (400, "skip_exit requires graceful\n"))
        self.assertEqual(fx.adm("/drain_listeners?inboundonly", "POST")[:2], (200, "OK\n"))

        def refused():
            try:
                req(fx.envoy, fx.ingress, "/x", timeout=0.5)
                return False
            except OSError:
                return True
        wait_for(refused, "inbound listener stopped", timeout=3)
        self.assertEqual(req(fx.envoy, fx.egress, "/x")[0], 200)
        self.assertEqual(json.loads(fx.adm("/server_info")[1])["state"], "LIVE")  # drain does not change state
        self.assertEqual(fx.adm("/drain_listeners?graceful", "POST")[:2], (200, "OK\n"))
        self.assertEqual(fx.stat("listener_manager.total_listeners_draining"), 1)
        self.assertEqual(req(fx.envoy, fx.egress, "/x")[0], 200)  # graceful: still accepting


if __name__ == "__main__":
    unittest.main(verbosity=2)
