package io.ferry.config;

import java.time.Duration;

/**
 * {@code tracing}: W3C trace context (traceparent) carried through Ferry to backends and PHP, and the
 * exchange's spans (the request, its upstream attempt) exported over OTLP/HTTP when an endpoint is set.
 *
 * @param endpoint    an OTLP/HTTP traces URL (http://collector:4318/v1/traces), or "" to propagate only
 * @param sampleRatio share of new traces (no sampled traceparent from the client) that are recorded
 * @param queueSize   spans waiting for export; past it new ones are dropped (counted)
 */
public record TracingConfig(boolean enabled, String endpoint, String serviceName, double sampleRatio, int queueSize,
                            Duration flushInterval) {
    public static final TracingConfig OFF = new TracingConfig(false, "", "ferry", 1.0, 8192, Duration.ofSeconds(1));
}
