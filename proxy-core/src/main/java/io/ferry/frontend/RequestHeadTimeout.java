package io.ferry.frontend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times a new connection until its protocol is known (a TLS handshake, ALPN, or the first bytes that tell
 * HTTP/2's preface from HTTP/1.1), as the wait for its first request head: {@code timeouts.http-keep-alive}
 * until the first byte arrives, then {@code timeouts.http-request}. A slowloris client trickling bytes
 * gets 408 and is closed; an idle connection is closed silently. The protocol's front end then takes the
 * wait over ({@link ConnectionTimer} for HTTP/1.1) and this handler leaves the pipeline.
 */
public final class RequestHeadTimeout extends ChannelInboundHandlerAdapter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(RequestHeadTimeout.class);
    private static final byte[] TIMEOUT_RESPONSE = ("HTTP/1.1 408 Request Timeout\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
            + "408 Request Timeout\n").getBytes(StandardCharsets.US_ASCII);

    private enum Phase { OFF, AWAITING_FIRST_BYTE, READING_HEAD }

    private final long keepAliveNanos;
    private final long headNanos;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.OFF;
    private long deadline;
    /** At most one task per connection; it re-arms itself for a later deadline instead of being cancelled. */
    private ScheduledFuture<?> timer;

    public RequestHeadTimeout(long keepAliveNanos, long headNanos) {
        this.keepAliveNanos = keepAliveNanos;
        this.headNanos = headNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    private void awaitRequest() {
        arm(Phase.AWAITING_FIRST_BYTE, keepAliveNanos);
    }

    /** Hands the wait in progress to the HTTP/1.1 connection's timer, which carries it on. */
    void handOver(ConnectionTimer timer) {
        switch (phase) {
            case AWAITING_FIRST_BYTE -> timer.continueWait(ConnectionTimer.Wait.FIRST_BYTE, deadline);
            case READING_HEAD -> timer.continueWait(ConnectionTimer.Wait.HEAD, deadline);
            case OFF -> timer.awaitRequest();
        }
        phase = Phase.OFF;
    }

    private void arm(Phase next, long timeoutNanos) {
        phase = next;
        deadline = System.nanoTime() + timeoutNanos;
        if (timer == null) {
            timer = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Armed from the start, so a TLS handshake or a protocol choice that never completes is timed too. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitRequest();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.AWAITING_FIRST_BYTE && msg instanceof ByteBuf buf && buf.isReadable()) {
            arm(Phase.READING_HEAD, headNanos);
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Shutdown drains every connection: one still waiting for its first byte (no protocol chosen, no
     * request) is idle and closes now rather than hold the stop for timeouts.shutdown.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Drain d && d.closesIdle() && phase == Phase.AWAITING_FIRST_BYTE) {
            phase = Phase.OFF;
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        phase = Phase.OFF;
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel(); // the connection became a tunnel
    }

    @Override
    public void run() {
        timer = null;
        if (phase == Phase.OFF) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            timer = ctx.executor().schedule(this, left, TimeUnit.NANOSECONDS);
            return;
        }
        if (phase == Phase.READING_HEAD) {
            log.debug("{}: request head not complete within timeouts.http-request; 408", ctx.channel());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT_RESPONSE)).addListener(ChannelFutureListener.CLOSE);
        } else if (phase == Phase.AWAITING_FIRST_BYTE) {
            ctx.close();
        }
        phase = Phase.OFF;
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
