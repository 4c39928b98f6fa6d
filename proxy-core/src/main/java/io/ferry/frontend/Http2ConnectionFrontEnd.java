package io.ferry.frontend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 connection itself, beside its streams: after timeouts.http-keep-alive without an open
 * stream it sends GOAWAY and closes; on shutdown or reload drain it sends GOAWAY (NO_ERROR, naming the
 * last stream it will answer) and closes once the streams in flight have finished (the server cuts what
 * is left after timeouts.shutdown). A client that shuts its side has left: HTTP/2 cannot go on without
 * its frames (SETTINGS acknowledgements, window updates), so the connection and its streams end at once,
 * queued requests included, as HTTP/1.1 drops a queued request whose client left.
 */
final class Http2ConnectionFrontEnd extends ChannelInboundHandlerAdapter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionFrontEnd.class);

    private final long idleNanos;
    private final long lingerNanos;
    /** How often open streams are checked against timeouts.client: a quarter of it, 50 ms to 1 s. */
    private final long sweepNanos;
    private final String clientIp;
    private final ArrayList<Http2StreamFrontEnd> streams = new ArrayList<>();
    private long timerDue;
    private ChannelHandlerContext ctx;
    private long lastActivity = System.nanoTime();
    private ScheduledFuture<?> idleTimer;
    private boolean draining;

    Http2ConnectionFrontEnd(long idleNanos, long lingerNanos, long clientTimeoutNanos, String clientIp) {
        this.idleNanos = idleNanos;
        this.lingerNanos = lingerNanos;
        this.sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(50),
                Math.min(clientTimeoutNanos / 4, TimeUnit.SECONDS.toNanos(1)));
        this.clientIp = clientIp;
    }

    /** The client's address, formatted once for all the connection's streams. */
    String clientIp() {
        return clientIp;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        scheduleIdleCheck(idleNanos);
    }

    void streamOpened(Http2StreamFrontEnd stream) {
        streams.add(stream);
        if (idleTimer != null && timerDue - System.nanoTime() > sweepNanos) {
            idleTimer.cancel(false); // idle until now: the streams need the sweep sooner
            scheduleIdleCheck(sweepNanos);
        }
    }

    void streamClosed(Http2StreamFrontEnd stream) {
        streams.remove(stream);
        lastActivity = System.nanoTime();
        if (draining && streams.isEmpty()) {
            closeAfterGoAway();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Drain.INSTANCE) {
            log.debug("{}: draining, GOAWAY sent; {} streams may finish", ctx.channel(), streams.size());
            goAway();
        } else if (evt == ChannelInputShutdownEvent.INSTANCE) {
            log.debug("{}: client shut its side; closing with {} streams", ctx.channel(), streams.size());
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** GOAWAY NO_ERROR: no new streams; close now if none is open, else when the last one ends. */
    private void goAway() {
        if (draining) {
            return;
        }
        draining = true;
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> {
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
        if (!(ctx.channel() instanceof DuplexChannel duplex) || duplex.isOutputShutdown()) {
            ctx.close();
            return;
        }
        duplex.shutdownOutput();
        ctx.executor().schedule(() -> {
            ctx.close();
        }, lingerNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The codec has answered it already (GOAWAY or RST_STREAM); Http2Guard logged protections.
        log.debug("{}: HTTP/2 connection: {}", ctx.channel(), cause.toString());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        ctx.fireChannelInactive();
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
