package io.ferry.cache;

import java.util.Locale;

/**
 * The Cache-Control directives a shared cache acts on (RFC 9111 §5.2), parsed from one or more
 * header values. Unknown directives are ignored, as the RFC requires; a malformed delta-seconds
 * makes its directive count as absent, except that a malformed max-age or s-maxage is treated as
 * stale (0), the conservative reading of §4.2.1.
 *
 * @param maxAge               max-age, or -1 when absent
 * @param sMaxAge              s-maxage, or -1 when absent
 * @param staleWhileRevalidate stale-while-revalidate (RFC 5861), or -1 when absent
 * @param staleIfError         stale-if-error (RFC 5861), or -1 when absent
 * @param mustUnderstand       must-understand (§5.2.2.3)
 * @param omitFields           header fields named by {@code private="..."} or {@code no-cache="..."}
 *                             (§5.2.2.4, §5.2.2.7): a shared cache stores the response without them
 */
public record CacheControl(
        long maxAge,
        long sMaxAge,
        boolean noStore,
        boolean noCache,
        boolean isPrivate,
        boolean isPublic,
        boolean mustRevalidate,
        boolean proxyRevalidate,
        boolean onlyIfCached,
        long staleWhileRevalidate,
        long staleIfError,
        boolean mustUnderstand,
        java.util.List<String> omitFields) {

    public static final CacheControl NONE = new CacheControl(-1, -1, false, false, false, false, false, false,
            false, -1, -1, false, java.util.List.of());

    /** Parses the values of every Cache-Control field of a message; null or empty gives {@link #NONE}. */
    public static CacheControl parse(Iterable<? extends CharSequence> values) {
        if (values == null) {
            return NONE;
        }
        Builder b = new Builder();
        for (CharSequence v : values) {
            if (v != null) {
                parseInto(v.toString(), b);
            }
        }
        return b.build();
    }

    public static CacheControl parse(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        Builder b = new Builder();
        parseInto(value, b);
        return b.build();
    }

    private static void parseInto(String value, Builder b) {
        int i = 0;
        int n = value.length();
        while (i < n) {
            while (i < n && (value.charAt(i) == ',' || value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
                i++;
            }
            int nameStart = i;
            while (i < n && value.charAt(i) != '=' && value.charAt(i) != ',') {
                i++;
            }
            String rawName = value.substring(nameStart, i);
            String name = rawName.trim().toLowerCase(Locale.ROOT);
            String arg = null;
            // §5.2: token [ "=" ( token / quoted-string ) ], no whitespace around "=": "max-age = 100" is invalid
            boolean invalid = false;
            if (i < n && value.charAt(i) == '=') {
                invalid = rawName.endsWith(" ") || rawName.endsWith("\t")
                        || i + 1 < n && (value.charAt(i + 1) == ' ' || value.charAt(i + 1) == '\t');
                i++;
                if (i < n && value.charAt(i) == '"') {
                    int close = value.indexOf('"', i + 1);
                    int end = close < 0 ? n : close;
                    arg = value.substring(i + 1, end);
                    i = close < 0 ? n : close + 1;
                    while (i < n && value.charAt(i) != ',') {
                        i++;
                    }
                } else {
                    int argStart = i;
                    while (i < n && value.charAt(i) != ',') {
                        i++;
                    }
                    arg = value.substring(argStart, i).trim();
                }
            }
            if (!name.isEmpty() && !invalid) {
                b.apply(name, arg);
            }
        }
    }

    private static long seconds(String arg, long malformed) {
        if (arg == null || arg.isEmpty()) {
            return malformed;
        }
        long v = 0;
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c < '0' || c > '9') {
                return malformed;
            }
            v = v * 10 + (c - '0');
            if (v > Integer.MAX_VALUE) {
                return Integer.MAX_VALUE; // §1.2.2: values above 2^31 are treated as 2^31
            }
        }
        return v;
    }

    private static final class Builder {
        long maxAge = -1;
        long sMaxAge = -1;
        boolean noStore;
        boolean noCache;
        boolean isPrivate;
        boolean isPublic;
        boolean mustRevalidate;
        boolean proxyRevalidate;
        boolean onlyIfCached;
        long swr = -1;
        long sie = -1;
        boolean mustUnderstand;
        java.util.List<String> omit = java.util.List.of();

        void apply(String name, String arg) {
            switch (name) {
                case "max-age" -> maxAge = seconds(arg, 0);
                case "s-maxage" -> sMaxAge = seconds(arg, 0);
                case "no-store" -> noStore = true;
                case "no-cache" -> {
                    if (arg == null || arg.isBlank()) {
                        noCache = true;
                    } else {
                        omit(arg);
                    }
                }
                case "private" -> {
                    if (arg == null || arg.isBlank()) {
                        isPrivate = true;
                    } else {
                        omit(arg);
                    }
                }
                case "must-understand" -> mustUnderstand = true;
                case "public" -> isPublic = true;
                case "must-revalidate" -> mustRevalidate = true;
                case "proxy-revalidate" -> proxyRevalidate = true;
                case "only-if-cached" -> onlyIfCached = true;
                case "stale-while-revalidate" -> swr = seconds(arg, -1);
                case "stale-if-error" -> sie = seconds(arg, -1);
                default -> {
                    // unknown extensions are ignored (RFC 9111 §5.2.3)
                }
            }
        }

        /** The qualified forms name fields to leave out of what is stored. */
        void omit(String fields) {
            java.util.List<String> all = new java.util.ArrayList<>(omit);
            for (String f : fields.split(",")) {
                String name = f.trim().toLowerCase(Locale.ROOT);
                if (!name.isEmpty()) {
                    all.add(name);
                }
            }
            omit = java.util.List.copyOf(all);
        }

        CacheControl build() {
            return new CacheControl(maxAge, sMaxAge, noStore, noCache, isPrivate, isPublic, mustRevalidate,
                    proxyRevalidate, onlyIfCached, swr, sie, mustUnderstand, omit);
        }
    }
}
