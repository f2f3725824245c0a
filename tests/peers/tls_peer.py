#!/usr/bin/env python3
"""A real TLS terminator (HAProxy) on 127.0.0.1 in front of an Envoy-emulator admin port, with a
per-run CA made by `openssl`, for the TLS / mTLS / pinning tests (CTest fixture `peers_tls`).

Python 3 stdlib only. Per run, in DIR: a CA ("hopscope test CA <random>") and certificates signed
by it — the server's for IP 127.0.0.1 (IP SAN), an expired one, a not-yet-valid one, one for
another name (wrong.example.net) — one from another CA for 127.0.0.1 (unknown issuer), a client
certificate (clientAuth) and a client certificate from the other CA, and one for the name
`localhost` only (DNS SAN, no IP: for endpoints reached by name through an SSH jump host, whose
local forward is 127.0.0.1). EC P-256 keys, PKCS#8 PEM.
One HAProxy process, one frontend per case (all `mode http`, forwarding to the emulator's admin
port):

  good       ssl crt server.pem                                     verified TLS
  mtls       ssl crt server.pem ca-file ca.pem verify required      mutual TLS
  expired    ssl crt expired.pem
  notyet     ssl crt notyet.pem
  wrongname  ssl crt wrongname.pem
  otherca    ssl crt otherca-server.pem
  swap       ssl crt swap.pem (starts as server.pem; `swap` replaces it at run time)
  named      ssl crt wrongname.pem crt localhost.pem                localhost.pem only to a client
                                                                    that sends SNI "localhost"
  stats      ssl crt server.pem, HAProxy's own stats page (/stats;csv) for the stats-URL source

  tls_peer.py up    --dir DIR              # start everything, write DIR/state.json
  tls_peer.py down  --dir DIR              # stop exactly the PIDs in state.json
  tls_peer.py swap  --dir DIR --to NAME    # serve NAME's certificate on the `swap` frontend:
                                           # otherca (untrusted), expired, wrongname or good
  tls_peer.py pin   CERT.pem               # print the SPKI SHA-256 pin of a certificate
  tls_peer.py front --dir FDIR --tls-dir DIR --peers-dir PDIR
                         # a second HAProxy: one TLS frontend (localhost.pem of DIR for SNI
                         # "localhost", else wrongname.pem) in front of
                         # each Envoy admin port of the demo cluster in PDIR (hopscope_peers.py);
                         # FDIR/state.json {"fronts": {SIDECAR: {"port", "url"}}, "ca", "pids"};
                         # `down --dir FDIR` stops it

`swap` goes through HAProxy's runtime API (`set ssl cert swap.pem <<` + `commit ssl cert`): no
restart, the listener stays up, new handshakes get the new certificate at once. The `swap`
frontend closes every connection after its reply (option httpclose), so the next request of a
client handshakes again and sees the change.

state.json: {"frontends": {NAME: {"port", "url"}}, "envoy_admin": URL, "ca", "other_ca",
"client_cert", "client_key", "other_client_cert", "other_client_key", "server_cert",
"pins": {NAME: PIN}, "pids": {...}, "runtime_socket"}.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HERE = os.path.dirname(os.path.abspath(__file__))
READY_TIMEOUT = 20
FRONTENDS = ["good", "mtls", "expired", "notyet", "wrongname", "otherca", "swap", "stats", "named"]
# The certificate each frontend starts with (the HAProxy crt file's source).
SERVED = {"good": "server", "mtls": "server", "expired": "expired", "notyet": "notyet",
          "wrongname": "wrongname", "otherca": "otherca-server", "swap": "server", "stats": "server",
          "named": "localhost"}
SWAP_TO = {"good": "server", "otherca": "otherca-server", "expired": "expired", "wrongname": "wrongname"}


class PeerError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd=None):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise PeerError("openssl %s failed: %s" % (" ".join(args[:2]), r.stderr.strip()[-400:]))
    return r.stdout


def spki_pin(cert_path):
    """base64(sha256(DER SubjectPublicKeyInfo)) — as openssl x509 -pubkey | openssl pkey -pubin
    -outform der | openssl dgst -sha256 -binary | base64 prints it."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"], check=True,
                         capture_output=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, check=True,
                         capture_output=True, timeout=30).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


CA_CNF = """[ ca ]
default_ca = hopscope_ca
[ hopscope_ca ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ server_ip ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[ server_wrongname ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example.net
[ server_localhost ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
[ client ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
"""


