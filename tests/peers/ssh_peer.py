#!/usr/bin/env python3
"""A throwaway OpenSSH server on 127.0.0.1 for the SSH tunnel tests (CTest fixture `peers_ssh`).

Python 3 stdlib only. Per run: a free port, its own ed25519 host key, an authorized user key and a
stranger key (not authorized), known_hosts files (right key / another key for the same host),
a Python HTTP server on loopback serving a per-run token, and a unix-socket echo server.
Recipe: docs/PROTOCOLS-2.md §1.7 (sshd needs an absolute path and /run/sshd).

  ssh_peer.py up    --dir DIR   # start everything, write DIR/state.json
  ssh_peer.py down  --dir DIR   # stop exactly the PIDs in state.json
  ssh_peer.py kill  --dir DIR   # stop sshd: the listener and its session children (host down)
  ssh_peer.py start --dir DIR   # start sshd again, same port and keys
  ssh_peer.py freeze --dir DIR  # SIGSTOP sshd and its children: TCP stays up, SSH goes silent
  ssh_peer.py thaw  --dir DIR   # SIGCONT them
  ssh_peer.py echo  SOCKET      # (internal) unix-socket echo server
"""
import argparse
import getpass
import hashlib
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import time

SSHD = "/usr/sbin/sshd"
READY_TIMEOUT = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", os.path.basename(path), "-f", path],
                   check=True, timeout=30)


def fingerprint(pub):
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", pub], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    return out.split()[1]


def pub_line(pub):
    with open(pub) as f:
        kind, b64 = f.read().split()[:2]
    return kind, b64


def ensure_privsep_dir():
    # sshd refuses to start without its privilege separation directory ("Missing privilege
    # separation directory: /run/sshd"); Debian creates it only when the ssh service starts.
    if not os.path.isdir("/run/sshd"):
        try:
            os.makedirs("/run/sshd", mode=0o755)
        except OSError as e:
            sys.exit(f"ssh_peer: /run/sshd is missing and cannot be created ({e}); as root run: mkdir -p /run/sshd")


def write_sshd_config(d, port):
    cfg = os.path.join(d, "sshd_config")
    with open(cfg, "w") as f:
        f.write(f"""ListenAddress 127.0.0.1
Port {port}
HostKey {d}/hostkey
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxStartups 100
LogLevel DEBUG1
""")
    return cfg


def wait_for_log(path, needle, proc, timeout, offset=0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with open(path, errors="replace") as f:
                f.seek(offset)
                if needle in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


def start_sshd(st):
    d = st["dir"]
    ensure_privsep_dir()
    subprocess.run([SSHD, "-t", "-f", st["sshd_config"]], check=True, timeout=30)
    log = open(os.path.join(d, "sshd.log"), "a")
    offset = log.tell()  # the log is appended across restarts: only this start's lines count
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", st["sshd_config"]], stdout=log, stderr=log,
                            start_new_session=True)
    if not wait_for_log(os.path.join(d, "sshd.log"), f"Server listening on 127.0.0.1 port {st['port']}.", proc,
                        READY_TIMEOUT, offset):
        proc.kill()
        with open(os.path.join(d, "sshd.log"), errors="replace") as f:
            tail = f.read()[-2000:]
        sys.exit(f"ssh_peer: sshd did not start on 127.0.0.1:{st['port']}:\n{tail}")
    st["pids"]["sshd"] = proc.pid


def children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return kids


