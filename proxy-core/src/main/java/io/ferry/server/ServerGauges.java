package io.ferry.server;

import io.ferry.cache.CacheStats;
import io.ferry.cache.HttpCache;
import io.ferry.exchange.CacheFront;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Metrics read from live state when Prometheus scrapes: connections, servers' health and load, queues,
 * and the cache's counters. Nothing is recorded on the request path for these.
 */
final class ServerGauges {
    private ServerGauges() {
    }

    static void register(PrometheusRegistry registry, Supplier<ProxyRuntime> runtime, IntSupplier clientConnections,
                         LongSupplier accessLogDropped) {
        GaugeWithCallback.builder().name("ferry_client_connections").help("Open client connections")
                .callback(cb -> cb.call(clientConnections.getAsInt())).register(registry);
        CounterWithCallback.builder().name("ferry_access_log_dropped_lines")
                .help("Access log lines lost: the writer could not keep up, or the disk refused them")
                .callback(cb -> cb.call(accessLogDropped.getAsLong())).register(registry);
        serverGauge(registry, runtime, "ferry_server_up", "1 when the server takes traffic (health up, not drained)",
                s -> s.isUp() ? 1 : 0);
        serverGauge(registry, runtime, "ferry_server_in_flight", "Requests the server is serving now", ServerPool::inFlight);
        serverGauge(registry, runtime, "ferry_upstream_connections", "Connections open to the server, idle or busy",
                ServerPool::openConnections);
        serverGauge(registry, runtime, "ferry_upstream_idle_connections", "Idle pooled connections to the server",
                ServerPool::idleConnections);
        GaugeWithCallback.builder().name("ferry_backend_panic")
                .help("1 while too few servers are up (passive-health.panic-threshold) and passively ejected ones "
                        + "take traffic too").labelNames("backend")
                .callback(cb -> {
                    for (Backend b : runtime.get().upstreams.all().values()) {
                        cb.call(b.panic() ? 1 : 0, b.name());
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("ferry_backend_queue_length")
                .help("Requests waiting for a server slot (max-conns)").labelNames("backend")
                .callback(cb -> {
                    for (Backend b : runtime.get().upstreams.all().values()) {
                        cb.call(b.queueLength(), b.name());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("ferry_server_responses").help("Responses received from the server")
                .labelNames("backend", "server").callback(cb -> {
                    for (Backend b : runtime.get().upstreams.all().values()) {
                        for (ServerPool s : b.servers()) {
                            cb.call(s.requests(), b.name(), s.name());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("ferry_server_errors").help("Failed attempts at the server")
                .labelNames("backend", "server").callback(cb -> {
                    for (Backend b : runtime.get().upstreams.all().values()) {
                        for (ServerPool s : b.servers()) {
                            cb.call(s.errors(), b.name(), s.name());
                        }
                    }
                }).register(registry);
        cacheCounter(registry, runtime, "ferry_cache_hits", "Requests answered from the cache", CacheStats::hits);
        cacheCounter(registry, runtime, "ferry_cache_grace_hits", "Hits on stale objects in grace", CacheStats::graceHits);
        cacheCounter(registry, runtime, "ferry_cache_misses", "Lookups that found nothing usable", CacheStats::misses);
        cacheCounter(registry, runtime, "ferry_cache_passes", "Requests the rules sent past the cache", CacheStats::passes);
        cacheCounter(registry, runtime, "ferry_cache_coalesced_waits", "Misses that waited for another's fetch",
                CacheStats::coalescedWaits);
        cacheCounter(registry, runtime, "ferry_cache_evictions", "Objects evicted for space", CacheStats::evictions);
        cacheCounter(registry, runtime, "ferry_cache_stored", "Objects stored", CacheStats::stored);
        GaugeWithCallback.builder().name("ferry_cache_objects").help("Objects in the cache").callback(cb -> {
            HttpCache c = cache(runtime);
            if (c != null) {
                cb.call(c.objects());
            }
        }).register(registry);
        GaugeWithCallback.builder().name("ferry_cache_bytes").help("Bytes the cached objects weigh").callback(cb -> {
            HttpCache c = cache(runtime);
            if (c != null) {
                cb.call(c.bytes());
            }
        }).register(registry);
    }

    private static HttpCache cache(Supplier<ProxyRuntime> runtime) {
        CacheFront f = runtime.get().cache;
        return f == null ? null : f.cache;
    }

    private static void serverGauge(PrometheusRegistry registry, Supplier<ProxyRuntime> runtime, String name, String help,
                                    ToLongFunction<ServerPool> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("backend", "server").callback(cb -> {
            for (Backend b : runtime.get().upstreams.all().values()) {
                for (ServerPool s : b.servers()) {
                    cb.call(value.applyAsLong(s), b.name(), s.name());
                }
            }
        }).register(registry);
    }

    private static void cacheCounter(PrometheusRegistry registry, Supplier<ProxyRuntime> runtime, String name,
                                     String help, ToLongFunction<CacheStats> value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> {
            HttpCache c = cache(runtime);
            if (c != null) {
                cb.call(value.applyAsLong(c.stats()));
            }
        }).register(registry);
    }
}
