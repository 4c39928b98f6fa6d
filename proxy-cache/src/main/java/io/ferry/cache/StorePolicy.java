package io.ferry.cache;

/**
 * Whether and for how long a response may be stored in a shared cache: RFC 9111 §3 and Varnish's
 * builtin rules. Only GET (HEAD is answered from a stored GET) with an understood status; never
 * no-store, private, Set-Cookie (unless the rules strip it first) or {@code Vary: *}; a zero lifetime
 * is not worth storing (a hit-for-miss marker goes in instead) unless it can be revalidated.
 */
public final class StorePolicy {
    /** The verdict on one response. */
    public record Decision(boolean store, String reason, long ttl, long grace, long staleIfError, long keep) {
        static Decision no(String reason) {
            return new Decision(false, reason, 0, 0, 0, 0);
        }
    }

    private final CacheSettings settings;

    public StorePolicy(CacheSettings settings) {
        this.settings = settings;
    }

    /**
     * @param minTtlMillis a floor for the lifetime (static assets), 0 for none
     */
    public Decision decide(int status, CacheControl cc, boolean setCookie, String vary, String expires, String date,
                           long contentLength, boolean hasValidators, long minTtlMillis) {
        if (cc.noStore()) {
            return Decision.no("Cache-Control: no-store");
        }
        if (cc.isPrivate()) {
            return Decision.no("Cache-Control: private");
        }
        if (setCookie) {
            return Decision.no("Set-Cookie");
        }
        if (vary != null && vary.trim().equals("*")) {
            return Decision.no("Vary: *");
        }
        if (!Freshness.UNDERSTOOD.contains(status) && !Freshness.HEURISTIC.contains(status)) {
            return Decision.no("status " + status);
        }
        if (contentLength > settings.maxObjectBytes()) {
            return Decision.no("larger than cache.max-object-size");
        }
        long ttl = Freshness.lifetimeMillis(status, cc, expires, date, settings.defaultTtl().toMillis());
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
        if (ttl <= 0 && (!hasValidators || keep <= 0)) {
            return Decision.no("zero lifetime and nothing to revalidate with");
        }
        return new Decision(true, "cacheable", ttl, grace, staleIfError, keep);
    }
}