def stop_pid(pid, sig=signal.SIGTERM):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not os.path.exists(f"/proc/{pid}"):
                return
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def descendants(pid):
    found = []
    todo = [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def signal_sshd_tree(st, sig):
    pid = st["pids"].get("sshd")
    if not pid:
        sys.exit("ssh_peer: sshd is not running")
    for p in [pid] + descendants(pid):
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def kill_sshd(st):
    pid = st["pids"].get("sshd")
    if not pid:
        return
    kids = children(pid)          # one per open SSH connection (and its privsep child)
    grandkids = [g for k in kids for g in children(k)]
    stop_pid(pid, signal.SIGKILL)
    for k in grandkids + kids:
        stop_pid(k, signal.SIGKILL)
    st["pids"]["sshd"] = None


def load(d):
    with open(os.path.join(d, "state.json")) as f:
        return json.load(f)


def save(st):
    tmp = os.path.join(st["dir"], "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(st, f, indent=1)
    os.replace(tmp, os.path.join(st["dir"], "state.json"))


def up(d):
    if os.path.exists(os.path.join(d, "state.json")):
        try:
            down(d)
        except Exception:
            pass
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    os.chmod(d, 0o755)
    for k in ("hostkey", "otherhostkey", "userkey", "strangerkey"):
        keygen(os.path.join(d, k))
    # the same kind of key, encrypted with a per-run passphrase; 64 bcrypt KDF rounds (default 16) make
    # its import take ~1 s, which the event-loop check in tst_SshSession::encryptedKey must not see
    passphrase = secrets.token_hex(8)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-a", "64", "-N", passphrase, "-C", "enckey", "-f", os.path.join(d, "enckey")],
                   check=True, timeout=30)
    with open(os.path.join(d, "authorized_keys"), "w") as out:
        for k in ("userkey.pub", "enckey.pub"):
            with open(os.path.join(d, k)) as f:
                out.write(f.read())
    os.chmod(os.path.join(d, "authorized_keys"), 0o600)
    port = free_port()
    name = f"[127.0.0.1]:{port}"
    kind, b64 = pub_line(os.path.join(d, "hostkey.pub"))
    okind, ob64 = pub_line(os.path.join(d, "otherhostkey.pub"))
    with open(os.path.join(d, "known_hosts"), "w") as f:
        f.write(f"# per-run host key\n{name} {kind} {b64}\n")
    with open(os.path.join(d, "known_hosts_other"), "w") as f:
        f.write(f"{name} {okind} {ob64}\n")
    with open(os.path.join(d, "known_hosts_empty"), "w") as f:
        f.write("# no entry for this host\n")
    # OpenSSH's hashed form (HashKnownHosts yes): |1|salt|hash instead of the name
    for src in ("known_hosts", "known_hosts_other"):
        dst = os.path.join(d, src + "_hashed")
        shutil.copy(os.path.join(d, src), dst)
        subprocess.run(["ssh-keygen", "-q", "-H", "-f", dst], check=True, timeout=30, capture_output=True)
        with open(dst) as f:
            if name in f.read():
                sys.exit(f"ssh_peer: ssh-keygen -H left {dst} unhashed")
    www = os.path.join(d, "www")
    os.makedirs(www)
    token = secrets.token_hex(16)
    with open(os.path.join(www, "token.txt"), "w") as f:
        f.write(token)
    big = os.urandom(8 * 1024 * 1024)  # for the backpressure test: far more than any buffer
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(big)
    st = {
        "schema": 1, "dir": d, "port": port, "user": getpass.getuser(),
        "sshd_config": write_sshd_config(d, port),
        "host_key_fingerprint": fingerprint(os.path.join(d, "hostkey.pub")),
        "other_host_key_fingerprint": fingerprint(os.path.join(d, "otherhostkey.pub")),
        "user_key": os.path.join(d, "userkey"),
        "user_key_fingerprint": fingerprint(os.path.join(d, "userkey.pub")),
        "stranger_key": os.path.join(d, "strangerkey"),
        "encrypted_key": os.path.join(d, "enckey"),
        "encrypted_key_passphrase": passphrase,
        "stranger_key_fingerprint": fingerprint(os.path.join(d, "strangerkey.pub")),
        "known_hosts": os.path.join(d, "known_hosts"),
        "known_hosts_other": os.path.join(d, "known_hosts_other"),
        "known_hosts_empty": os.path.join(d, "known_hosts_empty"),
        "known_hosts_hashed": os.path.join(d, "known_hosts_hashed"),
        "known_hosts_other_hashed": os.path.join(d, "known_hosts_other_hashed"),
        "http": {"port": free_port(), "path": "/token.txt", "body": token,
                 "big_path": "/big.bin", "big_size": len(big), "big_sha256": hashlib.sha256(big).hexdigest()},
        "echo_socket": os.path.join(d, "echo.sock"),
        "pids": {},
    }
    save(st)
    http_log = open(os.path.join(d, "http.log"), "a")
    httpd = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", www,
                              str(st["http"]["port"])], stdout=http_log, stderr=http_log, start_new_session=True)
    st["pids"]["http"] = httpd.pid
    echo_log = open(os.path.join(d, "echo.log"), "a")
    echo = subprocess.Popen([sys.executable, os.path.abspath(__file__), "echo", st["echo_socket"]],
                            stdout=echo_log, stderr=echo_log, start_new_session=True)
    st["pids"]["echo"] = echo.pid
    save(st)
    # an ssh-agent holding the authorized key, for agent authentication
    st["agent_socket"] = os.path.join(d, "agent.sock")
    agent_log = open(os.path.join(d, "agent.log"), "a")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", st["agent_socket"]], stdout=agent_log, stderr=agent_log,
                             start_new_session=True)
    st["pids"]["agent"] = agent.pid
    save(st)
    start_sshd(st)
    save(st)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", st["http"]["port"]), timeout=1).close()
            for path in (st["echo_socket"], st["agent_socket"]):
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(path)
            break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit("ssh_peer: the HTTP, echo server or ssh-agent did not start (see http.log, echo.log, agent.log)")
    subprocess.run(["ssh-add", "-q", st["user_key"]], check=True, timeout=30,
                   env=dict(os.environ, SSH_AUTH_SOCK=st["agent_socket"]))
    print(f"ssh_peer: sshd on 127.0.0.1:{port} ({st['host_key_fingerprint']}), state in {d}/state.json")


def down(d):
    st = load(d)
    kill_sshd(st)
    for name in ("http", "echo", "agent"):
        if st["pids"].get(name):
            stop_pid(st["pids"][name])
            st["pids"][name] = None
    save(st)


class EchoHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


def echo(path):
    if os.path.exists(path):
        os.unlink(path)
    socketserver.ThreadingUnixStreamServer.daemon_threads = True
    with socketserver.ThreadingUnixStreamServer(path, EchoHandler) as srv:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        srv.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["up", "down", "kill", "start", "freeze", "thaw", "echo"])
    ap.add_argument("socket", nargs="?")
    ap.add_argument("--dir")
    a = ap.parse_args()
    if a.command == "echo":
        return echo(a.socket)
    if not a.dir:
        ap.error("--dir is required")
    d = os.path.abspath(a.dir)
    if a.command == "up":
        up(d)
    elif a.command == "down":
        down(d)
    elif a.command == "kill":
        st = load(d)
        kill_sshd(st)
        save(st)
    elif a.command in ("freeze", "thaw"):
        signal_sshd_tree(load(d), signal.SIGSTOP if a.command == "freeze" else signal.SIGCONT)
    elif a.command == "start":
        st = load(d)
        if st["pids"].get("sshd"):
            sys.exit("ssh_peer: sshd is running already")
        start_sshd(st)
        save(st)


if __name__ == "__main__":
    main()
