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
 * @param discover for a server found by DNS, what is asked (the entry stands for the servers its answer
 *                 names, filled in by discovery before any pool is made); null for a server given as is
 */
public record ServerConfig(String name, InetSocketAddress address, String unixPath, int weight, int maxConns,
                           DnsName discover) {
    public ServerConfig(String name, InetSocketAddress address, String unixPath, int weight, int maxConns) {
        this(name, address, unixPath, weight, maxConns, null);
    }

    public boolean isUnix() {
        return unixPath != null;
    }

    /** An entry DNS discovery stands in for (resolve = true, or srv:). */
    public boolean isDiscovered() {
        return discover != null;
    }
}
