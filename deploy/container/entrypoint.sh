#!/bin/sh
# Starts Ferry in the container (or anywhere): the JVM replaces this shell, so SIGTERM reaches it and
# drains. FERRY_CONF: the config (default /etc/ferry/ferry.conf); FERRY_JAR: the jar (default
# /opt/ferry/ferry.jar), or FERRY_CLASSPATH to run from a build's classes; JAVA_OPTS: JVM options (a
# container's memory limit is honoured by the JVM; -XX:MaxRAMPercentage=70 by default); FERRY_LOGBACK: a Logback
# file (default /opt/ferry/logback.xml when it exists; else the built-in log, conf/logback-example.xml).
set -eu
conf="${FERRY_CONF:-/etc/ferry/ferry.conf}"
logback="${FERRY_LOGBACK:-/opt/ferry/logback.xml}"
opts="${JAVA_OPTS:--XX:MaxRAMPercentage=70}"
set -- -Dio.netty.leakDetection.level=disabled -XX:+UseParallelGC
[ -f "$logback" ] && set -- "$@" "-Dlogback.configurationFile=$logback"
# bin/ferry's inlining limits (README "Running"): full speed seconds sooner after a start; FERRY_JIT_LIMITS=off
# or either flag in JAVA_OPTS leaves the JVM's own.
case "$opts" in
  *FreqInlineSize*|*InlineSmallCode*) ;;
  *) [ "${FERRY_JIT_LIMITS:-on}" = off ] || set -- "$@" -XX:FreqInlineSize=150 -XX:InlineSmallCode=1000 ;;
esac
# Netty's allocator JFR events off (bin/ferry says why: ~0.3 s of every start), unless JAVA_OPTS says otherwise
case "$opts" in
  *io.netty.jfr.enabled*) ;;
  *) set -- "$@" -Dio.netty.jfr.enabled=false ;;
esac
# and Netty's direct memory without the JDK's Cleaner (no zeroing of new chunks), unless JAVA_OPTS says otherwise
case "$opts" in
  *tryReflectionSetAccessible*) ;;
  *) set -- "$@" -Dio.netty.tryReflectionSetAccessible=true --add-opens=java.base/java.nio=ALL-UNNAMED \
       --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED ;;
esac
if [ -n "${FERRY_CLASSPATH:-}" ]; then
  # shellcheck disable=SC2086
  exec java $opts "$@" -cp "$FERRY_CLASSPATH" io.ferry.Ferry "$conf"
fi
# shellcheck disable=SC2086
exec java $opts "$@" -jar "${FERRY_JAR:-/opt/ferry/ferry.jar}" "$conf"
