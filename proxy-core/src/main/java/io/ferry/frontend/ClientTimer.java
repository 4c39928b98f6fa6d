package io.ferry.frontend;

import io.ferry.exchange.Exchange;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * timeouts.client for one client stream (an HTTP/1.1 connection or an HTTP/2 stream), armed lazily:
 * reads stamp the last activity, and progress on pending writes counts too, checked when the one task
 * fires (it re-arms itself for the remainder when early), so a busy stream schedules almost nothing
 * per request and a slow but live reader is not cut off.
 */
final class ClientTimer implements Runnable {
    /** The stream the timer watches. */
    interface Owner {
        /** Whether a request or its response is under way (between requests other timeouts apply). */
        boolean timerArmed();

        /** The exchange in progress, or null when its response is out. */
        Exchange exchangeInProgress();

        /** Response bytes written but not yet taken by the client. */
        long pendingWriteBytes();

        /**
         * Nothing moved for the whole timeout: the exchange in progress decides (a 408, or cutting a
         * client that stopped reading), or with none left the stream ends.
         */
        void timedOut(Exchange exchange);
    }

    private final ChannelHandlerContext ctx;
    private final Owner owner;
    private final ClientActivity activity = new ClientActivity();
    private long timeoutNanos;
    private ScheduledFuture<?> future;

    ClientTimer(ChannelHandlerContext ctx, Owner owner) {
        this.ctx = ctx;
        this.owner = owner;
    }

    void start(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
        activity.touch(System.nanoTime());
        schedule(timeoutNanos);
    }

    void touch() {
        activity.touch(System.nanoTime());
    }

    /** The stream is gone: drop the task so it does not keep the stream alive. */
    void cancel() {
        if (future != null) {
            future.cancel(false);
            future = null;
        }
    }

    private void schedule(long delayNanos) {
        if (future == null) {
            future = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void run() {
        future = null;
        if (!owner.timerArmed() || !ctx.channel().isActive()) {
            return;
        }
        Exchange exchange = owner.exchangeInProgress();
        long left = activity.remaining(System.nanoTime(), timeoutNanos,
                exchange == null || exchange.responseStarted(), owner.pendingWriteBytes());
        if (left > 0) {
            schedule(left);
            return;
        }
        owner.timedOut(exchange);
        if (owner.timerArmed() && ctx.channel().isActive()) {
            schedule(timeoutNanos);
        }
    }
}
