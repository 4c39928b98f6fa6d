package io.ferry.exchange;

import io.ferry.cache.BanRule;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What one PURGE or BAN asks for, read the way the application that sent it means it — the dialects
 * real CMSs speak to Varnish — so a site keeps its CMS settings when Ferry replaces Varnish:
 * <ul>
 * <li>vmod-xkey (Magento, Symfony, Drupal setups): {@code xkey}/{@code xkey-purge} tags, {@code xkey-softpurge};</li>
 * <li>Drupal 8–11 Purge (Varnish and generic HTTP purgers): {@code Cache-Tags}, {@code X-Cache-Tags} or
 *     {@code Purge-Cache-Tags} with a tag list (space, comma or pipe separated) or a regex over the same field
 *     of the stored responses; Drupal 7 and URIBAN: BAN of a URL regex;</li>
 * <li>WordPress Proxy Cache Purge: {@code X-Purge-Method: default | exact | regex};</li>
 * <li>Magento 2: {@code X-Magento-Tags-Pattern}, a regex over {@code X-Magento-Tags};</li>
 * <li>Symfony FOSHttpCache: BAN with {@code X-Host}, {@code X-Url}, {@code X-Content-Type} regexes;</li>
 * <li>MediaWiki and plain PURGE: a URL (absolute-form too), every variant;</li>
 * <li>Ferry's own: {@code X-Purge-Tags}, BAN with {@code X-Ban-Host}/{@code X-Ban-Path}.</li>
 * </ul>
 * {@code Fastly-Soft-Purge: 1} (or {@code xkey-softpurge}) makes any of them soft: stale, not gone.
 * A request none of them explains is refused with the reason, never read as "everything".
 */
sealed interface Invalidation {
    /** Every variant of one URL. */
    record Url(String host, String target, boolean soft, String dialect) implements Invalidation {
    }

    /** Every object tagged with one of {@code tags}. */
    record Tags(List<String> tags, boolean soft, String dialect) implements Invalidation {
    }

    /** A ban (evaluated lazily, the Varnish way). */
    record Ban(BanRule rule, String dialect) implements Invalidation {
    }

    /** Not understood: answered 400 with the reason. */
    record Refused(String reason) implements Invalidation {
    }

    Pattern TAG_LIST = Pattern.compile("[\\w:.\\-/]+([\\s,|]+[\\w:.\\-/]+)*");
    List<String> DRUPAL_FIELDS = List.of("cache-tags", "x-cache-tags", "purge-cache-tags");

    static Invalidation read(HttpMethod method, String uri, String host, HttpHeaders h) {
        try {
            return parse(method.name().equals("BAN"), uri, host, h);
        } catch (PatternSyntaxException e) {
            return new Refused("bad pattern: " + e.getDescription() + " in " + e.getPattern());
        }
    }

    private static Invalidation parse(boolean ban, String uri, String host, HttpHeaders h) {
        boolean soft = "1".equals(h.get("fastly-soft-purge"));
        String target = uri;
        String lower = uri.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) { // absolute-form (MediaWiki)
            int authority = uri.indexOf("//") + 2;
            int slash = uri.indexOf('/', authority);
            host = slash < 0 ? uri.substring(authority) : uri.substring(authority, slash);
            target = slash < 0 ? "/" : uri.substring(slash);
        }
        if (h.contains("xkey-softpurge")) {
            return new Tags(split(h.get("xkey-softpurge")), true, "vmod-xkey softpurge");
        }
        for (String field : new String[] {"xkey", "xkey-purge"}) {
            if (h.contains(field)) {
                return new Tags(split(h.get(field)), soft, "vmod-xkey");
            }
        }
        if (h.contains("x-purge-tags")) {
            return new Tags(split(h.get("x-purge-tags")), soft, "X-Purge-Tags");
        }
        if (h.contains("x-magento-tags-pattern")) {
            return new Ban(new BanRule(null, null, List.of("x-magento-tags"),
                    Pattern.compile(h.get("x-magento-tags-pattern")), soft), "Magento 2");
        }
        for (String field : DRUPAL_FIELDS) {
            String v = h.get(field);
            if (v != null) {
                String value = v.trim();
                if (TAG_LIST.matcher(value).matches()) {
                    return new Tags(split(value), soft, field + " tag list");
                }
                return new Ban(new BanRule(null, null, List.of(field), Pattern.compile(value), soft), field + " regex");
            }
        }
        String method = h.get("x-purge-method");
        if (method != null) { // WordPress Proxy Cache Purge
            return switch (method.trim().toLowerCase(Locale.ROOT)) {
                case "regex" -> new Ban(new BanRule(exactly(host), Pattern.compile(target), List.of(), null, soft),
                        "WordPress X-Purge-Method: regex");
                case "default", "exact" -> new Url(host, target, soft, "WordPress X-Purge-Method: " + method.trim());
                default -> new Refused("X-Purge-Method must be default, exact or regex, got \"" + method + "\"");
            };
        }
        if (!ban) {
            return new Url(host, target, soft, "PURGE");
        }
        if (h.contains("x-ban-host") || h.contains("x-ban-path")) {
            return new Ban(new BanRule(pattern(h.get("x-ban-host")), pattern(h.get("x-ban-path")), List.of(), null, soft),
                    "X-Ban-Host/X-Ban-Path");
        }
        if (h.contains("x-host") || h.contains("x-url") || h.contains("x-content-type")) { // FOSHttpCache
            String type = h.get("x-content-type");
            return new Ban(new BanRule(pattern(h.get("x-host")), pattern(h.get("x-url")),
                    type == null ? List.of() : List.of("content-type"), pattern(type), soft), "FOSHttpCache BAN");
        }
        if (!target.equals("/") && !target.equals("*")) { // Drupal 7, URIBAN: the target is a URL regex
            return new Ban(new BanRule(exactly(host), Pattern.compile(target), List.of(), null, soft), "BAN of a URL regex");
        }
        return new Refused("a BAN needs a selector: a URL regex as its target, X-Ban-Path/X-Ban-Host, a tag field"
                + " (Cache-Tags, X-Cache-Tags, Purge-Cache-Tags, xkey, X-Magento-Tags-Pattern) or X-Host/X-Url;"
                + " to ban everything say so: BAN /.* or X-Ban-Path: .");
    }

    private static List<String> split(String value) {
        List<String> tags = new ArrayList<>();
        for (String t : value.trim().split("[\\s,|]+")) {
            if (!t.isEmpty()) {
                tags.add(t);
            }
        }
        return tags;
    }

    private static Pattern pattern(String regex) {
        return regex == null ? null : Pattern.compile(regex);
    }

    /** The request's own host, as the cache keys it (case-folded), matched whole. */
    private static Pattern exactly(String host) {
        return host == null ? null : Pattern.compile("^" + Pattern.quote(host.toLowerCase(Locale.ROOT)) + "$");
    }
}
