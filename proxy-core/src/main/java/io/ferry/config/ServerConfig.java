package io.ferry.config;

import java.net.InetSocketAddress;

/**
 * One upstream server.
 *
 * @param name     as written in the config, {@code host:port}
 * @param address  resolved once when the config is loaded, so that no DNS lookup blocks an event loop
 * @param maxConns requests sent to it at once (HAProxy's server maxconn); 0 for no limit
 */
public record ServerConfig(String name, InetSocketAddress address, int weight, int maxConns) {
}
