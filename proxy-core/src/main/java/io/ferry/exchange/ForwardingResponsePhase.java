package io.ferry.exchange;

import io.ferry.config.BackendConfig;
import io.ferry.upstream.ServerPool;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/** Via on the way back, Strict-Transport-Security on a TLS listener that sets it, the request ID and the response rules. */
final class ForwardingResponsePhase implements ResponsePhase {
    /**
     * A sticky backend's server answered a client its cookie did not send there (no cookie, a server that
     * is down or drained, or one of another configuration): the cookie names this one from now on.
     */
    private static void stickTo(Exchange ex, HttpResponse response) {
        ServerPool served = ex.servedBy();
        if (served == null || served == ex.ctx.stickyServer) {
            return;
        }
        String token = ex.ctx.backend.stickyToken(served);
        if (token == null) {
            return;
        }
        BackendConfig.Sticky sticky = ex.ctx.backend.config().sticky();
        StringBuilder cookie = new StringBuilder(64).append(sticky.cookie()).append('=').append(token)
                .append("; Path=/; HttpOnly; SameSite=Lax");
        if (sticky.secure()) {
            cookie.append("; Secure");
        }
        if (sticky.maxAge() != null) {
            cookie.append("; Max-Age=").append(sticky.maxAge().toSeconds());
        }
        response.headers().add(HttpHeaderNames.SET_COOKIE, cookie.toString());
        if (sticky.nocache()) { // a shared cache must not hand this server's cookie to others
            String cc = response.headers().get(HttpHeaderNames.CACHE_CONTROL);
            if (cc == null) {
                response.headers().set(HttpHeaderNames.CACHE_CONTROL, "private");
            } else if (!cc.contains("private") && !cc.contains("no-store")) {
                response.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, " + cc.replaceAll("(?i)\\bpublic\\s*,?\\s*", ""));
            }
        }
    }

    @Override
    public Next onHead(Exchange ex, HttpResponse response) {
        ex.runtime.forwarded.onResponse(response.headers(), response.protocolVersion());
        ex.addEdgeHeaders(response);
        if (ex.ctx.backend != null && ex.ctx.backend.config().sticky() != null) {
            stickTo(ex, response);
        }
        return Next.CONTINUE;
    }
}
