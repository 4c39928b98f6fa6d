package io.ferry.server;

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
final class ProxyRuntime {
    final FerryConfig config;
    final Upstreams upstreams;
    final Router<Backend> router;
    final ForwardedHeaders forwarded;
    final Map<String, SslContext> tls;

    ProxyRuntime(FerryConfig config, Upstreams upstreams, Map<String, SslContext> tls) {
        this.config = config;
        this.upstreams = upstreams;
        this.router = Router.build(config.routes(), RouteConfig::hosts, RouteConfig::pathPrefix,
                r -> upstreams.backend(r.backend()));
        this.forwarded = new ForwardedHeaders(config.global().via());
        this.tls = Map.copyOf(tls);
    }
}
