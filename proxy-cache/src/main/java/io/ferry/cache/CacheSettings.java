package io.ferry.cache;

import java.time.Duration;

/**
 * Sizing and timing of the cache, in Varnish's terms.
 *
 * @param maxBytes       total body and header bytes kept (Caffeine weigher)
 * @param maxObjectBytes a larger response is passed through, not stored
 * @param defaultTtl     freshness when the response gives none and its status is heuristically
 *                       cacheable (Varnish default_ttl, 120 s)
 * @param grace          how long past its TTL an object may be served while one background fetch
 *                       refreshes it (Varnish default_grace); stale-while-revalidate overrides it
 * @param keep           how long past TTL + grace an object with validators is kept to revalidate
 *                       with a conditional request
 * @param staleIfError   how long past its TTL an object may stand in when the backend fails;
 *                       stale-if-error overrides it
 * @param hitForMiss     how long an uncacheable answer marks its key as "go straight to the backend"
 * @param minStaticTtl   minimum TTL of static assets (by extension)
 * @param varyNormalize  Accept-Language values that differ only in case, whitespace or the order of their
 *                       members select the same variant (what Varnish users write in VCL)
 */
public record CacheSettings(
        long maxBytes,
        long maxObjectBytes,
        Duration defaultTtl,
        Duration grace,
        Duration keep,
        Duration staleIfError,
        Duration hitForMiss,
        Duration minStaticTtl,
        boolean varyNormalize) {

    /** With Vary normalisation on, the default. */
    public CacheSettings(long maxBytes, long maxObjectBytes, Duration defaultTtl, Duration grace, Duration keep,
                         Duration staleIfError, Duration hitForMiss, Duration minStaticTtl) {
        this(maxBytes, maxObjectBytes, defaultTtl, grace, keep, staleIfError, hitForMiss, minStaticTtl, true);
    }
}
