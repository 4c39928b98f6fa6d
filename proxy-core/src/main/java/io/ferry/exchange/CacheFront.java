package io.ferry.exchange;

import io.ferry.cache.CacheControl;
import io.ferry.cache.CacheSettings;
import io.ferry.cache.CachedResponse;
import io.ferry.cache.Freshness;
import io.ferry.cache.HttpCache;
import io.ferry.cache.RequestPolicy;
import io.ferry.cache.StorePolicy;
import io.ferry.config.CacheConfig;
import io.ferry.config.Cidr;
import io.ferry.http.Preconditions;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Connects the {@link HttpCache} library to Netty's HTTP objects: which requests look up, which
 * responses are stored and for how long, and how a stored object becomes a response again. Shared
 * by every connection of a runtime; immutable apart from the cache itself.
 */
public final class CacheFront {
    /**
     * The response fields that carry invalidation tags, as the CMSs and caches name them: Surrogate-Key
     * (Fastly), Cache-Tags (Drupal's varnish_purge_tags), Purge-Cache-Tags (Drupal's Purge tags header),
     * X-Cache-Tags (Symfony FOSHttpCache), X-Magento-Tags (Magento 2), xkey (vmod-xkey). Space, comma or
     * pipe separated; clients never see them unless cache.expose-tags.
     */
    static final List<String> TAG_FIELDS = List.of("surrogate-key", "cache-tags", "purge-cache-tags", "x-cache-tags",
            "x-magento-tags", "xkey");

    public final HttpCache cache;
    final CacheConfig config;
    final RequestPolicy requestPolicy;
    final StorePolicy storePolicy;
    private final List<Cidr> purgeAllow;
    private final List<String> targetedFields;
    /**
     * ESI templates parsed when a stored page was first served, by object (weakly: an object replaced or
     * evicted takes its template with it), with the bytes decoded when the page is stored gzip.
     */
    final com.github.benmanes.caffeine.cache.Cache<CachedResponse, ParsedTemplate> esiTemplates =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().weakKeys().maximumSize(10_000).build();

    /** @param decoded the template's bytes when the stored body is gzip, else null (the object's body is used) */
    record ParsedTemplate(io.ferry.esi.EsiTemplate template, byte[] decoded) {
    }

    CacheFront(CacheConfig config, HttpCache reuse, java.util.function.LongSupplier clock) {
        this.config = config;
        this.cache = reuse != null ? reuse : new HttpCache(settings(config), clock);
        this.requestPolicy = new RequestPolicy(config.staticExtensions(), config.cookieRules(), config.passPaths(),
                config.anonymous());
        this.storePolicy = new StorePolicy(cache.settings(), new Freshness.Heuristic(config.heuristicFraction(),
                config.heuristicMax().toMillis()));
        this.targetedFields = config.targetedField().isEmpty() ? List.of("cdn-cache-control")
                : List.of(config.targetedField().toLowerCase(java.util.Locale.ROOT), "cdn-cache-control");
        List<Cidr> allow = new ArrayList<>();
        for (String c : config.purgeAllow()) {
            allow.add(Cidr.parse(c));
        }
        this.purgeAllow = List.copyOf(allow);
    }

    static CacheSettings settings(CacheConfig c) {
        return new CacheSettings(c.sizeBytes(), c.maxObjectBytes(), c.defaultTtl(), c.grace(), c.keep(),
                c.staleIfError(), c.hitForMiss(), c.staticMinTtl(), c.varyNormalize());
    }

    boolean mayPurge(InetAddress client) {
        return Cidr.anyContains(purgeAllow, client);
    }

    /**
     * The Cache-Control that applies to Ferry: the first targeted field present (RFC 9213:
     * {@code cache.targeted-field}, then CDN-Cache-Control), else Cache-Control. Parse it once per
     * response and hand it to {@link #decide} and {@link #snapshot}.
     */
    CacheControl cacheControl(HttpHeaders h) {
        for (String name : targetedFields) {
            List<String> v = h.getAll(name);
            if (!v.isEmpty()) {
                CacheControl targeted = io.ferry.cache.TargetedCacheControl.parse(v);
                if (targeted != null) {
                    return targeted;
                }
            }
        }
        return CacheControl.parse(h.getAll(HttpHeaderNames.CACHE_CONTROL));
    }

    /** A valid targeted field applies (RFC 9213 §2.1); an invalid one is ignored as if absent. */
    private boolean targeted(HttpHeaders h) {
        for (String name : targetedFields) {
            List<String> v = h.getAll(name);
            if (!v.isEmpty() && io.ferry.cache.TargetedCacheControl.parse(v) != null) {
                return true;
            }
        }
        return false;
    }

    /** Targeted cache-control fields are for Ferry, not for the clients behind it. */
    void removeTargetedFields(HttpHeaders h) {
        for (String name : targetedFields) {
            h.remove(name);
        }
    }

