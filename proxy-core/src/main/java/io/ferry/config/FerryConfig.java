package io.ferry.config;

import java.util.List;
import java.util.Map;

/**
 * The whole validated configuration. Immutable: a reload builds a new one.
 *
 * @param realIp   where to find the client's address behind trusted proxies, or null
 * @param cluster  the fleet this instance is part of, or null
 * @param rendered the effective config as JSON (defaults not filled in), secrets redacted, for the admin
 */
public record FerryConfig(
        String source,
        GlobalSettings global,
        List<ListenerConfig> listeners,
        Timeouts timeouts,
        Limits limits,
        Http2Config http2,
        Map<String, BackendConfig> backends,
        List<RouteConfig> routes,
        CacheConfig cache,
        AdminConfig admin,
        AccessLogConfig accessLog,
        DemoConfig demo,
        RealIpConfig realIp,
        RulesConfig rules,
        CompressionConfig compression,
        EsiConfig esi,
        ResolversConfig resolvers,
        ClusterConfig cluster,
        TracingConfig tracing,
        String rendered) {

    /** The same configuration with other backends (servers added, removed or found by DNS). */
    public FerryConfig withBackends(Map<String, BackendConfig> others) {
        return new FerryConfig(source, global, listeners, timeouts, limits, http2, Map.copyOf(others), routes, cache,
                admin, accessLog, demo, realIp, rules, compression, esi, resolvers, cluster, tracing, rendered);
    }
}
