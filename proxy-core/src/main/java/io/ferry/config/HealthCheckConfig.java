package io.ferry.config;

import java.time.Duration;

/**
 * Active HTTP health check of a backend's servers (HAProxy's {@code option httpchk} + {@code check
 * inter rise fall}).
 *
 * @param host Host header sent; null sends the server's host:port
 */
public record HealthCheckConfig(
        String method,
        String path,
        String host,
        int expectMin,
        int expectMax,
        Duration interval,
        Duration timeout,
        int rise,
        int fall) {
}
