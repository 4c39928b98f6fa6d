package io.ferry.frontend;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.ArrayList;

/**
 * Copies the small buffers written between two flushes into one, so that a flush of many small frames
 * (an HTTP/2 connection answering a hundred streams: a HEADERS frame, a DATA frame header and a 1 KiB body
 * each) hands the socket, or TLS, one buffer instead of hundreds of outbound entries, promises and iovecs,
 * the way HAProxy's HTTP/2 mux writes its frames into one buffer.
 *
 * <p>Buffers larger than {@link #MAX_COPY} go through as they are, after what was batched before them, so
 * order is kept; so does a small buffer that nothing small joins before the next flush or large buffer (a
 * DATA frame's header before its 16 KiB payload is not copied). A batch is handed on when full, so the channel's writability, which the HTTP/2 flow
 * controller reads, lags the frames by one batch at most. A write's promise completes when its batch has
 * been written, and fails with it: the encoder's control-frame limit counts on that.
 */
final class WriteCoalescer extends ChannelDuplexHandler {
    /** Larger buffers are cheaper to pass on than to copy. */
    static final int MAX_COPY = 4096;
    static final int BATCH = 32 * 1024;
    private static final int MIN_BATCH = 256;

    /** A small write with nothing batched before it: copied only if another follows before a flush. */
    private ByteBuf lone;
    private ChannelPromise lonePromise;
    private ByteBuf batch;
    /** How large the last batch grew: the next starts there. */
    private int lastBatch = MIN_BATCH;
    /** The promises of the writes in the batch; null while none needs telling. */
    private ArrayList<ChannelPromise> waiting;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * An HTTP/2 frame written by the connection itself: its 9-byte header in place in the batch, a payload of
     * at most {@link #MAX_COPY} bytes copied after it, a larger one handed on after the batch as it is. No
     * header buffer, promise or pipeline pass of its own; in order with everything written through the
     * pipeline, this being the handler those writes reach first. Releases the payload.
     */
    void writeFrame(int type, int flags, int streamId, ByteBuf payload) {
        int length = payload.readableBytes();
        boolean copied = length <= MAX_COPY;
        int size = Http2CodecUtil.FRAME_HEADER_LENGTH + (copied ? length : 0);
        if (batch != null && batch.maxWritableBytes() < size) {
            handOn(ctx);
        }
        if (batch == null) {
            openBatch(ctx, size);
        }
        batch.writeMedium(length);
        batch.writeByte(type);
        batch.writeByte(flags);
        batch.writeInt(streamId);
        if (copied) {
            batch.writeBytes(payload, payload.readerIndex(), length);
            payload.release();
        } else {
            handOn(ctx);
            ctx.write(payload, ctx.voidPromise());
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf) || buf.readableBytes() > MAX_COPY || !ctx.channel().isActive()) {
            handOn(ctx);
            ctx.write(msg, promise);
            return;
        }
        if (batch != null && batch.maxWritableBytes() < buf.readableBytes()) {
            handOn(ctx);
        }
        if (batch == null && lone == null) {
            // Held as it is: a DATA frame's 9-byte header followed by its large payload costs no copy.
            lone = buf;
            lonePromise = promise;
            return;
        }
        if (batch == null) {
            openBatch(ctx, buf.readableBytes());
        }
        append(buf, promise);
    }

    /** A new batch with room for more bytes, holding the lone write if there is one. */
    private void openBatch(ChannelHandlerContext ctx, int more) {
        batch = ctx.alloc().ioBuffer(Math.max(lastBatch, (lone == null ? 0 : lone.readableBytes()) + more), BATCH);
        if (lone != null) {
            ByteBuf first = lone;
            lone = null;
            append(first, lonePromise);
            lonePromise = null;
        }
    }

    private void append(ByteBuf buf, ChannelPromise promise) {
        batch.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
        buf.release();
        if (!promise.isVoid()) {
            if (waiting == null) {
                waiting = new ArrayList<>();
            }
            waiting.add(promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        handOn(ctx);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        handOn(ctx); // unflushed, as it would have been without the batch: the close decides its fate
        ctx.close(promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handOn(ctx); // the write fails, and with it the batch's promises
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        handOn(ctx);
    }

    private void handOn(ChannelHandlerContext ctx) {
        if (lone != null) { // nothing batched with it
            ByteBuf l = lone;
            lone = null;
            ctx.write(l, lonePromise);
            lonePromise = null;
            return;
        }
        ByteBuf b = batch;
        if (b == null) {
            return;
        }
        batch = null;
        lastBatch = Math.max(MIN_BATCH, b.readableBytes());
        ArrayList<ChannelPromise> w = waiting;
        waiting = null;
        if (w == null) {
            ctx.write(b, ctx.voidPromise());
        } else if (w.size() == 1) {
            ctx.write(b, w.get(0));
        } else {
            ctx.write(b).addListener(f -> {
                Throwable cause = f.cause();
                for (int i = 0; i < w.size(); i++) {
                    if (cause == null) {
                        w.get(i).trySuccess();
                    } else {
                        w.get(i).tryFailure(cause);
                    }
                }
            });
        }
    }
}
