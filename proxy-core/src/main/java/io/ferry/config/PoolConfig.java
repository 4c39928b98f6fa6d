package io.ferry.config;

import java.time.Duration;

/**
 * Upstream keepalive connection pool of a backend.
 *
 * @param maxConnections connections open to one server at once, over all event loops
 * @param maxIdle        idle connections kept per server per event loop
 * @param idleTimeout    an idle pooled connection is closed after this; keep it below the server's own
 *                       keepalive timeout (Apache: 5 s) so the server never closes one under a request
 * @param maxConnecting  connections being opened to one server at once per event loop; beyond it requests
 *                       wait for a connection to come free or an attempt to finish, so a burst of thousands
 *                       of requests does not overflow the server's listen backlog with connection attempts
 */
public record PoolConfig(int maxConnections, int maxIdle, Duration idleTimeout, int maxConnecting) {
}