    /** Whether an upstream response may be stored, for how long; {@code cc} is {@link #cacheControl}'s. */
    StorePolicy.Decision decide(HttpResponse response, CacheControl cc, boolean isStatic) {
        HttpHeaders h = response.headers();
        long length = h.getInt(HttpHeaderNames.CONTENT_LENGTH, -1);
        boolean validators = h.contains(HttpHeaderNames.ETAG) || h.contains(HttpHeaderNames.LAST_MODIFIED);
        List<String> expires = targeted(h) ? List.of() : h.getAll(HttpHeaderNames.EXPIRES);
        return storePolicy.decide(new StorePolicy.Response(response.status().code(), cc,
                h.contains(HttpHeaderNames.SET_COOKIE), h.getAll(HttpHeaderNames.VARY), expires,
                h.get(HttpHeaderNames.DATE), h.get(HttpHeaderNames.LAST_MODIFIED), length, validators, cache.now()),
                isStatic ? config.staticMinTtl().toMillis() : 0);
    }

    /**
     * The headers to keep with a stored object (hop-by-hop already removed): all but Age (recomputed
     * when served), the targeted fields, and the fields {@code private="…"}/{@code no-cache="…"} in
     * {@code cc} name (§5.2.2.4, §5.2.2.7).
     */
    List<Map.Entry<String, String>> snapshot(HttpHeaders h, CacheControl cc) {
        List<String> omit = cc.omitFields();
        List<Map.Entry<String, String>> list = new ArrayList<>(h.size());
        Iterator<Map.Entry<String, String>> it = h.iteratorAsString();
        while (it.hasNext()) {
            Map.Entry<String, String> e = it.next();
            String name = e.getKey().toLowerCase(java.util.Locale.ROOT);
            if (!name.equals("age") && !omit.contains(name) && !targetedFields.contains(name)) {
                list.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
            }
        }
        return list;
    }

    /** The invalidation tags of a stored response's fields ({@link #TAG_FIELDS}). */
    static List<String> tags(List<Map.Entry<String, String>> headers) {
        List<String> tags = new ArrayList<>();
        for (Map.Entry<String, String> h : headers) {
            if (TAG_FIELDS.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
                for (String t : h.getValue().split("[\\s,|]+")) {
                    if (!t.isEmpty() && !tags.contains(t)) {
                        tags.add(t);
                    }
                }
            }
        }
        return tags;
    }

    static boolean isTagField(String name) {
        return TAG_FIELDS.contains(name.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Stores a fetched response; the cache takes the body's reference.
     *
     * @param age the Age field values the response arrived with (§4.2.3: they count toward its age)
     */
    CachedResponse store(String primary, HttpHeaders requestHeaders, int status, String reason,
                         List<Map.Entry<String, String>> headers, List<String> age, ByteBuf body, long requestTime,
                         StorePolicy.Decision decision, long ttlCapMillis) {
        long now = cache.now();
        long initialAge = Freshness.initialAgeMillis(age, find(headers, "date"), requestTime, now);
        if (ttlCapMillis > 0) { // a hot copy of what a fleet peer owns: briefly, no grace, then asked again
            decision = new StorePolicy.Decision(true, decision.reason(), Math.min(decision.ttl(), initialAge + ttlCapMillis),
                    0, 0, 0);
        }
        return cache.store(primary, joined(headers, "vary"), requestHeaders::get, status, reason, headers, body, now,
                initialAge, decision, tags(headers));
    }

    /** A stored object as a response head: its headers plus Age and the X-Cache label. */
    HttpResponse responseHead(CachedResponse c, String label) {
        HttpHeaders h = new DefaultHttpHeaders(false);
        for (Map.Entry<String, String> e : c.headers()) {
            if (!config.exposeTags() && isTagField(e.getKey())) {
                continue;
            }
            h.add(e.getKey(), e.getValue());
        }
        h.set(HttpHeaderNames.AGE, Long.toString(c.ageAt(cache.now()) / 1000));
        h.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        if (!config.header().isEmpty()) {
            h.set(config.header(), label);
        }
        if (!h.contains(HttpHeaderNames.CONTENT_LENGTH) && c.status() != 204 && c.status() != 304) {
            h.setInt(HttpHeaderNames.CONTENT_LENGTH, c.body().readableBytes());
        }
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(c.status(), c.reason()), h);
    }

    /** RFC 9110 §13.1.2/13.1.3: does the client's conditional make this a 304? (200 objects only) */
    static boolean notModified(CachedResponse c, HttpHeaders request) {
        return c.status() == 200 && Preconditions.notModified(request, c.etag(), c.lastModified());
    }

    /** Every value of a field, joined with ", " (several Vary lines are one list); null when none. */
    static String joined(List<Map.Entry<String, String>> headers, String name) {
        String all = null;
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                all = all == null ? h.getValue() : all + ", " + h.getValue();
            }
        }
        return all;
    }

    static String find(List<Map.Entry<String, String>> headers, String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }
}
