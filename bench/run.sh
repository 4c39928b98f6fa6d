#!/usr/bin/env bash
# Side-by-side benchmark of Ferry against the real peers on this machine, in one run:
#   proxy:   origin direct (upper bound), HAProxy, nginx, Ferry        - 1 KiB and 100 KiB files
#   cache:   Varnish and Ferry serving hits                            - 1 KiB and 100 KiB
#   cache-load: the same hits driven by Ferry's own load generator (bench/load.sh) instead of wrk: wrk reads
#            8 KiB at a time and its core saturates on 100 KiB hits before either server does; this one reads
#            up to 64 KiB and reports its own CPU while measuring (LOAD_WARMUP, 3s, of its JVM's warm-up first)
#   fastcgi: nginx fastcgi_pass and Ferry, each with its own identical php-fpm pool (4 children, a fast
#            1 KiB page): both tuned (keepalive 4 / max-conns = 4), and Ferry on its defaults
#   startup: each of HAProxy, nginx and Ferry restarted: seconds until its port accepts, then req/s in each
#            of the first STARTUP_SECONDS seconds (1 KiB through it, 50 connections; Ferry with its CDS archive)
#   fastcgi-slow: a page that takes 100 ms, pools of 20 children, at $SLOW_CONNS connections: nginx and
#            Ferry on their defaults (no keepalive, php-fpm's backlog queues), and Ferry with max-conns = 20
#   compress: a 24 KiB HTML page through HAProxy (compression algo gzip), nginx (gzip on, level 6) and Ferry
#            (gzip level 6; brotli; and the page uncompressed), the client sending a browser's Accept-Encoding
#   h2:      HAProxy, nginx and Ferry with HTTP/2 front ends (cleartext, prior knowledge), HTTP/1.1 to the
#            origin, loaded by h2load: 1 KiB and 100 KiB, 10 connections x 100 streams and 1000 x 10
#   h2tls:   the same over TLS 1.3 (one self-signed EC P-256 certificate, ALPN h2), as browsers and the issue's
#            own measurement reach a front end; each run's connections make their handshakes in it
# at 50, 500 and 2000 connections, ROUNDS rounds interleaved (each round's order one place on from the last's);
# medians, min-max and ratios to Ferry.
# Servers run on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU (taskset). See BENCHMARKS.md.
# Usage: bench/run.sh   (env: ROUNDS=3 DURATION=10s CONNS="50 500 2000" SCENARIOS="proxy cache fastcgi h2" SKIP_IDLE=1 IDLE_CONNS=9000 WARMUP=20s
#                       WARMUP_LARGE=5s WARMUP_BURSTS=10 BASELINE_JAR=/path/to/an/older/ferry.jar FERRY_WARMUP=200ms)
# RULES=1 adds ferry-rules to the proxy scenario: this build with a WordPress site's rules (8 rules, a
# 100 000-line redirect map, request IDs) against the same build without any (ferry).
# BASELINE_JAR adds an older Ferry build as one more contender in every scenario (ferry-base, ferry-base-cache,
# ferry-base-fcgi, ferry-base-slow), same config, own php-fpm pool (the slow one shares ferry-slow's, the runs
# being one after another): before/after numbers for a change from one run. It runs through bin/ferry with the
# JVM's own inlining (BASELINE_JIT_LIMITS=on gives it bin/ferry's limits); BASELINE_JAVA_OPTS adds JVM options.
# The startup scenario restarts Ferry four times: on the JVM's own inlining (ferry-jvm-inlining), with the
# compiler threads left at the process's priority (ferry-jit-priority-0: global.jit-priority = 0), warming up
# on a cold start too (ferry-warm-up-200ms: global.warm-up = 200ms) and as bin/ferry runs it (ferry). BASELINE_TREE=/path/to/an/older/checkout (built, and its bin/ferry run and stopped
# once so its class-data archive exists) adds ferry-base to it, started by that checkout's own bin/ferry on the
# ferry-base config: before/after for a change to the start, launcher included (needs BASELINE_JAR too).
# Where a JDK 25+ is installed (FERRY_JDK25=/its/home, else the first under /usr/lib/jvm; FERRY_JDK25=none for
# none) the startup scenario adds ferry-aot: bin/ferry on that JDK with its AOT cache, made first (when the jar has
# none newer than itself) by a training run: a start, AOT_TRAINING (20s) of the same load, a clean stop.
# STARTUP_REPEATS=5 starts every startup contender five times, round after round, and adds the medians.
# H2_LOG_DIR=/some/dir keeps h2load's per-request log of every HTTP/2 run there (start in µs since the epoch,
# status, µs), named round-scenario-contender-path-load.log, for a look at when the slow requests came.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-"proxy cache cache-load fastcgi fastcgi-slow h2 h2tls compress esi startup"}
SLOW_CONNS=${SLOW_CONNS:-"50"}
H2_LOADS=${H2_LOADS:-"10x100 1000x10"}   # connections x concurrent streams per connection
DURATION=${DURATION:-10s}
FERRY_JAVA_OPTS=${FERRY_JAVA_OPTS:--Xmx1g} # every Ferry's JVM options (the baseline's too)
CONNS=${CONNS:-"50 500 2000"}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pkill -f "$work" 2>/dev/null || true   # workers and children started with the work directory in their command line
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

need=()
for bin in nginx haproxy varnishd wrk h2load /usr/sbin/php-fpm8.2 python3 openssl; do
  command -v "$bin" >/dev/null 2>&1 || [[ -x "$bin" ]] || need+=("$bin")
