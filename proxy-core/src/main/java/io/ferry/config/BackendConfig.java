package io.ferry.config;

import io.ferry.balance.BalanceAlgorithm;
import java.time.Duration;
import java.util.List;

/**
 * A named pool of servers that routes forward to.
 *
 * @param preserveHost   send the client's Host header upstream (true) or the server's address (false)
 * @param hashVirtualNodes points per weight unit on the consistent-hash ring (uri-hash, source-hash)
 * @param maxQueue       requests that may wait for a server slot when every server is at max-conns or
 *                       its pool's max-connections (default: global.max-connections, so a burst queues)
 * @param retries        further attempts after the first, where retrying is safe
 * @param retryBudget    retries allowed as a share of requests, so a failing cluster is not stormed
 * @param healthCheck    active health check, or null when off
 * @param connectTimeout the backend's connect timeout (defaults to the global one)
 * @param serverTimeout  the backend's server inactivity timeout (defaults to the global one)
 * @param queueTimeout   how long a request may wait in the queue before 503
 * @param fastcgi        document root and script mapping of a FastCGI backend; null for HTTP
 * @param upgradeProtocols the Upgrade protocols (lower case, without version) that may be tunnelled to the
 *                       servers; other Upgrade tokens are removed from requests
 * @param protocol       HTTP/1.1, or HTTP/2 over TLS (h2) or cleartext with prior knowledge (h2c)
 * @param tls            TLS to the servers (on for h2), or {@link BackendTlsConfig#OFF}
 * @param sendProxy      the PROXY protocol header each new connection starts with, naming the client
 */
public record BackendConfig(
        String name,
        Type type,
        List<ServerConfig> servers,
        BalanceAlgorithm balance,
        int hashVirtualNodes,
        boolean preserveHost,
        PoolConfig pool,
        int maxQueue,
        int retries,
        double retryBudget,
        HealthCheckConfig healthCheck,
        PassiveHealthConfig passiveHealth,
        Duration connectTimeout,
        Duration serverTimeout,
        Duration queueTimeout,
        FastCgiConfig fastcgi,
        List<String> upgradeProtocols,
        Protocol protocol,
        BackendTlsConfig tls,
        SendProxy sendProxy,
        Sticky sticky,
        String hashCookie) {

    /**
     * A cookie naming the server (HAProxy: cookie SERVERID insert indirect nocache): an opaque token per
     * server, an HMAC of the server under {@code secret}, so a client can only return to a server it was
     * sent to. {@code indirect}: the cookie is taken out of the request before the server sees it;
     * {@code nocache}: a response that sets it gets Cache-Control: private.
     */
    public record Sticky(String cookie, byte[] secret, boolean indirect, boolean nocache, boolean secure,
                         Duration maxAge) {
    }

    /** The protocol spoken to the servers. */
    public enum Type { HTTP, FASTCGI }

    /** The HTTP version spoken to the servers of an HTTP backend. */
    public enum Protocol {
        HTTP1, H2, H2C;

        /** Many requests at once over each connection, as HTTP/2 streams. */
        public boolean multiplexed() {
            return this != HTTP1;
        }
    }

    /** HAProxy's send-proxy / send-proxy-v2: none, the text form (v1) or the binary form (v2). */
    public enum SendProxy { NONE, V1, V2 }

    /** The same backend with other servers (runtime additions and removals). */
    public BackendConfig withServers(List<ServerConfig> others) {
        return new BackendConfig(name, type, List.copyOf(others), balance, hashVirtualNodes, preserveHost, pool,
                maxQueue, retries, retryBudget, healthCheck, passiveHealth, connectTimeout, serverTimeout,
                queueTimeout, fastcgi, upgradeProtocols, protocol, tls, sendProxy, sticky, hashCookie);
    }
}
