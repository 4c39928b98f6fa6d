package io.ferry.http;

import io.ferry.cache.HttpDates;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Conditional and range requests answered from a representation Ferry holds itself — a stored object or
 * a static file — by RFC 9110 §13 and §14: one set of rules for both, with strict HTTP-dates.
 */
public final class Preconditions {
    private Preconditions() {
    }

    /**
     * §13.1.2, §13.1.3, §13.2.2: whether a GET or HEAD is answered 304. If-None-Match (weak comparison)
     * decides when present; else If-Modified-Since, ignored when it is not a valid HTTP-date or the
     * representation has no Last-Modified.
     */
    public static boolean notModified(HttpHeaders request, String etag, String lastModified) {
        String inm = request.get(HttpHeaderNames.IF_NONE_MATCH);
        if (inm != null) {
            if (inm.trim().equals("*")) {
                return true;
            }
            if (etag == null) {
                return false;
            }
            String opaque = opaque(etag);
            for (String candidate : inm.split(",")) {
                if (opaque(candidate.trim()).equals(opaque)) {
                    return true;
                }
            }
            return false;
        }
        String ims = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (ims == null || lastModified == null) {
            return false;
        }
        long since = HttpDates.parse(ims);
        long modified = HttpDates.parse(lastModified);
        return since >= 0 && modified >= 0 && modified <= since;
    }

    /**
     * §13.1.5: a Range applies only if If-Range is absent or still names this representation: an entity
     * tag compared strongly (neither weak), or an HTTP-date equal to Last-Modified. Otherwise the whole
     * representation is sent, so a resumed download never glues new bytes to old ones.
     */
    public static boolean ifRangeAllows(String ifRange, String etag, String lastModified) {
        if (ifRange == null) {
            return true;
        }
        String v = ifRange.trim();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            return etag != null && !v.startsWith("W/") && !etag.startsWith("W/") && v.equals(etag);
        }
        long date = HttpDates.parse(v);
        return date >= 0 && lastModified != null && date == HttpDates.parse(lastModified);
    }

    /**
     * §14.1.2: {start, end} of a single satisfiable byte range; an empty array when the header is to be
     * ignored (several ranges, an unknown unit, malformed); null when unsatisfiable (416).
     */
    public static long[] singleRange(String header, long size) {
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
            return new long[0];
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new long[0];
        }
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            long start;
            long end;
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0) {
                    return null;
                }
                start = Math.max(0, size - suffix);
                end = size - 1;
            } else {
                start = Long.parseLong(a);
                end = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
                if (!b.isEmpty() && Long.parseLong(b) < start) {
                    return new long[0];
                }
            }
            if (start >= size || size == 0) {
                return null;
            }
            return new long[] {start, end};
        } catch (NumberFormatException e) {
            return new long[0];
        }
    }

    private static String opaque(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }
}
