package io.ferry.frontend;

import io.ferry.exchange.ProxySettings;
import io.ferry.transport.NextPass;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/2 client connection: Netty's connection handler (framing, HPACK, stream states, flow control,
 * with {@link Http2Guard} around its decoder) and, as its frame listener, the dispatcher of frames to
 * light {@link Http2StreamFrontEnd} objects, one per stream, kept as a property of Netty's stream — no
 * channel, pipeline or frame objects per stream.
 *
 * <p>Beside its streams the connection has its own life: after timeouts.http-keep-alive without an open
 * stream it sends GOAWAY and closes; on shutdown or reload drain it sends GOAWAY (NO_ERROR, naming the
 * last stream it will answer) and closes once the streams in flight have finished (the server cuts what
 * is left after timeouts.shutdown). A client that shuts its side has left: HTTP/2 cannot go on without
 * its frames (SETTINGS acknowledgements, window updates), so the connection and its streams end at once.
 *
 * <p>Streams write their frames without flushing and ask for one flush ({@link #flushSoon}), made once
 * the I/O being handled has been submitted ({@link NextPass}): everything the connection's streams got
 * from their backends in one pass goes out together. Writes made while the connection's own input is
 * being read go out with the flush that follows the read.
 */
final class Http2ConnectionFrontEnd extends Http2ConnectionHandler
        implements Http2FrameListener, Http2RemoteFlowController.Listener, Runnable {
    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionFrontEnd.class);

    final ProxySettings settings;
    private final Http2Connection.PropertyKey streamKey;
    private final long idleNanos;
    private final long lingerNanos;
    /** How often open streams are checked against timeouts.client: a quarter of it, 50 ms to 1 s. */
    private final long sweepNanos;
    private final String clientIp;
    private final ArrayList<Http2StreamFrontEnd> streams = new ArrayList<>();
    private final Runnable flushTask = this::flushNow;
    private ChannelHandlerContext ctx;
    /** The handler in front of this one, which takes small DATA frames straight into its batch. */
    private WriteCoalescer coalescer;
    /** The encoder's HPACK context (its headers configuration is the encoder itself), or null if not. */
    private final Http2HeadersEncoder hpack;
    private long timerDue;
    private long lastActivity = System.nanoTime();
    /** When the client last opened the connection's window: progress for every stream waiting on it. */
    private long lastConnectionWindowUpdate = lastActivity;
    private ScheduledFuture<?> idleTimer;
    private boolean draining;
    /** A connection error was answered with GOAWAY: whatever the client still sends is read and dropped. */
    private boolean failed;
    private boolean lingering;
    private boolean reading;
    private boolean flushScheduled;

    Http2ConnectionFrontEnd(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings initial,
            ProxySettings settings, long idleNanos, long lingerNanos, long clientTimeoutNanos, String clientIp) {
        super(decoder, encoder, initial, true, true); // GOAWAY and close decoupled: the drain below waits for streams
        this.settings = settings;
        this.idleNanos = idleNanos;
        this.lingerNanos = lingerNanos;
        this.sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(50),
                Math.min(clientTimeoutNanos / 4, TimeUnit.SECONDS.toNanos(1)));
        this.clientIp = clientIp;
        this.streamKey = connection().newKey();
        this.hpack = encoder.configuration().headersConfiguration() instanceof Http2HeadersEncoder e ? e : null;
        decoder.frameListener(this);
        encoder.flowController().listener(this);
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                Http2StreamFrontEnd s = stream.removeProperty(streamKey);
                if (s != null) {
                    s.closed();
                    streamClosed(s);
                }
            }
        });
    }

    /** The client's address, formatted once for all the connection's streams. */
    String clientIp() {
        return clientIp;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    long lastConnectionWindowUpdate() {
        return lastConnectionWindowUpdate;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        this.coalescer = ctx.pipeline().get(WriteCoalescer.class);
        super.handlerAdded(ctx);
        scheduleIdleCheck(idleNanos);
    }

    // ---------------------------------------------------------------- flushing

    /** One flush per I/O pass (io_uring) or loop turn (epoll, NIO) for all the connection's streams. */
    void flushSoon() {
        if (!reading && !flushScheduled) {
            flushScheduled = true;
            NextPass.execute(ctx.executor(), flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        flush(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        reading = true;
        super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes()); // frames after the error, already read with it
            return;
        }
        super.decode(ctx, in, out);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        reading = false;
        for (int i = 0; i < streams.size(); i++) {
            streams.get(i).readComplete();
        }
        super.channelReadComplete(ctx); // flushes
    }

    // ---------------------------------------------------------------- frames from the client

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
            boolean endOfStream) throws Http2Exception {
        Http2Stream stream = connection().stream(streamId);
        if (stream == null) {
            return; // closed meanwhile (reset by a codec check): nothing to answer
        }
        Http2StreamFrontEnd s = stream.getProperty(streamKey);
        if (s == null) {
            s = new Http2StreamFrontEnd(this, stream);
            stream.setProperty(streamKey, s);
            streamOpened(s);
            s.onRequestHead(headers, endOfStream);
        } else {
            s.onTrailers(headers, endOfStream);
        }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
            short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        Http2Stream stream = connection().stream(streamId);
        Http2StreamFrontEnd s = stream == null ? null : stream.getProperty(streamKey);
        if (s == null) {
            return data.readableBytes() + padding;
        }
        return s.onData(data, padding, endOfStream);
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
        long now = System.nanoTime();
        if (streamId == 0) {
            lastConnectionWindowUpdate = now;
            return;
        }
        Http2Stream stream = connection().stream(streamId);
        Http2StreamFrontEnd s = stream == null ? null : stream.getProperty(streamKey);
        if (s != null) {
            s.touch(now);
        }
    }

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
            boolean exclusive) {
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        // the stream is closed by the codec; onStreamClosed ends its exchange
    }

    @Override
    public void onSettingsAckRead(ChannelHandlerContext ctx) {
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
    }

    @Override
    public void onPingRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId, Http2Headers headers,
            int padding) {
        // a server never receives one: the decoder refuses it first
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
    }

    @Override
    public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
            ByteBuf payload) {
    }

    /** A stream's window (or the connection's, or the socket's writability) changed. */
    @Override
    public void writabilityChanged(Http2Stream stream) {
        Http2StreamFrontEnd s = stream.getProperty(streamKey);
        if (s != null) {
            s.writabilityChanged();
        }
    }

    /**
     * A stream error the codec found (content-length against DATA, a malformed field it checks itself):
     * the stream's exchange is given up, then Netty resets the stream with the error's code.
     */
    @Override
    protected void onStreamError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
            Http2Exception.StreamException http2Ex) {
        Http2Stream stream = connection().stream(http2Ex.streamId());
        Http2StreamFrontEnd s = stream == null ? null : stream.getProperty(streamKey);
        if (s != null) {
            s.streamError(http2Ex);
        }
        super.onStreamError(ctx, outbound, cause, http2Ex);
    }

    boolean isWritable(Http2Stream stream) {
        return encoder().flowController().isWritable(stream);
    }

    /** Response bytes queued for the stream behind its window, the connection's or the socket. */
    boolean hasPending(Http2Stream stream) {
        return encoder().flowController().hasFlowControlled(stream);
    }

    /** Request bytes the stream's exchange has taken: the client may send as many more. */
    void consumed(Http2Stream stream, int bytes) {
        if (bytes > 0 && stream.state() != Http2Stream.State.CLOSED) {
            try {
                decoder().flowController().consumeBytes(stream, bytes);
            } catch (Http2Exception e) {
                onError(ctx, true, e);
            }
            flushSoon(); // the WINDOW_UPDATE
        }
    }

    /**
     * A response's last DATA frame (END_STREAM), when small, written at once if nothing has to wait for it:
     * nothing of the stream is queued before it, both windows take it and the socket takes more. It skips
     * what the encoder's path costs per frame (a promise made from the void one, a queue entry, a coalescing
     * queue, a header buffer and a promise aggregator): for a 1 KiB answer on a busy connection that path
     * costs more than the frame. The other frames of a streamed body keep the flow controller's way, which
     * merges the pieces queued in one turn into frames of up to 16 KiB. The windows are charged as the flow
     * controller would charge them, and the stream's local side closes as the encoder closes it once its
     * frame is written. Not while a GOAWAY is out, whose graceful close waits on the write of the last
     * stream's end.
     *
     * @return false, the data untouched, when the frame must go the encoder's way
     */
    boolean writeSmallLastData(Http2Stream stream, ByteBuf data) {
        int length = data.readableBytes();
        // RFC 9113 §4.2: a peer's SETTINGS_MAX_FRAME_SIZE is at least 16 KiB, so MAX_COPY always fits a frame
        if (coalescer == null || length > WriteCoalescer.MAX_COPY || !ctx.channel().isWritable()
                || connection().goAwaySent()) {
            return false;
        }
        Http2Stream.State state = stream.state();
        if (state != Http2Stream.State.OPEN && state != Http2Stream.State.HALF_CLOSED_REMOTE) {
            return false;
        }
        Http2RemoteFlowController flow = encoder().flowController();
        Http2Stream connectionStream = connection().connectionStream();
        if (flow.hasFlowControlled(stream) || !flow.isWritable(stream) || flow.windowSize(stream) < length
                || flow.windowSize(connectionStream) < length) {
            return false;
        }
        try {
            flow.incrementWindowSize(stream, -length);
            flow.incrementWindowSize(connectionStream, -length);
        } catch (Http2Exception cannotHappen) { // only a window growing past 2^31-1 fails
            throw new IllegalStateException(cannotHappen);
        }
        coalescer.writeFrame(Http2FrameTypes.DATA, Http2Flags.END_STREAM, stream.id(), data);
        closeStreamLocal(stream, ctx.channel().newSucceededFuture());
        return true;
    }

    /**
     * A HEADERS frame (with CONTINUATION frames if its block is larger than the client's frame size) written
     * straight into the write batch, encoded by the encoder's own HPACK context so the dynamic table stays
     * one. The same checks and stream states as the encoder's path, which remains for what this one leaves:
     * trailers behind queued DATA, a GOAWAY out, a second head (the encoder refuses it).
     *
     * @return false, nothing written, when the frame must go the encoder's way
     */
    boolean writeHeaders(Http2Stream stream, Http2Headers headers, boolean endStream) {
        if (coalescer == null || hpack == null || !ctx.channel().isActive() || connection().goAwaySent()) {
            return false;
        }
        Http2Stream.State state = stream.state();
        if (state != Http2Stream.State.OPEN && state != Http2Stream.State.HALF_CLOSED_REMOTE
                || endStream && encoder().flowController().hasFlowControlled(stream)) {
            return false;
        }
        boolean informational = HttpStatusClass.valueOf(headers.status()) == HttpStatusClass.INFORMATIONAL;
        if ((informational || !endStream) && stream.isHeadersSent() || stream.isTrailersSent()) {
            return false;
        }
        ByteBuf block = ctx.alloc().buffer();
        try {
            hpack.encodeHeaders(stream.id(), headers, block);
        } catch (Http2Exception e) {
            block.release();
            onError(ctx, true, e);
            return true;
        }
        int maxFrame = encoder().configuration().frameSizePolicy().maxFrameSize();
        int end = endStream ? Http2Flags.END_STREAM : 0;
        if (block.readableBytes() <= maxFrame) {
            coalescer.writeFrame(Http2FrameTypes.HEADERS, end | Http2Flags.END_HEADERS, stream.id(), block);
        } else {
            coalescer.writeFrame(Http2FrameTypes.HEADERS, end, stream.id(), block.readRetainedSlice(maxFrame));
            while (block.readableBytes() > maxFrame) {
                coalescer.writeFrame(Http2FrameTypes.CONTINUATION, 0, stream.id(), block.readRetainedSlice(maxFrame));
            }
            coalescer.writeFrame(Http2FrameTypes.CONTINUATION, Http2Flags.END_HEADERS, stream.id(), block);
        }
        stream.headersSent(informational);
        if (endStream) {
            closeStreamLocal(stream, ctx.channel().newSucceededFuture());
        }
        return true;
    }

    /** Frames queued behind the flow controller go to the socket's buffer now, without a flush. */
    void writePending() {
        try {
            encoder().flowController().writePendingBytes();
        } catch (Http2Exception e) {
            onError(ctx, true, e);
        }
    }

    void reset(Http2Stream stream, Http2Error error) {
        resetStream(ctx, stream.id(), error.code(), ctx.newPromise());
        flushSoon();
    }

    // ---------------------------------------------------------------- the connection's own life

    private void streamOpened(Http2StreamFrontEnd stream) {
        streams.add(stream);
        if (idleTimer != null && timerDue - System.nanoTime() > sweepNanos) {
            idleTimer.cancel(false); // idle until now: the streams need the sweep sooner
            scheduleIdleCheck(sweepNanos);
        }
    }

    private void streamClosed(Http2StreamFrontEnd stream) {
        streams.remove(stream);
        lastActivity = System.nanoTime();
        if (draining && !failed && streams.isEmpty()) {
            closeAfterGoAway();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof Drain) {
            log.debug("{}: draining, GOAWAY sent; {} streams may finish", ctx.channel(), streams.size());
            goAway();
        } else if (evt == ChannelInputShutdownEvent.INSTANCE) {
            log.debug("{}: client shut its side; closing with {} streams", ctx.channel(), streams.size());
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    /** GOAWAY NO_ERROR: no new streams; close now if none is open, else when the last one ends. */
    private void goAway() {
        if (draining || failed) {
            return;
        }
        draining = true;
        ChannelPromise sent = ctx.newPromise();
        goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                sent);
        flush(ctx);
        sent.addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            } else if (streams.isEmpty()) {
                closeAfterGoAway();
            }
        });
    }

    /**
     * Closing at once while the client's last frames (window updates, acknowledgements) are unread would
     * answer them with a TCP reset, which can destroy the end of a response before the client reads it.
     * So: FIN after what was written, read on until the client closes, for timeouts.lingering-close at most.
     */
    private void closeAfterGoAway() {
        if (lingering) {
            return;
        }
        if (!(ctx.channel() instanceof DuplexChannel duplex) || duplex.isOutputShutdown()) {
            ctx.close();
            return;
        }
        lingering = true;
        flush(ctx);
        duplex.shutdownOutput();
        ctx.executor().schedule(() -> {
            ctx.close();
        }, lingerNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A connection error (a flood, a protocol violation): GOAWAY with its code, the streams end at once, and
     * the close lingers like {@link #closeAfterGoAway} — closing with the client's flood unread would answer
     * it with a TCP reset, and the reset destroys the GOAWAY before the client reads why it was sent away.
     * Nothing read after the error is decoded, so nothing is counted or answered twice.
     */
    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
            Http2Exception http2Ex) {
        if (failed) {
            return;
        }
        if (outbound || http2Ex == null || !ctx.channel().isActive()) {
            super.onConnectionError(ctx, outbound, cause, http2Ex);
            return;
        }
        failed = true;
        // Not goAway(): with an error code it closes the channel as soon as the frame is written.
        int lastStreamId = connection().remote().lastStreamCreated();
        ByteBuf debugData = ByteBufUtil.writeUtf8(ctx.alloc(), String.valueOf(http2Ex.getMessage()));
        try {
            connection().goAwaySent(lastStreamId, http2Ex.error().code(), debugData);
        } catch (Http2Exception alreadyNamedAnEarlierStream) {
            debugData.release();
            ctx.close();
            return;
        }
        ChannelPromise sent = ctx.newPromise();
        encoder().frameWriter().writeGoAway(ctx, lastStreamId, http2Ex.error().code(), debugData, sent);
        flush(ctx);
        try {
            connection().forEachActiveStream(stream -> {
                stream.close();
                return true;
            });
        } catch (Http2Exception cannotHappen) {
            throw new IllegalStateException(cannotHappen);
        }
        sent.addListener(f -> {
            if (f.isSuccess()) {
                closeAfterGoAway();
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            super.exceptionCaught(ctx, cause); // GOAWAY or RST_STREAM; Http2Guard logged protections
        } else {
            log.debug("{}: HTTP/2 connection: {}", ctx.channel(), cause.toString());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        super.channelInactive(ctx); // closes every stream: their exchanges learn the client left
    }

    private void scheduleIdleCheck(long delayNanos) {
        timerDue = System.nanoTime() + delayNanos;
        idleTimer = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One task per connection: while streams are open it sweeps them for timeouts.client; without
     * streams it is the idle timeout, re-armed for the remainder.
     */
    @Override
    public void run() {
        idleTimer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        long idle = now - lastActivity;
        if (!streams.isEmpty()) {
            for (Http2StreamFrontEnd stream : streams.toArray(new Http2StreamFrontEnd[0])) {
                stream.checkTimeout(now);
            }
            scheduleIdleCheck(sweepNanos);
        } else if (idle < idleNanos) {
            scheduleIdleCheck(idleNanos - idle);
        } else {
            log.debug("{}: no stream for timeouts.http-keep-alive; GOAWAY", ctx.channel());
            goAway();
        }
    }
}
