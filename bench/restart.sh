#!/usr/bin/env bash
# What a restart costs the cache: a Ferry warmed with URLS objects is stopped (SIGTERM) and started again,
# with cache.persist-file and without; then the first DURATION of a uniform request mix: hit rate and
# origin requests. Also the stop's write and the start's read as Ferry logs them. Then an upgrade
# (bin/ferry upgrade through global.handover-socket) under that mix: requests failed, origin requests and
# hit rate over the DURATION it falls in, and how long the upgrade took.
# Usage: bench/restart.sh   (env: URLS=3000 DURATION=5s)   Results: bench/results/restart-<date>-<commit>.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URLS=${URLS:-3000}; DURATION=${DURATION:-5s}
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bench_work restart
file_origin 18500 3000
cat > "$work/mix.lua" <<EOF2
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function() return wrk.format("GET", "/f/" .. math.random(1, $URLS)) end
EOF2
conf() { # persist-file or ""
  cat > "$work/ferry.conf" <<EOF2
ferry {
  global { io-threads = 1 }
  listeners = [ { name = http, bind = "127.0.0.1", port = 18501 } ]
  access-log.enabled = false
  backends.origin.servers = [ "127.0.0.1:18500" ]
  routes = [ { backend = origin } ]
  cache { enabled = true, size = 512m, persist-file = "$1" }
  global.handover-socket = "$work/handover.sock"
}
EOF2
}
start() { JAVA_OPTS="-Xmx512m" taskset -c 0 "$here/bin/ferry" "$work/ferry.conf" >> "$work/logs/ferry.out" 2>&1 & ferry=$!
  for _ in $(seq 1 100); do curl -sf -H "Host: site.bench" http://127.0.0.1:18501/f/1 -o /dev/null && break; sleep 0.1; done; }
stop() { kill -TERM "$ferry"; wait "$ferry" 2>/dev/null || true; }
warm() { for i in $(seq 1 "$URLS"); do echo "url = http://127.0.0.1:18501/f/$i"; echo "output = /dev/null"; done > "$work/urls"
  curl -s -H "Host: site.bench" -K "$work/urls"; }
first_seconds() { : > "$work/logs/access.log"
  taskset -c 1 wrk -t1 -c20 -d"$DURATION" -H "Host: site.bench" -s "$work/mix.lua" http://127.0.0.1:18501 > "$work/wrk.txt" 2>&1
  local total origin; total=$(grep -oE '^ +[0-9]+ requests' "$work/wrk.txt" | grep -oE '[0-9]+'); origin=$(wc -l < "$work/logs/access.log")
  local failed; failed=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) n += $i }
    END { print n + 0 }' "$work/wrk.txt")
  echo "$total requests, $failed failed, $origin to the origin, hit rate $(python3 -c "print(f'{100*(1-$origin/$total):.1f} %')")"; }
declare -A result
for mode in cold persisted; do
  conf "$( [[ $mode == persisted ]] && echo "$work/cache.snapshot" )"
  start; warm; stop; start
  result[$mode]=$(first_seconds); stop
  echo "$mode: ${result[$mode]}" >&2
done
# An upgrade under the mix: the new process starts 1 s into the window and takes the sockets and the cache over.
conf ""
start; warm
( sleep 1; s=$(date +%s%N); JAVA_OPTS="-Xmx512m" taskset -c 0 "$here/bin/ferry" upgrade "$work/ferry.conf" >> "$work/logs/upgrade.out" 2>&1
  awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }' > "$work/upgrade.seconds" ) &
upgrading=$!
result[upgrade]=$(first_seconds); wait "$upgrading" # (not a bare wait: the origin runs until the end)
upgrade_took=$(cat "$work/upgrade.seconds" 2>/dev/null || echo "?")
echo "upgrade: ${result[upgrade]}; bin/ferry upgrade took ${upgrade_took} s" >&2
stamp=$(date -u +%Y-%m-%dT%H%M%SZ); commit=$(cd "$here" && git rev-parse --short HEAD)
out="$here/bench/results/restart-$stamp-$commit.md"
{
  echo "# Restart $stamp ($commit)"; echo
  echo "$URLS objects of 4 KiB warmed, Ferry stopped with SIGTERM and started again; then wrk -c20 for $DURATION of a uniform mix."; echo
  echo "| after the restart | first $DURATION |"; echo "|---|---|"
  echo "| without persist-file (cold) | ${result[cold]} |"; echo "| with cache.persist-file | ${result[persisted]} |"
  echo "| an upgrade 1 s into the window (no persist-file: the cache passes through a temporary file) | ${result[upgrade]}; bin/ferry upgrade returned after ${upgrade_took} s |"
  echo; echo '```'; grep -h "cache: " "$work/logs/ferry.out" | sed 's/^.*cache: /cache: /'; echo '```'
} > "$out"
cat "$out"
