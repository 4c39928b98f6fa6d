package io.ferry.tracing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * One request's place in a W3C trace (traceparent, https://www.w3.org/TR/trace-context/): the trace, the
 * client's span (the parent, or null for a trace Ferry starts), Ferry's span for the exchange and the one
 * for its upstream attempt — which the backend gets as its parent.
 */
public record TraceContext(String traceId, String parentId, String spanId, String upstreamSpanId, boolean sampled,
                           long startEpochNanos) {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** The context for a request that came with {@code traceparent} (or null), {@code ratio} sampling new traces. */
    public static TraceContext of(String traceparent, double ratio) {
        long start = System.currentTimeMillis() * 1_000_000L;
        String trace = null;
        String parent = null;
        boolean sampled;
        if (traceparent != null && valid(traceparent.trim())) {
            String t = traceparent.trim();
            trace = t.substring(3, 35);
            parent = t.substring(36, 52);
            sampled = (Integer.parseInt(t.substring(53, 55), 16) & 1) == 1;
        } else {
            sampled = ratio >= 1.0 || ThreadLocalRandom.current().nextDouble() < ratio;
        }
        return new TraceContext(trace != null ? trace : hex(32), parent, hex(16), hex(16), sampled, start);
    }

    /** 00-{32 hex, not all zero}-{16 hex, not all zero}-{2 hex}; a later version's longer form is read as 00. */
    static boolean valid(String t) {
        if (t.length() < 55 || t.charAt(2) != '-' || t.charAt(35) != '-' || t.charAt(52) != '-'
                || t.startsWith("ff") || t.length() > 55 && (t.startsWith("00") || t.charAt(55) != '-')) {
            return false;
        }
        return lowerHex(t, 0, 2) && lowerHex(t, 3, 35) && lowerHex(t, 36, 52) && lowerHex(t, 53, 55)
                && !allZero(t, 3, 35) && !allZero(t, 36, 52);
    }

    private static boolean lowerHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean allZero(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static String hex(int digits) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] out = new char[digits];
        long bits = 0;
        for (int i = 0; i < digits; i++) {
            if (i % 16 == 0) {
                do {
                    bits = r.nextLong();
                } while (bits == 0);
            }
            out[i] = HEX[(int) (bits >>> (60 - 4 * (i % 16))) & 0xf];
        }
        return new String(out);
    }

    /** What the backend is sent: this trace, Ferry's upstream span as the parent, the sampled flag. */
    public String upstreamTraceparent() {
        return "00-" + traceId + "-" + upstreamSpanId + (sampled ? "-01" : "-00");
    }
}
