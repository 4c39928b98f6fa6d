package io.ferry.route;

import java.util.Locale;

/**
 * Matches the host part of a Host header: an exact name, a {@code *.example.org} wildcard (any
 * subdomain, not the domain itself, as nginx and HAProxy do) or {@code *}. Case-insensitive and
 * allocation-free: the port is skipped by index, not cut off.
 */
final class HostPattern {
    private final String name;     // lower case; for a wildcard, the suffix including the leading dot
    private final boolean wildcard;
    private final boolean any;

    HostPattern(String pattern) {
        this.any = pattern.equals("*");
        this.wildcard = !any && pattern.startsWith("*.");
        this.name = (wildcard ? pattern.substring(1) : pattern).toLowerCase(Locale.ROOT);
    }

    boolean matches(CharSequence host, int hostLength) {
        if (any) {
            return true;
        }
        int n = name.length();
        if (wildcard) {
            return hostLength > n && regionEqualsIgnoreCase(host, hostLength - n, name);
        }
        return hostLength == n && regionEqualsIgnoreCase(host, 0, name);
    }

    private static boolean regionEqualsIgnoreCase(CharSequence host, int offset, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            char c = host.charAt(offset + i);
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Length of the host part of a Host header value: without {@code :port}, IPv6 brackets kept. */
    static int hostLength(CharSequence hostHeader) {
        int len = hostHeader.length();
        if (len > 0 && hostHeader.charAt(0) == '[') {
            for (int i = 1; i < len; i++) {
                if (hostHeader.charAt(i) == ']') {
                    return i + 1;
                }
            }
            return len;
        }
        for (int i = len - 1; i >= 0; i--) {
            char c = hostHeader.charAt(i);
            if (c == ':') {
                return i;
            }
            if (c < '0' || c > '9') {
                break;
            }
        }
        // A trailing dot names the same host (RFC 1034 absolute name).
        return len > 0 && hostHeader.charAt(len - 1) == '.' ? len - 1 : len;
    }

    @Override
    public String toString() {
        return any ? "*" : wildcard ? "*" + name : name;
    }
}
