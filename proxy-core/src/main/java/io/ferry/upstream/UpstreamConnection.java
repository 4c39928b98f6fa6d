package io.ferry.upstream;

import io.ferry.tunnel.TunnelHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
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
 * exchange, or handled here while idle (the server closing it). Both of its timeouts — the pool's
 * idle timeout and, while serving, the server's silence ({@code timeouts.server}) — are a timestamp and
 * one lazily re-armed task per connection, so a busy connection schedules nothing per request.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

    private final ServerPool pool;
    private final long idleTimeoutNanos;
    /** False for a connection that serves one request (a PROXY header naming its client, FastCGI one-shot). */
    private final boolean reusable;
    private Channel channel;
    /** Last activity: the start of an idle spell, or the last byte either way while serving. */
    private long quietSince;
    /** The server timeout while serving; 0 when it does not apply. */
    private long serverTimeoutNanos;
    /** The one pending check of both timeouts, and when it runs. */
    private ScheduledFuture<?> timer;
    private long timerDue;
    private UpstreamExchange exchange;
    private boolean idle;
    private int requests;

    UpstreamConnection(ServerPool pool, long idleTimeoutNanos, boolean reusable) {
        this.pool = pool;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.reusable = reusable;
    }

    /** Whether it may go back to the pool after its exchange. */
    boolean reusable() {
        return reusable && channel.isActive();
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

    /**
     * Starts timing the server's silence: from now, and after every read or {@link #touch}, it has
     * {@code timeoutNanos} to send something, else the exchange hears {@link UpstreamExchange#upstreamTimeout}.
     */
    public void startServerTimer(long timeoutNanos) {
        serverTimeoutNanos = timeoutNanos;
        quietSince = System.nanoTime();
        checkBy(quietSince + timeoutNanos);
    }

    /** Activity that counts against the server timeout besides reads: request bytes sent. */
    public void touch() {
        quietSince = System.nanoTime();
    }

    /** The server's silence no longer matters (the response ended, or a tunnel takes over). */
    public void stopServerTimer() {
        serverTimeoutNanos = 0;
    }

    /** The exchange is done and the connection is clean: hand it back to its pool for reuse. */
    public void release() {
        exchange = null;
        serverTimeoutNanos = 0;
        channel.config().setAutoRead(true);
        pool.release(this);
    }

    /** The exchange is done but the connection cannot be reused. */
    public void close() {
        exchange = null;
        serverTimeoutNanos = 0;
        channel.close();
    }

    /**
     * The connection leaves HTTP for a byte tunnel to {@code client}: its codec and this handler leave
     * the pipeline, so it never goes back to the pool; it stays counted as open until it closes.
     */
    public void tunnelTo(Channel client) {
        exchange = null;
        serverTimeoutNanos = 0;
        idle = false;
        ChannelPipeline p = channel.pipeline();
        p.replace(this, "tunnel", new TunnelHandler(client));
        p.remove("codec");
    }

    boolean isIdle() {
        return idle;
    }

    void markIdle() {
        idle = true;
        quietSince = System.nanoTime();
        checkBy(quietSince + idleTimeoutNanos);
    }

    /** Makes sure a check runs by {@code due}; a later pending check is replaced (rare: timeouts differ). */
    private void checkBy(long due) {
        if (timer != null) {
            if (timerDue - due <= 0) {
                return;
            }
            timer.cancel(false);
        }
        timerDue = due;
        timer = channel.eventLoop().schedule(this::checkTimeouts, Math.max(0, due - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    /**
     * Idle: close before the server's own keepalive timeout could close it under a new request.
     * Serving: tell the exchange that the server has been silent too long.
     */
    private void checkTimeouts() {
        timer = null;
        if (!channel.isActive()) {
            return;
        }
        long limit = idle ? idleTimeoutNanos : exchange != null ? serverTimeoutNanos : 0;
        if (limit == 0) {
            return;
        }
        long quiet = System.nanoTime() - quietSince;
        if (quiet < limit) {
            checkBy(quietSince + limit);
        } else if (idle) {
            channel.close();
        } else {
            serverTimeoutNanos = 0;
            exchange.upstreamTimeout(this);
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
            quietSince = System.nanoTime();
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
        if (timer != null) {
            timer.cancel(false);
            timer = null;
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
