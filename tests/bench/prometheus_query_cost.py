#!/usr/bin/env python3
"""What each query of a Prometheus load-balancer read costs (issue 15: one query round < 1 s).

  prometheus_query_cost.py --url URL [--selector 'job="haproxy50k"'] [--repeat 5]
                           [--query Q ...] [--concurrency 3]

For each query (default: the HAProxy read's queries, read from the file given by --queries-file,
one per line, or given with --query), POSTs `/api/v1/query` `repeat` times with `stats=all` and
one fixed evaluation `time` per repeat (as PrometheusSource pins a round), and prints per query:
series returned, answer bytes, client wall time (median / max) and Prometheus's own timings
(evalTotalTime: the evaluation; execTotalTime: queue + evaluation + sort; the rest of the wall
time is encoding the answer as JSON and the transfer), and samples read (totalQueryableSamples).
Then `repeat` whole rounds with `concurrency` queries in flight (wall time median / max).
`{sel}` in a query is replaced by the selector (with a leading comma when not empty) and `{sel0}`
by the selector alone. Python standard library only; measures, changes nothing.
"""
import argparse
import concurrent.futures
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request


def post_raw(url, query, at, timeout, stats=False):
    form = {"query": query, "time": "%.3f" % at}
    if stats:
        form["stats"] = "all"
    req = urllib.request.Request(url.rstrip("/") + "/api/v1/query", data=urllib.parse.urlencode(form).encode())
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return body, (time.monotonic() - t0) * 1000


def post(url, query, at, timeout):
    body, wall = post_raw(url, query, at, timeout, stats=True)
    doc = json.loads(body)
    if doc.get("status") != "success":
        raise RuntimeError("%s: %s" % (query, doc.get("error")))
    stats = doc["data"].get("stats", {})
    timings = stats.get("timings", {})
    samples = stats.get("samples", {})
    return {"wall": wall, "bytes": len(body), "series": len(doc["data"]["result"]),
            "eval": timings.get("evalTotalTime", 0) * 1000, "exec": timings.get("execTotalTime", 0) * 1000,
            "queue": timings.get("execQueueTime", 0) * 1000,
            "samples": samples.get("totalQueryableSamples")}


def expand(q, sel):
    return q.replace("{sel0}", sel).replace("{sel}", ("," + sel) if sel else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--selector", default="")
    ap.add_argument("--query", action="append", default=[])
    ap.add_argument("--queries-file")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    queries = list(args.query)
    if args.queries_file:
        with open(args.queries_file) as f:
            queries += [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
    if not queries:
        ap.error("no queries (--query or --queries-file)")
    queries = [expand(q, args.selector) for q in queries]
    print("%-90s %7s %9s %9s %9s %9s %9s %9s" % ("query", "series", "bytes", "wall med", "wall max",
                                                  "eval med", "exec med", "samples"))
    for q in queries:
        runs = [post(args.url, q, time.time(), args.timeout) for _ in range(args.repeat)]
        med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
        print("%-90s %7d %9d %9.1f %9.1f %9.1f %9.1f %9s" % (
            q[:90], runs[-1]["series"], runs[-1]["bytes"], med("wall"), max(r["wall"] for r in runs),
            med("eval"), med("exec"), runs[-1]["samples"]))
    rounds = []
    for _ in range(args.repeat):
        at = time.time()
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as ex:
            # Bytes only (no JSON decoding in Python threads, which would serialise them).
            list(ex.map(lambda q: post_raw(args.url, q, at, args.timeout), queries))
        rounds.append((time.monotonic() - t0) * 1000)
    print("round (%d queries, %d in flight): median %.1f ms, max %.1f ms" % (
        len(queries), args.concurrency, statistics.median(rounds), max(rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
