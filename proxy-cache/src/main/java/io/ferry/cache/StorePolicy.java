package io.ferry.cache;

import java.util.List;
import java.util.Set;

/**
 * Whether and for how long a response may be stored in a shared cache: RFC 9111 §3 and Varnish's
 * builtin rules. Never no-store (unless must-understand and the status is understood), private,
 * Set-Cookie (unless the rules strip it first) or {@code Vary: *}; any final status when the response
 * gives an explicit lifetime or says public, a heuristically cacheable status otherwise; a zero
 * lifetime is not worth storing (a hit-for-miss marker goes in instead) unless it can be revalidated.
 */
public final class StorePolicy {
    /** Statuses whose caching rules Ferry implements, for must-understand (§5.2.2.3). */
    static final Set<Integer> UNDERSTOOD = Set.of(200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414,
            501);

    /** The verdict on one response. */
    public record Decision(boolean store, String reason, long ttl, long grace, long staleIfError, long keep) {
        static Decision no(String reason) {
            return new Decision(false, reason, 0, 0, 0, 0);
        }
    }

    /**
     * What the policy looks at in a response.
     *
     * @param cc            the Cache-Control that applies to Ferry (a targeted field, RFC 9213, when present)
     * @param vary          every Vary field value
     * @param expires       every Expires field value
     * @param contentLength -1 when unknown
     * @param receivedAt    when it arrived, on the cache's clock (stands in for a missing Date)
     */
    public record Response(int status, CacheControl cc, boolean setCookie, List<String> vary, List<String> expires,
                           String date, String lastModified, long contentLength, boolean hasValidators,
                           long receivedAt) {
    }

    private final CacheSettings settings;
    private final Freshness.Heuristic heuristic;

    public StorePolicy(CacheSettings settings) {
        this(settings, Freshness.Heuristic.DEFAULT);
    }

    public StorePolicy(CacheSettings settings, Freshness.Heuristic heuristic) {
        this.settings = settings;
        this.heuristic = heuristic;
    }

    /**
     * @param minTtlMillis a floor for the lifetime (static assets), 0 for none
     */
    public Decision decide(Response r, long minTtlMillis) {
        CacheControl cc = r.cc();
        int status = r.status();
        if (status < 200 || status == 206 || status == 304) {
            return Decision.no("status " + status + " is not a complete response");
        }
        if (cc.mustUnderstand() && !UNDERSTOOD.contains(status)) {
            return Decision.no("must-understand, status " + status);
        }
        if (cc.noStore() && !cc.mustUnderstand()) {
            return Decision.no("Cache-Control: no-store");
        }
        if (cc.isPrivate()) {
            return Decision.no("Cache-Control: private");
        }
        if (r.setCookie()) {
            return Decision.no("Set-Cookie");
        }
        if (varyStar(r.vary())) {
            return Decision.no("Vary: *");
        }
        if (!Freshness.explicit(cc, r.expires()) && !Freshness.HEURISTIC.contains(status)) {
            return Decision.no("status " + status + " without explicit freshness");
        }
        if (r.contentLength() > settings.maxObjectBytes()) {
            return Decision.no("larger than cache.max-object-size");
        }
        long ttl = Freshness.lifetimeMillis(status, cc, r.expires(), r.date(), r.lastModified(),
                settings.defaultTtl().toMillis(), heuristic, r.receivedAt());
        if (ttl < 0) {
            return Decision.no("no freshness information for status " + status);
        }
        if (cc.noCache()) {
            ttl = 0; // stored, but every use is revalidated
        } else if (minTtlMillis > ttl) {
            ttl = minTtlMillis;
        }
        boolean revalidateOnly = cc.mustRevalidate() || cc.proxyRevalidate() || cc.noCache();
        long grace = revalidateOnly ? 0
                : cc.staleWhileRevalidate() >= 0 ? cc.staleWhileRevalidate() * 1000 : settings.grace().toMillis();
        long staleIfError = revalidateOnly ? 0
                : cc.staleIfError() >= 0 ? cc.staleIfError() * 1000 : settings.staleIfError().toMillis();
        long keep = settings.keep().toMillis();
        if (ttl <= 0 && (!r.hasValidators() || keep <= 0)) {
            return Decision.no("zero lifetime and nothing to revalidate with");
        }
        return new Decision(true, "cacheable", ttl, grace, staleIfError, keep);
    }

    /** The same for a response with at most one Vary and one Expires field, received just now. */
    public Decision decide(int status, CacheControl cc, boolean setCookie, String vary, String expires, String date,
                           long contentLength, boolean hasValidators, long minTtlMillis) {
        return decide(new Response(status, cc, setCookie, vary == null ? List.of() : List.of(vary),
                expires == null ? List.of() : List.of(expires), date, null, contentLength, hasValidators,
                System.currentTimeMillis()), minTtlMillis);
    }

    /** §4.1: a {@code *} anywhere in any Vary field means the response never matches a later request. */
    static boolean varyStar(List<String> vary) {
        for (String field : vary) {
            for (String member : field.split(",")) {
                if (member.trim().equals("*")) {
                    return true;
                }
            }
        }
        return false;
    }
}
