#!/usr/bin/env bash
# Runs every JMH benchmark of the hot path (proxy-bench) once each, short warm-up, and writes the JMH
# JSON results to bench/results/jmh-<date>-<commit>.json.   Usage: bench/jmh.sh [JMH options or a regex]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ -f "$here/proxy-bench/target/benchmarks.jar" ]] || (cd "$here" && mvn -q -DskipTests package)
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
commit=$(cd "$here" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
out="$here/bench/results/jmh-$stamp-$commit.json"
java -jar "$here/proxy-bench/target/benchmarks.jar" -f 1 -wi 2 -w 1s -i 3 -r 1s -rf json -rff "$out" "$@"
echo "JMH results: $out"