def make_ca(d, name, cn):
    """A CA in d/name/ (key, self-signed certificate, `openssl ca` database)."""
    cd = os.path.join(d, name)
    os.makedirs(os.path.join(cd, "newcerts"), exist_ok=True)
    open(os.path.join(cd, "index.txt"), "w").close()
    with open(os.path.join(cd, "serial"), "w") as f:
        f.write(secrets.token_hex(8) + "\n")
    with open(os.path.join(cd, "ca.cnf"), "w") as f:
        f.write(CA_CNF.format(dir=cd))
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", os.path.join(cd, "ca.key"), "-out", os.path.join(cd, "ca.pem"), "-days", "2",
            "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:true",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cd


def issue(d, ca_dir, name, cn, ext, start=None, end=None):
    """d/NAME.key + d/NAME.pem signed by the CA in ca_dir, with extensions section `ext`;
    start/end as YYYYMMDDHHMMSSZ (default: now, +2 days)."""
    key, csr, pem = (os.path.join(d, name + s) for s in (".key", ".csr", ".pem"))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
    args = ["ca", "-batch", "-notext", "-config", os.path.join(ca_dir, "ca.cnf"),
            "-cert", os.path.join(ca_dir, "ca.pem"), "-keyfile", os.path.join(ca_dir, "ca.key"),
            "-extensions", ext, "-in", csr, "-out", pem]
    if start:
        args += ["-startdate", start]
    if end:
        args += ["-enddate", end]
    else:
        args += ["-days", "2"]
    openssl(*args)
    os.chmod(key, 0o600)
    return pem, key


def crt_file(d, source, target):
    """HAProxy's crt file: certificate then key."""
    with open(target, "w") as out:
        for part in (source + ".pem", source + ".key"):
            with open(os.path.join(d, part)) as f:
                out.write(f.read())
    os.chmod(target, 0o600)


