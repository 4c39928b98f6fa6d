package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;
import java.net.SocketAddress;

/**
 * The client side of an HTTP/1.1 connection in one handler: requests decoded here (RFC 9112 §3, §6.3:
 * without Content-Length or Transfer-Encoding there is no body), responses encoded here too, the fields
 * of a {@link HeaderBlock} written as received and edited. A response to HEAD gets no body; one to CONNECT
 * no Transfer-Encoding; 1xx, 204, 205 and 304 none either (RFC 9110 §6.4.1, the bytes Netty's
 * HttpServerCodec writes, which {@code Http1CodecTest} compares). One handler and no encoder of Netty's:
 * every idle keepalive connection carries it, and the encoder's output list, wrapper and delegating
 * context cost more than the codec's own state; a small body goes out in one buffer with its head.
 */
public final class Http1ServerCodec extends Http1Decoder implements ChannelOutboundHandler {
    /** The method of each request decoded and not yet answered: a response to HEAD has no body. */
    private final MethodQueue methods = new MethodQueue();
    private HttpMethod answering;
    private Framing body = Framing.NONE_YET;
    /**
     * A response head written without a promise to keep, held until the next write or flush so that a
     * small body written right after it leaves in the same buffer: one write and one iovec, not two.
     */
    private ByteBuf heldHead;
    /** The size of recent heads, for the next head's buffer. */
    private int headGuess = 256;

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
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (heldHead != null && joinHeldHead(ctx, msg, promise)) {
            return;
        }
        if (msg instanceof HttpResponse response) {
            writeHead(ctx, response, promise);
            return;
        }
        body = Framing.writePart(ctx, body, msg, "response content", promise);
    }

    private void writeHead(ChannelHandlerContext ctx, HttpResponse response, ChannelPromise promise) {
        if (body != Framing.NONE_YET) {
            ReferenceCountUtil.release(response);
            throw new IllegalStateException("a response head while the last one's body is being written");
        }
        int code = response.status().code();
        if (code >= 200) {
            answering = methods.poll();
        }
        boolean noBody = answering == HttpMethod.HEAD && code >= 200 || MessageHeads.alwaysEmpty(response);
        if (!noBody && answering == HttpMethod.CONNECT && response.status().codeClass() == HttpStatusClass.SUCCESS) {
            response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 9110 §9.3.6
        } else if (noBody) {
            MessageHeads.sanitizeBodyless(response);
        }
        Framing framing = noBody ? Framing.NONE
                : HttpUtil.isTransferEncodingChunked(response) ? Framing.CHUNKED : Framing.LENGTH;
        HttpContent content = response instanceof HttpContent c ? c : null;
        ByteBuf head = ctx.alloc().buffer(headGuess + framing.inlineSize(content));
        MessageHeads.writeHead(head, response);
        headGuess = MessageHeads.nextGuess(headGuess, head.readableBytes());
        if (content == null && promise.isVoid() && framing != Framing.NONE) {
            heldHead = head; // the body's first part is likely on its way in this same turn of the loop
            body = framing;
            return;
        }
        body = framing.writeHead(ctx, head, content, promise);
    }

    /** The held head goes out: with this write's bytes in its buffer if they are few, else before them. */
    private boolean joinHeldHead(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ByteBuf head = heldHead;
        heldHead = null;
        if (!(msg instanceof HttpResponse)) {
            ByteBuf bytes = msg instanceof HttpContent c ? c.content() : msg instanceof ByteBuf b ? b : null;
            LastHttpContent last = msg instanceof LastHttpContent l ? l : null;
            if (bytes != null && body.appendInline(head, bytes, last)) {
                if (last != null) {
                    body = Framing.NONE_YET;
                }
                ctx.write(head, promise);
                return true;
            }
        }
        ctx.write(head, ctx.voidPromise());
        return false;
    }

    private void releaseHeldHead() {
        if (heldHead != null) {
            heldHead.release();
            heldHead = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        releaseHeldHead(); // written and never flushed: as Netty drops unflushed writes
        super.handlerRemoved0(ctx);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (heldHead != null) {
            ctx.write(heldHead, ctx.voidPromise());
            heldHead = null;
        }
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
        releaseHeldHead();
        ctx.disconnect(promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        releaseHeldHead(); // written and never flushed: as the channel fails unflushed writes when it closes
        ctx.close(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }
}
