package io.ferry.config;

/**
 * One listening socket.
 *
 * @param tls null for plain HTTP
 */
public record ListenerConfig(
        String name,
        String bind,
        int port,
        int backlog,
        boolean reuseAddress,
        boolean tcpNoDelay,
        TlsConfig tls) {

    public boolean isTls() {
        return tls != null;
    }
}
