#!/usr/bin/env bash
# Ferry's own load generator (closed or open loop, coordinated-omission corrected, HdrHistogram).
# Usage: bench/load.sh URL [-c 50] [-t 1] [-d 10s | -n N] [-R rate] [--timeout 10s] [--warmup 10s] [-H "Name: value"] [--hgrm f.hgrm] [--html f.html]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ -f "$here/proxy-bench/target/benchmarks.jar" ]] || (cd "$here" && mvn -q -DskipTests package)
exec java -cp "$here/proxy-bench/target/benchmarks.jar" io.ferry.bench.load.LoadMain "$@"
