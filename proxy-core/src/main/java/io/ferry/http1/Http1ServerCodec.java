package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * The client side of an HTTP/1.1 connection: requests decoded by {@link RequestDecoder}, responses
 * encoded by Netty's encoder with the fields of a {@link HeaderBlock} written as received and edited.
 * A response to HEAD gets no body; one to CONNECT no Transfer-Encoding (as Netty's HttpServerCodec).
 */
public final class Http1ServerCodec extends CombinedChannelDuplexHandler<RequestDecoder, Http1ServerCodec.ResponseEncoder> {

    public Http1ServerCodec(int maxRequestLine, int maxHeaderSize) {
        MethodQueue methods = new MethodQueue();
        init(new RequestDecoder(maxRequestLine, maxHeaderSize, methods), new ResponseEncoder(methods));
    }

    static final class ResponseEncoder extends HttpResponseEncoder {
        private final MethodQueue methods;
        private HttpMethod answering;

        ResponseEncoder(MethodQueue methods) {
            this.methods = methods;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().code() >= 200) {
                answering = methods.poll();
            }
            return answering == HttpMethod.HEAD && msg.status().code() >= 200 || super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
            if (!isAlwaysEmpty && answering == HttpMethod.CONNECT && msg.status().codeClass() == HttpStatusClass.SUCCESS) {
                msg.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 9110 §9.3.6
                return;
            }
            super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
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
