package io.ferry.exchange;

import io.ferry.cache.CacheControl;
import io.ferry.cache.CachedResponse;
import io.ferry.cache.Freshness;
import io.ferry.cache.RequestPolicy;
import io.ferry.cache.StorePolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache store phase of a fetch: decides whether the response may be stored, copies its body once
 * as it streams to the client, and stores it at the end — or marks the key hit-for-miss and releases
 * the waiting list at the head already, so waiters go to the backend in parallel instead of one after
 * another. Also the revalidation of a kept object: its validators go upstream, a 304 refreshes it.
 */
final class CacheFill {
    private static final Logger log = LoggerFactory.getLogger(CacheFill.class);

    private final CacheFront front;
    private final String primary;
    private final String key;
    /** True while others may wait on this fetch of key. */
    private boolean fetcher;
    private final long fetchStarted;
    private CachedResponse revalidating;
    private String clientIfNoneMatch;
    private String clientIfModifiedSince;
    /** Set when a 304 refreshed the kept object: served once the 304 has ended. */
    private CachedResponse revalidated;
    private StorePolicy.Decision decision;
    private List<Map.Entry<String, String>> headers;
    private List<String> age;
    private int status;
    private String reason;
    private ByteBuf body;

    CacheFill(CacheFront front, String primary, String key, boolean fetcher) {
        this.front = front;
        this.primary = primary;
        this.key = key;
        this.fetcher = fetcher;
        this.fetchStarted = front.cache.now();
    }

    /** Sends the kept object's validators instead of the client's, so a 304 can refresh it. */
    void revalidate(CachedResponse stale, HttpHeaders request) {
        revalidating = stale;
        clientIfNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        clientIfModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        request.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (stale.etag() != null) {
            request.set(HttpHeaderNames.IF_NONE_MATCH, stale.etag());
        } else {
            request.set(HttpHeaderNames.IF_MODIFIED_SINCE, stale.lastModified());
        }
    }

    /** True (the response consumed) when it is the 304 to our revalidation: the kept object is fresh again. */
    boolean onNotModified(HttpResponse response) {
        if (response.status().code() != 304 || revalidating == null || !fetcher) {
            return false;
        }
        HttpHeaders h = response.headers();
        long age = Freshness.initialAgeMillis(h.getAll(HttpHeaderNames.AGE), h.get(HttpHeaderNames.DATE), fetchStarted,
                front.cache.now());
        CacheControl cc = front.cacheControl(h);
        revalidated = front.cache.refresh(revalidating, front.snapshot(h, cc), age, revalidatedTtl(h, cc));
        ReferenceCountUtil.release(response);
        return true;
    }

    /**
     * The 304 has ended: the waiters get the refreshed object, the client's own conditionals are put
     * back (not the validators Ferry sent), and the object is returned to answer with.
     */
    CachedResponse takeRevalidated(HttpHeaders request) {
        CachedResponse fresh = revalidated;
        revalidated = null;
        endFetch(fresh);
        request.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (clientIfNoneMatch != null) {
            request.set(HttpHeaderNames.IF_NONE_MATCH, clientIfNoneMatch);
        }
        if (clientIfModifiedSince != null) {
            request.set(HttpHeaderNames.IF_MODIFIED_SINCE, clientIfModifiedSince);
        }
        return fresh;
    }

    /** The freshness a 304 gives: its own Cache-Control/Expires, else the configured default. */
    private long revalidatedTtl(HttpHeaders h, CacheControl cc) {
        long ttl = Freshness.lifetimeMillis(200, cc, h.get(HttpHeaderNames.EXPIRES),
                h.get(HttpHeaderNames.DATE), front.config.defaultTtl().toMillis(), front.cache.now());
        return Math.max(ttl, 0);
    }

    /** Decides at the head: copy the body for storing, or hit-for-miss now. */
    /** What the head decided, for the live log. */
    private String outcome = "not stored";

    String outcome() {
        return outcome;
    }

    void onResponseHead(HttpResponse response, boolean staticAsset, boolean authorization, HttpMethod method,
                        String uri) {
        if (response.status().code() == 206) {
            // A part of the object (a request whose Range went on): not stored, and no reason to mark
            // the URL hit-for-miss — the whole object is as cacheable as ever.
            outcome = "206: not stored";
            endFetch(null);
            return;
        }
        CacheControl cc = front.cacheControl(response.headers());
        StorePolicy.Decision d = front.decide(response, cc, staticAsset);
        if (authorization && !(d.store() && RequestPolicy.sharedWithAuthorization(cc))) {
            // Not for sharing. The URL may well be cacheable for anonymous requests: no hit-for-miss mark.
            log.debug("{} {}: with Authorization and not public, s-maxage or must-revalidate: not stored", method, uri);
            outcome = "not stored (Authorization, and not public, s-maxage or must-revalidate)";
            endFetch(null);
            return;
        }
        if (d.store()) {
            outcome = "stored for " + d.ttl() / 1000 + " s (" + d.reason() + "), grace " + d.grace() / 1000 + " s";
            decision = d;
            status = response.status().code();
            reason = response.status().reasonPhrase();
            headers = front.snapshot(response.headers(), cc);
            age = response.headers().getAll(HttpHeaderNames.AGE);
            int length = response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH, 8192);
            body = UnpooledByteBufAllocator.DEFAULT.directBuffer(Math.max(16, length));
        } else {
            log.debug("{} {}: not stored ({}); hit-for-miss", method, uri, d.reason());
            outcome = "not stored (" + d.reason() + "); hit-for-miss";
            front.cache.markHitForMiss(primary);
            endFetch(null);
        }
    }

    /** Copies a body part (the client gets the original); over cache.max-object-size it becomes hit-for-miss. */
    void copy(ByteBuf part) {
        if (body == null) {
            return;
        }
        int n = part.readableBytes();
        if (body.readableBytes() + n > front.config.maxObjectBytes()) {
            body.release();
            body = null;
            front.cache.markHitForMiss(primary);
            endFetch(null);
            return;
        }
        body.writeBytes(part, part.readerIndex(), n);
    }

    /** The response is complete: store it (the cache takes the body) and hand it to the waiters. */
    /** @param ttlCapMillis a local copy of a fleet peer's object: kept at most this long (0: as the response says) */
    void store(HttpHeaders request, long ttlCapMillis) {
        if (body == null) {
            return;
        }
        CachedResponse stored = front.store(primary, request, status, reason, headers, age, body, fetchStarted,
                decision, ttlCapMillis);
        body = null;
        endFetch(stored);
    }

    /** The fetch is over: the waiting list gets {@code stored}, or goes to the backend (null). */
    private void endFetch(CachedResponse stored) {
        if (fetcher) {
            fetcher = false;
            front.cache.fetchDone(key, stored);
        }
    }

    /** The exchange ends: an unfinished copy is dropped and the fetch released. */
    void end() {
        if (body != null) {
            body.release();
            body = null;
        }
        endFetch(null);
    }
}
