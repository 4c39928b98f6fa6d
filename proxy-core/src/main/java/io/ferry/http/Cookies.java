package io.ferry.http;

/**
 * One cookie in a Cookie field ({@code a=1; b=2}, RFC 6265 §5.4): its value, and the field without it.
 * Values are as sent (not decoded).
 */
public final class Cookies {
    private Cookies() {
    }

    /** The value of cookie {@code name}, or null. */
    public static String value(String field, String name) {
        if (field == null) {
            return null;
        }
        int at = find(field, name);
        if (at < 0) {
            return null;
        }
        int start = at + name.length() + 1;
        int end = field.indexOf(';', start);
        return field.substring(start, end < 0 ? field.length() : end).trim();
    }

    /** The field without cookie {@code name} (every occurrence), or null when nothing is left. */
    public static String without(String field, String name) {
        StringBuilder kept = new StringBuilder(field.length());
        for (String pair : field.split(";")) {
            String p = pair.trim();
            if (p.isEmpty() || p.startsWith(name + "=")) {
                continue;
            }
            kept.append(kept.length() == 0 ? "" : "; ").append(p);
        }
        return kept.length() == 0 ? null : kept.toString();
    }

    /** Where {@code name=} starts a cookie in the field, or -1. */
    private static int find(String field, String name) {
        int i = 0;
        int n = field.length();
        while (i < n) {
            while (i < n && (field.charAt(i) == ' ' || field.charAt(i) == ';')) {
                i++;
            }
            if (field.startsWith(name, i) && i + name.length() < n && field.charAt(i + name.length()) == '=') {
                return i;
            }
            int next = field.indexOf(';', i);
            if (next < 0) {
                return -1;
            }
            i = next + 1;
        }
        return -1;
    }
}
