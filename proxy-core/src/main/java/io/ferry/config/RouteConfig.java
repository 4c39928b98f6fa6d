package io.ferry.config;

import java.util.List;

/**
 * Sends requests whose Host matches one of {@code hosts} and whose path starts with {@code pathPrefix}
 * to {@code backend}. Hosts are exact names, {@code *.example.org} wildcards, or {@code *} for any.
 * {@code cache} lets the shared cache answer the route's requests (when the cache is enabled); {@code name}
 * labels its metrics (default: its hosts and path). {@code redirectHttps}, when set, answers the route's
 * plain-HTTP requests with a redirect to https instead (requests over TLS go to the backend).
 * {@code compression} is the route's own compression settings, or the global ones; {@code esi} whether its
 * responses are processed for ESI (see {@link EsiConfig}).
 */
public record RouteConfig(String name, List<String> hosts, String pathPrefix, String backend, boolean cache,
                          ListenerConfig.HttpsRedirect redirectHttps, CompressionConfig compression,
                          EsiConfig.RouteMode esi) {
}