done
if (( ${#need[@]} )); then
  echo "installing nginx-light haproxy varnish wrk nghttp2-client php8.2-fpm openssl" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light haproxy varnish wrk \
    nghttp2-client php8.2-fpm openssl >/dev/null
fi
[[ -f "$here/proxy-core/target/ferry.jar" && -f "$here/proxy-bench/target/benchmarks.jar" ]] || (cd "$here" && mvn -q -DskipTests package)
ulimit -n 20000 || true
# Listen backlogs are capped by net.core.somaxconn; at 1000 connections a small cap turns into SYN
# retries (1 s stalls) for every contender.
if [[ $(cat /proc/sys/net/core/somaxconn) -lt 1024 ]]; then
  if [[ $(id -u) == 0 ]] && sysctl -qw net.core.somaxconn=1024 2>/dev/null; then
    echo "raised net.core.somaxconn to 1024" >&2
  else
    echo "warning: net.core.somaxconn is $(cat /proc/sys/net/core/somaxconn); 1000-connection results will show connect stalls" >&2
  fi
fi
pin() { taskset -c "$SERVER_CPU" "$@"; }

# ---- content
mkdir -p "$work/www" "$work/php" "$work/logs"
chmod 755 "$work" "$work/www" "$work/php"   # nginx workers run as nobody
head -c 768 /dev/urandom | base64 -w0 > "$work/www/1k"        # exactly 1024 bytes
head -c 76800 /dev/urandom | base64 -w0 > "$work/www/100k"     # exactly 102400 bytes
# a 24 KiB HTML page for the compress scenario: text that compresses as a real page does (about 5:1)
python3 - "$work/www/page.html" <<'PY'
import random, sys
random.seed(7)
words = "ferry cache proxy request response header body stream backend origin client route rule page post".split()
with open(sys.argv[1], "w") as f:
    f.write("<!doctype html><html><head><title>Bench</title></head><body>\n")
    n = 0
    while n < 24 * 1024 - 200:
        line = '<p class="post">' + " ".join(random.choice(words) for _ in range(12)) + "</p>\n"
        f.write(line)
        n += len(line)
    f.write("</body></html>\n")
PY
# the esi scenario: a 10 KiB page of five 1 KiB includes (Surrogate-Control from the origin), and the
# same page as one plain file, to compare an assembled hit with a plain one
mkdir -p "$work/www/esi" "$work/www/frag"
python3 - "$work/www" <<'PY'
import sys
root = sys.argv[1]
frags = [f"<div class=\"box\">{('fragment %d ' % i) * 100}</div>\n"[:1024] for i in range(1, 6)]
for i, f in enumerate(frags, 1):
    open(f"{root}/frag/{i}.html", "w").write(f)
part = "<p>" + "page text " * 100 + "</p>\n"
template = "<!doctype html><html><body>\n" + "".join(part + f'<esi:include src="/frag/{i}.html"/>\n' for i in range(1, 6)) + "</body></html>\n"
plain = "<!doctype html><html><body>\n" + "".join(part + f + "\n" for f in frags) + "</body></html>\n"
open(f"{root}/esi/page.html", "w").write(template)
open(f"{root}/esi/plain.html", "w").write(plain)
PY
cat > "$work/php/bench.php" <<'PHP'
<?php
header('Content-Type: text/plain');
echo str_repeat('x', 1024);
PHP
cat > "$work/php/slow.php" <<'PHP'
<?php
usleep(100000); // a typical database-backed page
header('Content-Type: text/plain');
echo str_repeat('x', 1024);
PHP

# ---- one certificate for every TLS front end (h2tls): EC P-256, its key as PKCS#8 (Ferry) and with it (HAProxy)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" \
  -days 2 -subj /CN=localhost 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$work/tls.key" -out "$work/tls.pk8"
cat "$work/tls.crt" "$work/tls.key" > "$work/tls.pem"

# ---- origin: nginx serving the files
cat > "$work/origin.conf" <<EOF2
worker_processes 1; daemon off; pid $work/origin.pid; error_log $work/logs/origin.err;
events { worker_connections 20000; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  server { listen 127.0.0.1:18080 backlog=1024; root $work/www; location / { }
    location /esi/page.html { add_header Surrogate-Control 'content="ESI/1.0"'; } } }
EOF2
pin nginx -c "$work/origin.conf" & pids+=($!)
origin_pid=$!

# ---- HAProxy (http mode, server keepalive)
cat > "$work/haproxy.cfg" <<EOF2
global
  maxconn 9000
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:18081 backlog 1024
  default_backend be
frontend fe_h2
  bind 127.0.0.1:18088 backlog 1024 proto h2
  default_backend be
frontend fe_h2tls
  bind 127.0.0.1:18488 backlog 1024 ssl crt $work/tls.pem alpn h2
  default_backend be
frontend fe_gzip
  bind 127.0.0.1:18181 backlog 1024
  compression algo gzip
  compression type text/html
  default_backend be
backend be
  server origin 127.0.0.1:18080 maxconn 9000
EOF2
pin haproxy -f "$work/haproxy.cfg" -db & pids+=($!)
haproxy_pid=$!

# ---- nginx as proxy (HTTP/1.1 upstream keepalive, enough spare connections) and FastCGI
cat > "$work/nginx.conf" <<EOF2
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/logs/nginx.err;
events { worker_connections 20000; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  upstream origin { server 127.0.0.1:18080; keepalive 1024; keepalive_requests 1000000; }
  # keepalive must not exceed pm.max_children: an idle kept connection holds a php-fpm child
  upstream php { server 127.0.0.1:19001; keepalive 4; }
  server { listen 127.0.0.1:18082 backlog=1024;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:18182 backlog=1024; gzip on; gzip_comp_level 6;
    gzip_proxied any; gzip_min_length 256; gzip_vary on;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:18089 backlog=1024 http2; http2_max_concurrent_streams 128;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:18489 backlog=1024 ssl http2; http2_max_concurrent_streams 128;
    ssl_certificate $work/tls.crt; ssl_certificate_key $work/tls.key; ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:18086 backlog=1024; root $work/php;
    location ~ \.php\$ { fastcgi_pass php; fastcgi_keep_conn on; include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; } }
  # nginx's defaults: a connection per request, php-fpm's backlog queues
  server { listen 127.0.0.1:18186 backlog=1024; root $work/php;
    location ~ \.php\$ { fastcgi_pass 127.0.0.1:19011; include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; } }
}
EOF2
pin nginx -c "$work/nginx.conf" & pids+=($!)
nginx_pid=$!

# ---- identical php-fpm pools, one for each FastCGI contender: 4 children for the fast page (1900x),
# 20 for the slow one (1901x)
fpm_ports="19001 19002 19004 19011 19012 19013"
[[ -n "${BASELINE_JAR:-}" ]] && fpm_ports="$fpm_ports 19003"
for port in $fpm_ports; do
  children=4; [[ $port == 1901? ]] && children=20
  cat > "$work/fpm-$port.conf" <<EOF2
[global]
pid = $work/fpm-$port.pid
error_log = $work/logs/fpm-$port.log
daemonize = no
[bench]
listen = 127.0.0.1:$port
pm = static
pm.max_children = $children
EOF2
  pin /usr/sbin/php-fpm8.2 -n -F -y "$work/fpm-$port.conf" $([[ $(id -u) == 0 ]] && echo -R) & pids+=($!)
done

# ---- Varnish (cache hits)
cat > "$work/default.vcl" <<'EOF2'
vcl 4.1;
backend default { .host = "127.0.0.1"; .port = "18080"; }
sub vcl_backend_response {
  set beresp.ttl = 1h;
  if (beresp.http.Surrogate-Control ~ "ESI/1.0") { unset beresp.http.Surrogate-Control; set beresp.do_esi = true; }
}
EOF2
pin varnishd -F -a 127.0.0.1:18084 -f "$work/default.vcl" -s malloc,256m -n "$work/varnish" -p thread_pools=1 \
  > "$work/logs/varnish.out" 2>&1 & pids+=($!)
varnish_pid=$!

# ---- Ferry: proxy, cache, FastCGI (one process, three listeners' worth of routes); the TLS listener only
# for h2tls, so the startup scenario's starts stay comparable with earlier runs
tls_listener=""
[[ " $SCENARIOS " == *" h2tls "* ]] && \
  tls_listener="    { name = tls, bind = \"127.0.0.1\", port = 18483, tls { cert = \"$work/tls.crt\", key = \"$work/tls.pk8\" } }"
cat > "$work/ferry.conf" <<EOF2
ferry {
  global { io-threads = 1, max-connections = 12000${FERRY_WARMUP:+, warm-up = $FERRY_WARMUP}, handover-socket = "$work/handover.sock" }
  listeners = [
    { name = proxy, bind = "127.0.0.1", port = 18083 }
    { name = cache, bind = "127.0.0.1", port = 18085 }
    { name = fastcgi, bind = "127.0.0.1", port = 18087 }
$tls_listener
  ]
  backends {
    origin { servers = [ "127.0.0.1:18080" ], pool { max-idle = 1024 } }
    cached { servers = [ "127.0.0.1:18080" ] }
    php { type = fastcgi, servers = [ "127.0.0.1:19002" ], max-conns = 4, fastcgi.document-root = "$work/php" }
    php-default { type = fastcgi, servers = [ "127.0.0.1:19004" ], fastcgi.document-root = "$work/php" }
    php-slow { type = fastcgi, servers = [ "127.0.0.1:19012" ], fastcgi.document-root = "$work/php" }
    php-slow-tuned { type = fastcgi, servers = [ "127.0.0.1:19013" ], max-conns = 20, fastcgi.document-root = "$work/php" }
  }
  routes = [
    { host = "cache.bench", backend = cached }
    # cache = false: the FastCGI scenarios measure PHP through Ferry, not cache hits (php-fpm sends no
    # Cache-Control, so default-ttl would make every page a hit)
    { host = "php.bench", backend = php, cache = false }
    { host = "php-default.bench", backend = php-default, cache = false }
    { host = "php-slow.bench", backend = php-slow, cache = false }
    { host = "php-slow-tuned.bench", backend = php-slow-tuned, cache = false }
    # the compress scenario: one encoding each, at the level nginx uses (6) and brotli's default here
    { host = "gzip.bench", backend = origin, cache = false, compression { enabled = true, algorithms = [ gzip ], gzip-level = 6 } }
    { host = "br.bench", backend = origin, cache = false, compression { enabled = true, algorithms = [ br ] } }
    # compressed cache hits: the gzip variant stored once, every hit sends its bytes
    { host = "gzip-hit.bench", backend = cached, compression { enabled = true, algorithms = [ gzip ], gzip-level = 6 } }
    { backend = origin, cache = false }
  ]
  cache { enabled = true, default-ttl = 1h }
  access-log.enabled = false   # as every other contender here
  timeouts.http-keep-alive = 60s
}
EOF2
JAVA_OPTS="$FERRY_JAVA_OPTS" taskset -c "$SERVER_CPU" "$here/bin/ferry" "$work/ferry.conf" > "$work/logs/ferry.out" 2>&1 & pids+=($!)
ferry_pid=$!
if [[ -n "${BASELINE_JAR:-}" ]]; then
  # The same config for the older build, on ports ten higher and with its own php-fpm pool.
  sed -e 's/port = 1808\([357]\)/port = 1809\1/' -e 's/port = 18483/port = 18493/' -e 's/127.0.0.1:19002/127.0.0.1:19003/' \
    -e 's/handover\.sock/handover-base.sock/' "$work/ferry.conf" > "$work/ferry-base.conf"
  # Through bin/ferry as the current build (leak detector off; no CDS archive, which only changes the start),
  # with the JVM's own inlining unless BASELINE_JIT_LIMITS=on (bin/ferry sets its limits since 2026-12-03).
  FERRY_CLASSPATH="$BASELINE_JAR" FERRY_JIT_LIMITS="${BASELINE_JIT_LIMITS:-off}" \
    JAVA_OPTS="$FERRY_JAVA_OPTS ${BASELINE_JAVA_OPTS:-}" \
    taskset -c "$SERVER_CPU" "$here/bin/ferry" "$work/ferry-base.conf" > "$work/logs/ferry-base.out" 2>&1 & pids+=($!)
  base_pid=$!
fi
if [[ -n "${RULES:-}" ]]; then
  # The same build and config with a WordPress site's rule set (conf/examples/wordpress.conf's kind, and a
  # 100 000-line redirect map) on ports a hundred higher: what the rules cost on plain proxying.
  python3 - "$work/legacy.map" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        f.write(f"/legacy/page-{i}.html https://www.example.org/articles/{i}-a-title-of-some-length/\n")
PY
  sed -e 's/port = 1808\([357]\)/port = 1818\1/' -e 's/port = 18483/port = 18583/' -e 's/127.0.0.1:19002/127.0.0.1:19005/' -e 's/handover\.sock/handover-rules.sock/' "$work/ferry.conf" | sed '$d' > "$work/ferry-rules.conf"
  cat >> "$work/ferry-rules.conf" <<EOF2
  rules {
    limits.login { rate = 5, per = 1m, burst = 5 }
    maps.legacy { file = "$work/legacy.map", key = "\$uri" }
    request = [
      { if { path = [ "/wp-login.php", "/xmlrpc.php" ], method = POST }, limit = login }
      { if { path-prefix = [ "/wp-admin/", "/wp-login.php" ], not { network = [ "192.0.2.0/24" ] } }, deny = 403 }
      { if { path-regex = "/\\\\.(?!well-known/)|\\\\.(bak|sql|old|orig)\$" }, deny = 404 }
      { if { host = [ "old-example.org", "*.old-example.org" ] }, redirect { status = 301, location = "https://www.example.org\$request_uri" } }
      { if { map = legacy }, redirect { status = 301, location = "\$map_legacy" } }
      { set-header { X-Request-Start = "\$request_id" } }
    ]
    response = [
      { set-header { X-Frame-Options = SAMEORIGIN, X-Content-Type-Options = nosniff, Referrer-Policy = "strict-origin-when-cross-origin" } }
      { del-header = [ X-Powered-By, X-Pingback ] }
    ]
    request-id.enabled = true
  }
}
EOF2
  JAVA_OPTS="$FERRY_JAVA_OPTS" taskset -c "$SERVER_CPU" "$here/bin/ferry" "$work/ferry-rules.conf" > "$work/logs/ferry-rules.out" 2>&1 & pids+=($!)
  rules_pid=$!
fi
sleep 6

# Host headers route Ferry's listeners; the others ignore them.
declare -A url host
url[origin]=http://127.0.0.1:18080;  host[origin]=origin.bench
url[haproxy]=http://127.0.0.1:18081; host[haproxy]=origin.bench
url[nginx]=http://127.0.0.1:18082;   host[nginx]=origin.bench
url[ferry]=http://127.0.0.1:18083;   host[ferry]=origin.bench
url[varnish]=http://127.0.0.1:18084; host[varnish]=origin.bench
url[ferry-cache]=http://127.0.0.1:18085; host[ferry-cache]=cache.bench
url[nginx-fcgi]=http://127.0.0.1:18086;  host[nginx-fcgi]=php.bench
url[ferry-fcgi]=http://127.0.0.1:18087;  host[ferry-fcgi]=php.bench
url[ferry-fcgi-default]=http://127.0.0.1:18087; host[ferry-fcgi-default]=php-default.bench
url[nginx-slow]=http://127.0.0.1:18186;  host[nginx-slow]=php.bench
url[ferry-slow]=http://127.0.0.1:18087;  host[ferry-slow]=php-slow.bench
url[ferry-slow-tuned]=http://127.0.0.1:18087; host[ferry-slow-tuned]=php-slow-tuned.bench
url[ferry-base]=http://127.0.0.1:18093;       host[ferry-base]=origin.bench
url[ferry-base-cache]=http://127.0.0.1:18095; host[ferry-base-cache]=cache.bench
url[ferry-base-fcgi]=http://127.0.0.1:18097;  host[ferry-base-fcgi]=php.bench
url[ferry-base-slow]=http://127.0.0.1:18097;  host[ferry-base-slow]=php-slow.bench
url[ferry-base-h2]=http://127.0.0.1:18093
url[ferry-rules]=http://127.0.0.1:18183;      host[ferry-rules]=origin.bench
# compress: Accept-Encoding as a browser sends it; each contender compresses the same 24 KiB page
url[haproxy-gzip]=http://127.0.0.1:18181; host[haproxy-gzip]=origin.bench
url[nginx-gzip]=http://127.0.0.1:18182;   host[nginx-gzip]=origin.bench
url[ferry-gzip]=http://127.0.0.1:18083;   host[ferry-gzip]=gzip.bench
url[ferry-br]=http://127.0.0.1:18083;     host[ferry-br]=br.bench
url[ferry-identity]=http://127.0.0.1:18083; host[ferry-identity]=origin.bench
url[ferry-gzip-hit]=http://127.0.0.1:18085; host[ferry-gzip-hit]=gzip-hit.bench
url[ferry-identity-hit]=http://127.0.0.1:18085; host[ferry-identity-hit]=cache.bench
compressors="haproxy-gzip nginx-gzip ferry-gzip ferry-br ferry-identity ferry-gzip-hit ferry-identity-hit"
# HTTP/2 with prior knowledge: Ferry's proxy listener speaks both protocols.
url[haproxy-h2]=http://127.0.0.1:18088; url[nginx-h2]=http://127.0.0.1:18089; url[ferry-h2]=http://127.0.0.1:18083
h2s="haproxy-h2 nginx-h2 ferry-h2"
url[haproxy-h2tls]=https://127.0.0.1:18488; url[nginx-h2tls]=https://127.0.0.1:18489; url[ferry-h2tls]=https://127.0.0.1:18483
url[ferry-base-h2tls]=https://127.0.0.1:18493
h2tlss="haproxy-h2tls nginx-h2tls ferry-h2tls"
proxies="origin haproxy nginx ferry"; caches="varnish ferry-cache"; fcgis="nginx-fcgi ferry-fcgi ferry-fcgi-default"
slows="nginx-slow ferry-slow ferry-slow-tuned"
if [[ -n "${BASELINE_JAR:-}" ]]; then
  proxies="$proxies ferry-base"; caches="$caches ferry-base-cache"; fcgis="$fcgis ferry-base-fcgi"
  slows="$slows ferry-base-slow"; h2s="$h2s ferry-base-h2"; h2tlss="$h2tlss ferry-base-h2tls"
fi
[[ -n "${RULES:-}" ]] && proxies="$proxies ferry-rules"

# Every contender gets up to a minute to answer (JVMs starting side by side on one core, a long FERRY_WARMUP).
answers() { # name path: waits until it answers, or says so and fails
  for _ in $(seq 1 600); do curl -sf -H "Host: ${host[$1]}" "${url[$1]}/$2" -o /dev/null && return 0; sleep 0.1; done
  echo "$1 /$2 not answering" >&2; return 1
}
for c in $proxies $caches; do
  for f in 1k 100k; do answers "$c" "$f" || exit 1; done
done
for c in $fcgis; do curl -sf -H "Host: ${host[$c]}" "${url[$c]}/bench.php" -o /dev/null || { echo "$c not answering" >&2; exit 1; }; done
for c in $slows; do curl -sf -H "Host: ${host[$c]}" "${url[$c]}/slow.php" -o /dev/null || { echo "$c not answering" >&2; exit 1; }; done
for c in $h2s; do curl -sf --http2-prior-knowledge "${url[$c]}/1k" -o /dev/null || { echo "$c not answering h2" >&2; exit 1; }; done
[[ " $SCENARIOS " == *" h2tls "* ]] && for c in $h2tlss; do
  [[ $(curl -skf --http2 -w '%{http_version}' "${url[$c]}/1k" -o /dev/null) == 2 ]] || { echo "$c not answering h2 over TLS" >&2; exit 1; }
done
esis="varnish ferry-cache"   # the baseline build may predate ESI
[[ " $SCENARIOS " == *" esi "* ]] && for c in $esis; do # each assembles the page to the plain file's bytes
  curl -sf -H "Host: ${host[$c]}" "${url[$c]}/esi/page.html" -o "$work/esi.$c"
  cmp -s "$work/esi.$c" "$work/www/esi/plain.html" || { echo "$c did not assemble /esi/page.html" >&2; exit 1; }
done
[[ " $SCENARIOS " == *" compress "* ]] && for c in $compressors; do # what each one sends: its encoding and size (the page is 24 KiB)
  enc=$(curl -sf -D - -o "$work/page.$c" -H "Host: ${host[$c]}" -H "Accept-Encoding: gzip, deflate, br, zstd" \
    "${url[$c]}/page.html" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
  echo "$c: Content-Encoding ${enc:-identity}, $(stat -c %s "$work/page.$c") bytes" >&2
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
commit=$(cd "$here" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
raw="$here/bench/results/$stamp-$commit.csv"
echo "round,scenario,contender,path,connections,rps,p50_ms,p99_ms,errors,gen_cpu_pct,server_us_per_req,origin_us_per_req" > "$raw"
# How busy the load generator's core was during a run (%): near 100 the generator, not the server, sets the
# pace, and the row says little about the server.
cpu_ticks() { awk -v c="cpu$LOAD_CPU" '$1 == c {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }
gen_cpu() { # "busy idle" before, "busy idle" after
  awk -v b0="$1" -v i0="$2" -v b1="$3" -v i1="$4" 'BEGIN {t = b1 - b0 + i1 - i0; printf "%.0f", (t > 0 ? 100 * (b1 - b0) / t : 0)}'
}
# The CPU time a contender's server spent per request (µs, user + system): where the generator's core is
# saturated (gen CPU near 100 %) throughput cannot tell the servers apart, their cost per request still can.
# The server's process and its descendants (nginx's and Varnish's workers, the JVM under bin/ferry); not the
# origin behind a proxy, nor php-fpm.
server_pid() { # contender
  case $1 in
    origin) echo "$origin_pid" ;; haproxy*) echo "$haproxy_pid" ;; nginx*) echo "$nginx_pid" ;;
    varnish*) echo "$varnish_pid" ;; ferry-base*) echo "${base_pid:-}" ;; ferry-rules*) echo "${rules_pid:-}" ;;
    ferry*) echo "$ferry_pid" ;;
  esac
}
family() { local p; echo "$1"; for p in $(pgrep -P "$1"); do family "$p"; done; }
server_ticks() { # contender: clock ticks of CPU used so far by its server's processes
  local pid t=0 p
  pid=$(server_pid "$1")
  [[ -n "$pid" ]] || { echo 0; return; }
  for p in $(family "$pid"); do
    t=$((t + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
tick_hz=$(getconf CLK_TCK)
# The origin's CPU per request behind a proxy (scenarios proxy, compress, h2, h2tls; empty elsewhere): the origin
# shares the servers' core, so a proxy's throughput is capped by the sum of the two costs, not by its own alone.
origin_ticks() { # scenario contender: the origin's clock ticks so far, or nothing where the row has no origin share
  case $1 in proxy|compress|h2|h2tls) [[ $2 == origin ]] || server_ticks origin ;; esac
}
run() { # scenario contender path connections round
  local out
  local ae=()
  [[ $1 == compress ]] && ae=(-H "Accept-Encoding: gzip, deflate, br, zstd")
  local before after s0 s1 o0 o1
  before=$(cpu_ticks); s0=$(server_ticks "$2"); o0=$(origin_ticks "$1" "$2")
  out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$4" -d"$DURATION" --latency -H "Host: ${host[$2]}" "${ae[@]}" "${url[$2]}$3" 2>&1 || true)
  after=$(cpu_ticks); s1=$(server_ticks "$2"); o1=$(origin_ticks "$1" "$2")
  python3 - "$out" "$5,$1,$2,$3,$4" "$(gen_cpu $before $after)" "$((s1 - s0))" "$tick_hz" "${o0:+$((o1 - o0))}" >> "$raw" <<'PY'
import re, sys
out, prefix, gen, ticks, hz, oticks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")
rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
done = re.search(r"(\d+) requests in", out)
n = int(done.group(1)) if done else 0
us = f"{ticks * 1e6 / hz / n:.1f}" if n > 0 and ticks > 0 else ""
ous = f"{int(oticks) * 1e6 / hz / n:.1f}" if n > 0 and oticks else ""
print(f"{prefix},{rps.group(1) if rps else 'nan'},{ms(p50.group(1)) if p50 else 'nan'},{ms(p99.group(1)) if p99 else 'nan'},{errors},{gen},{us},{ous}")
PY
}
run_load() { # scenario contender path connections round: as run, with Ferry's own load generator instead of wrk.
  # Both CPU columns are read by the generator over its measurement alone: its own JVM's, and the server's
  # processes' (with their descendants).
  local out
  out=$(taskset -c "$LOAD_CPU" java -cp "$here/proxy-bench/target/benchmarks.jar" io.ferry.bench.load.LoadMain "${url[$2]}$3" \
    -c "$4" -d "$DURATION" --warmup "${LOAD_WARMUP:-3s}" -H "Host: ${host[$2]}" --server-pid "$(server_pid "$2")" 2>&1 || true)
  python3 - "$out" "$5,$1,$2,$3,$4" >> "$raw" <<'PY'
import re, sys
out, prefix = sys.argv[1], sys.argv[2]
done = re.search(r"requests (\d+) in [\d.]+ s: ([\d.]+) req/s", out)
lat = re.search(r"latency ms: p50 ([\d.]+)\s+p90 [\d.]+\s+p99 ([\d.]+)", out)
gen = re.search(r"generator CPU while measuring: (\d+) %", out)
server = re.search(r"server CPU while measuring: \d+ % of one core, ([\d.]+) µs per request", out)
errs = re.search(r"errors: (.*)", out)
errors = sum(int(x) for x in re.findall(r"=(\d+)", errs.group(1))) if errs else 0
us = server.group(1) if server else ""
print(f"{prefix},{done.group(2) if done else 'nan'},{lat.group(1) if lat else 'nan'},{lat.group(2) if lat else 'nan'},"
      f"{errors},{gen.group(1) if gen else ''},{us},")
PY
}
cpu_reading() { # contender scenario: "wall-clock-ns server-ticks [origin-ticks]"
  echo "$(date +%s%N) $(server_ticks "$1") $(origin_ticks "$2" "$1")"
}
run_h2() { # contender path connsxstreams round [scenario]
  local c=${3%x*} m=${3#*x} out log="$work/h2load.log" before after d=${DURATION%s} sampler=""
  rm -f "$log" "$work/h2cpu"
  # h2load counts no requests of its warm-up second, so the servers' CPU is read twice inside the measured
  # stretch (wall clock and ticks, seconds 2 and d-1 after the start) and set against the requests the
  # log shows completing between the two readings.
  if (( d >= 5 )); then
    { sleep 2; cpu_reading "$1" "${5:-h2}"; sleep $((d - 3)); cpu_reading "$1" "${5:-h2}"; } > "$work/h2cpu" &
    sampler=$!
  fi
  before=$(cpu_ticks)
  # h2load -D can fail to stop (session 35: 1000 connections through nginx at 100 KiB, still running after 15
  # minutes): a run gets a minute more than its duration, then is killed and its row reads nan.
  out=$(taskset -c "$LOAD_CPU" timeout -k 5 $((d + 60)) h2load -t1 -c"$c" -m"$m" -D"$d" --warm-up-time=1 \
    --log-file="$log" "${url[$1]}$2" 2>&1 || true)
  [[ "$out" == *"finished in"* ]] || echo "h2load against $1$2 at $3 did not finish: its row reads nan" >&2
  after=$(cpu_ticks)
  [[ -z "$sampler" ]] || wait "$sampler" || true
  [[ -n "${H2_LOG_DIR:-}" ]] && mkdir -p "$H2_LOG_DIR" && cp "$log" "$H2_LOG_DIR/$4-${5:-h2}-$1-${2#/}-$3.log"
  python3 - "$out" "$log" "$4,${5:-h2},$1,$2,$3" "$(gen_cpu $before $after)" "$work/h2cpu" "$tick_hz" >> "$raw" <<'PY'
import os, re, sys
out, log, prefix, gen, cpu_file, hz = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
rps = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
req = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
# a 5xx is also a "failed" request: count failed, errored and timed-out requests once each
errors = sum(int(x) for x in req.groups()) if req else 0
# h2load reports no percentiles; its log has one line per request: start, status, microseconds.
lines = [tuple(map(int, l.split())) for l in open(log) if len(l.split()) == 3] if os.path.exists(log) else []
times = sorted(took for _start, _status, took in lines)
def pct(p):
    return times[min(len(times) - 1, int(len(times) * p))] / 1000 if times else float("nan")
us = ous = ""
readings = [l.split() for l in open(cpu_file)] if os.path.exists(cpu_file) else []
if len(readings) == 2:
    (t0, *c0), (t1, *c1) = readings
    lo, hi = int(t0) // 1000, int(t1) // 1000  # the log's clock: microseconds since the epoch
    n = sum(1 for start, _status, took in lines if lo <= start + took < hi)
    if n > 0:
        us = f"{(int(c1[0]) - int(c0[0])) * 1e6 / hz / n:.1f}"
        if len(c0) > 1 and len(c1) > 1:
            ous = f"{(int(c1[1]) - int(c0[1])) * 1e6 / hz / n:.1f}"
print(f"{prefix},{rps.group(1) if rps else 'nan'},{pct(0.5)},{pct(0.99)},{errors},{gen},{us},{ous}")
PY
}
# Every contender gets the same warm-up; it matters for Ferry, whose JIT compiles the hot path in the
# first seconds under load (the native servers do not need it but are not harmed by it).
WARMUP=${WARMUP:-20s}
echo "warming up ($WARMUP each)" >&2
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }
# Then WARMUP_LARGE (5s) of the 100 KiB file: without it the first 100 KiB run was also the one in which
# Ferry's JIT recompiled for large bodies (its p99 paid for the compiles; BENCHMARKS.md, "The tail after a
# change of traffic").
WARMUP_LARGE=${WARMUP_LARGE:-5s}
want proxy && for c in $proxies; do
  taskset -c "$LOAD_CPU" wrk -t1 -c50 -d"$WARMUP" -H "Host: ${host[$c]}" "${url[$c]}/1k" >/dev/null
  taskset -c "$LOAD_CPU" wrk -t1 -c50 -d"$WARMUP_LARGE" -H "Host: ${host[$c]}" "${url[$c]}/100k" >/dev/null
done
{ want cache || want cache-load; } && for c in $caches; do
  taskset -c "$LOAD_CPU" wrk -t1 -c50 -d"$WARMUP" -H "Host: ${host[$c]}" "${url[$c]}/1k" >/dev/null
done
want fastcgi && for c in $fcgis; do
  taskset -c "$LOAD_CPU" wrk -t1 -c20 -d"$WARMUP" -H "Host: ${host[$c]}" "${url[$c]}/bench.php" >/dev/null
done
want esi && for c in $esis; do
  taskset -c "$LOAD_CPU" wrk -t1 -c50 -d"$WARMUP" -H "Host: ${host[$c]}" "${url[$c]}/esi/page.html" >/dev/null
done
want compress && for c in $compressors; do
  taskset -c "$LOAD_CPU" wrk -t1 -c50 -d"$WARMUP" -H "Host: ${host[$c]}" -H "Accept-Encoding: gzip, br" "${url[$c]}/page.html" >/dev/null
done
h2_contenders() { want h2 && echo "$h2s"; want h2tls && echo "$h2tlss"; true; }
for c in $(h2_contenders); do
  taskset -c "$LOAD_CPU" timeout -k 5 $((${WARMUP%s} + 60)) h2load -t1 -c10 -m100 -D"${WARMUP%s}" "${url[$c]}/1k" >/dev/null || true
  taskset -c "$LOAD_CPU" timeout -k 5 $((${WARMUP_LARGE%s} + 60)) h2load -t1 -c10 -m100 -D"${WARMUP_LARGE%s}" "${url[$c]}/100k" >/dev/null || true
done
# Each wrk run opens all its connections anew, and at 1000 connections their first requests are about
# 1 % of a run: the accept and connect paths count in p99. A JVM compiles those only after they have
# run often, so every contender also gets the same bursts of connections (WARMUP_BURSTS one-second runs
# at the largest connection count) before measuring.
maxconns=$(printf '%s\n' $CONNS | sort -n | tail -1)
bursts() { for _ in $(seq 1 "${WARMUP_BURSTS:-10}"); do
  taskset -c "$LOAD_CPU" wrk -t1 -c"$maxconns" -d1s -H "Host: ${host[$1]}" "${url[$1]}$2" >/dev/null; done; }
want proxy && for c in $proxies; do bursts "$c" /1k; done
# HTTP/2 the same: each h2load run opens and closes its connections (TLS handshakes, GOAWAY, stream and channel
# teardown), which the long warm-up above does once. A JVM that first meets those paths while measured throws away
# hot compiled code that inlined them: in session 35, C2 recompiled for a minute after a warm-up's end (BENCHMARKS).
# So every h2 contender also gets WARMUP_BURSTS one-second runs of each of H2_LOADS.
h2_bursts() {
  local load
  for load in $H2_LOADS; do for _ in $(seq 1 "${WARMUP_BURSTS:-10}"); do
    taskset -c "$LOAD_CPU" timeout -k 5 61 h2load -t1 -c"${load%x*}" -m"${load#*x}" -D1 "${url[$1]}/1k" >/dev/null || true
  done; done
}
for c in $(h2_contenders); do h2_bursts "$c"; done
{ want cache || want cache-load; } && for c in $caches; do bursts "$c" /1k; done
want fastcgi && for c in $fcgis; do bursts "$c" /bench.php; done
want fastcgi-slow && for c in $slows; do
  taskset -c "$LOAD_CPU" wrk -t1 -c20 -d5s -H "Host: ${host[$c]}" "${url[$c]}/slow.php" >/dev/null
done
# Each round starts one place further along the contender lists: a contender run right after another one's load
# meets a different machine than one run first (BENCHMARKS.md, session 36), and in a fixed order that bias stays with
# the same contender every round.
turn() { # round list...: the list rotated by round-1 places
  local k=$(( ($1 - 1) % ($# - 1) )); shift
  local all=("$@")
  echo "${all[@]:$k}" "${all[@]:0:$k}"
}
for r in $(seq 1 "$ROUNDS"); do
  for n in $CONNS; do
    for p in /1k /100k; do
      if want proxy; then for c in $(turn "$r" $proxies); do run proxy "$c" "$p" "$n" "$r"; done; fi
      if want cache; then for c in $(turn "$r" $caches); do run cache "$c" "$p" "$n" "$r"; done; fi
      if want cache-load; then for c in $(turn "$r" $caches); do run_load cache-load "$c" "$p" "$n" "$r"; done; fi
    done
    if want fastcgi; then for c in $(turn "$r" $fcgis); do run fastcgi "$c" /bench.php "$n" "$r"; done; fi
    if want compress; then for c in $(turn "$r" $compressors); do run compress "$c" /page.html "$n" "$r"; done; fi
    if want esi; then for c in $(turn "$r" $esis); do for p in /esi/page.html /esi/plain.html; do run esi "$c" "$p" "$n" "$r"; done; done; fi
    echo "round $r, $n connections done" >&2
  done
  for scenario in h2 h2tls; do
    want "$scenario" || continue
    [[ $scenario == h2 ]] && contenders=$h2s || contenders=$h2tlss
    for l in $H2_LOADS; do for p in /1k /100k; do for c in $(turn "$r" $contenders); do run_h2 "$c" "$p" "$l" "$r" "$scenario"; done; done; done
    echo "round $r, $scenario done" >&2
  done
  if want fastcgi-slow; then
    for n in $SLOW_CONNS; do for c in $(turn "$r" $slows); do run fastcgi-slow "$c" /slow.php "$n" "$r"; done; done
  fi
done

# ---- idle keepalive connections: how many each proxy holds, and resident memory per connection
# (the process and its children, e.g. nginx's worker). IDLE_CONNS defaults to 9000: HAProxy reserves two
# file descriptors per connection and will not start with maxconn 10000 under a 20000 descriptor limit.
idle=""
if [[ -z "${SKIP_IDLE:-}" ]]; then
  for c in haproxy:$haproxy_pid nginx:$nginx_pid ferry:$ferry_pid; do
    who=${c%%:*}
    line=$(python3 - "${c#*:}" "${url[$who]#http://127.0.0.1:}" "${IDLE_CONNS:-9000}" <<'PY'
import socket, subprocess, sys, time
pid, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def family(p):  # the process and all its descendants (a shell, nginx's master, its worker)
    kids = subprocess.run(["pgrep", "-P", p], capture_output=True, text=True).stdout.split()
    return [p] + [d for k in kids for d in family(k)]
pids = family(pid)
def rss():
    total = 0
    for p in pids:
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total
def live_heap():  # a JVM's live objects after a full GC (jcmd), else None
    out = subprocess.run(["jcmd", pid, "GC.class_histogram"], capture_output=True, text=True).stdout
    total = [l.split() for l in out.splitlines() if l.startswith("Total")]
    return int(total[0][2]) if total else None
java = "java" in open(f"/proc/{pid}/cmdline").read()
heap_before = live_heap() if java else None
before = rss()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /1k HTTP/1.1\r\nHost: origin.bench\r\n\r\n")
    socks.append(s)
for s in socks:
    s.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
time.sleep(2)
after = rss()
per = (live_heap() - heap_before) / n if java else 0
heap = f", live Java heap {per / 1024:.1f} KiB ({per:.0f} B) per connection" if java else ""
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        alive += 0 if s.recv(1) == b"" else 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(f"{alive} of {n} held, RSS {before // 1024} MiB -> {after // 1024} MiB, "
      f"{(after - before) / n:.1f} KiB per connection{heap}")
PY
)
    idle="$idle<br>$who: $line"
    sleep 3   # the closed connections go before the next contender is measured
  done
fi

# ---- startup: a restarted contender's first seconds (after everything else, as it restarts them)
startup=""
if want startup; then
  stopped() { # pid port: stops the process started in the background as pid (and what it runs), waits
               # until the port is free
    pkill -TERM -P "$1" 2>/dev/null || true   # pin runs the server as a child of its background subshell
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    for _ in $(seq 1 300); do (echo > "/dev/tcp/127.0.0.1/$2") 2>/dev/null || return 0; sleep 0.1; done
  }
  each_second() { # name [seconds]: req/s in each of the next seconds (STARTUP_SECONDS; 1 KiB, 50 connections)
    local rates="" r
    for _ in $(seq 1 "${2:-${STARTUP_SECONDS:-30}}"); do
      r=$(taskset -c "$LOAD_CPU" wrk -t1 -c50 -d1s -H "Host: ${host[$1]}" "${url[$1]}/1k" 2>/dev/null \
        | awk '/Requests\/sec/ {printf "%.0f", $2}')
      rates="$rates ${r:-0}"
    done
    echo "$rates"
  }
  restart() { # name: stops the running one, starts it again in the background, sets t0 and started_pid
    case $1 in
      haproxy) stopped "$haproxy_pid" "$port"; t0=$(date +%s.%N); pin haproxy -f "$work/haproxy.cfg" -db & started_pid=$! ;;
      nginx)   stopped "$nginx_pid" "$port"; t0=$(date +%s.%N); pin nginx -c "$work/nginx.conf" & started_pid=$! ;;
      ferry|ferry-jvm-inlining|ferry-jit-priority-0|ferry-warm-up-200ms) # bin/ferry without its inlining limits
               # (the JVM's defaults), without global.jit-priority (the compilers at the process's priority), with
               # a warm-up on a cold start too (global.warm-up = 200ms; auto warms up upgrades only), and as it runs
               stopped "$ferry_pid" "$port"; t0=$(date +%s.%N)
               opts="$FERRY_JAVA_OPTS"; [[ $1 == ferry-jit-priority-0 ]] && opts="$opts -Dferry.global.jit-priority=0"
               [[ $1 == ferry-warm-up-200ms ]] && opts="$opts -Dferry.global.warm-up=200ms"
               FERRY_JIT_LIMITS=$([[ $1 == ferry-jvm-inlining ]] && echo off || echo on) JAVA_OPTS="$opts" \
                 taskset -c "$SERVER_CPU" "$here/bin/ferry" "$work/ferry.conf" >> "$work/logs/ferry.out" 2>&1 & started_pid=$! ;;
      ferry-aot) # bin/ferry on JDK 25+ with its AOT cache; a training run makes the cache when there is none
               stopped "$ferry_pid" "$port"
               if [[ ! "$here/proxy-core/target/ferry.jar.aot" -nt "$here/proxy-core/target/ferry.jar" ]]; then
                 JAVA_HOME="$FERRY_JDK25" JAVA_OPTS="$FERRY_JAVA_OPTS" taskset -c "$SERVER_CPU" "$here/bin/ferry" \
                   "$work/ferry.conf" >> "$work/logs/ferry.out" 2>&1 & training=$!
                 for _ in $(seq 1 600); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
                 taskset -c "$LOAD_CPU" wrk -t1 -c50 -d"${AOT_TRAINING:-20s}" -H "Host: ${host[ferry]}" "${url[ferry]}/1k" > /dev/null
                 stopped "$training" "$port" # the JVM writes the cache before it exits
                 echo "ferry-aot: AOT cache $(stat -c %s "$here/proxy-core/target/ferry.jar.aot" 2>/dev/null || echo missing) bytes" >&2
               fi
               t0=$(date +%s.%N)
               JAVA_HOME="$FERRY_JDK25" JAVA_OPTS="$FERRY_JAVA_OPTS" taskset -c "$SERVER_CPU" "$here/bin/ferry" "$work/ferry.conf" \
                 >> "$work/logs/ferry.out" 2>&1 & started_pid=$! ;;
      ferry-base) # the older checkout as its own bin/ferry starts it (BASELINE_TREE)
               stopped "$base_pid" "$port"; t0=$(date +%s.%N)
               JAVA_OPTS="$FERRY_JAVA_OPTS" taskset -c "$SERVER_CPU" "$BASELINE_TREE/bin/ferry" "$work/ferry-base.conf" \
                 >> "$work/logs/ferry-base.out" 2>&1 & started_pid=$!; base_pid=$started_pid ;;
    esac
    pids+=("$started_pid")
  }
  for v in ferry-jvm-inlining ferry-jit-priority-0 ferry-warm-up-200ms ferry-aot; do url[$v]=${url[ferry]}; host[$v]=${host[ferry]}; done
  startups="haproxy nginx ferry-jvm-inlining ferry-jit-priority-0 ferry-warm-up-200ms"
  [[ -n "${BASELINE_TREE:-}" && -n "${BASELINE_JAR:-}" ]] && startups="$startups ferry-base"
  if [[ -z "${FERRY_JDK25:-}" ]]; then
    for h in /usr/lib/jvm/*; do
      v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$h/release" 2>/dev/null || true)
      if [[ -n "$v" && "$v" -ge 25 && -x "$h/bin/java" ]]; then FERRY_JDK25=$h; break; fi
    done
  fi
  [[ -n "${FERRY_JDK25:-}" && "$FERRY_JDK25" != none ]] && startups="$startups ferry-aot"
  # STARTUP_REPEATS starts of every contender, round after round (one start's first seconds vary by half on a
  # shared machine); with more than one, each contender's median port time and req/s of each second follow.
  for r in $(seq 1 "${STARTUP_REPEATS:-1}"); do
    for c in $startups ferry; do
      port=${url[$c]##*:}
      restart "$c" # sets t0 when the stopped one is gone and the new one starts
      until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.01; done
      open=$(echo "$(date +%s.%N) - $t0" | bc)
      rates=$(each_second "$c")
      echo "$c startup: port open after ${open} s; req/s in seconds 1..: $rates" >&2
      echo "$c $open $rates" >> "$work/startups.txt"
      startup="$startup<br>$c: port open after $(printf '%.2f' "$open") s; req/s in each second:$rates"
      case $c in haproxy) haproxy_pid=$started_pid ;; nginx) nginx_pid=$started_pid ;; ferry-base) ;; ferry*) ferry_pid=$started_pid ;; esac
    done
  done
  if (( ${STARTUP_REPEATS:-1} > 1 )); then
    medians=$(python3 - "$work/startups.txt" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    name, *values = line.split()
    runs.setdefault(name, []).append([float(v) for v in values])
for name, starts in runs.items():
    port = statistics.median(s[0] for s in starts)
    seconds = [round(statistics.median(col)) for col in zip(*(s[1:] for s in starts))]
    print(f"{name} (median of {len(starts)} starts): port open after {port:.2f} s; req/s in each second: "
          + " ".join(str(v) for v in seconds))
PY
)
    echo "$medians" >&2
    while IFS= read -r line; do startup="$startup<br>$line"; done <<< "$medians"
  fi
  # An upgrade (bin/ferry upgrade) of the Ferry just measured, under the same load: the new process starts and
  # warms up (global.warm-up) while the old one serves, takes the sockets over, then the old one stops. Each of UPGRADE_VARIANTS sets one global key for the new
  # process. req/s in each second from the moment bin/ferry upgrade began, and when it returned.
  for w in ${UPGRADE_VARIANTS:-warm-up=200ms warm-up=5s}; do
    each_second ferry 15 > /dev/null # the running process at full speed first (it may be the last one upgraded)
    rm -f "$work/upgrade.done"
    t0=$(date +%s.%N)
    ( JAVA_OPTS="$FERRY_JAVA_OPTS -Dferry.global.$w" taskset -c "$SERVER_CPU" "$here/bin/ferry" upgrade "$work/ferry.conf" \
        >> "$work/logs/ferry.out" 2>&1 || echo "ferry upgrade failed" >&2
      date +%s.%N > "$work/upgrade.done" ) &
    upgrading=$!
    rates=""; after=0
    while (( after < ${STARTUP_SECONDS:-30} )); do # the load goes on through the upgrade and after it
      rates="$rates |$(each_second ferry 1)"
      [[ -s "$work/upgrade.done" ]] && after=$((after + 1))
      [[ -s "$work/upgrade.done" && $after -eq 1 ]] && rates="$rates (returned)"
    done
    wait "$upgrading"
    took=$(echo "$(cat "$work/upgrade.done") - $t0" | bc)
    echo "ferry upgrade ($w): returned after ${took} s; req/s in each second from its start: $rates" >&2
    startup="$startup<br>ferry upgrade ($w), under load: bin/ferry upgrade returned after $(printf '%.2f' "$took") s (the port open throughout); req/s in each second from the moment it began:$rates"
  done
  pkill -f "$work/ferry.conf" 2>/dev/null || true # the upgraded process is no child of this script
fi

summary="$here/bench/results/$stamp-$commit.md"
python3 "$here/bench/summarize.py" "$raw" "$idle" "$DURATION" "$ROUNDS" "$startup" > "$summary"
cat "$summary"
echo "results: $raw, $summary"
