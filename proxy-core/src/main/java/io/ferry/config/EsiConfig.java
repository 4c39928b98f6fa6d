package io.ferry.config;

/**
 * {@code esi}: Edge Side Includes in the subset Varnish implements. A response is processed when its
 * Surrogate-Control names {@code content="ESI/1.0"} (and {@code surrogate-control} is on), or when its
 * route has {@code esi = true} (Varnish's {@code beresp.do_esi}); a route with {@code esi = false} never is.
 *
 * @param surrogateControl process responses whose Surrogate-Control asks for it, and tell backends Ferry
 *                         can ({@code Surrogate-Capability: ferry="ESI/1.0"})
 * @param maxDepth         includes nested deeper than this are left out (Varnish's max_esi_depth)
 * @param maxIncludes      fragments one page may fetch, all levels together; past it an include fails
 * @param maxSize          the largest template processed and the largest fragment taken, bytes
 */
public record EsiConfig(boolean surrogateControl, int maxDepth, int maxIncludes, long maxSize) {
    public static final EsiConfig DEFAULTS = new EsiConfig(true, 5, 64, 1024 * 1024);

    /** A route's choice: follow the backend's Surrogate-Control, process every HTML response, or never. */
    public enum RouteMode { AUTO, ON, OFF }
}
