#!/usr/bin/env python3
"""Fast checks of the scale fixture (scale_peer.py, scale_envoy.py) without starting the fleet:
the generated HAProxy config and BIND zone pass the real tools' checks (haproxy -c,
named-checkconf -z), the profiles hold what the benchmark counts on, and scale_envoy.py serves
emulated sidecars from one thread. Runs in a few seconds (CTest: scale_peer_selftest)."""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hopscope_peers as hp  # noqa: E402
import scale_peer as sp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class GeneratedFleet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.st = sp.plan(cls.tmp.name, 50000)
        sp.write_haproxy(cls.st)
        sp.write_bind(cls.st)
        sp.write_envoy(cls.st)
        sp.write_prometheus(cls.st)
        sp.write_profiles(cls.st)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_haproxy_config_is_valid_with_10000_servers(self):
        r = subprocess.run(["haproxy", "-c", "-f", self.st["haproxy"]["cfg"]], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(self.st["haproxy"]["cfg"]) as f:
            text = f.read()
        self.assertEqual(text.count("\nbackend be_"), sp.BACKENDS)
        servers = [l.split()[1:3] for l in text.splitlines() if l.startswith("    server ")]
        self.assertEqual(len(servers), sp.BACKENDS * sp.SERVERS)
        # Named by address:port (what lets a server read through Prometheus meet its DNS target):
        # the address in the name is the one in the zone, the port the profile's.
        with open(self.st["dns"]["zone_file"]) as f:
            zone = {l.split()[-1] for l in f if " IN A " in l}
        for name, addr in servers:
            host, port = name.split(":")
            self.assertIn(host, zone, name)
            self.assertEqual(int(port), self.st["port"], name)
            self.assertEqual(addr.split(":")[0], host, name)
        self.assertEqual(text.count(" disabled\n"), sp.BACKENDS)

    def test_zone_loads_with_2000_names(self):
        r = subprocess.run(["named-checkconf", "-z", self.st["dns"]["conf"]], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(self.st["dns"]["zone_file"]) as f:
            names = {line.split()[0] for line in f if line.startswith("svc")}
        self.assertEqual(len(names), sp.SERVICES)

    def test_profiles(self):
        with open(self.st["profiles"]["direct"]) as f:
            direct = json.load(f)
        with open(self.st["profiles"]["prometheus"]) as f:
            prom = json.load(f)
        with open(self.st["profiles"]["prometheus50k"]) as f:
            big = json.load(f)
        self.assertEqual(len(direct["services"]), sp.SERVICES)
        self.assertEqual(len(direct["proxies"]), sp.SIDECARS)
        self.assertEqual(len(direct["loadBalancers"][0]["routes"]), sp.BACKENDS)
        self.assertEqual(len(direct["edges"]), sp.EDGES)
        ids = {s["id"] for s in direct["services"]}
        fronted = {r["service"] for r in direct["loadBalancers"][0]["routes"]}
        for e in direct["edges"]:
            self.assertIn(e["from"], ids)
            self.assertIn(e["to"], ids)
            if e["via"] != "dns":
                self.assertIn(e["to"], fronted)
        self.assertTrue(direct["loadBalancers"][0]["runtime"].startswith("unix:"))
        self.assertEqual(prom["loadBalancers"][0]["source"], "prometheus")
        self.assertTrue(all(p["source"] == "prometheus" and p["prometheusSelector"].startswith('instance="127.0.0.1:')
                            for p in prom["proxies"]))
        self.assertEqual(len(big["loadBalancers"][0]["routes"]), sp.BIG_BACKENDS)
        # Every sidecar has its own admin port; the Prometheus config scrapes each of them.
        ports = self.st["envoy"]["ports"]
        self.assertEqual(len(set(ports)), sp.SIDECARS)
        with open(self.st["prometheus"]["cfg"]) as f:
            cfg = f.read()
        self.assertEqual(cfg.count("'127.0.0.1:"), sp.SIDECARS + 2)  # + HAProxy + exporter


class ScaleEnvoy(unittest.TestCase):
    def test_serves_many_sidecars_from_one_thread(self):
        with tempfile.TemporaryDirectory() as d:
            pp = hp.PortPicker()
            ports = [pp.get("127.0.0.1") for _ in range(20)]
            cfg = os.path.join(d, "sidecars.json")
            hp.write_json(cfg, {"sidecars": [
                {"id": "sc%d" % i, "admin": {"address": "127.0.0.1", "port": p},
                 "clusters": [{"name": "local_app", "hosts": [{"address": "127.9.0.%d" % (i + 1), "port": 8080}]}]}
                for i, p in enumerate(ports)]})
            proc = subprocess.Popen([sys.executable, os.path.join(HERE, "scale_envoy.py"), "--config", cfg],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                seen = []
                deadline = time.monotonic() + 20
                while len(seen) < 20 and time.monotonic() < deadline:
                    line = proc.stdout.readline()
                    if line.startswith("admin "):
                        seen.append(line.split()[2])
                self.assertEqual(len(seen), 20)
                threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
                for i, p in enumerate(ports):
                    code, body = hp.http_get("127.0.0.1", p, "/clusters?format=json", timeout=5)
                    self.assertEqual(code, 200)
                    host = json.loads(body)["cluster_statuses"][0]["host_statuses"][0]
                    self.assertEqual(host["address"]["socket_address"]["address"], "127.9.0.%d" % (i + 1))
                # Keep-alive: several requests on one connection, as QNetworkAccessManager does.
                conn = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=5)
                for path in ("/ready", "/server_info", "/stats/prometheus"):
                    conn.request("GET", path)
                    r = conn.getresponse()
                    r.read()
                    self.assertEqual(r.status, 200, path)
                conn.close()
                # Idle, it runs one thread (not one per sidecar, each waking every 0.1 s) once the
                # connection threads of the requests above have ended.
                def threads():
                    with open("/proc/%d/status" % proc.pid) as f:
                        return int([l for l in f if l.startswith("Threads:")][0].split()[1])
                deadline = time.monotonic() + 10
                while threads() > 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertLessEqual(threads(), 2)
            finally:
                proc.terminate()
                proc.wait(10)
                proc.stdout.close()
            self.assertEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main()
