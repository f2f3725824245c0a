#!/usr/bin/env python3
"""Envoy admin API emulator with a real (small) HTTP data plane. Python stdlib only.

No Envoy binary can be installed on the test machines, so this process stands in for one or
several Envoy sidecars. It follows the formats in docs/PROTOCOLS.md §1 and the captures in
docs/examples/ closely, because the hopscope client must parse real Envoy output as well.

What is real here:
  * Active HTTP health checks of the configured upstream hosts (interval, timeout,
    unhealthy/healthy thresholds). A non-200 answer marks a host unhealthy at once (as Envoy
    does for statuses outside expected/retriable_statuses); connect errors and timeouts need
    `unhealthy_threshold` failures in a row. Timeouts also set /active_hc_timeout.
  * Data-plane listeners proxy HTTP/1.1 requests to a cluster: round robin over usable hosts,
    panic routing to all hosts when fewer than 50 % are healthy, per host/cluster/listener
    counters, an upstream_rq_time histogram.
  * Outlier detection: N consecutive 5xx (or connect failures) from a host eject it
    (/failed_outlier_check) for base_ejection_time * times ejected; per-interval success rates.
  * The health_check filter: with `health_check_path` on a listener, /healthcheck/fail makes that
    path answer 503 and adds `x-envoy-immediate-health-check-fail: true` to other responses; a
    downstream emulated Envoy that sees the header marks the host /excluded_via_immediate_hc_fail.

Admin endpoints: GET /clusters[?format=json], /stats[?format=json|prometheus][&filter=RE]
[&usedonly][&type=...], /stats/prometheus, /server_info, /ready, /listeners[?format=json], /help;
POST /healthcheck/fail, /healthcheck/ok, /drain_listeners[?inboundonly][&graceful][&skip_exit],
/reset_counters, /quitquitquit, /logging, /runtime_modify. GET on a POST-only path gives 405
`Method GET not allowed, POST required.`; an unknown path gives 404 `invalid path. ` + help.

`--stat-values string|number` (or "stat_values" in the config) chooses how uint64 values are
rendered in /clusters?format=json: strings like older Envoy, or numbers like the newer streaming
renderer. /stats?format=json always uses numbers (as Envoy does).

Usage: envoy_emulator.py --config FILE [--stat-values string|number] [--only SIDECAR_ID ...]
The config is one sidecar object or {"sidecars": [...]}; see hopscope_peers.py for a full one
and DEFAULTS below for the optional keys. On start-up each sidecar prints
`admin <id> ADDR:PORT` and `listener <id> <name> ADDR:PORT` (port 0 in the config = ephemeral).
"""
import argparse
import http.client
import http.server
import json
import math
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

ENVOY_VERSION = "1.29.4"
ENVOY_SHA = "8b2e4a6f0c1d3e5a7b9c2d4e6f8a0b1c3d5e7f90"
HOT_RESTART_VERSION = "11.104"

HC_DEFAULTS = {"path": "/health", "interval_ms": 1000, "timeout_ms": 500,
               "unhealthy_threshold": 2, "healthy_threshold": 2}
OD_DEFAULTS = {"consecutive_5xx": 5, "interval_ms": 10000, "base_ejection_time_ms": 30000,
               "max_ejection_time_ms": 300000, "max_ejection_percent": 10,
               "success_rate_request_volume": 100, "success_rate_minimum_hosts": 5,
               "success_rate_stdev_factor": 1900, "enforcing_success_rate": 100}
CB_DEFAULT = {"max_connections": 1024, "max_pending_requests": 1024, "max_requests": 1024, "max_retries": 3}

# Emission order of health flags [src: host_utility.cc]: (text flag, JSON field)
HEALTH_FLAGS = [
    ("failed_active_hc", "failed_active_health_check"),
    ("failed_outlier_check", "failed_outlier_check"),
    ("failed_eds_health", None),
    ("degraded_active_hc", "failed_active_degraded_check"),
    ("degraded_eds_health", None),
    ("pending_dynamic_removal", "pending_dynamic_removal"),
    ("pending_active_hc", "pending_active_hc"),
    ("excluded_via_immediate_hc_fail", "excluded_via_immediate_hc_fail"),
    ("active_hc_timeout", "active_hc_timeout"),
]
UNUSABLE_FLAGS = {"failed_active_hc", "failed_outlier_check", "failed_eds_health",
                  "pending_dynamic_removal", "excluded_via_immediate_hc_fail"}

SUPPORTED_QUANTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]
PROM_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
                300000, 600000, 1800000, 3600000]
HIST_FLUSH_S = 5.0
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade", "content-length", "host"}

POST_ONLY = {"/healthcheck/fail", "/healthcheck/ok", "/drain_listeners", "/reset_counters",
             "/quitquitquit", "/logging", "/runtime_modify", "/cpuprofiler", "/heapprofiler",
             "/tap"}
HELP = [
    ("/", "Admin home page"),
    ("/clusters", "upstream cluster status"),
    ("/drain_listeners", "drain listeners"),
    ("/healthcheck/fail", "cause the server to fail health checks"),
    ("/healthcheck/ok", "cause the server to pass health checks"),
    ("/help", "print out list of admin commands"),
    ("/listeners", "print listener info"),
    ("/logging", "query/change logging levels"),
    ("/quitquitquit", "exit the server"),
    ("/ready", "print server state, return 200 if LIVE, otherwise return 503"),
    ("/reset_counters", "reset all counters to zero"),
    ("/runtime_modify", "Adds or modifies runtime values as passed in query parameters."),
    ("/server_info", "print server version/status information"),
    ("/stats", "print server stats"),
    ("/stats/prometheus", "print server stats in prometheus format"),
]


