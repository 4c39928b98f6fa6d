package io.ferry.config;

import java.net.InetSocketAddress;

/**
 * One upstream server.
 *
 * @param name     as written in the config: {@code host:port} or {@code unix:/path/to.sock}
 * @param address  TCP address, resolved once when the config is loaded so that no DNS lookup blocks an
 *                 event loop; null for a unix socket
 * @param unixPath path of a unix domain socket, or null for TCP
 * @param maxConns requests sent to it at once (HAProxy's server maxconn); 0 for no limit
 */
public record ServerConfig(String name, InetSocketAddress address, String unixPath, int weight, int maxConns) {
    public boolean isUnix() {
        return unixPath != null;
    }
}
