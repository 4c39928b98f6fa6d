package io.ferry.frontend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * A response as the exchange writes it (head, body parts, last part with trailers) becomes HTTP/2 frames
 * for its stream: HEADERS, DATA, trailing HEADERS. Connection-specific fields are left out (RFC 9113
 * §8.2.2); no empty DATA frame is sent except to end the stream. The write's promise completes with the
 * last frame of the object.
 */
final class Http2ResponseEncoder extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpObject)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            encode(ctx, (HttpObject) msg, promise);
        } finally {
            ReferenceCountUtil.release(msg); // the frames hold their own references to the content
        }
    }

    private static void encode(ChannelHandlerContext ctx, HttpObject msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse res) {
            boolean interim = res.status().code() < 200;
            boolean full = res instanceof FullHttpResponse;
            boolean bodyFollows = interim || !full || ((FullHttpResponse) res).content().isReadable()
                    || !((FullHttpResponse) res).trailingHeaders().isEmpty();
            var headers = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(res, false), !bodyFollows);
            if (!bodyFollows || !full) {
                ctx.write(headers, promise);
                return;
            }
            ctx.write(headers, ctx.voidPromise());
        }
        if (msg instanceof LastHttpContent last) {
            HttpHeaders trailers = last.trailingHeaders();
            if (trailers.isEmpty()) {
                ctx.write(new DefaultHttp2DataFrame(last.content().retain(), true), promise);
                return;
            }
            if (last.content().isReadable()) {
                ctx.write(new DefaultHttp2DataFrame(last.content().retain(), false), ctx.voidPromise());
            }
            ctx.write(new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(trailers, false), true), promise);
        } else if (msg instanceof HttpContent content && content.content().isReadable()) {
            ctx.write(new DefaultHttp2DataFrame(content.content().retain(), false), promise);
        } else {
            promise.trySuccess(); // an empty part: nothing to frame
        }
    }
}
