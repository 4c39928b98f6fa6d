package io.ferry.exchange;

import io.ferry.cache.HttpCache;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PURGE and BAN from cache.purge.allow networks (403 from anywhere else), in the dialect the sender
 * speaks ({@link Invalidation}). The answer says what was done: the objects purged (or made stale) in
 * X-Purged-Objects and the body, or the ban recorded; 400 with the reason for a request none of the
 * dialects explains.
 */
final class InvalidationResponder implements Responder {
    private static final Logger log = LoggerFactory.getLogger(InvalidationResponder.class);
    static final String PURGED_OBJECTS = "x-purged-objects";

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
        HttpCache cache = front.cache;
        Invalidation what = Invalidation.read(ex.ctx.method, ex.ctx.uri, host, ex.ctx.request.headers());
        String done;
        int count = -1;
        if (what instanceof Invalidation.Url u) {
            count = cache.purge(HttpCache.primaryKey(u.host(), u.target()), u.soft());
            done = (u.soft() ? "made stale " : "purged ") + count + " objects of " + u.host() + u.target() + " ("
                    + u.dialect() + ")";
        } else if (what instanceof Invalidation.Tags t) {
            count = cache.purgeTags(t.tags(), t.soft());
            done = (t.soft() ? "made stale " : "purged ") + count + " objects tagged " + String.join(" ", t.tags())
                    + " (" + t.dialect() + ")";
        } else if (what instanceof Invalidation.Ban b) {
            cache.ban(b.rule());
            done = "ban added: " + b.rule().describe() + ", stored before it (" + b.dialect() + ")";
        } else {
            String reason = ((Invalidation.Refused) what).reason();
            log.warn("{} {} from {} refused: {}", ex.ctx.method, ex.ctx.uri, client, reason);
            answer(ex, HttpResponseStatus.BAD_REQUEST, "not understood: " + reason, -1);
            return;
        }
        log.info("{} {} from {}: {}", ex.ctx.method, ex.ctx.uri, client, done);
        answer(ex, HttpResponseStatus.OK, done, count);
    }

    private static void answer(Exchange ex, HttpResponseStatus status, String body, int count) {
        byte[] text = (body + "\n").getBytes(StandardCharsets.UTF_8);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(text));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        if (count >= 0) {
            res.headers().setInt(PURGED_OBJECTS, count);
        }
        ex.record.bytesSent = text.length;
        ex.sendFull(res, false);
    }
}
