package io.ferry.exchange;

import io.ferry.config.ListenerConfig;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.regex.Pattern;

/**
 * A plain-HTTP listener's answer when it only sends clients to https (HAProxy's
 * {@code redirect scheme https}): the same host and target, on the https port. 301 and 302 may turn a
 * POST into a GET in browsers; 307 and 308 keep the method and body.
 */
final class HttpsRedirectResponder implements Responder {
    /** A host name or IP literal, optionally with a port: nothing that could break out of the Location field. */
    private static final Pattern HOST = Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:\\d{1,5})?");

    private final ListenerConfig.HttpsRedirect redirect;
    private final String host;

    HttpsRedirectResponder(ListenerConfig.HttpsRedirect redirect, String host) {
        this.redirect = redirect;
        this.host = host;
    }

    @Override
    public void respond(Exchange ex) {
        if (host == null || !HOST.matcher(host).matches()) {
            ex.giveUp(HttpResponseStatus.BAD_REQUEST, "no usable Host to redirect to https: " + host);
            return;
        }
        int colon = host.lastIndexOf(':');
        String name = colon > host.lastIndexOf(']') ? host.substring(0, colon) : host;
        String location = "https://" + name + (redirect.port() == 443 ? "" : ":" + redirect.port()) + target(ex.ctx.uri);
        FullHttpResponse res = ErrorResponses.create(ex.client.alloc(), HttpResponseStatus.valueOf(redirect.code()), false);
        res.headers().set(HttpHeaderNames.LOCATION, location);
        ex.record.bytesSent = res.content().readableBytes();
        ex.sendFull(res, false);
    }

    /** The origin-form target: the path and query of an absolute-form URI, "/" for "*". */
    private static String target(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme > 0) {
            int path = uri.indexOf('/', scheme + 3);
            return path < 0 ? "/" : uri.substring(path);
        }
        return "/";
    }
}
