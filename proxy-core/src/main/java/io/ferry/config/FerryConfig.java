package io.ferry.config;

import java.util.List;
import java.util.Map;

/** The whole validated configuration. Immutable: a reload builds a new one. */
public record FerryConfig(
        String source,
        GlobalSettings global,
        List<ListenerConfig> listeners,
        Timeouts timeouts,
        Limits limits,
        Map<String, BackendConfig> backends,
        List<RouteConfig> routes,
        CacheConfig cache,
        AdminConfig admin,
        DemoConfig demo) {
}
