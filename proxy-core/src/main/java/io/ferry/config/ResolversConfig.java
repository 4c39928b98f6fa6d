package io.ferry.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * {@code resolvers}: the DNS servers and lifetimes for servers found by name (HAProxy's resolvers
 * section, nginx's resolver directive).
 *
 * @param nameservers asked in order; empty: the system's (/etc/resolv.conf)
 * @param minTtl      an answer is kept at least this long (a TTL of 0 would ask again and again)
 * @param maxTtl      and at most this long, whatever its TTL
 * @param timeout     a lookup that takes longer fails; the last good answer stays
 */
public record ResolversConfig(List<InetSocketAddress> nameservers, Duration minTtl, Duration maxTtl, Duration timeout) {
    public static final ResolversConfig DEFAULTS = new ResolversConfig(List.of(), Duration.ofSeconds(1),
            Duration.ofMinutes(5), Duration.ofSeconds(2));
}
