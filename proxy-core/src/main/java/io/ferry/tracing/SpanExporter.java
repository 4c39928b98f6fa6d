package io.ferry.tracing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends finished spans to an OpenTelemetry collector over OTLP/HTTP with JSON (the protocol's own JSON
 * mapping, so no SDK is needed on the request path): the event loops only put a span in a bounded queue
 * (dropped and counted when full); a thread of its own sends them in batches every flush interval.
 */
public final class SpanExporter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpanExporter.class);
    private static final int BATCH = 512;

    /** One finished span; {@code kind} 2 server, 3 client; attributes as key, value pairs (strings or Long). */
    public record Span(String traceId, String spanId, String parentSpanId, String name, int kind, long startEpochNanos,
                       long endEpochNanos, boolean error, List<Object> attributes) {
    }

    private final URI endpoint;
    private final String serviceName;
    private final Duration flush;
    private final ArrayBlockingQueue<Span> queue;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong exported = new AtomicLong();
    private final Thread sender;
    private volatile boolean closed;

    public SpanExporter(String endpoint, String serviceName, int queueSize, Duration flush) {
        this.endpoint = URI.create(endpoint);
        this.serviceName = serviceName;
        this.flush = flush;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.sender = new Thread(this::run, "ferry-otlp");
        sender.setDaemon(true);
        sender.start();
    }

    /** From an event loop: never blocks. */
    public void export(Span span) {
        if (!queue.offer(span)) {
            dropped.incrementAndGet();
        }
    }

    public long dropped() {
        return dropped.get();
    }

    public long exported() {
        return exported.get();
    }

    private void run() {
        List<Span> batch = new ArrayList<>(BATCH);
        while (!closed || !queue.isEmpty()) {
            try {
                Span first = queue.poll(flush.toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                send(batch);
            } catch (InterruptedException e) {
                if (closed) {
                    queue.drainTo(batch);
                    if (!batch.isEmpty()) {
                        send(batch);
                    }
                    return;
                }
            }
            batch.clear();
        }
    }

    private void send(List<Span> batch) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json(batch)))
                    .build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) {
                exported.addAndGet(batch.size());
            } else {
                dropped.addAndGet(batch.size());
                log.warn("tracing: the collector at {} answered {}; {} spans dropped", endpoint, r.statusCode(), batch.size());
            }
        } catch (Exception e) {
            dropped.addAndGet(batch.size());
            log.warn("tracing: cannot export to {} ({}); {} spans dropped", endpoint, e.toString(), batch.size());
        }
    }

    /** OTLP's JSON mapping: ids as hex, times and integers as decimal strings. */
    String json(List<Span> spans) {
        StringBuilder sb = new StringBuilder(256 + spans.size() * 400);
        sb.append("{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
        attribute(sb, "service.name", serviceName);
        sb.append("]},\"scopeSpans\":[{\"scope\":{\"name\":\"ferry\"},\"spans\":[");
        for (int i = 0; i < spans.size(); i++) {
            Span s = spans.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"traceId\":\"").append(s.traceId()).append("\",\"spanId\":\"").append(s.spanId()).append('"');
            if (s.parentSpanId() != null) {
                sb.append(",\"parentSpanId\":\"").append(s.parentSpanId()).append('"');
            }
            sb.append(",\"name\":");
            string(sb, s.name());
            sb.append(",\"kind\":").append(s.kind()).append(",\"startTimeUnixNano\":\"").append(s.startEpochNanos())
                    .append("\",\"endTimeUnixNano\":\"").append(s.endEpochNanos()).append("\",\"attributes\":[");
            List<Object> a = s.attributes();
            for (int k = 0; k + 1 < a.size(); k += 2) {
                if (a.get(k + 1) == null) {
                    continue;
                }
                if (sb.charAt(sb.length() - 1) != '[') {
                    sb.append(',');
                }
                attribute(sb, (String) a.get(k), a.get(k + 1));
            }
            sb.append("],\"status\":{\"code\":").append(s.error() ? 2 : 0).append("}}");
        }
        return sb.append("]}]}]}").toString();
    }

    private static void attribute(StringBuilder sb, String key, Object value) {
        sb.append("{\"key\":");
        string(sb, key);
        if (value instanceof Long || value instanceof Integer) {
            sb.append(",\"value\":{\"intValue\":\"").append(value).append("\"}}");
        } else {
            sb.append(",\"value\":{\"stringValue\":");
            string(sb, String.valueOf(value));
            sb.append("}}");
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    @Override
    public void close() {
        closed = true; // the sender sends what is queued, then ends (within a flush interval)
        try {
            sender.join(flush.toMillis() + 3000);
            if (sender.isAlive()) {
                sender.interrupt(); // a collector that does not answer: what is left is dropped
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
