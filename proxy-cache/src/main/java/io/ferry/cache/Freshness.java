package io.ferry.cache;

import java.util.List;
import java.util.Set;

/** Freshness lifetime and age per RFC 9111 §4.2. */
public final class Freshness {
    /** Statuses a cache may give a heuristic (default) freshness (RFC 9110 §15.1). */
    static final Set<Integer> HEURISTIC = Set.of(200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501);
    /** §1.2.2: delta-seconds beyond what can be represented count as 2^31 seconds. */
    static final long MAX_DELTA_MILLIS = (1L << 31) * 1000;

    /**
     * Heuristic freshness (§4.2.2): {@code fraction} of the time since Last-Modified, at most {@code max}
     * (millis). Used before the configured default-ttl, which applies when there is no Last-Modified.
     */
    public record Heuristic(double fraction, long maxMillis) {
        public static final Heuristic DEFAULT = new Heuristic(0.1, 24L * 3600 * 1000);
    }

    private Freshness() {
    }

    /**
     * The freshness lifetime in milliseconds (§4.2.1): s-maxage, then max-age, then Expires − Date
     * (several Expires fields or an invalid date: already expired, §5.3); else, for a heuristically
     * cacheable status or a {@code public} response, a heuristic from Last-Modified, else the default
     * TTL; -1 when the response gives no lifetime and may not get a heuristic one.
     *
     * @param expires    every Expires field value (empty when none)
     * @param receivedAt when the response arrived (the cache's clock): stands in for a missing Date
     */
    public static long lifetimeMillis(int status, CacheControl cc, List<String> expires, String date,
                                      String lastModified, long defaultTtlMillis, Heuristic heuristic,
                                      long receivedAt) {
        if (cc.sMaxAge() >= 0) {
            return cc.sMaxAge() * 1000;
        }
        if (cc.maxAge() >= 0) {
            return cc.maxAge() * 1000;
        }
        if (!expires.isEmpty()) {
            long e = expires.size() == 1 ? HttpDates.parse(expires.get(0), receivedAt) : -1;
            if (e < 0) {
                return 0;
            }
            long d = HttpDates.parse(date, receivedAt);
            return Math.max(0, e - (d >= 0 ? d : receivedAt));
        }
        if (!HEURISTIC.contains(status) && !cc.isPublic()) {
            return -1;
        }
        long modified = HttpDates.parse(lastModified, receivedAt);
        if (modified >= 0) {
            long d = HttpDates.parse(date, receivedAt);
            long since = (d >= 0 ? d : receivedAt) - modified;
            return Math.max(0, Math.min(heuristic.maxMillis(), (long) (since * heuristic.fraction())));
        }
        return defaultTtlMillis;
    }

    /** The explicit freshness of §4.2.1 only (no heuristic): the lifetime a 304 or a single Expires gives. */
    public static long lifetimeMillis(int status, CacheControl cc, String expires, String date, long defaultTtlMillis,
                                      long receivedAt) {
        return lifetimeMillis(status, cc, expires == null ? List.of() : List.of(expires), date, null, defaultTtlMillis,
                Heuristic.DEFAULT, receivedAt);
    }

    /** Whether the response says itself how long it is fresh, or that a shared cache may store it (§3). */
    static boolean explicit(CacheControl cc, List<String> expires) {
        return cc.sMaxAge() >= 0 || cc.maxAge() >= 0 || !expires.isEmpty() || cc.isPublic();
    }

    /**
     * The Age field's value in milliseconds (§5.1): the first member of a list (of one or several
     * fields) is used; an invalid one (not a non-negative integer) is ignored (0); too large a value
     * counts as 2^31 seconds.
     */
    public static long ageMillis(List<String> values) {
        if (values == null || values.isEmpty()) {
            return 0;
        }
        String first = values.get(0);
        int comma = first.indexOf(',');
        String v = (comma < 0 ? first : first.substring(0, comma)).trim();
        if (v.isEmpty()) {
            return 0;
        }
        long seconds = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            seconds = seconds * 10 + (c - '0');
            if (seconds > (1L << 31)) {
                return MAX_DELTA_MILLIS;
            }
        }
        return seconds * 1000;
    }

    /** One Age value (see {@link #ageMillis(List)}). */
    public static long ageMillis(String value) {
        return value == null ? 0 : ageMillis(List.of(value));
    }

    /**
     * The age a response has when it arrives (§4.2.3): the larger of its apparent age (arrival − Date)
     * and its Age corrected by the time the request took.
     */
    public static long initialAgeMillis(List<String> age, String date, long requestTime, long responseTime) {
        long d = HttpDates.parse(date, responseTime);
        long apparent = d >= 0 ? Math.max(0, responseTime - d) : 0;
        long corrected = ageMillis(age) + Math.max(0, responseTime - requestTime);
        return Math.min(MAX_DELTA_MILLIS, Math.max(apparent, corrected));
    }
}
