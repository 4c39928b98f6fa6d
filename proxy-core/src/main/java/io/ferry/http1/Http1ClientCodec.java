package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import java.util.List;

/**
 * The backend side of an HTTP/1.1 connection: requests encoded by Netty's encoder, the fields of a
 * {@link HeaderBlock} written as received with the proxy's edits spliced in; responses decoded by
 * {@link ResponseDecoder}, which learns each request's method from the encoder.
 */
public final class Http1ClientCodec extends CombinedChannelDuplexHandler<ResponseDecoder, Http1ClientCodec.RequestEncoder> {

    public Http1ClientCodec(int maxStatusLine, int maxHeaderSize) {
        MethodQueue methods = new MethodQueue();
        init(new ResponseDecoder(maxStatusLine, maxHeaderSize, methods), new RequestEncoder(methods));
    }

    static final class RequestEncoder extends HttpRequestEncoder {
        private final MethodQueue methods;

        RequestEncoder(MethodQueue methods) {
            this.methods = methods;
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest req) {
                methods.add(req.method());
            }
            super.encode(ctx, msg, out);
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (headers instanceof HeaderBlock block) {
                block.writeTo(buf);
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
