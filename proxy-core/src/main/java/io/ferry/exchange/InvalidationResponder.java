package io.ferry.exchange;

import io.ferry.cache.HttpCache;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** PURGE (a URL, or the tags in X-Purge-Tags) and BAN (X-Ban-Host / X-Ban-Path regexes), ACL-checked. */
final class InvalidationResponder implements Responder {
    private static final Logger log = LoggerFactory.getLogger(InvalidationResponder.class);

    private final CacheFront front;
    private final String host;

    InvalidationResponder(CacheFront front, String host) {
        this.front = front;
        this.host = host;
    }

    static boolean invalidates(HttpMethod method) {
        return method.name().equals("PURGE") || method.name().equals("BAN");
    }

    @Override
    public void respond(Exchange ex) {
        String client = ex.record.remoteAddr();
        if (!front.mayPurge(ex.clientAddress().getAddress())) {
            log.warn("{} {} from {} refused: not in cache.purge.allow", ex.ctx.method, ex.ctx.uri, client);
            ex.giveUp(HttpResponseStatus.FORBIDDEN, ex.ctx.method + " from " + client);
            return;
        }
        HttpHeaders h = ex.ctx.request.headers();
        int n;
        String what;
        try {
            if (ex.ctx.method.name().equals("BAN")) {
                String hostRe = h.get("x-ban-host");
                String pathRe = h.get("x-ban-path");
                front.cache.ban(hostRe == null ? null : Pattern.compile(hostRe),
                        pathRe == null ? null : Pattern.compile(pathRe));
                log.info("{} {} from {}: ban added (host {}, path {})", ex.ctx.method, ex.ctx.uri, client, hostRe, pathRe);
                answer(ex, "ban added: matching objects stored before it are gone\n");
                return;
            } else if (h.contains("x-purge-tags")) {
                n = front.cache.purgeTags(List.of(h.get("x-purge-tags").trim().split("[\\s,]+")));
                what = "purged by tag";
            } else {
                n = front.cache.purge(HttpCache.primaryKey(host, ex.ctx.uri));
                what = "purged";
            }
        } catch (PatternSyntaxException e) {
            ex.giveUp(HttpResponseStatus.BAD_REQUEST, "bad ban pattern: " + e.getDescription());
            return;
        }
        log.info("{} {} from {}: {} {} objects", ex.ctx.method, ex.ctx.uri, client, what, n);
        answer(ex, what + " " + n + " objects\n");
    }

    private static void answer(Exchange ex, String body) {
        byte[] text = body.getBytes(StandardCharsets.US_ASCII);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(text));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        ex.record.bytesSent = text.length;
        ex.sendFull(res, false);
    }
}
