package io.ferry.config;

import java.time.Duration;

/**
 * Timeouts, named as HAProxy names them.
 *
 * @param connect       to establish a connection to a server
 * @param server        server inactivity: waiting for the first response byte and between bytes
 * @param client        client inactivity while its request body is read or its response is written
 * @param httpRequest   to receive a complete request head once its first byte arrived (slowloris)
 * @param httpKeepAlive to wait for the first byte of the next request on an idle keepalive connection
 * @param queue         a request may wait this long for a server slot when all are at max-conns
 * @param tunnel        inactivity of an upgraded (WebSocket) connection in either direction
 * @param shutdown      how long in-flight requests may run after SIGTERM before connections are cut
 * @param lingeringClose after answering a request whose body is still arriving, or an HTTP/2 GOAWAY: how
 *                      long what the client still sends is read and dropped before the connection closes,
 *                      so the answer is not lost to a reset
 */
public record Timeouts(
        Duration connect,
        Duration server,
        Duration client,
        Duration httpRequest,
        Duration httpKeepAlive,
        Duration queue,
        Duration tunnel,
        Duration shutdown,
        Duration lingeringClose) {
}
