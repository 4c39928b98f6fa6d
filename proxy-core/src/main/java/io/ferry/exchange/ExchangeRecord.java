package io.ferry.exchange;

import io.ferry.accesslog.LogFormat;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What the access log and the metrics report of one exchange: filled in as the exchange goes, reported
 * once at its end. Nothing here drives the exchange.
 */
final class ExchangeRecord implements LogFormat.Exchange {
    private final long start = System.nanoTime();
    private String remoteAddr;
    private String method;
    private String uri;
    private String protocol;
    private String host;
    private String referer;
    private String userAgent;
    String route;
    /** The request rule that answered, or null. */
    String rule;
    /** The request's ID (rules.request-id), or null. */
    String requestId;
    String backend;
    int status;
    long bytesSent;
    String upstream;
    long upstreamNanos;
    String cacheStatus;
    private boolean reported;
    /** The decisions noted for the live log while someone watches, or null. */
    private StringBuilder notes;

    /** A decision for the live log (only called while it is watched). */
    void note(String decision) {
        if (notes == null) {
            notes = new StringBuilder(64);
        } else {
            notes.append("; ");
        }
        notes.append(decision);
    }

    ExchangeRecord(String remoteAddr) {
        this.remoteAddr = remoteAddr;
    }

    /** @param logged an access log will write the line: only it reads Referer and User-Agent */
    void request(HttpRequest req, String protocol, boolean logged) {
        method = req.method().name();
        uri = req.uri();
        this.protocol = protocol;
        HttpHeaders h = req.headers();
        host = h.get(HttpHeaderNames.HOST);
        if (logged) {
            referer = h.get(HttpHeaderNames.REFERER);
            userAgent = h.get(HttpHeaderNames.USER_AGENT);
        }
    }

    /** The client found behind trusted proxies (real-ip), in place of the connection's peer. */
    void remoteAddr(String address) {
        this.remoteAddr = address;
    }

    /** The target after an absolute-form URI became origin form. */
    void uri(String uri) {
        this.uri = uri;
    }

    /** Reports the finished exchange once (metrics, then the access log line); not before it has a status. */
    void report(ProxySettings settings, io.ferry.accesslog.LiveLog live) {
        if (reported || status == 0) {
            return;
        }
        reported = true;
        if (live != null && live.active()) {
            live.publish(new io.ferry.accesslog.LiveLog.Entry(remoteAddr, method(), host, uri(), status, cacheStatus,
                    route == null ? "-" : route, backend == null ? "-" : backend, upstream == null ? "-" : upstream,
                    System.nanoTime() - start, upstreamNanos, rule == null ? (notes == null ? null : notes.toString())
                    : "rule " + rule + (notes == null ? "" : "; " + notes)));
        }
        settings.metrics().request(settings.listener(), route, backend, status, System.nanoTime() - start,
                cacheStatus);
        settings.metrics().protocolRequest(settings.listener(), protocol());
        if (settings.accessLog() != null) {
            settings.accessLog().log(settings.logFormat().format(this));
        }
    }

    /** The exchange's span (server) and its upstream attempt's (client), when it reached a server. */
    void exportSpans(io.ferry.tracing.TraceContext t, io.ferry.tracing.SpanExporter exporter) {
        long total = System.nanoTime() - start;
        long end = t.startEpochNanos() + total;
        boolean error = status >= 500;
        String path = uri == null ? "-" : uri.indexOf('?') < 0 ? uri : uri.substring(0, uri.indexOf('?'));
        exporter.export(new io.ferry.tracing.SpanExporter.Span(t.traceId(), t.spanId(), t.parentId(),
                method() + " " + (route == null ? path : route), 2, t.startEpochNanos(), end, error,
                java.util.Arrays.asList("http.request.method", method(), "url.path", path, "server.address", host,
                        "http.response.status_code", (long) status, "client.address", remoteAddr, "ferry.route", route,
                        "ferry.backend", backend, "ferry.cache", cacheStatus, "ferry.request_id", requestId)));
        if (upstream != null) {
            exporter.export(new io.ferry.tracing.SpanExporter.Span(t.traceId(), t.upstreamSpanId(), t.spanId(),
                    method() + " " + backend, 3, end - upstreamNanos, end, error,
                    java.util.Arrays.asList("server.address", upstream, "ferry.backend", backend,
                            "http.response.status_code", (long) status)));
        }
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String remoteAddr() {
        return remoteAddr;
    }

    @Override
    public String method() {
        return method == null ? "-" : method;
    }

    @Override
    public String uri() {
        return uri == null ? "-" : uri;
    }

    @Override
    public String protocol() {
        return protocol == null ? "-" : protocol;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public String header(String name) {
        return name.equals("referer") ? referer : name.equals("user-agent") ? userAgent : null;
    }

    @Override
    public String upstream() {
        return upstream;
    }

    @Override
    public long upstreamNanos() {
        return upstreamNanos;
    }

    @Override
    public long totalNanos() {
        return System.nanoTime() - start;
    }

    @Override
    public String cacheStatus() {
        return cacheStatus;
    }

    @Override
    public String host() {
        return host;
    }
}
