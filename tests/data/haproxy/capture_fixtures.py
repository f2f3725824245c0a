#!/usr/bin/env python3
"""Capture real HAProxy 2.6 runtime API output into tests/data/haproxy/ (rerunnable).

  capture_fixtures.py --dir PEERS_DIR [--out DIR]

PEERS_DIR is a running demo cluster (`hopscope_peers.py up --dir PEERS_DIR`). The script drives
its HAProxy through every server state (UP, DRAIN, MAINT, NOLB, DOWN, the transitional UP x/y and
DOWN x/y, MAINT (resolution) from the server-template slots) and saves the raw replies. It then
starts a second, private HAProxy (sockets at level user and operator, a tracking server for
MAINT (via b/s), a config-disabled server, an IPv6 server, a backup) for what the demo config
lacks, and stops it again by PID. Everything it changes on the demo HAProxy is restored.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "peers"))
import hopscope_peers as peers  # noqa: E402


def cli(target, command):
    return peers.haproxy_cli(target, command, timeout=2.0)


def save(out, name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
    print("captured", name, len(text), "bytes")


def status_of(target, backend, server):
    for row in peers.show_stat(target):
        if row["pxname"] == backend and row["svname"] == server:
            return row["status"]
    return None


def wait_status(target, backend, server, pred, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = status_of(target, backend, server)
        if st is not None and pred(st):
            return st
        time.sleep(0.05)
    raise SystemExit("timed out waiting for %s/%s (last %r)" % (backend, server, st))


def capture_demo(d, out):
    st = peers.load_state(d)
    sock = st["haproxy"]["socket"]
    user = st["services"]["user"]["tasks"]
    u1 = "%s:%d" % (user[0]["addr"], user[0]["port"])
    run = [sys.executable, os.path.join(HERE, "..", "..", "peers", "hopscope_peers.py")]

    wait_status(sock, "be_user", "user1", lambda s: s == "UP")
    wait_status(sock, "be_user", "user2", lambda s: s == "UP")
    save(out, "demo_all_up.stat.csv", cli(sock, "show stat"))
    save(out, "demo_all_up.servers_state.txt", cli(sock, "show servers state"))
    save(out, "demo.info.txt", cli(sock, "show info"))

    # DRAIN and MAINT on the two user servers, NOLB on order1 (health stopping), weight 0
    assert cli(sock, "set server be_user/user1 state drain").strip() == ""
    assert cli(sock, "set server be_user/user2 state maint").strip() == ""
    assert cli(sock, "set server be_order/order1 health stopping").strip() == ""
    wait_status(sock, "be_order", "order1", lambda s: s.startswith("NOLB"))
    save(out, "demo_drain_maint_nolb.stat.csv", cli(sock, "show stat"))
    save(out, "demo_drain_maint_nolb.servers_state.txt", cli(sock, "show servers state"))
    cli(sock, "set server be_user/user1 state ready")
    cli(sock, "set server be_user/user2 state ready")
    cli(sock, "set server be_order/order1 health up")
    wait_status(sock, "be_user", "user2", lambda s: s == "UP")

    # A failing health check: UP 1/2 (transitional), then DOWN, then DOWN 1/2 while recovering
    subprocess.run(run + ["backend", "--dir", d, "fail", u1], check=True)
    try:
        wait_status(sock, "be_user", "user1", lambda s: s.startswith("UP ") and "/" in s)
        save(out, "demo_up_transitional.stat.csv", cli(sock, "show stat"))
        wait_status(sock, "be_user", "user1", lambda s: s == "DOWN")
        save(out, "demo_down.stat.csv", cli(sock, "show stat"))
        save(out, "demo_down.servers_state.txt", cli(sock, "show servers state"))
    finally:
        subprocess.run(run + ["backend", "--dir", d, "recover", u1], check=True)
    wait_status(sock, "be_user", "user1", lambda s: s.startswith("DOWN ") and "/" in s)
    save(out, "demo_down_transitional.stat.csv", cli(sock, "show stat"))
    wait_status(sock, "be_user", "user1", lambda s: s == "UP")

    # Permission denied etc. are captured from the private instance below.
    save(out, "demo.set_state_bad_word.txt", cli(sock, "set server be_user/user1 state sleepy"))
    save(out, "demo.set_state_no_server.txt", cli(sock, "set server be_user/nosuch state drain"))


PRIVATE_CFG = """global
    stats socket {d}/user.sock mode 600 level user
    stats socket {d}/operator.sock mode 600 level operator
    stats socket {d}/admin.sock mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 500ms

frontend fe_private
    bind 127.0.0.1:{fe}
    bind [::1]:{fe}
    default_backend be_main

backend be_main
    option httpchk GET /health
    default-server inter 500ms fall 1 rise 1
    server main1 127.0.0.1:{dead1} check
    server main6 [::1]:{dead2} check
    server spare 127.0.0.1:{dead3} check backup
    server off 127.0.0.1:{dead3} disabled
    server nochk 127.0.0.1:{dead3}

backend be_tracking
    server t1 127.0.0.1:{dead1} track be_main/main1
    server t2 "127.0.0.1:{dead2}" track be_main/main6
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture_private(out):
    d = tempfile.mkdtemp(prefix="hap-cap-")
    cfg = os.path.join(d, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(PRIVATE_CFG.format(d=d, fe=free_port(), dead1=free_port(), dead2=free_port(),
                                   dead3=free_port()).replace('"', ""))
    proc = subprocess.Popen(["haproxy", "-db", "-f", cfg], cwd=d, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d, "haproxy.log"), "w"))
    try:
        admin = os.path.join(d, "admin.sock")
        deadline = time.time() + 10
        while not os.path.exists(admin):
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit("private haproxy did not start; see " + d)
            time.sleep(0.05)
        wait_status(admin, "be_main", "main1", lambda s: s == "DOWN")
        cli(admin, "set server be_main/main1 state maint")
        wait_status(admin, "be_tracking", "t1", lambda s: s.startswith("MAINT (via"))
        save(out, "private_maint_via.stat.csv", cli(admin, "show stat"))
        save(out, "private_maint_via.servers_state.txt", cli(admin, "show servers state"))
        save(out, "private.info.txt", cli(admin, "show info"))
        user = os.path.join(d, "user.sock")
        operator = os.path.join(d, "operator.sock")
        save(out, "private_level_user.stat.csv", cli(user, "show stat"))
        save(out, "private_level_user.set_state.txt", cli(user, "set server be_main/main1 state ready"))
        save(out, "private_level_operator.set_state.txt",
             cli(operator, "set server be_main/main1 state ready"))
        save(out, "private_level_user.servers_state.txt", cli(user, "show servers state"))
        save(out, "private.typo_command.txt", cli(admin, "show stats"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    capture_demo(os.path.abspath(args.dir), args.out)
    capture_private(args.out)


if __name__ == "__main__":
    main()