def write_haproxy_cfg(d, st):
    fr = st["frontends"]
    sock = st["runtime_socket"]
    admin_port = st["envoy_admin_port"]
    lines = ["global",
             "    stats socket %s mode 600 level admin" % sock,
             "    pidfile %s/haproxy.pid" % d,
             "defaults",
             "    mode http",
             "    timeout connect 2s",
             "    timeout client 10s",
             "    timeout server 10s",
             "    timeout http-keep-alive 2s",
             "backend envoy_admin",
             "    server envoy 127.0.0.1:%d" % admin_port]
    for name in FRONTENDS:
        bind = "    bind 127.0.0.1:%d ssl crt %s/crt-%s.pem" % (fr[name]["port"], d, name)
        if name == "named":
            # The wrong-name certificate unless the client names "localhost" by SNI: a client
            # that sends no SNI (or the tunnel's 127.0.0.1) is refused.
            bind = "    bind 127.0.0.1:%d ssl crt %s/crt-wrongname.pem crt %s/crt-named.pem" % (
                fr[name]["port"], d, d)
        if name == "mtls":
            bind += " ca-file %s verify required" % st["ca"]
        lines += ["frontend fe_%s" % name, bind]
        if name == "swap":
            lines.append("    option httpclose")
        if name == "stats":
            lines += ["    stats enable", "    stats uri /stats", "    stats refresh 0"]
        else:
            lines.append("    default_backend envoy_admin")
    with open(os.path.join(d, "haproxy.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_envoy_cfg(d, port, upstream_port):
    spec = {"id": "tls-envoy", "node": {"id": "tls-envoy", "cluster": "tls"},
            "admin": {"address": "127.0.0.1", "port": port},
            "listeners": [],
            "clusters": [{"name": "local_app", "added_via_api": True, "timeout_ms": 5000,
                          "hosts": [{"address": "127.0.0.1", "port": upstream_port}]}]}
    path = os.path.join(d, "envoy.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def spawn(argv, log, cwd):
    with open(log, "ab") as out:
        p = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    return p.pid


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def wait_tcp(port, pid, what, log):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not alive(pid):
            raise PeerError("%s exited at start; its log %s:\n%s" % (what, log, tail(log)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise PeerError("%s did not listen on 127.0.0.1:%d within %d s; log:\n%s" % (what, port, READY_TIMEOUT, tail(log)))


def tail(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-2000:]
    except OSError:
        return "(no log)"


def runtime(sock_path, command, timeout=5.0):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(command.encode())
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                raise PeerError("runtime API %s: no complete answer to %r within %.0f s"
                                % (sock_path, command.split("\n")[0], timeout))
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode(errors="replace")


def up(d):
    if os.path.exists(os.path.join(d, "state.json")):
        down(d)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, mode=0o700)
    run_id = secrets.token_hex(4)
    ca = make_ca(d, "ca", "hopscope test CA " + run_id)
    other = make_ca(d, "otherca", "hopscope other CA " + run_id)
    issue(d, ca, "server", "127.0.0.1", "server_ip")
    issue(d, ca, "expired", "127.0.0.1", "server_ip", "20200101000000Z", "20200102000000Z")
    issue(d, ca, "notyet", "127.0.0.1", "server_ip", "20990101000000Z", "20990102000000Z")
    issue(d, ca, "wrongname", "wrong.example.net", "server_wrongname")
    issue(d, other, "otherca-server", "127.0.0.1", "server_ip")
    issue(d, ca, "localhost", "localhost", "server_localhost")
    issue(d, ca, "client", "hopscope client " + run_id, "client")
    issue(d, other, "other-client", "hopscope stranger " + run_id, "client")
    for name in FRONTENDS:
        crt_file(d, SERVED[name], os.path.join(d, "crt-%s.pem" % name))

    st = {"dir": d, "run_id": run_id,
          "ca": os.path.join(ca, "ca.pem"), "other_ca": os.path.join(other, "ca.pem"),
          "server_cert": os.path.join(d, "server.pem"),
          "client_cert": os.path.join(d, "client.pem"), "client_key": os.path.join(d, "client.key"),
          "other_client_cert": os.path.join(d, "other-client.pem"),
          "other_client_key": os.path.join(d, "other-client.key"),
          "runtime_socket": os.path.join(d, "admin.sock"),
          "envoy_admin_port": free_port(), "frontends": {}, "pids": {}, "pins": {}}
    for name in ["server", "expired", "notyet", "wrongname", "otherca-server", "client"]:
        st["pins"][name] = spki_pin(os.path.join(d, name + ".pem"))
    for name in FRONTENDS:
        port = free_port()
        path = "/stats;csv" if name == "stats" else ""
        host = "localhost" if name == "named" else "127.0.0.1"
        st["frontends"][name] = {"port": port, "url": "https://%s:%d%s" % (host, port, path)}
    st["envoy_admin"] = "http://127.0.0.1:%d" % st["envoy_admin_port"]
    write_haproxy_cfg(d, st)
    envoy_cfg = write_envoy_cfg(d, st["envoy_admin_port"], free_port())
    write_state(d, st)  # PIDs are added as they start: `down` stops what did start

    elog = os.path.join(d, "envoy.log")
    st["pids"]["envoy"] = spawn([sys.executable, os.path.join(HERE, "envoy_emulator.py"), "--config", envoy_cfg],
                                elog, d)
    write_state(d, st)
    wait_tcp(st["envoy_admin_port"], st["pids"]["envoy"], "the Envoy emulator", elog)

    hlog = os.path.join(d, "haproxy.log")
    check = subprocess.run([HAPROXY, "-c", "-f", os.path.join(d, "haproxy.cfg")], capture_output=True, text=True,
                           timeout=30)
    if check.returncode != 0:
        raise PeerError("haproxy -c refused %s/haproxy.cfg:\n%s%s" % (d, check.stdout, check.stderr))
    st["pids"]["haproxy"] = spawn([HAPROXY, "-db", "-f", os.path.join(d, "haproxy.cfg")], hlog, d)
    write_state(d, st)
    for name in FRONTENDS:
        wait_tcp(st["frontends"][name]["port"], st["pids"]["haproxy"], "HAProxy (frontend %s)" % name, hlog)
    # End to end: the verified frontend answers the emulator's /ready through TLS.
    import ssl
    ctx = ssl.create_default_context(cafile=st["ca"])
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(st["frontends"]["good"]["url"] + "/ready", context=ctx, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError as e:
            if time.monotonic() > deadline:
                raise PeerError("GET /ready through the TLS frontend failed: %s" % e)
            time.sleep(0.1)
    print("tls peer up in %s: %s" % (d, ", ".join("%s %d" % (n, f["port"]) for n, f in st["frontends"].items())))


def write_state(d, st):
    tmp = os.path.join(d, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(st, f, indent=2)
    os.replace(tmp, os.path.join(d, "state.json"))


def read_state(d):
    with open(os.path.join(d, "state.json")) as f:
        return json.load(f)


def down(d):
    try:
        st = read_state(d)
    except (OSError, ValueError):
        return
    for what, pid in st.get("pids", {}).items():
        try:
            os.killpg(pid, signal.SIGTERM)  # started in their own session: the group is theirs
        except OSError:
            continue
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        if alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    st["pids"] = {}
    write_state(d, st)


def swap(d, to):
    st = read_state(d)
    source = SWAP_TO[to]
    crt = os.path.join(d, "crt-swap.pem")
    with open(os.path.join(d, source + ".pem")) as f:
        payload = f.read()
    with open(os.path.join(d, source + ".key")) as f:
        payload += f.read()
    out = runtime(st["runtime_socket"], "set ssl cert %s <<\n%s\n\n" % (crt, payload.strip()))
    if "Transaction created" not in out and "Transaction updated" not in out:
        raise PeerError("set ssl cert %s: %s" % (crt, out.strip()))
    out = runtime(st["runtime_socket"], "commit ssl cert %s\n" % crt)
    if "Success" not in out:
        raise PeerError("commit ssl cert %s: %s" % (crt, out.strip()))
    print("swap frontend now serves %s.pem (pin %s)" % (source, spki_pin(os.path.join(d, source + ".pem"))))


def front(d, tls_dir, peers_dir):
    """One HAProxy with a TLS frontend (the `localhost` certificate) per Envoy admin port of the
    demo cluster: what a sidecar's admin listener behind a TLS terminator looks like."""
    if os.path.exists(os.path.join(d, "state.json")):
        down(d)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, mode=0o700)
    tls = read_state(tls_dir)
    with open(os.path.join(peers_dir, "state.json")) as f:
        demo = json.load(f)
    crt = os.path.join(d, "crt-localhost.pem")
    crt_file(tls_dir, "localhost", crt)
    default = os.path.join(d, "crt-default.pem")  # served without SNI "localhost"
    crt_file(tls_dir, "wrongname", default)
    st = {"dir": d, "ca": tls["ca"], "fronts": {}, "pids": {}}
    lines = ["global", "    pidfile %s/haproxy.pid" % d,
             "defaults", "    mode http", "    timeout connect 2s", "    timeout client 10s",
             "    timeout server 10s", "    timeout http-keep-alive 2s"]
    for sid, e in sorted(demo["envoy"].items()):
        port = free_port()
        st["fronts"][sid] = {"port": port, "url": "https://localhost:%d" % port}
        lines += ["frontend fe_%s" % sid, "    bind 127.0.0.1:%d ssl crt %s crt %s" % (port, default, crt),
                  "    default_backend be_%s" % sid,
                  "backend be_%s" % sid, "    server admin %s:%d" % (e["admin"]["addr"], e["admin"]["port"])]
    cfg = os.path.join(d, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    write_state(d, st)
    log = os.path.join(d, "haproxy.log")
    st["pids"]["haproxy"] = spawn([HAPROXY, "-db", "-f", cfg], log, d)
    write_state(d, st)
    for sid, fr in st["fronts"].items():
        wait_tcp(fr["port"], st["pids"]["haproxy"], "HAProxy (TLS front of %s)" % sid, log)
    print("tls fronts up in %s: %s" % (d, ", ".join("%s %d" % (n, f["port"]) for n, f in st["fronts"].items())))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "swap"):
        p = sub.add_parser(name)
        p.add_argument("--dir", required=True)
        if name == "swap":
            p.add_argument("--to", required=True, choices=sorted(SWAP_TO))
    p = sub.add_parser("front")
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-dir", required=True)
    p.add_argument("--peers-dir", required=True)
    p = sub.add_parser("pin")
    p.add_argument("cert")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "up":
            d = os.path.abspath(args.dir)
            try:
                up(d)
            except BaseException:
                down(d)
                raise
        elif args.cmd == "down":
            down(os.path.abspath(args.dir))
        elif args.cmd == "front":
            d = os.path.abspath(args.dir)
            try:
                front(d, os.path.abspath(args.tls_dir), os.path.abspath(args.peers_dir))
            except BaseException:
                down(d)
                raise
        elif args.cmd == "swap":
            swap(os.path.abspath(args.dir), args.to)
        else:
            print(spki_pin(args.cert))
    except PeerError as e:
        print("tls_peer: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
