package io.ferry.cache;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stored response: status, headers, body and its lifetimes. Immutable apart from the body's
 * reference count (and the mark of the bans it has met): the cache owns one reference and releases it exactly once when the object leaves
 * (evicted, expired, purged or replaced); a writer takes its own with {@link #retainedBody()}.
 *
 * @param headers      response headers as received, minus hop-by-hop and Age
 * @param storedAt     epoch millis when the response arrived
 * @param initialAge   its age on arrival (Age header plus transit), millis
 * @param ttl          freshness lifetime, millis
 * @param grace        past ttl: served stale while one fetch refreshes it, millis
 * @param staleIfError past ttl: served when the backend fails, millis
 * @param keep         past ttl + grace: kept only to revalidate, millis
 * @param tags         invalidation tags from Surrogate-Key / Cache-Tags
 * @param banChecked   the ban list's sequence the object has been tested against (bans after it may apply)
 */
public record CachedResponse(
        String key,
        int status,
        String reason,
        List<Map.Entry<String, String>> headers,
        ByteBuf body,
        long storedAt,
        long initialAge,
        long ttl,
        long grace,
        long staleIfError,
        long keep,
        String etag,
        String lastModified,
        List<String> tags,
        AtomicBoolean released,
        AtomicLong banChecked) {

    /** Age at {@code now}, millis (RFC 9111 §4.2.3, simplified: arrival age plus time stored). */
    public long ageAt(long now) {
        return initialAge + Math.max(0, now - storedAt);
    }

    public boolean freshAt(long now) {
        return ageAt(now) < ttl;
    }

    public boolean inGraceAt(long now) {
        return ageAt(now) < ttl + grace;
    }

    public boolean usableOnErrorAt(long now) {
        return ageAt(now) < ttl + staleIfError;
    }

    public boolean hasValidators() {
        return etag != null || lastModified != null;
    }

    /** How long the store should hold the object from now on. */
    public long retainMillis() {
        return Math.max(ttl + Math.max(grace, staleIfError) + (hasValidators() ? keep : 0) - initialAge, 1);
    }

    public long weight() {
        long w = 256 + key.length() * 2L + body.readableBytes();
        for (Map.Entry<String, String> h : headers) {
            w += h.getKey().length() + h.getValue().length() + 32;
        }
        return w;
    }

    /** A reference to the body for one write; the caller releases it (the write does). */
    public ByteBuf retainedBody() {
        return body.retainedDuplicate();
    }

    public String header(String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** Releases the cache's reference; safe to call more than once. */
    void release() {
        if (released.compareAndSet(false, true)) {
            body.release();
        }
    }

    /**
     * The same object made stale at {@code now} (a soft purge or ban): its grace and keep begin now, so
     * it is served in grace while one fetch refreshes it. It has met the bans up to {@code banMark}.
     */
    CachedResponse expiredAt(long now, long banMark) {
        long age = ageAt(now);
        return new CachedResponse(key, status, reason, headers, body.retain(), now, age, Math.min(ttl, age), grace,
                staleIfError, keep, etag, lastModified, tags, new AtomicBoolean(), new AtomicLong(banMark));
    }

    /**
     * The same object with refreshed lifetimes after a 304 revalidation; shares (and retains) the body. It is
     * the same representation, so the bans it has not met yet still apply to it.
     */
    CachedResponse revalidated(long now, long newInitialAge, long newTtl, List<Map.Entry<String, String>> mergedHeaders) {
        return new CachedResponse(key, status, reason, mergedHeaders, body.retain(), now, newInitialAge, newTtl, grace,
                staleIfError,
                keep, etag, lastModified, tags, new AtomicBoolean(), new AtomicLong(banChecked.get()));
    }
}
