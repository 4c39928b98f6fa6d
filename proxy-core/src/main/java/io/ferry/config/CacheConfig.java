package io.ferry.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import io.ferry.cache.CookieRules;

/**
 * The shared cache (Varnish's job): size, lifetimes, which requests it serves, who may purge.
 *
 * @param header         response header that says HIT, MISS or PASS (empty: none)
 * @param waitTimeout    how long a request waits for a coalesced fetch before going to the backend itself
 * @param purgeAllow     client networks allowed to PURGE and BAN (CIDR)
 * @param exposeTags     pass Surrogate-Key / Cache-Tags on to clients
 * @param cookieRules    which cookies make a request pass, which are stripped (cache.anonymous preset)
 * @param heuristicFraction share of the time since Last-Modified a response without explicit
 *                       freshness stays fresh (RFC 9111 §4.2.2), at most {@code heuristicMax}
 * @param targetedField  a cache-control field meant for Ferry alone (RFC 9213), before CDN-Cache-Control;
 *                       "" for CDN-Cache-Control only
 * @param honourClientNoCache a request's Cache-Control: no-cache or max-age=0 makes Ferry validate with
 *                       the backend instead of answering from the cache (off, as Varnish)
 * @param varyNormalize  requests whose Accept-Language differs only in case, spaces or order share a variant
 * @param persistFile    where the stored objects are written at a graceful stop and read at the next start
 *                       (the file is deleted once read: a crash never brings back an old cache); "" for none
 */
public record CacheConfig(
        boolean enabled,
        long sizeBytes,
        long maxObjectBytes,
        Duration defaultTtl,
        Duration grace,
        Duration keep,
        Duration staleIfError,
        Duration hitForMiss,
        Duration waitTimeout,
        String header,
        Set<String> staticExtensions,
        Duration staticMinTtl,
        boolean anonymous,
        CookieRules cookieRules,
        List<String> passPaths,
        List<String> purgeAllow,
        boolean exposeTags,
        double heuristicFraction,
        Duration heuristicMax,
        String targetedField,
        boolean honourClientNoCache,
        boolean varyNormalize,
        String persistFile) {
}
