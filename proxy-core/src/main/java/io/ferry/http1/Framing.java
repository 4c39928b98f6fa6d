package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;

/**
 * How the body of the HTTP/1.1 message being written is framed (RFC 9112 §6), and writing it so: bytes as
 * they are with a length, as chunks when chunked, nothing when the message has none. A body up to
 * {@link #COPY_INLINE} bytes shares one buffer with its head or chunk line: one write instead of two or three.
 */
enum Framing {
    /** No message under way: a head comes next. */
    NONE_YET,
    LENGTH,
    CHUNKED,
    /** The message has no body (a response to HEAD, a 204...): whatever content comes is dropped. */
    NONE;

    static final int COPY_INLINE = 1024;
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final byte[] CRLF_BYTES = {'\r', '\n'};

    /** The room a full message's content takes in its head's buffer (with chunk framing, if chunked). */
    int inlineSize(HttpContent content) {
        int n = content == null ? 0 : content.content().readableBytes();
        return n > COPY_INLINE || this == NONE ? 0 : this == CHUNKED ? n + 16 : n;
    }

    /**
     * Writes an encoded head and the content of a message that carries some (a full one); returns the
     * framing of what follows: this one, or NONE_YET once the message is whole.
     */
    Framing writeHead(ChannelHandlerContext ctx, ByteBuf head, HttpContent content, ChannelPromise promise) {
        if (content == null) {
            ctx.write(head, promise);
            return this;
        }
        LastHttpContent last = content instanceof LastHttpContent l ? l : null;
        if (this == NONE) {
            content.release(); // a message without a body sends none of its content
            ctx.write(head, promise);
        } else if (appendInline(head, content.content(), last)) {
            ctx.write(head, promise);
        } else {
            ctx.write(head, ctx.voidPromise());
            writeContent(ctx, content.content(), last, promise);
        }
        return last != null ? NONE_YET : this;
    }

    /**
     * Writes a part of the body under way (content, bytes or a file) with framing {@code body}; returns the
     * framing after it. {@code what} names the side in the refusal of a part that comes with no message;
     * what is no HTTP message part goes on untouched, as Netty's encoders let it.
     */
    static Framing writePart(ChannelHandlerContext ctx, Framing body, Object msg, String what, ChannelPromise promise) {
        if (!(msg instanceof HttpContent || msg instanceof ByteBuf || msg instanceof FileRegion)) {
            ctx.write(msg, promise); // not HTTP's (a PROXY protocol header for the encoder below): passed on
            return body;
        }
        if (body == NONE_YET) {
            if (msg instanceof ByteBuf buf && !buf.isReadable()) {
                ctx.write(buf, promise); // an empty buffer between messages: nothing to frame
                return body;
            }
            throw outOfOrder(msg, what);
        }
        if (msg instanceof HttpContent content) {
            LastHttpContent last = content instanceof LastHttpContent l ? l : null;
            body.writeContent(ctx, content.content(), last, promise);
            return last != null ? NONE_YET : body;
        }
        if (msg instanceof ByteBuf buf) {
            body.writeContent(ctx, buf, null, promise);
        } else {
            body.writeRegion(ctx, (FileRegion) msg, promise);
        }
        return body;
    }

    /**
     * Appends body bytes to {@code target} when they are few (as a chunk when chunked, with the last chunk
     * if {@code last} ends the message) and takes their reference; false, touching nothing, when not.
     */
    boolean appendInline(ByteBuf target, ByteBuf bytes, LastHttpContent last) {
        int n = bytes.readableBytes();
        if (n > COPY_INLINE || this != LENGTH && this != CHUNKED) {
            return false;
        }
        if (this == LENGTH) {
            append(target, bytes, n);
        } else {
            if (n > 0) {
                MessageHeads.chunkSize(target, n);
                append(target, bytes, n);
                target.writeShort(CRLF);
            }
            if (last != null) {
                MessageHeads.lastChunk(target, last.trailingHeaders());
            }
        }
        bytes.release();
        return true;
    }

    /**
     * Copies {@code n} readable bytes of {@code bytes} to the end of {@code target}. Between two direct
     * buffers by address: Netty's own copy into a pooled buffer makes a ByteBuffer view of it first, one
     * object per response on the proxy's commonest path. A released buffer goes Netty's way, which refuses it
     * (a copy by address would read memory another buffer may own by now).
     */
    private static void append(ByteBuf target, ByteBuf bytes, int n) {
        if (n == 0 || bytes.refCnt() == 0 || !target.hasMemoryAddress() || !bytes.hasMemoryAddress()) {
            target.writeBytes(bytes);
            return;
        }
        target.ensureWritable(n);
        int w = target.writerIndex();
        PlatformDependent.copyMemory(bytes.memoryAddress() + bytes.readerIndex(), target.memoryAddress() + w, n);
        target.writerIndex(w + n);
        bytes.skipBytes(n);
    }

    /** Writes body bytes (their one reference is taken); {@code last}, if any, ends the message. */
    void writeContent(ChannelHandlerContext ctx, ByteBuf bytes, LastHttpContent last, ChannelPromise promise) {
        int n = bytes.readableBytes();
        if (this == LENGTH && n > 0) {
            ctx.write(bytes, promise);
            return;
        }
        if (this != CHUNKED || n == 0 && last == null) {
            bytes.release();
            nothingToWrite(ctx, promise);
            return;
        }
        HttpHeaders trailers = last == null ? null : last.trailingHeaders();
        int trailerRoom = trailers == null || trailers.isEmpty() ? 0 : 64;
        if (n <= COPY_INLINE) {
            ByteBuf chunk = ctx.alloc().buffer(n + 16 + trailerRoom);
            appendInline(chunk, bytes, last);
            ctx.write(chunk, promise);
            return;
        }
        ByteBuf size = ctx.alloc().buffer(16);
        MessageHeads.chunkSize(size, n);
        ctx.write(size, ctx.voidPromise());
        ctx.write(bytes, ctx.voidPromise());
        if (last == null) {
            ctx.write(Unpooled.wrappedBuffer(CRLF_BYTES), promise);
            return;
        }
        ByteBuf end = ctx.alloc().buffer(8 + trailerRoom);
        end.writeShort(CRLF);
        MessageHeads.lastChunk(end, trailers);
        ctx.write(end, promise);
    }

    /** Writes a file's bytes (sendfile), as a chunk when chunked. */
    void writeRegion(ChannelHandlerContext ctx, FileRegion region, ChannelPromise promise) {
        if (this == LENGTH && region.count() > 0) {
            ctx.write(region, promise);
        } else if (this == CHUNKED && region.count() > 0) {
            ByteBuf size = ctx.alloc().buffer(16);
            MessageHeads.chunkSize(size, region.count());
            ctx.write(size, ctx.voidPromise());
            ctx.write(region, ctx.voidPromise());
            ctx.write(Unpooled.wrappedBuffer(CRLF_BYTES), promise);
        } else {
            region.release();
            nothingToWrite(ctx, promise);
        }
    }

    /** A write with nothing to send: a waiting listener still hears of it after what was written before. */
    static void nothingToWrite(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!promise.isVoid()) {
            ctx.write(Unpooled.EMPTY_BUFFER, promise);
        }
    }

    /** A message's part that came with no message under way: refused, and released. */
    static IllegalStateException outOfOrder(Object msg, String what) {
        ReferenceCountUtil.release(msg);
        return new IllegalStateException(what + " before a message head: " + msg.getClass().getSimpleName());
    }
}
