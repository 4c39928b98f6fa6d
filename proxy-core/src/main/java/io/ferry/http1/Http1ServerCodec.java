package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.http.HttpVersion;
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
    /** A body up to this size goes into the buffer of its head or chunk line: one write instead of two or three. */
    private static final int COPY_INLINE = 1024;
    private static final int MIN_HEAD_GUESS = 128;
    private static final int MAX_HEAD_GUESS = 8192;
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final byte[] CRLF_BYTES = {'\r', '\n'};

    /** The method of each request decoded and not yet answered: a response to HEAD has no body. */
    private final MethodQueue methods = new MethodQueue();
    private HttpMethod answering;
    private Body body = Body.NONE_YET;
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
        if (msg instanceof HttpResponse response) {
            writeHead(ctx, response, promise);
        } else if (msg instanceof HttpContent content) {
            writeContent(ctx, content.content(), content instanceof LastHttpContent last ? last : null, content, promise);
        } else if (msg instanceof ByteBuf buf) {
            if (body == Body.NONE_YET && buf.isReadable()) {
                buf.release();
                throw new IllegalStateException("response bytes before a response head");
            }
            writeContent(ctx, buf, null, buf, promise);
        } else if (msg instanceof FileRegion region) {
            writeRegion(ctx, region, promise);
        } else {
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("unexpected message type: " + msg.getClass().getSimpleName());
        }
    }

    /** How the body of the response being written is framed. */
    private enum Body { NONE_YET, LENGTH, CHUNKED, NONE }

    private void writeHead(ChannelHandlerContext ctx, HttpResponse response, ChannelPromise promise) {
        HttpContent content = response instanceof HttpContent c ? c : null;
        if (body != Body.NONE_YET) {
            ReferenceCountUtil.release(response);
            throw new IllegalStateException("a response head while the last one's body is being written");
        }
        int code = response.status().code();
        if (code >= 200) {
            answering = methods.poll();
        }
        boolean noBody = answering == HttpMethod.HEAD && code >= 200 || ResponseHeads.alwaysEmpty(response);
        HttpHeaders headers = response.headers();
        if (!noBody && answering == HttpMethod.CONNECT && response.status().codeClass() == HttpStatusClass.SUCCESS) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 9110 §9.3.6
        } else if (noBody) {
            ResponseHeads.sanitizeBodyless(response);
        }
        body = noBody ? Body.NONE : HttpUtil.isTransferEncodingChunked(response) ? Body.CHUNKED : Body.LENGTH;
        int inline = content != null && body == Body.LENGTH && content.content().readableBytes() <= COPY_INLINE
                ? content.content().readableBytes() : 0;
        ByteBuf head = ctx.alloc().buffer(headGuess + inline);
        ResponseHeads.writeHead(head, response);
        headGuess = Math.max(MIN_HEAD_GUESS, Math.min(MAX_HEAD_GUESS, (headGuess * 3 + head.readableBytes() + 32) / 4));
        if (content == null) {
            ctx.write(head, promise);
            return;
        }
        if (inline > 0 || body == Body.NONE) {
            if (inline > 0) {
                head.writeBytes(content.content());
            } // a response without a body sends none of its content
            content.release();
            if (content instanceof LastHttpContent) {
                body = Body.NONE_YET;
            }
            ctx.write(head, promise);
            return;
        }
        ctx.write(head, ctx.voidPromise());
        writeContent(ctx, content.content(), content instanceof LastHttpContent last ? last : null, content, promise);
    }

    /**
     * Body bytes: as they are with a length, framed as a chunk when chunked, dropped when the response has
     * no body. {@code owner} holds the bytes' one reference; {@code last} ends the response.
     */
    private void writeContent(ChannelHandlerContext ctx, ByteBuf bytes, LastHttpContent last, Object owner,
                              ChannelPromise promise) {
        if (body == Body.NONE_YET) {
            if (last == null && !bytes.isReadable()) {
                ctx.write(bytes, promise); // an empty buffer before any head: nothing to frame
                return;
            }
            ReferenceCountUtil.release(owner);
            throw new IllegalStateException("response content before a response head");
        }
        Body framing = body;
        if (last != null) {
            body = Body.NONE_YET;
        }
        int n = bytes.readableBytes();
        switch (framing) {
            case LENGTH -> {
                if (n > 0) {
                    ctx.write(bytes, promise);
                } else {
                    ReferenceCountUtil.release(owner);
                    nothingToWrite(ctx, promise);
                }
            }
            case NONE -> {
                ReferenceCountUtil.release(owner);
                nothingToWrite(ctx, promise);
            }
            default -> {
                HttpHeaders trailers = last == null ? null : last.trailingHeaders();
                if (n > 0 && n <= COPY_INLINE) {
                    ByteBuf chunk = ctx.alloc().buffer(n + 32 + (trailers == null ? 0 : 64));
                    ResponseHeads.chunkSize(chunk, n);
                    chunk.writeBytes(bytes);
                    chunk.writeShort(CRLF);
                    ReferenceCountUtil.release(owner);
                    if (last != null) {
                        ResponseHeads.lastChunk(chunk, trailers);
                    }
                    ctx.write(chunk, promise);
                    return;
                }
                if (n > 0) {
                    ByteBuf size = ctx.alloc().buffer(16);
                    ResponseHeads.chunkSize(size, n);
                    ctx.write(size, ctx.voidPromise());
                    if (last == null) {
                        ctx.write(bytes, ctx.voidPromise());
                        ctx.write(Unpooled.wrappedBuffer(CRLF_BYTES), promise);
                        return;
                    }
                    ctx.write(bytes, ctx.voidPromise());
                    ByteBuf end = ctx.alloc().buffer(8 + (trailers.isEmpty() ? 0 : 64));
                    end.writeShort(CRLF);
                    ResponseHeads.lastChunk(end, trailers);
                    ctx.write(end, promise);
                    return;
                }
                ReferenceCountUtil.release(owner);
                if (last == null) {
                    nothingToWrite(ctx, promise);
                    return;
                }
                ByteBuf end = ctx.alloc().buffer(8 + (trailers.isEmpty() ? 0 : 64));
                ResponseHeads.lastChunk(end, trailers);
                ctx.write(end, promise);
            }
        }
    }

    private void writeRegion(ChannelHandlerContext ctx, FileRegion region, ChannelPromise promise) {
        switch (body) {
            case NONE_YET -> {
                region.release();
                throw new IllegalStateException("a file region before a response head");
            }
            case LENGTH -> {
                if (region.count() > 0) {
                    ctx.write(region, promise);
                } else {
                    region.release();
                    nothingToWrite(ctx, promise);
                }
            }
            case NONE -> {
                region.release();
                nothingToWrite(ctx, promise);
            }
            case CHUNKED -> {
                if (region.count() == 0) {
                    region.release();
                    nothingToWrite(ctx, promise);
                    return;
                }
                ByteBuf size = ctx.alloc().buffer(16);
                ResponseHeads.chunkSize(size, region.count());
                ctx.write(size, ctx.voidPromise());
                ctx.write(region, ctx.voidPromise());
                ctx.write(Unpooled.wrappedBuffer(CRLF_BYTES), promise);
            }
        }
    }

    /** A write with nothing to send: a waiting listener still hears of it after what was written before. */
    private static void nothingToWrite(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!promise.isVoid()) {
            ctx.write(Unpooled.EMPTY_BUFFER, promise);
        }
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
}
