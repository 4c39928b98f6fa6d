package io.ferry.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The {@code cluster} and {@code resolvers} sections: the fleet's members and the DNS servers that name them. */
final class FleetReader {
    private FleetReader() {
    }

    /** {@code cluster { self, peers, shard-cache, purge-fanout, secret, fanout-timeout, retry-for }} (peers: BackendReader). */
    static ClusterConfig cluster(Section s) {
        String self = s.requiredString("self");
        InetSocketAddress selfAddress = BackendReader.resolve(self, s.keyPath("self"));
        boolean shard = s.bool("shard-cache", true);
        boolean fanout = s.bool("purge-fanout", true);
        String secret = s.string("secret", "");
        Duration fanoutTimeout = s.duration("fanout-timeout", Duration.ofSeconds(2));
        Duration retryFor = s.duration("retry-for", Duration.ofMinutes(10));
        Duration localTtl = s.durationOrZero("local-ttl", Duration.ZERO); // 0s: no local copies, as conf/ shows
        return new ClusterConfig(selfAddress, self, shard, fanout, secret, fanoutTimeout, retryFor, localTtl);
    }

    /** {@code resolvers { nameservers, min-ttl, max-ttl, timeout }}. */
    static ResolversConfig resolvers(Section s) {
        ResolversConfig d = ResolversConfig.DEFAULTS;
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String n : s.stringList("nameservers", List.of())) {
            InetSocketAddress a = nameserver(n.trim());
            if (a == null) {
                throw s.error("nameservers", "expected IP addresses, each with an optional port (10.0.0.2, "
                        + "10.0.0.2:5353, [::1]:53); got \"" + n + '"');
            }
            servers.add(a);
        }
        Duration min = s.duration("min-ttl", d.minTtl());
        Duration max = s.duration("max-ttl", d.maxTtl());
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw s.error("max-ttl", "needs 0 < min-ttl <= max-ttl; got " + min + " and " + max);
        }
        Duration timeout = s.duration("timeout", d.timeout());
        if (timeout.isNegative() || timeout.isZero()) {
            throw s.error("timeout", "must be positive");
        }
        s.rejectUnknownKeys();
        return new ResolversConfig(List.copyOf(servers), min, max, timeout);
    }

    /** An IP address with an optional port (53 when none), or null. */
    private static InetSocketAddress nameserver(String n) {
        String host = n;
        int port = 53;
        try {
            if (n.startsWith("[")) {
                int close = n.indexOf(']');
                host = close < 0 ? "" : n.substring(1, close);
                if (close >= 0 && close + 1 < n.length()) {
                    port = n.charAt(close + 1) == ':' ? Integer.parseInt(n.substring(close + 2)) : -1;
                }
            } else if (n.indexOf(':') > 0 && n.indexOf(':') == n.lastIndexOf(':')) {
                host = n.substring(0, n.indexOf(':'));
                port = Integer.parseInt(n.substring(n.indexOf(':') + 1));
            }
        } catch (NumberFormatException e) {
            return null;
        }
        if (port < 1 || port > 65535
                || !io.netty.util.NetUtil.isValidIpV4Address(host) && !io.netty.util.NetUtil.isValidIpV6Address(host)) {
            return null;
        }
        return new InetSocketAddress(io.netty.util.NetUtil.createInetAddressFromIpAddressString(host), port);
    }
}
