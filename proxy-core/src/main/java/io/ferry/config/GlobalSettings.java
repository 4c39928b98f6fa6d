package io.ferry.config;

/**
 * Process-wide settings.
 *
 * @param ioThreads      event-loop threads; 0 means one per core
 * @param transport      which Netty transport to use
 * @param maxConnections client connections accepted at once over all listeners (HAProxy's maxconn)
 * @param via            the pseudonym this proxy adds to {@code Via} headers
 */
public record GlobalSettings(int ioThreads, TransportKind transport, int maxConnections, String via) {
}
