package io.ferry.exchange;

import io.ferry.cache.CachedResponse;
import io.ferry.cache.HttpCache;
import io.ferry.http.Preconditions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Answers from a stored object: Age and X-Cache added, 304 for a matching conditional, a single range
 * as 206, HEAD without body. The body is written as it is stored (a retained view, no copy).
 */
final class CachedResponder implements Responder {
    private final CacheFront front;
    private final CachedResponse object;
    private final ByteBuf body;
    private final String label;

    private CachedResponder(CacheFront front, CachedResponse object, ByteBuf body, String label) {
        this.front = front;
        this.object = object;
        this.body = body;
        this.label = label;
    }

    /** Null when the object's body was released meanwhile (evicted by another thread): then it is a miss. */
    static CachedResponder of(CacheFront front, CachedResponse object, String label) {
        ByteBuf body = HttpCache.tryRetainBody(object);
        return body == null ? null : new CachedResponder(front, object, body, label);
    }

    @Override
    public void respond(Exchange ex) {
        if (EsiPhase.fromCache(ex, front, object, body, label)) {
            return;
        }
        HttpHeaders request = ex.ctx.request.headers();
        HttpResponse head = front.responseHead(object, label);
        HttpHeaders h = head.headers();
        ByteBuf out = body;
        if (CacheFront.notModified(object, request)) {
            head.setStatus(HttpResponseStatus.NOT_MODIFIED);
            h.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.CONTENT_TYPE);
            body.release();
            out = Unpooled.EMPTY_BUFFER;
        } else if (ex.ctx.method == HttpMethod.HEAD) {
            body.release();
            out = Unpooled.EMPTY_BUFFER;
        } else if (object.status() == 200 && request.contains(HttpHeaderNames.RANGE)
                && Preconditions.ifRangeAllows(request.get(HttpHeaderNames.IF_RANGE), object.etag(), object.lastModified())) {
            long size = body.readableBytes();
            long[] r = Preconditions.singleRange(request.get(HttpHeaderNames.RANGE), size);
            if (r == null) {
                head.setStatus(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                body.release();
                out = Unpooled.EMPTY_BUFFER;
            } else if (r.length == 2) {
                int len = (int) (r[1] - r[0] + 1);
                out = body.retainedSlice(body.readerIndex() + (int) r[0], len);
                body.release();
                head.setStatus(HttpResponseStatus.PARTIAL_CONTENT);
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + r[0] + "-" + r[1] + "/" + size)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, len);
            }
        }
        ex.runtime.forwarded.onResponse(h, HttpVersion.HTTP_1_1);
        ex.record.bytesSent = out.readableBytes();
        if (ex.record.cacheStatus == null) {
            ex.record.cacheStatus = label;
        }
        ex.sendLocal(head, null, new DefaultLastHttpContent(out));
    }
}
