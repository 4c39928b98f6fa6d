package io.ferry.cache;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;

/** Freshness lifetime and age per RFC 9111 §4.2. */
public final class Freshness {
    /** Statuses a cache may give a heuristic (default) freshness (RFC 9110 §15.1). */
    static final Set<Integer> HEURISTIC = Set.of(200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501);
    /** Statuses Ferry stores when the response itself says how long it is fresh. */
    static final Set<Integer> UNDERSTOOD = Set.of(200, 203, 204, 300, 301, 302, 307, 308, 404, 405, 410, 414, 501);

    private Freshness() {
    }

    /**
     * The freshness lifetime in milliseconds: s-maxage, then max-age, then Expires − Date, else the
     * default TTL for heuristically cacheable statuses; -1 when the response gives no lifetime and
     * may not get a heuristic one.
     */
    public static long lifetimeMillis(int status, CacheControl cc, String expires, String date, long defaultTtlMillis) {
        if (cc.sMaxAge() >= 0) {
            return cc.sMaxAge() * 1000;
        }
        if (cc.maxAge() >= 0) {
            return cc.maxAge() * 1000;
        }
        if (expires != null) {
            long e = parseDate(expires);
            if (e < 0) {
                return 0; // an invalid Expires means already expired (§5.3)
            }
            long d = date == null ? -1 : parseDate(date);
            return Math.max(0, e - (d >= 0 ? d : System.currentTimeMillis()));
        }
        return HEURISTIC.contains(status) ? defaultTtlMillis : -1;
    }

    /** The Age header's value in milliseconds, 0 when absent or malformed. */
    public static long ageMillis(String age) {
        if (age == null) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(age.trim())) * 1000;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** An HTTP-date (IMF-fixdate, RFC 850 or asctime) in epoch milliseconds, or -1. */
    public static long parseDate(String value) {
        try {
            return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return -1;
        }
    }
}
