package io.ferry.route;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Picks the target of a request from its Host header and path: the first route that matches wins,
 * as in HAProxy's {@code use_backend} list. Built once per config; read-only afterwards, so every
 * event loop uses it without coordination.
 *
 * @param <T> what a route leads to (a backend)
 */
public final class Router<T> {
    private final Entry<T>[] entries;

    private Router(List<Entry<T>> entries) {
        @SuppressWarnings("unchecked")
        Entry<T>[] array = entries.toArray(new Entry[0]);
        this.entries = array;
    }

    /**
     * @param hostHeader the Host header value (may carry a port), or null when the request had none
     * @param path       the request target in origin form, query included
     * @return the target, or null when no route matches
     */
    public T route(CharSequence hostHeader, String path) {
        CharSequence host = hostHeader == null ? "" : hostHeader;
        int hostLength = HostPattern.hostLength(host);
        for (Entry<T> e : entries) {
            if (path.startsWith(e.pathPrefix) && e.matchesHost(host, hostLength)) {
                return e.target;
            }
        }
        return null;
    }

    public static <R, T> Router<T> build(List<R> routes, Function<R, List<String>> hosts,
                                         Function<R, String> pathPrefix, Function<R, T> target) {
        List<Entry<T>> entries = new ArrayList<>(routes.size());
        for (R route : routes) {
            List<String> patterns = hosts.apply(route);
            HostPattern[] compiled = new HostPattern[patterns.size()];
            for (int i = 0; i < compiled.length; i++) {
                compiled[i] = new HostPattern(patterns.get(i));
            }
            entries.add(new Entry<>(compiled, pathPrefix.apply(route), target.apply(route)));
        }
        return new Router<>(entries);
    }

    private record Entry<T>(HostPattern[] hosts, String pathPrefix, T target) {
        boolean matchesHost(CharSequence host, int hostLength) {
            for (HostPattern p : hosts) {
                if (p.matches(host, hostLength)) {
                    return true;
                }
            }
            return false;
        }
    }
}
