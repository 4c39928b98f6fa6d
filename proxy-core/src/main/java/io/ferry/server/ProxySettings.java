package io.ferry.server;

import io.ferry.config.Limits;
import io.ferry.config.Timeouts;
import io.ferry.http.ForwardedHeaders;
import io.ferry.route.Router;
import io.ferry.upstream.Backend;

/** What every client connection of one listener shares: read-only after startup. */
record ProxySettings(
        String listener,
        boolean tls,
        Router<Backend> router,
        ForwardedHeaders forwarded,
        Limits limits,
        Timeouts timeouts) {
}
