package io.ferry.exchange;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * On a cached route, Varnish's request rules decide whether the cache may answer (else PASS); the cache's
 * part of the exchange ({@link CacheLookup}) starts here and follows it to the end.
 */
final class CachePolicyPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        if (!ctx.route.cache() || ex.runtime.cache == null) {
            return Next.CONTINUE;
        }
        CacheLookup cache = ex.startCache(new CacheLookup(ex, ex.runtime.cache, ctx.host));
        if (!cache.mayLookUp() && cache.onlyIfCached()) {
            ex.giveUp(HttpResponseStatus.GATEWAY_TIMEOUT, "only-if-cached, and the cache rules pass this request");
            return Next.ANSWERED;
        }
        return Next.CONTINUE;
    }
}
