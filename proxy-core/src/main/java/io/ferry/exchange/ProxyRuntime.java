package io.ferry.exchange;

import io.ferry.config.FerryConfig;
import io.ferry.config.RouteConfig;
import io.ferry.http.ForwardedHeaders;
import io.ferry.route.Router;
import io.ferry.upstream.Backend;
import io.ferry.upstream.Upstreams;
import io.netty.handler.ssl.SslContext;
import java.util.Map;

/**
 * Everything one loaded configuration puts on the request path. A reload builds a new one and swaps
 * it in; an exchange keeps the runtime it started with until it ends, so in-flight requests finish
 * on the old routes and pools.
 */
public final class ProxyRuntime {
    public final FerryConfig config;
    public final Upstreams upstreams;
    final Router<RouteTarget> router;
    /** The shared cache, or null when cache.enabled is false. */
    public final CacheFront cache;
    final ForwardedHeaders forwarded;
    public final Map<String, SslContext> tls;

    public ProxyRuntime(FerryConfig config, Upstreams upstreams, Map<String, SslContext> tls, ProxyRuntime previous) {
        this.config = config;
        this.upstreams = upstreams;
        this.router = Router.build(config.routes(), RouteConfig::hosts, RouteConfig::pathPrefix,
                r -> new RouteTarget(r.name(), upstreams.backend(r.backend()), r.cache()));
        this.cache = !config.cache().enabled() ? null
                : new CacheFront(config.cache(), reusableCache(previous, config));
        this.forwarded = new ForwardedHeaders(config.global().via());
        this.tls = Map.copyOf(tls);
    }

    /** A reload keeps the stored objects when the cache's size and lifetimes did not change. */
    private static io.ferry.cache.HttpCache reusableCache(ProxyRuntime previous, FerryConfig config) {
        if (previous == null || previous.cache == null) {
            return null;
        }
        return previous.cache.cache.settings().equals(CacheFront.settings(config.cache())) ? previous.cache.cache : null;
    }

    /** What a route leads to: its name (for metrics), a backend, and whether the cache may answer. */
    record RouteTarget(String name, Backend backend, boolean cache) {
    }
}
