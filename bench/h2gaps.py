#!/usr/bin/env python3
"""Silences in an HTTP/2 load run: stretches in which no request completed at all.

Reads h2load's per-request logs (--log-file; bench/run.sh keeps them under H2_LOG_DIR): each line is
the request's start in microseconds since the epoch, its status and its duration in microseconds.
A server that answers in bursts shows long stretches with nothing completing even while its throughput
is level; p99 alone does not tell that apart from a server that is slow for everyone.
"""
import argparse
import sys


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def summarize(path, bin_us):
    ends, durations = [], []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) != 3:
                continue
            start, _status, took = map(int, fields)
            ends.append(start + took)
            durations.append(took)
    if not ends:
        return f"{path}: no requests"
    ends.sort()
    durations.sort()
    first = ends[0]
    occupied = {(e - first) // bin_us for e in ends}
    bins = (ends[-1] - first) // bin_us + 1
    runs, current = [], 0
    for i in range(bins):
        if i in occupied:
            if current:
                runs.append(current * bin_us / 1000)
            current = 0
        else:
            current += 1
    p50, p99 = percentile(durations, 0.5), percentile(durations, 0.99)
    return (f"{path}: {len(ends)} requests, p50 {p50 / 1000:.1f} ms, p99 {p99 / 1000:.1f} ms "
            f"(p99/p50 {p99 / p50:.2f}); silences >= 15 ms: {sum(r >= 15 for r in runs)}, "
            f">= 30 ms: {sum(r >= 30 for r in runs)}, longest {max(runs, default=0):.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", nargs="+")
    parser.add_argument("--bin-ms", type=float, default=5.0, help="resolution (default 5 ms)")
    args = parser.parse_args()
    if args.bin_ms <= 0:
        sys.exit("--bin-ms must be positive")
    for path in args.logs:
        print(summarize(path, int(args.bin_ms * 1000)))


if __name__ == "__main__":
    main()
