package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * The backend side of an HTTP/1.1 connection: requests encoded here, the fields of a {@link HeaderBlock}
 * written as received with the proxy's edits spliced in (the bytes Netty's HttpRequestEncoder writes);
 * responses decoded by {@link ResponseDecoder}, which learns each request's method from the encoder.
 */
public final class Http1ClientCodec extends CombinedChannelDuplexHandler<ResponseDecoder, Http1ClientCodec.RequestEncoder> {

    public Http1ClientCodec(int maxStatusLine, int maxHeaderSize) {
        MethodQueue methods = new MethodQueue();
        init(new ResponseDecoder(maxStatusLine, maxHeaderSize, methods), new RequestEncoder(methods));
    }

    static final class RequestEncoder extends ChannelOutboundHandlerAdapter {
        private final MethodQueue methods;
        private Framing body = Framing.NONE_YET;
        private int headGuess = 256;

        RequestEncoder(MethodQueue methods) {
            this.methods = methods;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpRequest request) {
                if (body != Framing.NONE_YET) {
                    throw Framing.outOfOrder(msg, "a request head while the last one's body is being written; it came");
                }
                methods.add(request.method());
                Framing framing = HttpUtil.isTransferEncodingChunked(request) ? Framing.CHUNKED : Framing.LENGTH;
                HttpContent content = request instanceof HttpContent c ? c : null;
                ByteBuf head = ctx.alloc().buffer(headGuess + framing.inlineSize(content));
                MessageHeads.writeRequestHead(head, request);
                headGuess = MessageHeads.nextGuess(headGuess, head.readableBytes());
                body = framing.writeHead(ctx, head, content, promise);
                return;
            }
            body = Framing.writePart(ctx, body, msg, "request content", promise);
        }
    }
}
