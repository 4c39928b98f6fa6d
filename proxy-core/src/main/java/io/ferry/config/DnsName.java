package io.ferry.config;

/**
 * What a discovered server asks DNS for: the A/AAAA records of {@code host} (each address one server on
 * {@code port}), or the SRV records of {@code host} (each target one server, with its port and weight).
 * Re-resolved in the background as the answers' TTLs say (resolvers section).
 */
public record DnsName(String host, int port, boolean srv) {
    @Override
    public String toString() {
        return srv ? "srv:" + host : host + ":" + port;
    }
}
