package io.ferry.exchange;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The cache's part of the way out, for every response of a cached route: a 304 that refreshed a kept
 * object, or a 5xx within a stale object's stale-if-error, is taken and answered from the object; otherwise the store decision, labels and tags at the
 * head, the body copied as it passes (or held back when a HEAD was fetched as GET), stored at the end.
 */
final class CacheResponsePhase implements ResponsePhase {
    @Override
    public Next onHead(Exchange ex, HttpResponse response) {
        CacheLookup cache = ex.cache();
        return cache == null ? Next.CONTINUE : cache.onResponseHead(response);
    }

    @Override
    public HttpContent onBody(Exchange ex, HttpContent part) {
        CacheLookup cache = ex.cache();
        return cache == null || cache.onResponseBody(part) ? part : null;
    }

    @Override
    public LastHttpContent onEnd(Exchange ex, LastHttpContent last) {
        CacheLookup cache = ex.cache();
        return cache == null ? last : cache.onResponseEnd(last);
    }

    @Override
    public void onTakenResponseEnd(Exchange ex) {
        ex.cache().onTakenResponseEnd();
    }
}
