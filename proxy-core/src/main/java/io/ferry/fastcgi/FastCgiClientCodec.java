package io.ferry.fastcgi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks FastCGI to an application while the handlers after it speak HTTP objects, so the proxy
 * treats a php-fpm connection like any upstream connection. Outbound: an {@link FcgiRequest} becomes
 * BEGIN_REQUEST (responder; FCGI_KEEP_CONN when the connection is to be reused) and PARAMS; body parts become STDIN records of at
 * most 64 KiB, without copying the body; the last part ends STDIN. Inbound: STDOUT is parsed as a CGI
 * response (a head, then body parts as they come), STDERR is logged, END_REQUEST ends the response.
 * One request per connection at a time (request id 1), as php-fpm does not multiplex.
 */
public final class FastCgiClientCodec extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(FastCgiClientCodec.class);
    private static final int REQUEST_ID = 1;
    private static final ByteBuf PADDING = Unpooled.unreleasableBuffer(Unpooled.directBuffer(8).writeZero(8));

    private final String server;
    private final int maxHeaderSize;
    /** FCGI_KEEP_CONN: the application keeps the connection after a request; else it closes it. */
    private final boolean keepConnection;
    private ByteBuf headerBytes;
    private boolean headSent;
    private boolean headOnly;

    public FastCgiClientCodec(String server, int maxHeaderSize, boolean keepConnection) {
        this.server = server;
        this.maxHeaderSize = maxHeaderSize;
        this.keepConnection = keepConnection;
    }

    // ---------------------------------------------------------------- outbound

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof FcgiRequest req) {
            headSent = false;
            headOnly = req.method() == HttpMethod.HEAD;
            ctx.write(FcgiEncoding.beginRequest(ctx.alloc(), REQUEST_ID, keepConnection), ctx.voidPromise());
            ctx.write(FcgiEncoding.params(ctx.alloc(), REQUEST_ID, req.params()), promise);
        } else if (msg instanceof HttpContent content) {
            writeStdin(ctx, content, promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    private void writeStdin(ChannelHandlerContext ctx, HttpContent content, ChannelPromise promise) {
        try {
            ByteBuf body = content.content();
            boolean last = content instanceof LastHttpContent;
            boolean promiseUsed = false;
            while (body.isReadable()) {
                int n = Math.min(body.readableBytes(), FcgiRecord.MAX_CONTENT);
                boolean finalWrite = !last && n == body.readableBytes();
                promiseUsed |= finalWrite;
                ctx.write(FcgiEncoding.stdinHeader(ctx.alloc(), REQUEST_ID, n), ctx.voidPromise());
                int padding = FcgiEncoding.paddingFor(n);
                ByteBuf slice = body.readRetainedSlice(n);
                if (padding == 0) {
                    ctx.write(slice, finalWrite ? promise : ctx.voidPromise());
                } else {
                    ctx.write(slice, ctx.voidPromise());
                    ctx.write(PADDING.slice(0, padding), finalWrite ? promise : ctx.voidPromise());
                }
            }
            if (last) {
                ctx.write(FcgiEncoding.endOfStdin(ctx.alloc(), REQUEST_ID), promise);
            } else if (!promiseUsed && !promise.isVoid()) {
                promise.trySuccess(); // an empty part writes nothing
            }
        } finally {
            content.release();
        }
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FcgiRecord record)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            switch (record.type()) {
                case FcgiRecord.STDOUT -> onStdout(ctx, record.content());
                case FcgiRecord.STDERR -> logStderr(record.content());
                case FcgiRecord.END_REQUEST -> onEndRequest(ctx, record.content());
                default -> log.debug("{}: ignoring FastCGI record type {}", server, record.type());
            }
        } finally {
            record.release();
        }
    }

    private void onStdout(ChannelHandlerContext ctx, ByteBuf data) {
        if (!data.isReadable()) {
            return;
        }
        if (headSent) {
            if (!headOnly) {
                ctx.fireChannelRead(new DefaultHttpContent(data.retain()));
            }
            return;
        }
        if (headerBytes == null) {
            headerBytes = ctx.alloc().heapBuffer(Math.min(4096, maxHeaderSize));
        }
        headerBytes.writeBytes(data);
        int end = CgiResponseHead.endOfHeaders(headerBytes);
        if (end < 0) {
            if (headerBytes.readableBytes() > maxHeaderSize) {
                fireInvalid(ctx, "CGI headers larger than limits.max-header-size");
            }
            return;
        }
        HttpResponse response;
        try {
            response = CgiResponseHead.parse(headerBytes.slice(headerBytes.readerIndex(), end - headerBytes.readerIndex()));
        } catch (IllegalArgumentException e) {
            fireInvalid(ctx, e.getMessage());
            return;
        }
        headerBytes.readerIndex(end);
        headSent = true;
        ctx.fireChannelRead(response);
        if (headerBytes.isReadable() && !headOnly) {
            ctx.fireChannelRead(new DefaultHttpContent(headerBytes.retainedSlice()));
        }
        releaseHeaderBytes();
    }

    private void onEndRequest(ChannelHandlerContext ctx, ByteBuf body) {
        int protocolStatus = body.readableBytes() >= 5 ? body.getUnsignedByte(body.readerIndex() + 4) : 0;
        if (!headSent) {
            releaseHeaderBytes();
            HttpResponseStatus status = switch (protocolStatus) {
                case FcgiRecord.OVERLOADED -> HttpResponseStatus.SERVICE_UNAVAILABLE;
                case FcgiRecord.REQUEST_COMPLETE -> null;
                default -> HttpResponseStatus.BAD_GATEWAY;
            };
            if (status == null) {
                fireInvalid(ctx, "the application ended the request without a response");
                return;
            }
            log.warn("{}: FastCGI request refused with protocol status {} ({})", server, protocolStatus,
                    protocolStatus == FcgiRecord.OVERLOADED ? "OVERLOADED"
                            : protocolStatus == FcgiRecord.CANT_MPX_CONN ? "CANT_MPX_CONN" : "UNKNOWN_ROLE");
            DefaultHttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
            byte[] text = (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").setInt(HttpHeaderNames.CONTENT_LENGTH,
                    text.length);
            ctx.fireChannelRead(response);
            ctx.fireChannelRead(new DefaultLastHttpContent(headOnly ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(text)));
        } else {
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        headSent = false;
    }

    /** A response the proxy will treat as malformed (502), and the connection as unusable. */
    private void fireInvalid(ChannelHandlerContext ctx, String reason) {
        releaseHeaderBytes();
        headSent = true;
        headOnly = true;
        DefaultHttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
        response.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(reason)));
        ctx.fireChannelRead(response);
    }

    private void logStderr(ByteBuf data) {
        if (data.isReadable()) {
            String text = data.toString(data.readerIndex(), Math.min(data.readableBytes(), 2048), StandardCharsets.UTF_8);
            log.warn("{}: application stderr: {}", server, text.strip());
        }
    }

    private void releaseHeaderBytes() {
        if (headerBytes != null) {
            headerBytes.release();
            headerBytes = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeaderBytes();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeaderBytes();
        ctx.fireChannelInactive();
    }
}
