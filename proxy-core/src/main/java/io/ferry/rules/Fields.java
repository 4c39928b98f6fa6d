package io.ferry.rules;

/** Values inside a request target: a query argument, the query (as sent, not decoded). Cookies: {@link io.ferry.http.Cookies}. */
final class Fields {
    private Fields() {
    }

    /** The value of query argument {@code name} in a request target, "" for one without a value, or null. */
    static String arg(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        int i = q + 1;
        int n = uri.length();
        while (i <= n) {
            int end = uri.indexOf('&', i);
            if (end < 0) {
                end = n;
            }
            int eq = uri.indexOf('=', i);
            int nameEnd = eq < 0 || eq > end ? end : eq;
            if (nameEnd - i == name.length() && uri.regionMatches(i, name, 0, name.length())) {
                return nameEnd == end ? "" : uri.substring(eq + 1, end);
            }
            i = end + 1;
        }
        return null;
    }

    /** The query of a request target, without '?', or "" when there is none. */
    static String query(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? "" : uri.substring(q + 1);
    }
}
