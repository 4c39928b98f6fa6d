package io.ferry.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The secondary cache key (RFC 9111 §4.1): the request's values of the fields a response's Vary names, each
 * normalised so that requests meaning the same thing find the same variant.
 */
final class Variants {
    private Variants() {
    }

    static String[] varyNames(String vary) {
        if (vary == null || vary.isBlank()) {
            return new String[0];
        }
        List<String> names = new ArrayList<>();
        for (String n : vary.split(",")) {
            String t = n.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty() && !names.contains(t)) {
                names.add(t);
            }
        }
        names.sort(null);
        return names.toArray(new String[0]);
    }

    static String variantKey(String primary, String[] varyNames, Function<String, String> requestHeader,
                             boolean normalize) {
        if (varyNames == null || varyNames.length == 0) {
            return primary;
        }
        StringBuilder sb = new StringBuilder(primary).append('\u0001');
        for (String name : varyNames) {
            String v = requestHeader.apply(name);
            String value = name.equals("accept-encoding") ? normaliseEncoding(v)
                    : v == null ? "" : normalize && name.equals("accept-language") ? normaliseList(v) : v.trim();
            sb.append(name).append('=').append(value).append('\u0002');
        }
        return sb.toString();
    }

    /** A list field as its meaning: case, whitespace and the order of its members dropped. */
    static String normaliseList(String value) {
        String[] members = value.toLowerCase(Locale.ROOT).replaceAll("\\s+", "").split(",");
        java.util.Arrays.sort(members);
        StringBuilder sb = new StringBuilder();
        for (String m : members) {
            if (!m.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : ",").append(m);
            }
        }
        return sb.toString();
    }

    /**
     * Accept-Encoding collapses to the one coding a response would use: br, gzip, zstd or identity. (A
     * proxy that compresses itself sets the field to the one coding it chose before the lookup, so the
     * stored variant of each coding is found by exactly the clients it was made for.)
     */
    static String normaliseEncoding(String acceptEncoding) {
        if (acceptEncoding == null) {
            return "identity";
        }
        String a = acceptEncoding.toLowerCase(Locale.ROOT);
        if (a.contains("br")) {
            return "br";
        }
        if (a.contains("gzip")) {
            return "gzip";
        }
        if (a.contains("zstd")) {
            return "zstd";
        }
        return "identity";
    }
}
