#!/usr/bin/env bash
# A three-instance fleet against three independent instances, same machine, same request mix: hit rate and
# origin requests, and the latency a hop to the owner adds. Ferry on core 0 (all three), wrk on core 1.
# Usage: bench/fleet.sh   (env: URLS=3000 DURATION=10s CONNS=20)   Results: bench/results/fleet-<date>-<commit>.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URLS=${URLS:-3000}; DURATION=${DURATION:-10s}; CONNS=${CONNS:-20}
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bench_work fleet
file_origin 18400 768
ips=(127.0.0.2 127.0.0.3 127.0.0.4)
start_fleet() { # mode: fleet | alone
  local peers="" i
  for i in 0 1 2; do peers="$peers${peers:+, }\"${ips[$i]}:18401\""; done
  for i in 0 1 2; do
    cat > "$work/ferry-$1-$i.conf" <<EOF2
ferry {
  global { io-threads = 1 }
  listeners = [ { name = http, bind = "${ips[$i]}", port = 18401 } ]
  access-log.enabled = false
  backends.origin { servers = [ "127.0.0.1:18400" ] }
  routes = [ { backend = origin } ]
  cache { enabled = true, size = 512m }
  $( [[ $1 == fleet* ]] && echo "cluster { self = \"${ips[$i]}:18401\", peers = [ $peers ]$( [[ $1 == fleet-local ]] && echo ", local-ttl = 10s" ) }" )
}
EOF2
    JAVA_OPTS="-Xmx512m" taskset -c 0 "$here/bin/ferry" "$work/ferry-$1-$i.conf" > "$work/logs/ferry-$1-$i.out" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2; do
    for _ in $(seq 1 100); do curl -sf "http://${ips[$i]}:18401/f/1" -o /dev/null && break; sleep 0.1; done
  done
}
stop_fleet() { pkill -f "ferry-$1-" || true; sleep 2; }
cat > "$work/mix.lua" <<EOF2
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function() return wrk.format("GET", "/f/" .. math.random(1, $URLS)) end
EOF2
declare -A result
run_mix() { # mode
  : > "$work/logs/access.log"; kill -USR1 "$(cat "$work/origin.pid")"; sleep 0.5
  local total=0 i out
  for i in 0 1 2; do
    taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" -H "Host: site.bench" -s "$work/mix.lua" "http://${ips[$i]}:18401" > "$work/wrk-$1-$i.txt" 2>&1 &
  done
  wait $(jobs -p | tail -3) 2>/dev/null || true
  for i in 0 1 2; do
    out=$(grep -oE '^ +[0-9]+ requests' "$work/wrk-$1-$i.txt" | grep -oE '[0-9]+'); total=$((total + out))
  done
  local origin; origin=$(wc -l < "$work/logs/access.log")
  result[$1]="$total requests, $origin to the origin, hit rate $(python3 -c "print(f'{100*(1-$origin/$total):.1f} %')")"
  echo "$1: ${result[$1]}" >&2
}
hop() { # latency of a hit through a non-owner vs at the owner (fleet running)
  local owner="" other="" url v
  for n in $(seq 1 50); do
    v=$(curl -sf -D - -o /dev/null -H "Host: site.bench" "http://${ips[0]}:18401/f/$n" | tr -d '\r' | awk -F': ' 'tolower($1)=="via"{print $2}')
    if [[ "$v" == *,* ]]; then [[ -z $other ]] && other=$n; else [[ -z $owner ]] && owner=$n; fi
    [[ -n $owner && -n $other ]] && break
  done
  for url in "$owner" "$other"; do
    curl -sf -H "Host: site.bench" "http://${ips[0]}:18401/f/$url" -o /dev/null
    taskset -c 1 wrk -t1 -c1 -d5s --latency -H "Host: site.bench" "http://${ips[0]}:18401/f/$url" > "$work/hop-$url.txt" 2>&1
  done
  local a b
  a=$(grep -E '^ +(50|99)%' "$work/hop-$owner.txt" | awk '{print $2}' | paste -sd/); b=$(grep -E '^ +(50|99)%' "$work/hop-$other.txt" | awk '{print $2}' | paste -sd/)
  result[hop]="p50/p99 of a hit at its owner: $a; through a non-owner (one hop more): $b; req/s $(grep Requests/sec "$work/hop-$owner.txt" | awk '{print $2}') vs $(grep Requests/sec "$work/hop-$other.txt" | awk '{print $2}') on one connection"
  echo "hop: ${result[hop]}" >&2
}
start_fleet alone; run_mix alone; run_mix alone-warm; stop_fleet alone
start_fleet fleet; run_mix fleet; run_mix fleet-warm; hop; stop_fleet fleet
start_fleet fleet-local; run_mix fleet-local; run_mix fleet-local-warm; stop_fleet fleet-local
stamp=$(date -u +%Y-%m-%dT%H%M%SZ); commit=$(cd "$here" && git rev-parse --short HEAD)
out="$here/bench/results/fleet-$stamp-$commit.md"
{
  echo "# Fleet $stamp ($commit)"; echo
  echo "$URLS URLs of 1 KiB, uniform random, wrk -t1 -c$CONNS -d$DURATION at each of three instances at once (all three Ferry on core 0), one site (Host: site.bench)."; echo
  echo "| | first run (cold caches) | second run (warm) |"; echo "|---|---|---|"
  echo "| three independent instances | ${result[alone]} | ${result[alone-warm]} |"
  echo "| a fleet (cluster, one cache) | ${result[fleet]} | ${result[fleet-warm]} |"
  echo "| a fleet, local-ttl = 10s (non-owners keep copies) | ${result[fleet-local]} | ${result[fleet-local-warm]} |"
  echo; echo "Hop: ${result[hop]}"
} > "$out"
cat "$out"
