package io.ferry.exchange;

import io.ferry.config.RulesConfig;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The short responses Ferry itself answers with: client errors and upstream faults. */
final class ErrorResponses {
    private ErrorResponses() {
    }

    /** A small text/plain response; {@code close} adds Connection: close. */
    static FullHttpResponse create(ByteBufAllocator alloc, HttpResponseStatus status, boolean close) {
        return create(alloc, status, close, Map.of());
    }

    /** The configured page for the status (rules.error-pages) if there is one, else the small text/plain one. */
    static FullHttpResponse create(ByteBufAllocator alloc, HttpResponseStatus status, boolean close,
                                   Map<Integer, RulesConfig.ErrorPage> pages) {
        RulesConfig.ErrorPage page = pages.isEmpty() ? null : pages.get(status.code());
        byte[] body = page != null ? page.body()
                : (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuf content = alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, page != null ? page.contentType() : HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
