package io.ferry.exchange;

import io.ferry.cache.CacheControl;
import io.ferry.cache.CachedResponse;
import io.ferry.cache.Freshness;
import io.ferry.cache.HttpCache;
import io.ferry.cache.RequestPolicy;
import io.ferry.cache.StorePolicy;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The cache phases of an exchange on a cached route: Varnish's request rules (look up or pass), the
 * lookup (a hit answers; grace answers and refreshes in the background; a miss fetches, or waits for
 * the fetch already in flight), and on the way back the headers every response of a cached route gets.
 * Storing what comes back is {@link CacheFill}'s job.
 */
final class CacheLookup {
    /** Where the cache's part of one exchange stands (Pingora's CachePhase). */
    enum State {
        /** The rules passed the request: the cache neither answers nor stores (an unsafe method may invalidate). */
        PASS,
        /** May be answered from the cache; not looked up yet. */
        LOOKUP,
        /** Answered from a stored object. */
        HIT,
        /** Waiting for the fetch another exchange is making of the same object. */
        WAITING,
        /** Fetching from the origin; stored at the end if it turns out cacheable. */
        FETCH,
        /** Fetching with GET for a HEAD miss: the body is for the cache, the client gets the head. */
        FETCH_FOR_HEAD,
        /** A 304 made the kept object fresh again: the origin's response is dropped, the object answers. */
        REVALIDATED,
        /** The origin answered 5xx within the stale object's stale-if-error: the stale object answers instead. */
        STALE_ON_ERROR
    }

    private final Exchange ex;
    private State state = State.LOOKUP;
    final CacheFront front;
    final String host;
    final String primary;
    /** An unsafe method: a success invalidates what it changed (§4.4). */
    private boolean unsafe;
    /** The client asked for a stored response or nothing (only-if-cached, §5.2.1.7). */
    private boolean onlyIfCached;
    /** The client asked for a validated response (no-cache, max-age=0) and cache.honour-client-no-cache is on. */
    private boolean revalidate;
    private boolean staticAsset;
    /** The request carries Authorization: only shareable responses answer or are stored (§3.5). */
    private boolean authorization;
    /** A kept object past its grace: the fetch revalidates it, and it stands in if the backend fails. */
    private CachedResponse stale;
    /** What this exchange fetches and may store; null when it does not store. */
    private CacheFill fill;
    private ScheduledFuture<?> waitTimer;

    CacheLookup(Exchange ex, CacheFront front, String host) {
        this.ex = ex;
        this.front = front;
        this.host = host;
        this.primary = HttpCache.primaryKey(host, ex.ctx.uri);
    }

    /**
     * Varnish's request rules: true when the request may be answered from the cache (its non-session
     * cookies are then stripped); a pass of an unsafe method invalidates the URL (RFC 9111 §4.4).
     */
    boolean mayLookUp() {
        HttpHeaders h = ex.ctx.request.headers();
        String cookie = h.contains(HttpHeaderNames.COOKIE) ? String.join("; ", h.getAll(HttpHeaderNames.COOKIE)) : null;
        HttpMethod method = ex.ctx.method;
        if (h.contains(HttpHeaderNames.CACHE_CONTROL)) {
            CacheControl cc = CacheControl.parse(h.getAll(HttpHeaderNames.CACHE_CONTROL));
            onlyIfCached = cc.onlyIfCached();
            // A browser's reload; honoured only if configured, else anyone could empty the cache of hits.
            revalidate = front.config.honourClientNoCache() && (cc.noCache() || cc.maxAge() == 0);
        }
        RequestPolicy.Decision d = front.requestPolicy.decide(method.name(), ex.ctx.normalPath,
                h.contains(HttpHeaderNames.AUTHORIZATION), cookie);
        if (!d.lookup()) {
            ex.note("cache: pass (" + d.reason() + ")");
            state = State.PASS;
            ex.record.cacheStatus = "PASS";
            front.cache.stats().countPass();
            unsafe = method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS
                    && method != HttpMethod.TRACE;
            return false;
        }
        if (d.cookieToForward() == null) {
            if (cookie != null) {
                ex.note("cache: cookies removed before the lookup (" + d.reason() + ")");
            }
            h.remove(HttpHeaderNames.COOKIE);
        }
        staticAsset = d.isStatic();
        authorization = d.authorization();
        return true;
    }

