package io.ferry.frontend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 connection itself, beside its streams: closes it after timeouts.http-keep-alive without an
 * open stream, and on shutdown or reload drain sends GOAWAY and lets the streams in flight finish (the
 * codec closes once they have, or after timeouts.shutdown). Closing goes through the frame codec, which
 * makes every close a graceful GOAWAY.
 */
final class Http2ConnectionFrontEnd extends ChannelInboundHandlerAdapter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionFrontEnd.class);

    private final long idleNanos;
    private ChannelHandlerContext ctx;
    private int openStreams;
    private long lastActivity = System.nanoTime();
    private ScheduledFuture<?> idleTimer;

    Http2ConnectionFrontEnd(long idleNanos) {
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        scheduleIdleCheck(idleNanos);
    }

    void streamOpened() {
        openStreams++;
    }

    void streamClosed() {
        openStreams--;
        lastActivity = System.nanoTime();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Drain.INSTANCE) {
            log.debug("{}: draining, GOAWAY sent; {} streams may finish", ctx.channel(), openStreams);
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
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
        idleTimer = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** One task per connection, re-armed for the remainder while streams come and go. */
    @Override
    public void run() {
        idleTimer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long idle = System.nanoTime() - lastActivity;
        if (openStreams > 0) {
            scheduleIdleCheck(idleNanos);
        } else if (idle < idleNanos) {
            scheduleIdleCheck(idleNanos - idle);
        } else {
            log.debug("{}: no stream for timeouts.http-keep-alive; GOAWAY", ctx.channel());
            ctx.close();
        }
    }
}
