package io.ferry.cache;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What a ban selects, as Varnish's ban expressions do: objects whose host and request target match the
 * patterns, and — when {@code headers} is not empty — one of whose stored response fields named there
 * matches {@code value} (Drupal's and Magento's cache tags, Symfony's X-Host/X-Url/Content-Type). A null
 * pattern matches anything. A soft ban makes what it selects stale instead of removing it, so grace serves
 * it while one request refreshes it (Varnish's softpurge, Fastly's soft purge): no stampede.
 *
 * @param headers response fields tested (lower case), any of which may match; empty for none
 */
public record BanRule(Pattern host, Pattern path, List<String> headers, Pattern value, boolean soft) {
    public BanRule {
        headers = List.copyOf(headers);
        if (!headers.isEmpty() && value == null) {
            throw new IllegalArgumentException("a ban on response fields needs a pattern");
        }
    }

    /** Objects by host and request target (null matches all). */
    public static BanRule url(Pattern host, Pattern path) {
        return new BanRule(host, path, List.of(), null, false);
    }

    boolean matches(String key, CachedResponse object) {
        int sep = key.indexOf('\u0000');
        int variant = key.indexOf('\u0001');
        if (host != null && !host.matcher(key.substring(0, sep)).find()) {
            return false;
        }
        if (path != null && !path.matcher(key.substring(sep + 1, variant < 0 ? key.length() : variant)).find()) {
            return false;
        }
        if (headers.isEmpty()) {
            return true;
        }
        for (String name : headers) {
            String v = object.header(name);
            if (v != null && value.matcher(v).find()) {
                return true;
            }
        }
        return false;
    }

    /** How the ban reads in a log line or an answer. */
    public String describe() {
        StringBuilder sb = new StringBuilder(soft ? "soft ban of objects" : "ban of objects");
        if (host != null) {
            sb.append(" on hosts matching ").append(host.pattern());
        }
        if (path != null) {
            sb.append(" with paths matching ").append(path.pattern());
        }
        if (!headers.isEmpty()) {
            sb.append(" whose ").append(String.join(" or ", headers)).append(" matches ").append(value.pattern());
        }
        return sb.toString();
    }
}
