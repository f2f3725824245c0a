#!/usr/bin/env python3
"""Builds and runs hopscope's libFuzzer targets (tests/fuzz) on seed corpora from tests/data.

  run_fuzz.py build --source DIR --build DIR          configure (clang-14, HOPSCOPE_FUZZ=ON, no GUI,
                                                      no tests) and build only hopscope_fuzzers
  run_fuzz.py run --build DIR --work DIR --runs N [--jobs J] [TARGET ...]
                                                      run each target N times (all when none named);
                                                      one line per target: runs, seconds, exec/s,
                                                      corpus size; exit 1 on a crash, a leak, a
                                                      timeout or a target that did not finish

A target's corpus is a writable directory under --work (new inputs go there, never into tests/data)
followed by its seed directories. Crash inputs are written to --work as crash-*, with the target's
log beside them. Python 3 standard library only.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(SOURCE, "tests", "data")

# target -> (path under the build dir, seed directories under tests/data, extra libFuzzer flags)
TARGETS = {
    "fuzz_profile_parse": ("tests/fuzz/profile", ["profiles/valid", "profiles/invalid"], ["-max_len=16384"]),
    "fuzz_dns_answer": ("tests/fuzz/dns", ["dns/wire"], ["-max_len=4096"]),
    "fuzz_audit_reader": ("tests/fuzz/audit", [], ["-max_len=8192"]),
    "fuzz_haproxy_stat": ("tests/fuzz/haproxy", ["haproxy"], []),
    "fuzz_haproxy_servers_state": ("tests/fuzz/haproxy", ["haproxy"], []),
    "fuzz_haproxy_info": ("tests/fuzz/haproxy", ["haproxy"], []),
    "fuzz_envoy_clusters": ("tests/fuzz/envoy", ["envoy"], ["-max_len=65536"]),
    "fuzz_envoy_clusters_text": ("tests/fuzz/envoy", ["envoy"], ["-max_len=65536"]),
    "fuzz_envoy_server_info": ("tests/fuzz/envoy", ["envoy"], ["-max_len=65536"]),
    "fuzz_envoy_stats": ("tests/fuzz/envoy", ["envoy"], ["-max_len=65536"]),
}

AUDIT_SEPARATOR = b"\n\0head\0"  # fuzz_audit_reader.cpp: log, separator, head record


def audit_seeds(dest):
    """The captured audit logs, each alone and joined with its head record."""
    src = os.path.join(DATA, "ops", "audit")
    os.makedirs(dest, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(src, name), "rb") as f:
            log = f.read()
        with open(os.path.join(dest, name), "wb") as f:
            f.write(log)
        head = os.path.join(src, name + ".head")
        if os.path.exists(head):
            with open(head, "rb") as f:
                joined = log + AUDIT_SEPARATOR + f.read()
            with open(os.path.join(dest, name + "+head"), "wb") as f:
                f.write(joined)
    return [dest]


def cmd_build(args):
    build = os.path.abspath(args.build)
    if shutil.which(args.cxx) is None:
        print("run_fuzz: %s not found: libFuzzer needs clang; install it with FUZZ=1 scripts/bootstrap"
              % args.cxx, file=sys.stderr, flush=True)
        return 1
    cfg = ["cmake", "-S", os.path.abspath(args.source), "-B", build, "-G", "Ninja",
           # -O1 with line tables only: what libFuzzer's documentation suggests, and about half
           # the compile time of RelWithDebInfo; asserts stay on (no NDEBUG).
           "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only",
           "-DCMAKE_CXX_COMPILER=" + args.cxx,
           "-DHOPSCOPE_FUZZ=ON", "-DHOPSCOPE_BUILD_GUI=OFF", "-DHOPSCOPE_BUILD_TESTS=OFF",
           "-DHOPSCOPE_BUILD_BENCH=OFF"]
    started = time.monotonic()
    for cmd in (cfg, ["cmake", "--build", build, "--target", "hopscope_fuzzers", "-j", str(args.jobs)]):
        print("run_fuzz: " + " ".join(cmd), flush=True)
        rc = subprocess.call(cmd)
        if rc != 0:
            print("run_fuzz: build failed (exit %d)" % rc, file=sys.stderr)
            return rc
    print("run_fuzz: fuzz targets built in %.0f s" % (time.monotonic() - started))
    return 0


def run_one(build, work, name, runs, timeout):
    sub, seeds, flags = TARGETS[name]
    binary = os.path.join(build, sub, name)
    if not os.path.exists(binary):
        return dict(name=name, ok=False, why="not built: " + binary)
    corpus = os.path.join(work, name, "corpus")
    os.makedirs(corpus, exist_ok=True)
    seed_dirs = [os.path.join(DATA, s) for s in seeds]
    if name == "fuzz_audit_reader":
        seed_dirs = audit_seeds(os.path.join(work, name, "seeds"))
    log_path = os.path.join(work, name, "fuzz.log")
    cmd = [binary, "-runs=%d" % runs, "-seed=1", "-print_final_stats=1", "-timeout=10",
           "-rss_limit_mb=2048", "-artifact_prefix=" + os.path.join(work, name) + "/"] + flags \
        + [corpus] + seed_dirs
    started = time.monotonic()
    with open(log_path, "wb") as log:
        try:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
    seconds = time.monotonic() - started
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    done = re.search(r"Done (\d+) runs in (\d+) second", text)
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    result = dict(name=name, seconds=seconds, log=log_path,
                  runs=int(execs.group(1)) if execs else (int(done.group(1)) if done else 0),
                  corpus=len(os.listdir(corpus)))
    if rc is None:
        result.update(ok=False, why="did not finish within %d s" % timeout)
    elif rc != 0 or not done:
        crash = re.search(r"(==\d+==ERROR: .*|SUMMARY: .*|Test unit written to .*)", text)
        result.update(ok=False, why="exit %s: %s" % (rc, crash.group(1) if crash else "see " + log_path))
    else:
        result.update(ok=True)
    return result


def cmd_run(args):
    build, work = os.path.abspath(args.build), os.path.abspath(args.work)
    names = args.targets or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        print("run_fuzz: unknown target(s) %s (known: %s)" % (", ".join(unknown), ", ".join(TARGETS)),
              file=sys.stderr)
        return 2
    os.makedirs(work, exist_ok=True)
    for name in names:
        if args.fresh and os.path.isdir(os.path.join(work, name)):
            shutil.rmtree(os.path.join(work, name))
    failed = 0
    for name in names:
        r = run_one(build, work, name, args.runs, args.timeout)
        if r["ok"]:
            print("run_fuzz: %-28s %9d runs in %6.1f s (%7.0f exec/s), corpus %d"
                  % (name, r["runs"], r["seconds"], r["runs"] / max(r["seconds"], 0.001), r["corpus"]),
                  flush=True)
        else:
            failed += 1
            print("run_fuzz: %-28s FAILED: %s (log %s)" % (name, r["why"], r.get("log", "-")), flush=True)
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--source", default=SOURCE)
    b.add_argument("--build", required=True)
    b.add_argument("--cxx", default="clang++-14")
    b.add_argument("--jobs", type=int, default=2)
    r = sub.add_parser("run")
    r.add_argument("--build", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--runs", type=int, default=20000)
    r.add_argument("--timeout", type=int, default=3600, help="seconds per target")
    r.add_argument("--fresh", action="store_true", help="start each named target from its seeds only")
    r.add_argument("targets", nargs="*")
    args = p.parse_args(argv)
    return {"build": cmd_build, "run": cmd_run}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
