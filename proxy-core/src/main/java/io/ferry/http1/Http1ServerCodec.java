package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;
import java.net.SocketAddress;

/**
 * The client side of an HTTP/1.1 connection in one handler: requests decoded here (RFC 9112 §3, §6.3:
 * without Content-Length or Transfer-Encoding there is no body), responses encoded by Netty's encoder
 * with the fields of a {@link HeaderBlock} written as received and edited. A response to HEAD gets no
 * body; one to CONNECT no Transfer-Encoding (as Netty's HttpServerCodec). One handler rather than a
 * combined pair: every idle keepalive connection carries it, and the pair's wrapper and delegating
 * contexts cost more than the codec's own state.
 */
public final class Http1ServerCodec extends Http1Decoder implements ChannelOutboundHandler {
    /** The method of each request decoded and not yet answered, for the response encoder. */
    private final MethodQueue methods = new MethodQueue();
    private final ResponseEncoder encoder = new ResponseEncoder(methods);

    public Http1ServerCodec(int maxRequestLine, int maxHeaderSize) {
        super(maxRequestLine, maxHeaderSize);
    }

    @Override
    HttpMessage startLine(HeadParser head) {
        HttpMethod method = head.method(); // the parser reads the start line in order
        String target = head.target();
        HttpVersion version = head.requestVersion();
        return new DefaultHttpRequest(version, method, target, head.fields);
    }

    @Override
    State framing(HttpMessage message, HeadParser head) {
        methods.add(((DefaultHttpRequest) message).method());
        if (head.transferEncodings > 0) {
            if (message.protocolVersion() == HttpVersion.HTTP_1_0) {
                throw new TransferEncodingNotAllowedException("Transfer-Encoding is only allowed in HTTP/1.1 or newer");
            }
            if (head.contentLengths > 0) {
                throw new IllegalArgumentException("a request with both Content-Length and Transfer-Encoding");
            }
            if (!head.chunkedLast || head.chunkedNotLast) {
                throw new IllegalArgumentException("the final transfer coding of a request must be chunked, once");
            }
            return State.CHUNK_SIZE;
        }
        return head.contentLength > 0 ? State.FIXED : State.HEAD;
    }

    @Override
    HttpMessage invalidMessage() {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/bad-request");
    }

    // ---------------------------------------------------------------- outbound: responses

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        encoder.write(ctx, msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise promise) {
        ctx.connect(remote, local, promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.close(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
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