def log(msg):
    sys.stdout.write("[%s] %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), msg))
    sys.stdout.flush()


def fmt_num(v):
    """Render a double the way Envoy's fmt does ({}): 1.0 -> 1, 99.5 -> 99.5."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    if float(v).is_integer():
        return str(int(v))
    return ("%.6g" % v)


def quantile(sorted_vals, q):
    if not sorted_vals:
        return None
    if len(sorted_vals) == 1:
        return float(sorted_vals[0])
    pos = (len(sorted_vals) - 1) * q / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


class Histogram:
    """Values in ms. `interval` is the last completed flush interval (5 s), like Envoy."""

    def __init__(self):
        self.cumulative = []
        self.current = []
        self.interval = []
        self.count = 0
        self.sum = 0.0
        self.buckets = [0] * len(PROM_BUCKETS)
        self.flushed_at = time.monotonic()

    def record(self, v):
        self._maybe_flush()
        self.current.append(v)
        self.cumulative.append(v)
        if len(self.cumulative) > 20000:
            del self.cumulative[:10000]
        self.count += 1
        self.sum += v
        for i, b in enumerate(PROM_BUCKETS):
            if v <= b:
                self.buckets[i] += 1

    def _maybe_flush(self):
        now = time.monotonic()
        if now - self.flushed_at >= HIST_FLUSH_S:
            self.interval = self.current if now - self.flushed_at < 2 * HIST_FLUSH_S else []
            self.current = []
            self.flushed_at = now

    def quantiles(self):
        self._maybe_flush()
        iv, cu = sorted(self.interval), sorted(self.cumulative)
        return [(quantile(iv, q), quantile(cu, q)) for q in SUPPORTED_QUANTILES]


class Host:
    COUNTERS = ["cx_connect_fail", "cx_total", "rq_error", "rq_success", "rq_timeout", "rq_total"]
    GAUGES = ["cx_active", "rq_active"]

    def __init__(self, spec, with_hc):
        self.address = spec["address"]
        self.port = int(spec["port"])
        self.hostname = spec.get("hostname", "")
        self.weight = int(spec.get("weight", 1))
        self.priority = int(spec.get("priority", 0))
        self.locality = dict(spec.get("locality") or {})
        self.flags = {"failed_active_hc", "pending_active_hc"} if with_hc else set()
        self.stats = dict.fromkeys(self.COUNTERS + self.GAUGES, 0)
        self.hc_ok_streak = 0
        self.hc_fail_streak = 0
        self.consecutive_5xx = 0
        self.ejected_until = None
        self.ejection_count = 0
        self.iv_total = 0
        self.iv_success = 0
        self.success_rate = None

    @property
    def key(self):
        return "%s:%d" % (self.address, self.port)

    def usable(self):
        return not (self.flags & UNUSABLE_FLAGS)

    def flag_text(self):
        parts = ["/" + t for t, _ in HEALTH_FLAGS if t in self.flags]
        return "".join(parts) if parts else "healthy"


class Cluster:
    def __init__(self, sidecar, spec):
        self.sc = sidecar
        self.name = spec["name"]
        self.observability_name = spec.get("observability_name", self.name)
        self.eds_service_name = spec.get("eds_service_name", "")
        self.added_via_api = bool(spec.get("added_via_api", False))
        self.timeout_s = spec.get("timeout_ms", 15000) / 1000.0
        hc = spec.get("health_check")
        self.hc = dict(HC_DEFAULTS, **hc) if hc else None
        od = spec.get("outlier_detection")
        self.od = dict(OD_DEFAULTS, **od) if od else None
        self.hosts = [Host(h, self.hc is not None) for h in spec.get("hosts", [])]
        self.rr = 0
        self.sr_average = None
        self.sr_threshold = None
        self.hist = Histogram()
        p = "cluster.%s." % self.name
        self.prefix = p
        for n in ["upstream_cx_total", "upstream_cx_active", "upstream_cx_connect_fail",
                  "upstream_cx_destroy", "upstream_rq_total", "upstream_rq_active",
                  "upstream_rq_pending_active", "upstream_rq_pending_total", "upstream_rq_timeout",
                  "upstream_rq_completed", "lb_healthy_panic", "membership_change",
                  "upstream_cx_none_healthy"]:
            sidecar.stat_init(p + n, gauge=n.endswith("_active"))
        if self.hc:
            for n in ["attempt", "success", "failure", "network_failure", "passive_failure",
                      "verify_cluster"]:
                sidecar.stat_init(p + "health_check." + n)
        if self.od:
            for n in ["ejections_total", "ejections_enforced_total", "ejections_overflow",
                      "ejections_consecutive_5xx", "ejections_enforced_consecutive_5xx",
                      "ejections_detected_consecutive_5xx", "ejections_success_rate",
                      "ejections_enforced_success_rate"]:
                sidecar.stat_init(p + "outlier_detection." + n)

    # --- derived gauges -------------------------------------------------------------------
    def dynamic_gauges(self):
        p = self.prefix
        hosts = self.hosts
        g = {p + "membership_total": len(hosts),
             p + "membership_healthy": sum(1 for h in hosts if h.usable()),
             p + "membership_degraded": sum(1 for h in hosts if "degraded_active_hc" in h.flags),
             p + "membership_excluded": sum(1 for h in hosts if "excluded_via_immediate_hc_fail" in h.flags)}
        if self.hc:
            g[p + "health_check.healthy"] = sum(1 for h in hosts if "failed_active_hc" not in h.flags)
            g[p + "health_check.degraded"] = 0
        if self.od:
            g[p + "outlier_detection.ejections_active"] = sum(
                1 for h in hosts if "failed_outlier_check" in h.flags)
        return g

    # --- load balancing (caller holds sc.lock) --------------------------------------------
    def pick(self):
        if not self.hosts:
            return None
        usable = [h for h in self.hosts if h.usable()]
        if len(usable) * 100 < 50 * len(self.hosts):  # healthy panic threshold 50 %
            self.sc.inc(self.prefix + "lb_healthy_panic")
            usable = list(self.hosts)
        if not usable:
            return None
        self.rr = (self.rr + 1) % len(usable)
        return usable[self.rr]

    # --- active health checking ------------------------------------------------------------
    def start_health_checks(self):
        if not self.hc:
            return
        for h in self.hosts:
            threading.Thread(target=self._hc_loop, args=(h,), daemon=True,
                             name="hc-%s-%s" % (self.name, h.key)).start()

    def _hc_loop(self, host):
        interval = self.hc["interval_ms"] / 1000.0
        time.sleep(random.uniform(0, 0.05))
        while not self.sc.stopping.is_set():
            started = time.monotonic()
            kind, detail, immediate_fail_hdr = self._hc_once(host)
            self._hc_result(host, kind, detail, immediate_fail_hdr)
            self.sc.stopping.wait(max(0.0, interval - (time.monotonic() - started)))

    def _hc_once(self, host):
        timeout = self.hc["timeout_ms"] / 1000.0
        conn = http.client.HTTPConnection(host.address, host.port, timeout=timeout)
        try:
            conn.request("GET", self.hc["path"], headers={
                "Host": self.hc.get("host", self.name), "User-Agent": "Envoy/HC",
                "x-envoy-internal": "true", "Connection": "close"})
            resp = conn.getresponse()
            resp.read()
            hdr = resp.getheader("x-envoy-immediate-health-check-fail") is not None
            if resp.status == 200:
                return "ok", "200", hdr
            return "status", str(resp.status), hdr
        except socket.timeout:
            return "timeout", "timeout", False
        except OSError as e:
            return "network", type(e).__name__, False
        except http.client.HTTPException as e:
            return "network", type(e).__name__, False
        finally:
            conn.close()

    def _hc_result(self, host, kind, detail, immediate_fail_hdr):
        p = self.prefix + "health_check."
        sc = self.sc
        with sc.lock:
            sc.inc(p + "attempt")
            before = host.flag_text()
            first = "pending_active_hc" in host.flags
            host.flags.discard("pending_active_hc")
            if kind == "ok" and not immediate_fail_hdr:
                sc.inc(p + "success")
                host.flags.discard("active_hc_timeout")
                host.hc_fail_streak = 0
                host.hc_ok_streak += 1
                if "failed_active_hc" in host.flags and (first or host.hc_ok_streak >= self.hc["healthy_threshold"]):
                    host.flags.discard("failed_active_hc")
                    host.flags.discard("excluded_via_immediate_hc_fail")
            else:
                sc.inc(p + "failure")
                host.hc_ok_streak = 0
                host.hc_fail_streak += 1
                if kind in ("network", "timeout"):
                    sc.inc(p + "network_failure")
                if kind == "timeout":
                    host.flags.add("active_hc_timeout")
                else:
                    host.flags.discard("active_hc_timeout")
                # Non-expected HTTP status: unhealthy at once; network errors need the threshold.
                if kind == "status" or immediate_fail_hdr or host.hc_fail_streak >= self.hc["unhealthy_threshold"]:
                    host.flags.add("failed_active_hc")
                if immediate_fail_hdr:
                    host.flags.add("excluded_via_immediate_hc_fail")
            after = host.flag_text()
            if before != after:
                sc.inc(self.prefix + "membership_change")
        if before != after:
            log("%s: cluster %s host %s health %s -> %s (check: %s)"
                % (sc.id, self.name, host.key, before, after, detail))
        sc.check_initialized()

    # --- outlier detection -------------------------------------------------------------------
    def start_outlier_timer(self):
        if self.od:
            threading.Thread(target=self._od_loop, daemon=True, name="od-" + self.name).start()

    def _od_loop(self):
        interval = self.od["interval_ms"] / 1000.0
        while not self.sc.stopping.wait(interval):
            self._od_tick()

    def _od_tick(self):
        sc, od, now = self.sc, self.od, time.monotonic()
        msgs = []
        with sc.lock:
            for h in self.hosts:
                if h.ejected_until is not None and now >= h.ejected_until:
                    h.ejected_until = None
                    h.flags.discard("failed_outlier_check")
                    h.consecutive_5xx = 0
                    msgs.append("%s: cluster %s host %s un-ejected (outlier detection)" % (sc.id, self.name, h.key))
                elif h.ejected_until is None and h.ejection_count > 0:
                    h.ejection_count -= 1
                if h.iv_total >= od["success_rate_request_volume"]:
                    h.success_rate = 100.0 * h.iv_success / h.iv_total
                else:
                    h.success_rate = None
                h.iv_total = h.iv_success = 0
            rates = [h.success_rate for h in self.hosts if h.success_rate is not None]
            if len(rates) >= od["success_rate_minimum_hosts"]:
                mean = sum(rates) / len(rates)
                stdev = math.sqrt(sum((r - mean) ** 2 for r in rates) / len(rates))
                self.sr_average = mean
                self.sr_threshold = mean - (od["success_rate_stdev_factor"] / 1000.0) * stdev
                for h in self.hosts:
                    if h.success_rate is not None and h.success_rate < self.sr_threshold \
                            and h.ejected_until is None:
                        if self._eject(h, "success_rate", now):
                            msgs.append("%s: cluster %s host %s ejected (success rate %.1f < %.1f)"
                                        % (sc.id, self.name, h.key, h.success_rate, self.sr_threshold))
            else:
                self.sr_average = self.sr_threshold = None
        for m in msgs:
            log(m)

    def _eject(self, h, reason, now):
        """Caller holds the lock. Returns True when the host was ejected."""
        p = self.prefix + "outlier_detection."
        od = self.od
        ejected = sum(1 for x in self.hosts if x.ejected_until is not None)
        allowed = max(1, int(len(self.hosts) * od["max_ejection_percent"] / 100))
        if reason == "consecutive_5xx":
            self.sc.inc(p + "ejections_detected_consecutive_5xx")
        if ejected >= allowed:
            self.sc.inc(p + "ejections_overflow")
            return False
        h.ejection_count += 1
        dur = min(od["base_ejection_time_ms"] * h.ejection_count,
                  max(od["max_ejection_time_ms"], od["base_ejection_time_ms"]))
        h.ejected_until = now + dur / 1000.0
        h.flags.add("failed_outlier_check")
        h.consecutive_5xx = 0
        for n in ("ejections_total", "ejections_enforced_total", "ejections_" + reason,
                  "ejections_enforced_" + reason):
            self.sc.inc(p + n)
        return True

    def record_result(self, host, code, connect_fail=False):
        """Outlier bookkeeping for one proxied request. Caller holds the lock."""
        bad = connect_fail or code >= 500
        host.iv_total += 1
        if not bad:
            host.iv_success += 1
        if not self.od:
            return None
        if bad:
            host.consecutive_5xx += 1
            if host.consecutive_5xx >= self.od["consecutive_5xx"] and host.ejected_until is None:
                n = host.consecutive_5xx
                if self._eject(host, "consecutive_5xx", time.monotonic()):
                    return "%s: cluster %s host %s ejected (%d consecutive 5xx)" % (
                        self.sc.id, self.name, host.key, n)
        else:
            host.consecutive_5xx = 0
        return None


class Listener:
    def __init__(self, sidecar, spec):
        self.sc = sidecar
        self.name = spec["name"]
        self.address = spec["address"]
        self.port = int(spec.get("port", 0))
        self.direction = spec.get("direction", "OUTBOUND").upper()
        self.cluster_name = spec["cluster"]
        self.stat_prefix = spec.get("stat_prefix", ("ingress_http" if self.direction == "INBOUND" else "egress_http"))
        self.hc_path = spec.get("health_check_path")
        self.server = None
        self.draining = False
        self.stopped = False

    @property
    def stat_addr(self):
        return "%s_%d" % (self.address, self.port)


class Sidecar:
    def __init__(self, spec, stat_values):
        self.spec = spec
        self.id = spec["id"]
        self.node = dict(spec.get("node") or {})
        self.node.setdefault("id", self.id)
        self.node.setdefault("cluster", self.id)
        self.stat_values = stat_values or spec.get("stat_values", "number")
        if self.stat_values not in ("string", "number"):
            raise ValueError("stat_values must be 'string' or 'number'")
        self.version = spec.get("version", ENVOY_VERSION)
        self.drain_time_s = int(spec.get("drain_time_s", 600))
        self.drain_strategy = spec.get("drain_strategy", "Gradual")
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.started = time.time()
        self.hc_failed = False
        self.initialized = False
        self.init_deadline = time.monotonic() + float(spec.get("init_timeout_s", 10))
        self.drain_started = None
        self.drain_graceful_dirs = set()
        self.stats = {}
        self.gauge_names = set()
        adm = spec.get("admin") or {}
        self.admin_addr = (adm.get("address", "127.0.0.1"), int(adm.get("port", 0)))
        self.admin_server = None
        for n in ["downstream_cx_active", "downstream_cx_total"]:
            self.stat_init("listener.admin." + n, gauge=n.endswith("active"))
        for n in ["downstream_cx_active", "downstream_cx_total", "downstream_rq_active",
                  "downstream_rq_total", "downstream_rq_2xx", "downstream_rq_4xx", "downstream_rq_5xx"]:
            self.stat_init("http.admin." + n, gauge=n.endswith("active"))
        for n in ["listener_added", "listener_stopped", "listener_create_success"]:
            self.stat_init("listener_manager." + n)
        self.stat_init("server.hot_restart_epoch", gauge=True)
        self.stat_init("server.concurrency", gauge=True)
        self.stats["server.concurrency"] = 2
        self.clusters = {}
        for c in spec.get("clusters", []):
            cl = Cluster(self, c)
            self.clusters[cl.name] = cl
        self.listeners = []
        for l in spec.get("listeners", []):
            if l["cluster"] not in self.clusters:
                raise ValueError("%s: listener %s routes to unknown cluster %s" % (self.id, l["name"], l["cluster"]))
            self.listeners.append(Listener(self, l))

    # --- stats helpers ---------------------------------------------------------------------
    def stat_init(self, name, gauge=False):
        self.stats.setdefault(name, 0)
        if gauge:
            self.gauge_names.add(name)

    def inc(self, name, n=1, gauge=False):
        if gauge:
            self.gauge_names.add(name)
        self.stats[name] = self.stats.get(name, 0) + n

    def dec(self, name, n=1):
        self.stats[name] = self.stats.get(name, 0) - n

    def server_state(self):
        if not self.initialized:
            return "INITIALIZING"
        return "DRAINING" if self.hc_failed else "LIVE"

    def check_initialized(self):
        if self.initialized:
            return
        with self.lock:
            pending = any("pending_active_hc" in h.flags
                          for c in self.clusters.values() if c.hc for h in c.hosts)
            if not pending or time.monotonic() >= self.init_deadline:
                self.initialized = True
        if self.initialized:
            log("%s: initialized, server state %s" % (self.id, self.server_state()))

    def all_stats(self):
        """-> (dict name->value, set of gauge names); caller holds the lock."""
        vals = dict(self.stats)
        gauges = set(self.gauge_names)
        state_num = {"LIVE": 0, "DRAINING": 1, "PRE_INITIALIZING": 2, "INITIALIZING": 3}[self.server_state()]
        dyn = {"server.state": state_num,
               "server.live": 1 if state_num == 0 else 0,
               "server.uptime": int(time.time() - self.started),
               "server.version": int(ENVOY_SHA[:6], 16),
               "server.total_connections": sum(v for k, v in self.stats.items()
                                               if k.startswith("listener.") and k.endswith(".downstream_cx_active")
                                               and not k.startswith("listener.admin.")),
               "listener_manager.total_listeners_active": sum(1 for l in self.listeners if not l.stopped),
               "listener_manager.total_listeners_draining": sum(1 for l in self.listeners if l.draining and not l.stopped)}
        for c in self.clusters.values():
            dyn.update(c.dynamic_gauges())
        vals.update(dyn)
        gauges.update(dyn)
        return vals, gauges

    def histograms(self):
        return {c.prefix + "upstream_rq_time": c.hist for c in self.clusters.values()}

    # --- lifecycle ------------------------------------------------------------------------
    def start(self):
        self.admin_server = make_server(self.admin_addr, AdminHandler, self)
        self.admin_addr = self.admin_server.server_address[:2]
        for l in self.listeners:
            l.server = make_server((l.address, l.port), ListenerHandler, self, l)
            l.port = l.server.server_address[1]
            for n in ["downstream_cx_active", "downstream_cx_total", "downstream_cx_destroy"]:
                self.stat_init("listener.%s.%s" % (l.stat_addr, n), gauge=n.endswith("active"))
            for n in ["downstream_cx_active", "downstream_cx_total", "downstream_rq_active", "downstream_rq_total",
                      "downstream_rq_completed", "downstream_rq_2xx", "downstream_rq_4xx", "downstream_rq_5xx",
                      "rq_direct_response"]:
                self.stat_init("http.%s.%s" % (l.stat_prefix, n), gauge=n.endswith("active"))
            self.inc("listener_manager.listener_added")
            self.inc("listener_manager.listener_create_success")
        for srv in [self.admin_server] + [l.server for l in self.listeners]:
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        for c in self.clusters.values():
            c.start_health_checks()
            c.start_outlier_timer()
        print("admin %s %s:%d" % (self.id, self.admin_addr[0], self.admin_addr[1]), flush=True)
        for l in self.listeners:
            print("listener %s %s %s:%d" % (self.id, l.name, l.address, l.port), flush=True)
        self.check_initialized()
        threading.Thread(target=self._init_watchdog, daemon=True).start()

    def _init_watchdog(self):
        while not self.initialized and not self.stopping.wait(0.1):
            self.check_initialized()

    def stop_listener(self, l):
        if l.stopped:
            return
        l.stopped = True
        with self.lock:
            self.inc("listener_manager.listener_stopped")
        srv = l.server
        threading.Thread(target=lambda: (srv.shutdown(), srv.server_close()), daemon=True).start()
        log("%s: listener %s (%s:%d) stopped" % (self.id, l.name, l.address, l.port))

    def drain(self, inbound_only, graceful, skip_exit):
        targets = [l for l in self.listeners if not l.stopped and (not inbound_only or l.direction == "INBOUND")]
        if not graceful:
            for l in targets:
                self.stop_listener(l)
            return
        key = "inbound" if inbound_only else "all"
        if key in self.drain_graceful_dirs:
            return  # a repeated graceful drain covering the same direction is a no-op
        self.drain_graceful_dirs.add(key)
        for l in targets:
            l.draining = True
        if self.drain_started is None:
            self.drain_started = time.monotonic()
        log("%s: graceful drain of %d listener(s) for %ds (%s)" % (self.id, len(targets), self.drain_time_s, self.drain_strategy))

        def finish():
            if self.stopping.wait(self.drain_time_s):
                return
            if not skip_exit:
                for l in targets:
                    self.stop_listener(l)
        threading.Thread(target=finish, daemon=True).start()

    def drain_close(self, l):
        """Should this downstream connection be closed after the current response?"""
        if self.hc_failed:
            return True  # drain_type DEFAULT listeners close at once while health checks fail
        if l.draining and self.drain_started is not None:
            if self.drain_strategy.lower() == "immediate":
                return True
            elapsed = time.monotonic() - self.drain_started
            return random.random() < min(1.0, elapsed / max(1, self.drain_time_s))
        return False

    def shutdown(self):
        self.stopping.set()
        for srv in [self.admin_server] + [l.server for l in self.listeners if not l.stopped]:
            if srv:
                srv.server_close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Health checkers (HAProxy) reset the connection after reading the status line; that is normal.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(addr, handler_cls, sidecar, listener=None):
    srv = _Server(tuple(addr), handler_cls)
    srv.sidecar = sidecar
    srv.listener = listener
    return srv


class _BaseHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "envoy"

    def log_message(self, fmt, *args):
        pass

    @property
    def sc(self):
        return self.server.sidecar

    def send_body(self, code, body, ctype="text/plain; charset=UTF-8", extra=None, close=False):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("cache-control", "no-cache, max-age=0")
        self.send_header("x-content-type-options", "nosniff")
        for k, v in (extra or []):
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        if close:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class AdminHandler(_BaseHandler):
    def handle(self):
        sc = self.sc
        with sc.lock:
            sc.inc("listener.admin.downstream_cx_active", gauge=True)
            sc.inc("listener.admin.downstream_cx_total")
            sc.inc("http.admin.downstream_cx_active", gauge=True)
            sc.inc("http.admin.downstream_cx_total")
        try:
            super().handle()
        finally:
            with sc.lock:
                sc.dec("listener.admin.downstream_cx_active")
                sc.dec("http.admin.downstream_cx_active")

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def _dispatch(self, method):
        sc = self.sc
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        with sc.lock:
            sc.inc("http.admin.downstream_rq_total")
        code = 500
        try:
            code = self._route(method, path, q)
        finally:
            with sc.lock:
                sc.inc("http.admin.downstream_rq_%dxx" % (code // 100))

    def _route(self, method, path, q):
        if path in POST_ONLY and method != "POST":
            self.send_body(405, "Method %s not allowed, POST required." % method)
            return 405
        fn = {
            "/clusters": self.h_clusters, "/stats": self.h_stats, "/stats/prometheus": self.h_prom,
            "/server_info": self.h_server_info, "/ready": self.h_ready, "/listeners": self.h_listeners,
            "/healthcheck/fail": self.h_hc_fail, "/healthcheck/ok": self.h_hc_ok,
            "/drain_listeners": self.h_drain, "/reset_counters": self.h_reset,
            "/quitquitquit": self.h_quit, "/help": self.h_help, "/": self.h_help,
            "/logging": self.h_ok, "/runtime_modify": self.h_ok,
        }.get(path)
        if fn is None:
            self.send_body(404, "invalid path. " + help_text())
            return 404
        return fn(q)

    # --- handlers -------------------------------------------------------------------------
    def h_help(self, q):
        self.send_body(200, help_text())
        return 200

    def h_ok(self, q):
        self.send_body(200, "OK\n")
        return 200

    def h_ready(self, q):
        state = self.sc.server_state()
        code = 200 if state == "LIVE" else 503
        self.send_body(code, state + "\n")
        return code

    def h_hc_fail(self, q):
        sc = self.sc
        if not sc.hc_failed:
            log("%s: /healthcheck/fail: failing health checks, state DRAINING" % sc.id)
        sc.hc_failed = True
        self.send_body(200, "OK\n")
        return 200

    def h_hc_ok(self, q):
        sc = self.sc
        if sc.hc_failed:
            log("%s: /healthcheck/ok: passing health checks again" % sc.id)
        sc.hc_failed = False
        self.send_body(200, "OK\n")
        return 200

    def h_drain(self, q):
        graceful, skip_exit = "graceful" in q, "skip_exit" in q
        if skip_exit and not graceful:
            self.send_body(400, "skip_exit requires graceful\n")
            return 400
        self.sc.drain("inboundonly" in q, graceful, skip_exit)
        self.send_body(200, "OK\n")
        return 200

    def h_reset(self, q):
        sc = self.sc
        with sc.lock:
            for k in list(sc.stats):
                if k not in sc.gauge_names:
                    sc.stats[k] = 0
            for c in sc.clusters.values():
                for h in c.hosts:
                    for k in Host.COUNTERS:
                        h.stats[k] = 0
        self.send_body(200, "OK\n")
        return 200

    def h_quit(self, q):
        self.send_body(200, "OK\n")
        log("%s: /quitquitquit" % self.sc.id)
        threading.Thread(target=lambda: (time.sleep(0.05), os._exit(0)), daemon=True).start()
        return 200

    def h_server_info(self, q):
        sc = self.sc
        up = "%ds" % int(time.time() - sc.started)
        major, minor, patch = (sc.version.split(".") + ["0", "0"])[:3]
        node = {"id": sc.node["id"], "cluster": sc.node["cluster"],
                "metadata": sc.node.get("metadata", {}),
                "locality": sc.node.get("locality", {}),
                "user_agent_name": "envoy",
                "user_agent_build_version": {
                    "version": {"major_number": int(major), "minor_number": int(minor), "patch": int(patch)},
                    "metadata": {"revision.sha": ENVOY_SHA, "revision.status": "Clean",
                                 "build.type": "RELEASE", "ssl.version": "BoringSSL"}},
                "extensions": [
                    {"name": "envoy.filters.http.health_check", "category": "envoy.filters.http",
                     "type_urls": ["envoy.extensions.filters.http.health_check.v3.HealthCheck"]},
                    {"name": "envoy.filters.http.router", "category": "envoy.filters.http",
                     "type_urls": ["envoy.extensions.filters.http.router.v3.Router"]}],
                "client_features": ["envoy.lb.does_not_support_overprovisioning",
                                    "envoy.lrs.supports_send_all_clusters"]}
        info = {
            "version": "%s/%s/Clean/RELEASE/BoringSSL" % (ENVOY_SHA, sc.version),
            "state": sc.server_state(),
            "hot_restart_version": HOT_RESTART_VERSION,
            "command_line_options": {
                "base_id": "0", "use_dynamic_base_id": False, "base_id_path": "", "concurrency": 2,
                "config_path": sc.spec.get("config_path", "/etc/envoy/envoy.yaml"), "config_yaml": "",
                "allow_unknown_static_fields": False, "reject_unknown_dynamic_fields": False,
                "ignore_unknown_dynamic_fields": False, "admin_address_path": "",
                "local_address_ip_version": "v4", "log_level": "info", "component_log_level": "",
                "log_format": "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v", "log_format_escaped": False,
                "log_path": "", "service_cluster": "", "service_node": "", "service_zone": "",
                "file_flush_interval": "10s", "drain_time": "%ds" % sc.drain_time_s,
                "drain_strategy": sc.drain_strategy, "parent_shutdown_time": "900s", "mode": "Serve",
                "disable_hot_restart": False, "enable_mutex_tracing": False, "restart_epoch": 0,
                "cpuset_threads": False, "disabled_extensions": [], "bootstrap_version": 0,
                "enable_fine_grain_logging": False, "socket_path": "@envoy_domain_socket",
                "socket_mode": 384, "enable_core_dump": False},
            "uptime_current_epoch": up,
            "uptime_all_epochs": up,
            "node": node,
        }
        self.send_body(200, json.dumps(info, indent=1) + "\n", "application/json")
        return 200

    def h_listeners(self, q):
        sc = self.sc
        live = [l for l in sc.listeners if not l.stopped]
        if q.get("format", [""])[0] == "json":
            body = {"listener_statuses": [
                {"name": l.name, "local_address": {"socket_address": {"address": l.address, "port_value": l.port}}}
                for l in live]}
            self.send_body(200, json.dumps(body, indent=1) + "\n", "application/json")
        else:
            self.send_body(200, "".join("%s::%s:%d\n" % (l.name, l.address, l.port) for l in live))
        return 200

    def _u64(self, v):
        return str(v) if self.sc.stat_values == "string" else v

    def h_clusters(self, q):
        sc = self.sc
        with sc.lock:
            if q.get("format", [""])[0] == "json":
                body = json.dumps(self._clusters_json(), indent=1) + "\n"
                ctype = "application/json"
            else:
                body, ctype = self._clusters_text(), "text/plain; charset=UTF-8"
        self.send_body(200, body, ctype)
        return 200

    def _clusters_json(self):
        out = []
        for c in self.sc.clusters.values():
            cs = {"name": c.name, "observability_name": c.observability_name}
            if c.eds_service_name:
                cs["eds_service_name"] = c.eds_service_name
            if c.added_via_api:
                cs["added_via_api"] = True
            if c.sr_threshold is not None:
                cs["success_rate_ejection_threshold"] = {"value": round(c.sr_threshold, 6)}
            cs["circuit_breakers"] = {"thresholds": [dict(CB_DEFAULT), dict(priority="HIGH", **CB_DEFAULT)]}
            hs_list = []
            for h in c.hosts:
                stats = [{"name": n, "value": self._u64(h.stats[n])} for n in Host.COUNTERS]
                stats += [{"name": n, "value": self._u64(max(0, h.stats[n])), "type": "GAUGE"} for n in Host.GAUGES]
                health = {}
                for text, field in HEALTH_FLAGS:
                    if field and text in h.flags:
                        health[field] = True
                health["eds_health_status"] = "HEALTHY"
                hs = {"address": {"socket_address": {"address": h.address, "port_value": h.port}},
                      "stats": stats, "health_status": health}
                if h.success_rate is not None:
                    hs["success_rate"] = {"value": round(h.success_rate, 6)}
                if h.weight:
                    hs["weight"] = h.weight
                if h.hostname:
                    hs["hostname"] = h.hostname
                if h.priority:
                    hs["priority"] = h.priority
                hs["locality"] = {k: v for k, v in h.locality.items() if v}
                hs_list.append(hs)
            cs["host_statuses"] = hs_list
            out.append(cs)
        return {"cluster_statuses": out}

    def _clusters_text(self):
        lines = []
        for c in self.sc.clusters.values():
            n = c.name
            lines.append("%s::observability_name::%s" % (n, c.observability_name))
            if c.od:
                lines.append("%s::outlier::success_rate_average::%s" % (n, fmt_num(c.sr_average) if c.sr_average is not None else "-1"))
                lines.append("%s::outlier::success_rate_ejection_threshold::%s" % (n, fmt_num(c.sr_threshold) if c.sr_threshold is not None else "-1"))
                lines.append("%s::outlier::local_origin_success_rate_average::-1" % n)
                lines.append("%s::outlier::local_origin_success_rate_ejection_threshold::-1" % n)
            for prio in ("default_priority", "high_priority"):
                for k in ("max_connections", "max_pending_requests", "max_requests", "max_retries"):
                    lines.append("%s::%s::%s::%d" % (n, prio, k, CB_DEFAULT[k]))
            lines.append("%s::added_via_api::%s" % (n, "true" if c.added_via_api else "false"))
            if c.eds_service_name:
                lines.append("%s::eds_service_name::%s" % (n, c.eds_service_name))
            for h in c.hosts:
                hp = "%s::%s" % (n, h.key)
                for k in sorted(h.stats):
                    lines.append("%s::%s::%d" % (hp, k, max(0, h.stats[k])))
                lines.append("%s::hostname::%s" % (hp, h.hostname))
                lines.append("%s::health_flags::%s" % (hp, h.flag_text()))
                lines.append("%s::weight::%d" % (hp, h.weight))
                for k in ("region", "zone", "sub_zone"):
                    lines.append("%s::%s::%s" % (hp, k, h.locality.get(k, "")))
                lines.append("%s::canary::false" % hp)
                lines.append("%s::priority::%d" % (hp, h.priority))
                lines.append("%s::success_rate::%s" % (hp, fmt_num(h.success_rate) if h.success_rate is not None else "-1"))
                lines.append("%s::local_origin_success_rate::-1" % hp)
        return "".join(l + "\n" for l in lines)

    def _select_stats(self, q):
        """-> (list of (name, value, is_gauge), dict of histograms) after filter/usedonly/type."""
        flt = q.get("filter", [None])[0]
        rx = re.compile(flt) if flt else None
        usedonly = "usedonly" in q
        typ = q.get("type", ["All"])[0]
        sc = self.sc
        with sc.lock:
            vals, gauges = sc.all_stats()
            hists = {k: h for k, h in sc.histograms().items()}
            rows = []
            for name in sorted(vals):
                g = name in gauges
                if typ == "Counters" and g or typ == "Gauges" and not g or typ in ("Histograms", "TextReadouts"):
                    continue
                if rx and not rx.search(name):
                    continue
                v = vals[name]
                if usedonly and not v:
                    continue
                rows.append((name, max(0, v), g))
            hsel = {}
            if typ in ("All", "Histograms"):
                for name in sorted(hists):
                    if rx and not rx.search(name):
                        continue
                    if usedonly and not hists[name].count:
                        continue
                    hsel[name] = hists[name]
            return rows, hsel, {n: (h.quantiles(), h.count, h.sum, list(h.buckets)) for n, h in hsel.items()}

    def h_stats(self, q):
        fmt = q.get("format", ["text"])[0]
        if fmt == "prometheus":
            return self.h_prom(q)
        try:
            rows, _, hq = self._select_stats(q)
        except re.error as e:
            self.send_body(400, "Invalid re2 regex: %s\n" % e)
            return 400
        if fmt == "json":
            stats = [{"name": n, "value": v} for n, v, _ in rows]
            if hq:
                stats.append({"histograms": {
                    "supported_quantiles": SUPPORTED_QUANTILES,
                    "computed_quantiles": [
                        {"name": n, "values": [{"interval": iv, "cumulative": cu} for iv, cu in qs]}
                        for n, (qs, _, _, _) in hq.items()]}})
            self.send_body(200, json.dumps({"stats": stats}, indent=1) + "\n", "application/json")
            return 200
        out = ["%s: %d\n" % (n, v) for n, v, _ in rows]
        for n, (qs, count, _, _) in hq.items():
            if not count:
                out.append("%s: No recorded values\n" % n)
            else:
                out.append("%s: %s\n" % (n, " ".join(
                    "P%s(%s,%s)" % (fmt_num(qn), fmt_num(iv), fmt_num(cu))
                    for qn, (iv, cu) in zip(SUPPORTED_QUANTILES, qs))))
        self.send_body(200, "".join(out))
        return 200

    def h_prom(self, q):
        """As Envoy's PrometheusStatsFormatter (source/server/admin/prometheus_stats.cc): counters,
        then gauges, then histograms; each family sorted by its tag-extracted name, one `# TYPE`
        line, its series, then a blank line; labels always in braces (`{}` when untagged); no
        Content-Type of its own, so the admin default `text/plain; charset=UTF-8`."""
        try:
            rows, _, hq = self._select_stats(q)
        except re.error as e:
            self.send_body(400, "Invalid re2 regex: %s\n" % e)
            return 400
        families = {"counter": {}, "gauge": {}}  # type -> metric -> [(labels, value)]
        for n, v, g in rows:
            metric, labels = prom_name(n, self.sc)
            families["gauge" if g else "counter"].setdefault(metric, []).append((labels, v))
        out = []
        for typ in ("counter", "gauge"):
            for metric in sorted(families[typ]):
                out.append("# TYPE %s %s\n" % (metric, typ))
                for labels, v in sorted(families[typ][metric], key=lambda lv: prom_labels(lv[0])):
                    out.append("%s{%s} %d\n" % (metric, prom_labels(labels), v))
                out.append("\n")
        hists = {}
        for n, (_, count, total, buckets) in hq.items():
            metric, labels = prom_name(n, self.sc)
            hists.setdefault(metric, []).append((labels, count, total, buckets))
        for metric in sorted(hists):
            out.append("# TYPE %s histogram\n" % metric)
            for labels, count, total, buckets in sorted(hists[metric], key=lambda h: prom_labels(h[0])):
                tags = prom_labels(labels)
                btags = tags + "," if tags else ""
                for b, c in zip(PROM_BUCKETS, buckets):
                    out.append('%s_bucket{%sle="%s"} %d\n' % (metric, btags, fmt_num(b), c))
                out.append('%s_bucket{%sle="+Inf"} %d\n' % (metric, btags, count))
                out.append("%s_sum{%s} %s\n" % (metric, tags, fmt_num(total)))
                out.append("%s_count{%s} %d\n" % (metric, tags, count))
            out.append("\n")
        self.send_body(200, "".join(out), "text/plain; charset=UTF-8")
        return 200


def prom_labels(labels):
    """The label pairs without braces (Envoy's formattedTags): k="v",k2="v2"."""
    return ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"')) for k, v in labels)


_RE_CODE = re.compile(r"^(.*?)_(\d)xx$")
_RE_EXACT = re.compile(r"^(.*?)_(\d{3})$")


def prom_name(name, sc):
    """Envoy-style tag extraction for the stat families this emulator emits."""
    labels = []
    rest = name
    if name.startswith("cluster."):
        for cname in sorted(sc.clusters, key=len, reverse=True):
            if name.startswith("cluster.%s." % cname):
                labels.append(("envoy_cluster_name", cname))
                rest = "cluster." + name[len("cluster.%s." % cname):]
                break
    elif name.startswith("listener.") and not name.startswith("listener.admin."):
        addr, _, tail = name[len("listener."):].rpartition(".")
        labels.append(("envoy_listener_address", addr))
        rest = "listener." + tail
    elif name.startswith("http."):
        parts = name.split(".", 2)
        if len(parts) == 3:
            labels.append(("envoy_http_conn_manager_prefix", parts[1]))
            rest = "http." + parts[2]
    m = _RE_CODE.match(rest)
    if m and ("upstream_rq" in rest or "downstream_rq" in rest):
        rest = m.group(1) + "_xx"
        labels.append(("envoy_response_code_class", m.group(2)))
    else:
        m = _RE_EXACT.match(rest)
        if m and "upstream_rq" in rest:
            rest = m.group(1)
            labels.append(("envoy_response_code", m.group(2)))
    return "envoy_" + re.sub(r"[^a-zA-Z0-9_]", "_", rest), labels


def help_text():
    return "admin commands are:\n" + "".join("  %s: %s\n" % (p, d) for p, d in HELP)


class ListenerHandler(_BaseHandler):
    @property
    def lst(self):
        return self.server.listener

    def handle(self):
        sc, l = self.sc, self.lst
        with sc.lock:
            for p in ("listener.%s." % l.stat_addr, "http.%s." % l.stat_prefix):
                sc.inc(p + "downstream_cx_active", gauge=True)
                sc.inc(p + "downstream_cx_total")
        try:
            super().handle()
        finally:
            with sc.lock:
                for p in ("listener.%s." % l.stat_addr, "http.%s." % l.stat_prefix):
                    sc.dec(p + "downstream_cx_active")
                sc.inc("listener.%s.downstream_cx_destroy" % l.stat_addr)

    def _proxy(self):
        sc, l = self.sc, self.lst
        hp = "http.%s." % l.stat_prefix
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        with sc.lock:
            sc.inc(hp + "downstream_rq_active", gauge=True)
            sc.inc(hp + "downstream_rq_total")
        code = 500
        try:
            code = self._proxy_inner(body)
        finally:
            with sc.lock:
                sc.dec(hp + "downstream_rq_active")
                sc.inc(hp + "downstream_rq_completed")
                sc.inc(hp + "downstream_rq_%dxx" % (code // 100))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _proxy

    def _proxy_inner(self, body):
        sc, l = self.sc, self.lst
        close = sc.drain_close(l)
        extra = [("x-envoy-immediate-health-check-fail", "true")] if sc.hc_failed and l.hc_path else []
        path = self.path.split("?", 1)[0]
        if l.hc_path and path == l.hc_path and sc.hc_failed:
            with sc.lock:
                sc.inc("http.%s.rq_direct_response" % l.stat_prefix)
            self.send_body(503, "", extra=extra, close=True)
            return 503
        c = sc.clusters[l.cluster_name]
        with sc.lock:
            host = c.pick()
            if host is None:
                sc.inc(c.prefix + "upstream_cx_none_healthy")
        if host is None:
            self.send_body(503, "no healthy upstream", extra=extra, close=close)
            return 503
        cp = c.prefix
        with sc.lock:
            for k in ("upstream_rq_total", "upstream_cx_total", "upstream_rq_pending_total"):
                sc.inc(cp + k)
            sc.inc(cp + "upstream_rq_active", gauge=True)
            sc.inc(cp + "upstream_cx_active", gauge=True)
            for k in ("rq_total", "cx_total", "rq_active", "cx_active"):
                host.stats[k] += 1
        t0 = time.monotonic()
        status, resp_headers, resp_body, connect_fail, timed_out = None, [], b"", False, False
        conn = http.client.HTTPConnection(host.address, host.port, timeout=c.timeout_s)
        try:
            hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            hdrs["Host"] = self.headers.get("Host", c.name)
            hdrs["x-forwarded-proto"] = "http"
            hdrs["x-envoy-expected-rq-timeout-ms"] = str(int(c.timeout_s * 1000))
            hdrs.setdefault("x-request-id", "%032x" % random.getrandbits(128))
            try:
                conn.connect()
            except OSError:
                connect_fail = True
                raise
            conn.request(self.command, self.path, body=body, headers=hdrs)
            resp = conn.getresponse()
            resp_body = resp.read()
            status = resp.status
            resp_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() != "server"]
        except socket.timeout:
            timed_out = not connect_fail
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        ms = (time.monotonic() - t0) * 1000.0
        msgs = []
        with sc.lock:
            sc.dec(cp + "upstream_rq_active")
            sc.dec(cp + "upstream_cx_active")
            sc.inc(cp + "upstream_cx_destroy")
            host.stats["rq_active"] -= 1
            host.stats["cx_active"] -= 1
            if connect_fail:
                sc.inc(cp + "upstream_cx_connect_fail")
                host.stats["cx_connect_fail"] += 1
                code = 503
            elif timed_out:
                sc.inc(cp + "upstream_rq_timeout")
                host.stats["rq_timeout"] += 1
                code = 504
            elif status is None:
                code = 503
            else:
                code = status
            sc.inc(cp + "upstream_rq_completed")
            sc.inc(cp + "upstream_rq_%d" % code)
            sc.inc(cp + "upstream_rq_%dxx" % (code // 100))
            host.stats["rq_error" if code >= 500 else "rq_success"] += 1
            if status is not None or connect_fail or timed_out:
                c.hist.record(ms)
            m = c.record_result(host, code, connect_fail=connect_fail or timed_out)
            if m:
                msgs.append(m)
            if status is not None and c.hc and any(k.lower() == "x-envoy-immediate-health-check-fail" for k, _ in resp_headers):
                if "excluded_via_immediate_hc_fail" not in host.flags:
                    host.flags.update(("failed_active_hc", "excluded_via_immediate_hc_fail"))
                    msgs.append("%s: cluster %s host %s excluded (x-envoy-immediate-health-check-fail)"
                                % (sc.id, c.name, host.key))
        for m in msgs:
            log(m)
        if connect_fail:
            self.send_body(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
                           extra=extra, close=close)
        elif timed_out:
            self.send_body(504, "upstream request timeout", extra=extra, close=close)
        elif status is None:
            self.send_body(503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
                           extra=extra, close=close)
        else:
            out = [(k, v) for k, v in resp_headers if k.lower() not in ("content-type",)]
            ctype = dict((k.lower(), v) for k, v in resp_headers).get("content-type", "text/plain")
            out.append(("x-envoy-upstream-service-time", str(int(ms))))
            self.send_body(status, resp_body, ctype, extra=out + extra, close=close)
        return code


def load_config(path):
    with open(path) as f:
        cfg = json.load(f)
    return cfg["sidecars"] if "sidecars" in cfg else [cfg]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Envoy admin API emulator (hopscope test peer)")
    ap.add_argument("--config", required=True, help="JSON: one sidecar or {\"sidecars\": [...]}")
    ap.add_argument("--stat-values", choices=["string", "number"],
                    help="render uint64 values in /clusters?format=json as strings (older Envoy) or numbers")
    ap.add_argument("--only", action="append", default=[], metavar="SIDECAR_ID",
                    help="serve only these sidecars of the config (repeatable)")
    args = ap.parse_args(argv)

    specs = load_config(args.config)
    if args.only:
        unknown = set(args.only) - {s["id"] for s in specs}
        if unknown:
            print("envoy_emulator: unknown sidecar id(s): %s" % ", ".join(sorted(unknown)), file=sys.stderr)
            return 2
        specs = [s for s in specs if s["id"] in args.only]
    sidecars = []
    try:
        for s in specs:
            sc = Sidecar(s, args.stat_values)
            sc.start()
            sidecars.append(sc)
    except (OSError, ValueError, KeyError) as e:
        print("envoy_emulator: cannot start sidecar %s: %s" % (s.get("id"), e), file=sys.stderr, flush=True)
        for sc in sidecars:
            sc.shutdown()
        return 1

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log("stopping")
    for sc in sidecars:
        sc.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
