package io.ferry.exchange;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A malformed head is answered 400/413/414/431 and never forwarded (nothing after it can be trusted, so
 * the connection closes); a plain listener with redirect-https answers every request with a redirect.
 */
final class ValidationPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        HttpResponseStatus rejected = RequestValidation.check(ctx.request, ex.runtime.config.limits(),
                ex.record.remoteAddr());
        if (rejected != null) {
            ex.respondWith(new LocalResponder(rejected, true));
            return Next.ANSWERED;
        }
        ctx.uri = ctx.request.uri();
        ex.record.uri(ctx.uri);
        ctx.host = ctx.request.headers().get(HttpHeaderNames.HOST);
        if (ex.listener().config().redirectHttps() != null) { // only a plain listener has one
            ex.respondWith(new HttpsRedirectResponder(ex.listener().config().redirectHttps(), ctx.host));
            return Next.ANSWERED;
        }
        return Next.CONTINUE;
    }
}
