package io.ferry.exchange;

import io.ferry.http.RequestPaths;
import io.ferry.rules.RequestTarget;
import io.ferry.rules.ResponseFacts;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * An exchange as the rule engine sees it: the request (editable before routing) and, for response rules,
 * the response head on its way out. Made once per exchange, only when rules are configured.
 */
final class RuleFacts implements RequestTarget, ResponseFacts {
    private final Exchange ex;
    private final RequestContext ctx;
    private String host;
    private String path;
    private HttpResponse response;

    RuleFacts(Exchange ex, RequestContext ctx) {
        this.ex = ex;
        this.ctx = ctx;
    }

    RuleFacts response(HttpResponse r) {
        this.response = r;
        return this;
    }

    @Override
    public String method() {
        return ctx.method.name();
    }

    @Override
    public String host() {
        if (host == null && ctx.host != null) {
            String h = ctx.host;
            int colon = h.lastIndexOf(':');
            if (colon > h.lastIndexOf(']')) {
                h = h.substring(0, colon);
            }
            host = h.toLowerCase(Locale.ROOT);
        }
        return host;
    }

    @Override
    public String path() {
        if (path == null) {
            String uri = ctx.uri;
            int q = uri.indexOf('?');
            path = RequestPaths.normalize(q < 0 ? uri : uri.substring(0, q));
        }
        return path;
    }

    @Override
    public String uri() {
        return ctx.uri;
    }

    @Override
    public String header(CharSequence name) {
        return ctx.request.headers().get(name);
    }

    @Override
    public InetAddress clientAddress() {
        InetSocketAddress a = ex.clientAddress();
        return a == null ? null : a.getAddress();
    }

    @Override
    public String clientIp() {
        return ex.record.remoteAddr();
    }

    @Override
    public boolean tls() {
        return ex.client.tls();
    }

    @Override
    public String listener() {
        return ex.settings.listener();
    }

    @Override
    public String requestId() {
        return ctx.requestId;
    }

    @Override
    public HttpHeaders headers() {
        return ctx.request.headers();
    }

    @Override
    public void rewriteUri(String uri) {
        ctx.uri = uri;
        ctx.request.setUri(uri);
        path = null;
    }

    @Override
    public void onEnd(Runnable release) {
        if (ctx.onEnd == null) {
            ctx.onEnd = new java.util.ArrayList<>(2);
        }
        ctx.onEnd.add(release);
    }

    @Override
    public int status() {
        return response.status().code();
    }

    @Override
    public String contentType() {
        return response.headers().get(HttpHeaderNames.CONTENT_TYPE);
    }
}
