package io.ferry.accesslog;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live request log (varnishlog / varnishncsa): while someone watches — the admin's {@code GET /log} —
 * every finished request that matches their filter is sent to them as one line with the decisions made
 * on its way (route, rules, cache lookup and store and why, fleet owner, retries and their reasons,
 * server, timings). Nobody watching costs one check per request; a watcher that cannot keep up loses
 * lines (counted) rather than slowing requests down.
 */
public final class LiveLog {
    /** Where a watcher's lines go; false when it cannot take one now (the line is dropped). */
    public interface Sink {
        boolean offer(String line);
    }

    /** What a watcher wants to see; null fields match anything. {@code status} is "404" or "5xx". */
    public record Filter(String host, String pathPrefix, String status, String client, String cache) {
        boolean matches(Entry e) {
            return (host == null || host.equalsIgnoreCase(e.host()))
                    && (pathPrefix == null || e.uri() != null && e.uri().startsWith(pathPrefix))
                    && (client == null || client.equals(e.client()))
                    && (cache == null || cache.equalsIgnoreCase(String.valueOf(e.cache())))
                    && (status == null || statusMatches(e.status()));
        }

        private boolean statusMatches(int s) {
            String text = Integer.toString(s);
            return status.endsWith("xx") ? text.charAt(0) == status.charAt(0) : text.equals(status);
        }
    }

    /** One finished request as the log shows it. */
    public record Entry(String client, String method, String host, String uri, int status, String cache, String route,
                        String backend, String server, long totalNanos, long upstreamNanos, String notes) {
        String line() {
            StringBuilder sb = new StringBuilder(160).append(java.time.Instant.now()).append(' ').append(client)
                    .append(" \"").append(method).append(' ').append(host == null ? "-" : host).append(uri).append("\" ")
                    .append(status).append(' ').append(cache == null ? "-" : cache)
                    .append(" route=").append(route).append(" backend=").append(backend).append(" server=").append(server)
                    .append(String.format(" %.2fms", totalNanos / 1e6));
            if (upstreamNanos > 0) {
                sb.append(String.format(" (upstream %.2fms)", upstreamNanos / 1e6));
            }
            if (notes != null) {
                sb.append(" | ").append(notes);
            }
            return sb.append('\n').toString();
        }
    }

    private record Watcher(Filter filter, Sink sink) {
    }

    private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
    private final AtomicLong dropped = new AtomicLong();

    /** Whether anyone watches: requests note their decisions only then. */
    public boolean active() {
        return !watchers.isEmpty();
    }

    /** Starts sending matching lines to {@code sink}; run the returned action to stop. */
    public Runnable watch(Filter filter, Sink sink) {
        Watcher w = new Watcher(filter, sink);
        watchers.add(w);
        return () -> watchers.remove(w);
    }

    public void publish(Entry e) {
        String line = null;
        for (Watcher w : watchers) {
            if (w.filter().matches(e)) {
                if (line == null) {
                    line = e.line();
                }
                if (!w.sink().offer(line)) {
                    dropped.incrementAndGet();
                }
            }
        }
    }

    /** Lines a slow watcher lost. */
    public long dropped() {
        return dropped.get();
    }
}
