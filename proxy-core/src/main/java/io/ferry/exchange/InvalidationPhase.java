package io.ferry.exchange;

/** PURGE and BAN on a cached route are answered by the cache ({@link InvalidationResponder}), never forwarded. */
final class InvalidationPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        if (ctx.route.cache() && ex.runtime.cache != null && InvalidationResponder.invalidates(ctx.method)) {
            ex.respondWith(new InvalidationResponder(ex.runtime.cache, ctx.host));
            return Next.ANSWERED;
        }
        return Next.CONTINUE;
    }
}
