#!/usr/bin/env python3
"""bench/run.sh's summary of one run's CSV: medians, min-max and ratios to Ferry per row.
Usage: bench/summarize.py results.csv [idle-text] [duration] [rounds] [startup-text]
(re-run it on an older CSV to see it with this version's columns)."""
import csv, statistics, sys
from collections import defaultdict
args = sys.argv[1:] + [""] * (5 - len(sys.argv[1:]))
csv_file, idle, duration, rounds, startup = args[:5]
rows = list(csv.DictReader(open(csv_file)))
groups = defaultdict(list)
for r in rows:
    groups[(r["scenario"], r["path"], r["connections"], r["contender"])].append(r)
ferry_name = {"proxy": "ferry", "cache": "ferry-cache", "cache-load": "ferry-cache", "esi": "ferry-cache", "fastcgi": "ferry-fcgi", "fastcgi-slow": "ferry-slow", "compress": "ferry-gzip",
              "h2": "ferry-h2", "h2tls": "ferry-h2tls"}
print(f"# Benchmark {csv_file.rsplit('/',1)[-1][:-4]}\n")
print(f"wrk -t1 (h2: h2load -t1, conns as connections x streams; cache-load: Ferry's own generator, bench/load.sh), {duration or '?'} per run, {rounds or '?'} rounds interleaved; medians, (min-max); ratio = contender / Ferry (req/s).")
print("per round = the median over rounds of the ratio within each round: the contenders of a round run minutes apart, so a")
print("change in the machine's speed between rounds (BENCHMARKS.md, session 30) moves it less than the ratio of medians.")
print("gen CPU = how busy the load generator's core was (median %); at 95 or more the generator set the pace, not the server (marked *).")
print("server µs/req = the CPU time (user + system) the contender's server processes spent per request (median); it still compares")
print("servers where the generator set the pace. A proxy's excludes its origin's; HTTP/2 rows read both inside the measured stretch.")
print("origin µs/req = the same for the nginx origin behind a proxy (proxy, compress, h2, h2tls): it shares the servers' core, so a")
print("proxy's req/s is capped near 1e6 / (server + origin µs/req) and a ratio between proxies moves less than their own costs.\n")
print("| scenario | path | conns | contender | req/s | (min-max) | p50 ms | p99 ms | errors | ratio | per round | gen CPU % | server µs/req | origin µs/req |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
def median_us(group, column):
    """A CPU-per-request column's median over the rounds that have it ("-" for none; older CSVs lack the column)."""
    values = [float(r[column]) for r in group if r.get(column)]
    return f"{statistics.median(values):.1f}" if values else "-"
def conns(c):
    return tuple(int(x) for x in c.split("x"))
for key in sorted(groups, key=lambda k: (k[0], k[1], conns(k[2]), k[3])):
    scen, path, conns, who = key
    rps = [float(r["rps"]) for r in groups[key]]
    p50 = statistics.median(float(r["p50_ms"]) for r in groups[key])
    p99 = statistics.median(float(r["p99_ms"]) for r in groups[key])
    ferry = groups.get((scen, path, conns, ferry_name[scen]))
    ratio = statistics.median(rps) / statistics.median(float(r["rps"]) for r in ferry) if ferry else float("nan")
    ferry_by_round = {r["round"]: float(r["rps"]) for r in ferry or []}
    paired = [float(r["rps"]) / ferry_by_round[r["round"]] for r in groups[key]
              if ferry_by_round.get(r["round"], 0) > 0]
    per_round = f"{statistics.median(paired):.2f}" if paired else "-"
    errors = sum(int(r.get("errors") or 0) for r in groups[key])
    gens = [float(r["gen_cpu_pct"]) for r in groups[key] if r.get("gen_cpu_pct")]
    gen = f"{statistics.median(gens):.0f}{'*' if statistics.median(gens) >= 95 else ''}" if gens else "-"
    us, ous = median_us(groups[key], "server_us_per_req"), median_us(groups[key], "origin_us_per_req")
    print(f"| {scen} | {path} | {conns} | {who} | {statistics.median(rps):.0f} | ({min(rps):.0f}-{max(rps):.0f}) | {p50:.2f} | {p99:.2f} | {errors} | {ratio:.2f} | {per_round} | {gen} | {us} | {ous} |")
if idle:
    print(f"\nIdle keepalive connections (after the load runs):{idle}")
if startup:
    print(f"\nStartup (each restarted, 1 KiB, 50 connections, one wrk second at a time):{startup}")
