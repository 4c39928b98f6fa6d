package io.ferry.metrics;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ferry's Prometheus metrics, on the prometheus-metrics client library (its counters and histograms
 * are striped, so event loops record without locks). Data points are looked up once per label set
 * and kept, so a request costs a map read and a few atomic adds.
 */
public final class ProxyMetrics {
    private static final String[] CODE_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram duration;
    private final Histogram upstreamDuration;
    private final Counter retries;
    private final Counter tlsHandshakes;
    private final Counter protocolRequests;
    private final Counter http2Protections;
    private final Counter rateLimited;
    // listener -> protocol -> data point (the stats page sums them)
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, CounterDataPoint>> protocolPoints =
            new ConcurrentHashMap<>();
    // listener -> route -> backend -> one data point per status class; looked up without building keys.
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, ConcurrentHashMap<String, CounterDataPoint[]>>>
            requestPoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, DistributionDataPoint> durationPoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, DistributionDataPoint>> upstreamPoints =
            new ConcurrentHashMap<>();

    public ProxyMetrics() {
        requests = Counter.builder().name("ferry_requests_total")
                .help("Requests answered, by listener, route, backend and status class")
                .labelNames("listener", "route", "backend", "code").register(registry);
        duration = Histogram.builder().name("ferry_request_duration_seconds")
                .help("Time from request head to the last response byte written, by backend")
                .classicOnly().classicUpperBounds(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
                .labelNames("backend").register(registry);
        upstreamDuration = Histogram.builder().name("ferry_upstream_duration_seconds")
                .help("Time from sending a request to a server to the end of its response")
                .classicOnly().classicUpperBounds(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
                .labelNames("backend", "server").register(registry);
        protocolRequests = Counter.builder().name("ferry_requests_by_protocol_total")
                .help("Requests answered, by listener and the protocol the client spoke")
                .labelNames("listener", "protocol").register(registry);
        http2Protections = Counter.builder().name("ferry_http2_protections_total")
                .help("HTTP/2 protections tripped (streams reset, connections ended), by kind")
                .labelNames("listener", "kind").register(registry);
        rateLimited = Counter.builder().name("ferry_rate_limited_total")
                .help("Requests refused by a rate limit (rules.limits), by limit")
                .labelNames("limit").register(registry);
        retries = Counter.builder().name("ferry_retries_total").help("Requests sent again after a failed attempt")
                .labelNames("backend").register(registry);
        tlsHandshakes = Counter.builder().name("ferry_tls_handshakes_total").help("TLS handshakes, by outcome")
                .labelNames("listener", "result").register(registry);
        GaugeWithCallback.builder().name("ferry_netty_direct_memory_bytes")
                .help("Direct memory used by Netty's default buffer allocator")
                .callback(cb -> {
                    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
                        cb.call(p.metric().usedDirectMemory());
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("ferry_netty_heap_memory_bytes")
                .help("Heap memory used by Netty's default buffer allocator")
                .callback(cb -> {
                    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
                        cb.call(p.metric().usedHeapMemory());
                    }
                }).register(registry);
        // The JVM metrics are registered at the first scrape (jvmRegistry), not here: ~50 ms of the start
    }

    /** One registry per process for the JVM's metrics, shared by every server in it (tests start many). */
    private static PrometheusRegistry jvm;

    private static synchronized PrometheusRegistry jvmRegistry() {
        if (jvm == null) {
            jvm = new PrometheusRegistry();
            JvmMetrics.builder().register(jvm);
        }
        return jvm;
    }

    /** For gauges and counters read from state elsewhere (connections, health, cache). */
    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * Per backend, what the stats page's 15-minute history samples: answers, 5xx answers, cache lookups (a hit
     * or a miss) and hits. Cumulative; the history takes differences.
     */
    public static final class BackendTally {
        public final java.util.concurrent.atomic.LongAdder answered = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder serverErrors = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder lookups = new java.util.concurrent.atomic.LongAdder();
        public final java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder();
    }

    private final ConcurrentHashMap<String, BackendTally> tallies = new ConcurrentHashMap<>();

    /** The tally of {@code backend}, or null before its first answer. */
    public BackendTally tally(String backend) {
        return tallies.get(backend);
    }

    /**
     * One finished exchange; route and backend are null when the request never got that far, cacheStatus when
     * the cache had no say (else HIT, MISS, PASS or PEER).
     */
    public void request(String listener, String route, String backend, int status, long nanos, String cacheStatus) {
        int cls = status / 100 - 1;
        if (cls < 0 || cls > 4) {
            cls = 4;
        }
        String r = route == null ? "-" : route;
        String b = backend == null ? "-" : backend;
        var byRoute = requestPoints.get(listener);
        var byBackend = byRoute == null ? null : byRoute.get(r);
        CounterDataPoint[] points = byBackend == null ? null : byBackend.get(b);
        if (points == null) {
            points = newRequestPoints(listener, r, b); // first request of this label set only
        }
        points[cls].inc();
        DistributionDataPoint d = durationPoints.get(b);
        if (d == null) {
            d = durationPoints.computeIfAbsent(b, duration::labelValues);
        }
        d.observe(nanos / 1e9);
        tally(b, status, cacheStatus);
    }

    /** Kept out of request(): a smaller method there stays inlined into its caller. */
    private void tally(String b, int status, String cacheStatus) {
        BackendTally t = tallies.get(b);
        if (t == null) {
            t = tallies.computeIfAbsent(b, k -> new BackendTally());
        }
        t.answered.increment();
        if (status >= 500) {
            t.serverErrors.increment();
        }
        if (cacheStatus != null) {
            if (cacheStatus.equals("HIT")) {
                t.hits.increment();
                t.lookups.increment();
            } else if (cacheStatus.equals("MISS")) {
                t.lookups.increment();
            }
        }
    }

    private CounterDataPoint[] newRequestPoints(String listener, String route, String backend) {
        return requestPoints.computeIfAbsent(listener, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(route, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(backend, k -> {
                    CounterDataPoint[] created = new CounterDataPoint[CODE_CLASSES.length];
                    for (int i = 0; i < created.length; i++) {
                        created[i] = requests.labelValues(listener, route, backend, CODE_CLASSES[i]);
                    }
                    return created;
                });
    }

    public void upstream(String backend, String server, long nanos) {
        var byServer = upstreamPoints.get(backend);
        DistributionDataPoint d = byServer == null ? null : byServer.get(server);
        if (d == null) {
            d = upstreamPoints.computeIfAbsent(backend, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(server, k -> upstreamDuration.labelValues(backend, server));
        }
        d.observe(nanos / 1e9);
    }

    /** One finished exchange by the protocol the client spoke (HTTP/1.1, HTTP/2.0...). */
    public void protocolRequest(String listener, String protocol) {
        var byProtocol = protocolPoints.get(listener);
        CounterDataPoint point = byProtocol == null ? null : byProtocol.get(protocol);
        if (point == null) {
            point = protocolPoints.computeIfAbsent(listener, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(protocol, k -> protocolRequests.labelValues(listener, protocol));
        }
        point.inc();
    }

    /** An HTTP/2 protection tripped ({@code kind}: rapid_reset, control_flood, malformed...). */
    public void http2Protection(String listener, String kind) {
        http2Protections.labelValues(listener, kind).inc();
    }

    /** Requests answered per protocol, for the stats page. */
    public Map<String, Long> requestsByProtocol() {
        Map<String, Long> out = new TreeMap<>();
        protocolPoints.values().forEach(byProtocol -> byProtocol.forEach(
                (p, point) -> out.merge(p, point.getLongValue(), Long::sum)));
        return out;
    }

    /** A request over a rate limit was refused. */
    public void rateLimited(String limit) {
        rateLimited.labelValues(limit).inc();
    }

    public void retry(String backend) {
        retries.labelValues(backend).inc();
    }

    public void tlsHandshake(String listener, boolean success) {
        tlsHandshakes.labelValues(listener, success ? "success" : "failure").inc();
    }

    /** The text exposition format, version 0.0.4. */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
            writer.write(out, registry.scrape());
            writer.write(out, jvmRegistry().scrape());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
