#!/usr/bin/env bash
# Bytes a running Ferry (any JVM) allocated while a command ran, from its threads' allocation counters.
# Steady where timings are not: on a noisy host CPU per request moved ±15 % between rounds (BENCHMARKS.md,
# session 34) while allocation per request moved under 1 %, so it shows a change to the hot path's garbage
# from one short run.
# Usage: bench/alloc.sh PID                 the bytes allocated so far
#        bench/alloc.sh PID command [args]   runs the command (a load with a fixed count, e.g. h2load -n 300000),
#                                            then prints the bytes allocated meanwhile; with REQUESTS=N, per request too
# The first reading starts the JVM's local management agent (a few threads, once per process): take one before
# the measured command (e.g. after the warm-up) so that start is not counted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pid=${1:?usage: bench/alloc.sh PID [command args...]}
shift
read_bytes() { java "$here/AllocatedBytes.java" "$pid"; }
if (( $# == 0 )); then
  read_bytes
  exit 0
fi
before=$(read_bytes)
"$@"
after=$(read_bytes)
bytes=$((after - before))
if [[ -n "${REQUESTS:-}" ]]; then
  echo "allocated: $bytes bytes, $((bytes / REQUESTS)) per request"
else
  echo "allocated: $bytes bytes"
fi