    /**
     * §3.5: a request with Authorization is answered only by an object whose response said public,
     * s-maxage or must-revalidate; otherwise it goes to the backend on its own (no waiting list), and
     * its response is stored only if it says so. True when it was answered.
     */
    private Next lookUpAuthorized() {
        HttpCache.Lookup l = front.cache.lookup(primary, ex.ctx.request.headers()::get);
        boolean usable = l.state() == HttpCache.State.FRESH || l.state() == HttpCache.State.GRACE;
        if (usable && RequestPolicy.sharedWithAuthorization(
                CacheControl.parse(l.object().header(HttpHeaderNames.CACHE_CONTROL.toString())))
                && hit(l.object())) {
            return Next.ANSWERED;
        }
        ex.record.cacheStatus = "PASS"; // as any Authorization request — though a shareable answer is stored
        front.cache.stats().countPass();
        if (onlyIfCached) {
            ex.giveUp(HttpResponseStatus.GATEWAY_TIMEOUT, "only-if-cached and nothing shareable stored");
            return Next.ANSWERED;
        }
        if (ex.ctx.method == HttpMethod.GET) {
            fetch(new CacheFill(front, primary, l.key(), false), State.FETCH);
        }
        return Next.CONTINUE;
    }

    private boolean hit(CachedResponse object) {
        if (ex.serveFromCache(object)) {
            state = State.HIT;
            return true;
        }
        return false;
    }

    private void fetch(CacheFill f, State fetchState) {
        fill = f;
        state = fetchState;
    }

