# Shared by bench/fleet.sh and bench/restart.sh (sourced, after they set `here` and URLS): a work directory
# removed at exit with everything started in it, wrk and nginx installed, Ferry built, and an nginx origin
# serving URLS files.

# bench_work NAME: $work, $pids and the exit trap; what the scripts need installed and built.
bench_work() {
  work=$(mktemp -d "/tmp/ferry-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  command -v wrk >/dev/null && command -v nginx >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null; }
  [[ -f "$here/proxy-core/target/ferry.jar" ]] || (cd "$here" && mvn -q -DskipTests package)
  mkdir -p "$work/www/f" "$work/logs"
  chmod 755 "$work" "$work/www" "$work/www/f"
}

# Stops what was started (its pid in $pids, or its command line naming $work); KEEP_LOGS=dir keeps the logs.
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pkill -f "$work" 2>/dev/null || true
  sleep 1
  if [[ -n "${KEEP_LOGS:-}" ]]; then cp -r "$work/logs" "$KEEP_LOGS"; fi
  rm -rf "$work"
}

# file_origin PORT BYTES: nginx on core 0 serving URLS files of BYTES random bytes (base64) as /f/1.., cacheable
# for an hour, each request in $work/logs/access.log (the scripts count origin fetches there).
file_origin() {
  for i in $(seq 1 "$URLS"); do head -c "$2" /dev/urandom | base64 -w0 > "$work/www/f/$i"; done
  cat > "$work/origin.conf" <<EOF2
worker_processes 1; daemon off; pid $work/origin.pid; error_log $work/logs/origin.err;
events { worker_connections 4096; }
http { access_log $work/logs/access.log; keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; root $work/www; location / { add_header Cache-Control "public, max-age=3600"; } } }
EOF2
  taskset -c 0 nginx -c "$work/origin.conf" & pids+=($!)
}
