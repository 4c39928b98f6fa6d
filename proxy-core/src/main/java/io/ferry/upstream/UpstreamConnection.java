package io.ferry.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One keepalive connection to an upstream server, and the last handler of its pipeline. It is either
 * serving an {@link UpstreamExchange} or idle in its {@link ServerPool}; events are forwarded to the
 * exchange, or handled here while idle (the server closing it, the pool's idle timeout — a timestamp
 * and one lazily re-armed task, so a busy connection schedules nothing per request).
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

    private final ServerPool pool;
    private final long idleTimeoutNanos;
    private Channel channel;
    private long idleSince;
    /** One lazily re-armed task closes the connection once it has been idle for the pool's idle-timeout. */
    private ScheduledFuture<?> idleTimer;
    private UpstreamExchange exchange;
    private boolean idle;
    private int requests;

    UpstreamConnection(ServerPool pool, long idleTimeoutNanos) {
        this.pool = pool;
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    public Channel channel() {
        return channel;
    }

    public ServerPool pool() {
        return pool;
    }

    /** Requests this connection has carried before the current one; > 0 means it was reused. */
    public int previousRequests() {
        return requests - 1;
    }

    /** Binds the connection to an exchange; from now on its events go there. */
    public void attach(UpstreamExchange exchange) {
        this.exchange = exchange;
        this.idle = false;
        this.requests++;
    }

    /** The exchange is done and the connection is clean: hand it back to its pool for reuse. */
    public void release() {
        exchange = null;
        channel.config().setAutoRead(true);
        pool.release(this);
    }

    /** The exchange is done but the connection cannot be reused. */
    public void close() {
        exchange = null;
        channel.close();
    }

    /** The connection leaves HTTP for a byte tunnel: no more events here, never back to the pool. */
    public void detachForTunnel() {
        exchange = null;
        idle = false;
    }

    boolean isIdle() {
        return idle;
    }

    void markIdle() {
        idle = true;
        idleSince = System.nanoTime();
        if (idleTimer == null) {
            idleTimer = channel.eventLoop().schedule(this::checkIdle, idleTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Close before the server's own keepalive timeout could close it under a new request. */
    private void checkIdle() {
        idleTimer = null;
        if (!idle || !channel.isActive()) {
            return;
        }
        long quiet = System.nanoTime() - idleSince;
        if (quiet >= idleTimeoutNanos) {
            channel.close();
        } else {
            idleTimer = channel.eventLoop().schedule(this::checkIdle, idleTimeoutNanos - quiet, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamExchange ex = exchange;
        if (ex != null) {
            ex.upstreamRead(this, msg);
        } else {
            // A server must not send anything on an idle connection; it cannot be trusted any more.
            ReferenceCountUtil.release(msg);
            log.debug("unexpected data from {} on an idle connection; closing it", pool.name());
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamExchange ex = exchange;
        if (ex != null) {
            ex.upstreamReadComplete(this);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamExchange ex = exchange;
        if (ex != null) {
            ex.upstreamWritabilityChanged(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        if (idle) {
            idle = false;
            pool.removeIdle(this);
        }
        UpstreamExchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.upstreamInactive(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamExchange ex = exchange;
        if (ex != null) {
            ex.upstreamException(this, cause);
        } else {
            log.debug("error on idle connection to {}: {}", pool.name(), cause.toString());
        }
        ctx.close();
    }

    @Override
    public String toString() {
        return pool.name() + (channel == null ? "" : " " + channel.localAddress());
    }
}