    /** Looks the request up: ANSWERED by a hit, WAIT for a fetch in flight, CONTINUE to the origin. */
    Next lookUp() {
        if (state == State.PASS) {
            return Next.CONTINUE;
        }
        if (authorization) {
            return lookUpAuthorized();
        }
        HttpCache.Lookup l = front.cache.lookup(primary, ex.ctx.request.headers()::get);
        HttpCache.State found = l.state();
        if (revalidate && (found == HttpCache.State.FRESH || found == HttpCache.State.GRACE)) {
            found = HttpCache.State.STALE; // fetched again (with its validators), the cache updated
        }
        if (ex.watched()) {
            ex.note("cache: lookup " + found.name().toLowerCase(java.util.Locale.ROOT)
                    + (l.key() != null && l.key().indexOf('\u0001') >= 0 ? " (a Vary variant: "
                    + l.key().substring(l.key().indexOf('\u0001') + 1).replace('\u0001', ' ') + ")" : ""));
        }
        switch (found) {
            case FRESH -> {
                if (hit(l.object())) {
                    front.cache.stats().countHit();
                    return Next.ANSWERED;
                }
            }
            case GRACE -> {
                if (!front.cache.fetching(l.key())) {
                    refreshInBackground(l.key()); // before serving: serving ends the request
                }
                if (hit(l.object())) {
                    front.cache.stats().countGraceHit();
                    return Next.ANSWERED;
                }
            }
            case STALE -> stale = l.object();
            case HIT_FOR_MISS -> {
                ex.record.cacheStatus = "MISS"; // straight to the backend, no waiting list; stored if cacheable now
                fetch(new CacheFill(front, primary, l.key(), false), State.FETCH);
                return Next.CONTINUE;
            }
            case MISS -> {
            }
        }
        ex.record.cacheStatus = "MISS";
        if (onlyIfCached) {
            ex.giveUp(HttpResponseStatus.GATEWAY_TIMEOUT, "only-if-cached and nothing fresh stored");
            return Next.ANSWERED;
        }
        State fetchState = State.FETCH;
        if (ex.ctx.method == HttpMethod.HEAD) {
            if (ex.ctx.fcgiHead != null) {
                state = State.PASS;
                return Next.CONTINUE; // PHP answers HEAD without a body, so there is nothing to store: passed
            }
            // As Varnish does: fetch the object with GET so it can be stored; the client gets the head.
            fetchState = State.FETCH_FOR_HEAD;
            ex.ctx.request.setMethod(HttpMethod.GET);
        }
        if (front.cache.fetchOrWait(l.key(), obj -> ex.client.eventLoop().execute(() -> waitDone(obj)))) {
            fetch(new CacheFill(front, primary, l.key(), true), fetchState);
            // As Varnish does: the whole object is fetched so it can be stored; this client gets all of it
            // (a server may ignore Range), later ranges are cut from the stored copy.
            ex.ctx.request.headers().remove(HttpHeaderNames.RANGE).remove(HttpHeaderNames.IF_RANGE);
            if (stale != null && stale.hasValidators() && ex.ctx.fcgiHead == null) {
                fill.revalidate(stale, ex.ctx.request.headers());
            }
            return Next.CONTINUE;
        }
        state = State.WAITING;
        ex.note("cache: waiting for the fetch in flight (coalesced)");
        ex.waitForCache();
        waitTimer = ex.client.eventLoop().schedule(() -> waitDone(null), front.config.waitTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
        return Next.WAIT;
    }

    /** The fetch this request waited for ended ({@code obj}: what it stored), or the wait timed out (null). */
    private void waitDone(CachedResponse obj) {
        if (state != State.WAITING) {
            return;
        }
        cancelWaitTimer();
        if (obj != null && hit(obj)) {
            front.cache.stats().countHit();
            return;
        }
        // Uncacheable (or the wait ran out): go to the backend in parallel with the others.
        state = State.FETCH;
        ex.forward();
    }

    /**
     * Grace: one background fetch refreshes the object while clients get the stale copy — an exchange of
     * Ferry's own through the ordinary origin path ({@link Exchange#startRefresh}), without the client's
     * conditionals or range. A FastCGI script is refreshed only from a GET (its CGI head says the method).
     */
    private void refreshInBackground(String key) {
        if (ex.ctx.fcgiHead != null && ex.ctx.fcgiHead.method() != HttpMethod.GET) {
            return;
        }
        if (!front.cache.startRefresh(key)) {
            return;
        }
        HttpHeaders h = ex.ctx.request.headers().copy();
        h.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE)
                .remove(HttpHeaderNames.RANGE).remove(HttpHeaderNames.IF_RANGE);
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ex.ctx.uri, h);
        Exchange.startRefresh(ex, head, refresh -> {
            CacheLookup c = new CacheLookup(refresh, front, host);
            c.staticAsset = staticAsset;
            c.fetch(new CacheFill(front, c.primary, key, true), State.FETCH);
            return c;
        });
    }

    /** True when the cache rules passed the request (it goes to the backend). */
    boolean passes() {
        return state == State.PASS;
    }

    /** True when the client wants a stored response or 504 (only-if-cached) but the rules passed the request. */
    boolean onlyIfCached() {
        return onlyIfCached;
    }

    /**
     * The response phase for every response of a cached route: a 304 that refreshed the kept object takes
     * the response (ANSWERED: the object answers once it ends); else store decision, labels, tags,
     * invalidation, and the head goes on.
     */
    Next onResponseHead(HttpResponse response) {
        if (fill != null && fill.onNotModified(response)) {
            state = State.REVALIDATED;
            return Next.ANSWERED;
        }
        if (response.status().code() >= 500 && stale != null && stale.usableOnErrorAt(front.cache.now())) {
            state = State.STALE_ON_ERROR; // RFC 5861 stale-if-error: the error is dropped, the stale object answers
            return Next.ANSWERED;
        }
        HttpHeaders headers = response.headers();
        boolean headAsGet = state == State.FETCH_FOR_HEAD;
        if (unsafe) {
            invalidateAfter(response);
        } else if (ex.ctx.method == HttpMethod.HEAD && !headAsGet && response.status().code() == 200) {
            updateFromHead(response);
        }
        if (staticAsset) {
            headers.remove(HttpHeaderNames.SET_COOKIE);
        }
        if (fill != null && (ex.ctx.method == HttpMethod.GET || headAsGet)) {
            fill.onResponseHead(response, staticAsset, authorization, ex.ctx.method, ex.ctx.uri);
            if (ex.watched()) {
                ex.note("cache: " + fill.outcome());
            }
        }
        if (!front.config.exposeTags()) {
            for (String field : CacheFront.TAG_FIELDS) {
                headers.remove(field);
            }
        }
        front.removeTargetedFields(headers);
        if (ex.record.cacheStatus != null && !front.config.header().isEmpty()) {
            headers.set(front.config.header(), ex.record.cacheStatus);
        }
        return Next.CONTINUE;
    }

    /** A body part: copied for the store; held back (false) when the client asked for the head only. */
    boolean onResponseBody(HttpContent part) {
        if (fill != null) {
            fill.copy(part.content());
        }
        if (state == State.FETCH_FOR_HEAD) {
            part.release();
            return false;
        }
        return true;
    }

    /** The end: the fetched object is stored (if it may be); a HEAD's client gets an empty end. */
    LastHttpContent onResponseEnd(LastHttpContent last) {
        if (fill != null) {
            fill.copy(last.content());
            fill.store(ex.ctx.request.headers(), ex.ctx.shardLocalTtl);
        }
        if (state == State.FETCH_FOR_HEAD) {
            last.release();
            return LastHttpContent.EMPTY_LAST_CONTENT;
        }
        return last;
    }

    /**
     * §4.4: a successful (2xx, 3xx) unsafe request invalidates its target URI and the URIs in Location
     * and Content-Location on the same host; a failed one invalidates nothing.
     */
    private void invalidateAfter(HttpResponse response) {
        int code = response.status().code();
        if (code < 200 || code >= 400) {
            return;
        }
        front.cache.purge(primary);
        for (CharSequence name : new CharSequence[] {HttpHeaderNames.LOCATION, HttpHeaderNames.CONTENT_LOCATION}) {
            String target = sameHostTarget(response.headers().get(name));
            if (target != null) {
                front.cache.purge(HttpCache.primaryKey(host, target));
            }
        }
    }

    /**
     * §4.3.5: a 200 to a HEAD that went to the backend (a passed request) updates the stored GET response
     * it describes — same validators: its headers and lifetime are refreshed; different ones (or, without
     * validators, another length): it is invalidated.
     */
    private void updateFromHead(HttpResponse response) {
        HttpCache.Lookup l = front.cache.lookup(primary, ex.ctx.request.headers()::get);
        CachedResponse stored = l.object();
        if (stored == null) {
            return;
        }
        HttpHeaders h = response.headers();
        String etag = h.get(HttpHeaderNames.ETAG);
        String modified = h.get(HttpHeaderNames.LAST_MODIFIED);
        boolean same;
        if (etag != null || stored.etag() != null) {
            same = etag != null && etag.equals(stored.etag());
        } else if (modified != null || stored.lastModified() != null) {
            same = modified != null && modified.equals(stored.lastModified());
        } else {
            same = String.valueOf(stored.body().readableBytes()).equals(h.get(HttpHeaderNames.CONTENT_LENGTH));
        }
        CacheControl cc = front.cacheControl(h);
        StorePolicy.Decision d = front.decide(response, cc, staticAsset);
        if (same && d.store()) {
            front.cache.refresh(stored, front.snapshot(h, cc), Freshness.initialAgeMillis(h.getAll(HttpHeaderNames.AGE),
                    h.get(HttpHeaderNames.DATE), front.cache.now(), front.cache.now()), d.ttl());
        } else {
            front.cache.purge(primary);
        }
    }

    /** The request target a Location-like value names on this host, or null (another host, or none). */
    private String sameHostTarget(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.startsWith("/") && !value.startsWith("//")) {
            return value;
        }
        int scheme = value.startsWith("http://") ? 7 : value.startsWith("https://") ? 8 : -1;
        if (scheme < 0 || host == null) {
            return null;
        }
        int slash = value.indexOf('/', scheme);
        String authority = slash < 0 ? value.substring(scheme) : value.substring(scheme, slash);
        return authority.equalsIgnoreCase(host) ? (slash < 0 ? "/" : value.substring(slash)) : null;
    }

    /**
     * stale-if-error: the backend failed before any response byte; a kept object may answer instead.
     * True when it did.
     */
    boolean serveStaleOnError() {
        if (stale == null || !stale.usableOnErrorAt(front.cache.now())) {
            return false;
        }
        CachedResponse s = stale;
        stale = null;
        ex.endAttempt();
        if (ex.serveFromCache(s)) {
            front.cache.stats().countStaleOnError();
            return true;
        }
        return false;
    }

    /** A response this phase took at its head has ended: the refreshed object, or the stale one, answers. */
    void onTakenResponseEnd() {
        if (state == State.STALE_ON_ERROR) {
            CachedResponse s = stale;
            stale = null;
            if (ex.serveFromCache(s)) {
                front.cache.stats().countStaleOnError();
            } else {
                ex.giveUp(HttpResponseStatus.BAD_GATEWAY, "the origin failed and its stale copy was evicted");
            }
            return;
        }
        serveRevalidated();
    }

    /** A revalidation came back 304: free the connection, answer from the refreshed object. */
    private void serveRevalidated() {
        CachedResponse fresh = fill.takeRevalidated(ex.ctx.request.headers());
        if (!ex.serveFromCache(fresh)) {
            ex.giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "revalidated object was evicted at once");
        }
    }

    /** The exchange is over: an unfinished fetch ends (its waiters go to the backend), a wait is dropped. */
    void end() {
        if (state == State.WAITING) {
            state = State.FETCH; // no longer waiting: a late completion of the fetch finds nothing to do
        }
        cancelWaitTimer();
        if (fill != null) {
            fill.end();
        }
    }

    private void cancelWaitTimer() {
        if (waitTimer != null) {
            waitTimer.cancel(false);
            waitTimer = null;
        }
    }
}
