#!/usr/bin/env python3
"""Capture real DNS answers from the harness BIND into tests/data/dns/wire/*.bin, and derive the
hostile inputs of tst_DnsAnswerParser from them (deterministic mutations and a seeded random).

usage: capture_answers.py --dir PEERS_DIR [--out tests/data/dns/wire]
       (PEERS_DIR from `python3 tests/peers/hopscope_peers.py up --dir PEERS_DIR --only named`)

Queries are sent as DnsResolver sends them (RD set, EDNS0 with a 1232-byte payload), except the
truncation case, which is asked without EDNS so that BIND sets TC at 512 bytes.
"""
import argparse
import json
import os
import random
import socket
import struct
import subprocess

QTYPES = {"A": 1, "CNAME": 5, "SOA": 6, "AAAA": 28, "SRV": 33}
QID = 0x4853


def query(name, qtype, edns=True):
    q = struct.pack(">HHHHHH", QID, 0x0100, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", QTYPES[qtype], 1)
    if edns:
        q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return q


def ask(addr, port, name, qtype, edns=True):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.connect((addr, port))
        s.send(query(name, qtype, edns))
        while True:
            msg = s.recv(65535)
            if struct.unpack(">H", msg[:2])[0] == QID:
                return msg


def nsupdate(dns, zone, lines):
    script = "server %s %d\nzone %s\n%s\nsend\n" % (dns["addr"], dns["port"], zone,
                                                    "\n".join(lines))
    subprocess.run(["nsupdate", "-t", "5", "-k", dns["ddns_key_file"]], input=script.encode(),
                   check=True)


def skip_name(msg, off):
    while True:
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            return off + 2
        off += 1 + ln
        if ln == 0:
            return off


def first_answer_rdlength_offset(msg):
    off = skip_name(msg, 12) + 4          # question
    off = skip_name(msg, off) + 8         # owner, type, class, ttl
    return off


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "wire"))
    a = ap.parse_args()
    st = json.load(open(os.path.join(a.dir, "state.json")))
    dns, zone = st["dns"], st["zone"]
    here = os.path.dirname(os.path.abspath(__file__))
    lines = [l.replace("@ZONE@", zone) for l in open(os.path.join(here, "layouts.nsupdate"))
             if l.strip()]
    lines += ["update add big40.capture.%s. 30 IN A 127.1.0.%d" % (zone, i + 1) for i in range(40)]
    nsupdate(dns, zone, lines)
    os.makedirs(a.out, exist_ok=True)

    real = {
        "a-multivalue": ("serviceb." + zone, "A", True),
        "a-single": ("task-1.servicec." + zone, "A", True),
        "srv-bridge-glue": ("servicec." + zone, "SRV", True),
        "srv-consul-glue": ("web.service." + zone, "SRV", True),
        "srv-k8s-glue": ("_http._tcp.web.default.svc." + zone, "SRV", True),
        "srv-k8s-harness": ("_http._tcp.servicea." + zone, "SRV", True),
        "srv-no-glue": ("_x._tcp.noglue." + zone, "SRV", True),
        "srv-via-cname": ("_http._tcp.servicec." + zone, "SRV", True),
        "cname-chain": ("hop1.chain." + zone, "A", True),
        "nxdomain-soa": ("nosuch.capture." + zone, "A", True),
        "nodata-soa": ("serviceb." + zone, "AAAA", True),
        "refused": ("www.example.org", "A", True),
        "truncated-tc": ("big40.capture." + zone, "A", False),
    }
    captured = {}
    for base, (name, qtype, edns) in real.items():
        msg = ask(dns["addr"], dns["port"], name, qtype, edns)
        captured[base] = msg
        open(os.path.join(a.out, base + ".bin"), "wb").write(msg)

    def put(base, data):
        open(os.path.join(a.out, "hostile-" + base + ".bin"), "wb").write(bytes(data))

    srv = captured["srv-bridge-glue"]
    mv = captured["a-multivalue"]
    put("empty", b"")
    put("header-cut", mv[:7])
    put("cut-mid-record", srv[:len(srv) - 7])
    put("cut-mid-question", mv[:15])
    m = bytearray(mv)
    m[6:8] = struct.pack(">H", 50)             # answer count says 50, far fewer follow
    put("answer-count-lies", m)
    m = bytearray(mv)
    off = first_answer_rdlength_offset(m)
    m[off:off + 2] = struct.pack(">H", 0xFFFF)  # rdlength past the end
    put("rdlength-past-end", m)
    m = bytearray(mv)
    m[off:off + 2] = struct.pack(">H", 5)       # A record whose rdata is 5 bytes
    put("a-rdlength-5", m)
    m = bytearray(mv)
    m[off:off + 2] = struct.pack(">H", 3)       # A record whose rdata is 3 bytes
    put("a-rdlength-3", m)
    # The first answer's owner replaced by a pointer to itself (a compression loop).
    m = bytearray(mv)
    qend = skip_name(m, 12) + 4
    m[qend:qend + 2] = struct.pack(">H", 0xC000 | qend)
    put("compression-pointer-loop", m)
    # Two pointers pointing at each other.
    hdr = struct.pack(">HHHHHH", QID, 0x8180, 1, 1, 0, 0)
    put("compression-pointer-pair", hdr + b"\xc0\x0e\xc0\x0c" + struct.pack(">HH", 1, 1))
    # A 64-byte label (lengths above 63 are not labels) in the question.
    put("label-too-long", hdr[:4] + struct.pack(">HHHH", 1, 0, 0, 0) + b"\x40" + b"a" * 64
        + b"\0" + struct.pack(">HH", 1, 1))
    # A name of 300 bytes (5 x 60-byte labels): over the 255-byte limit.
    long_name = b"".join(b"\x3c" + b"b" * 60 for _ in range(5)) + b"\0"
    put("name-too-long", hdr[:4] + struct.pack(">HHHH", 1, 0, 0, 0) + long_name
        + struct.pack(">HH", 1, 1))
    rng = random.Random(20261128)
    put("random-bytes", bytes(rng.getrandbits(8) for _ in range(300)))
    # Random bytes behind a plausible answer header (1 question, 3 answers).
    put("random-after-header", struct.pack(">HHHHHH", QID, 0x8180, 1, 3, 0, 0)
        + bytes(rng.getrandbits(8) for _ in range(200)))
    print("wrote %d files to %s" % (len(real) + 15, a.out))


if __name__ == "__main__":
    main()
