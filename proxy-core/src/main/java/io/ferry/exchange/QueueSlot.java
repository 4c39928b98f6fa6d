package io.ferry.exchange;

import io.ferry.upstream.Backend;
import io.ferry.upstream.SlotWaiter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An exchange's place in its backend's queue while every server is at max-conns. {@link #wake} may
 * come from any thread; the retry runs on the client's event loop. The phase word makes waking,
 * timing out and leaving mutually exclusive, so a slot is never handed to a waiter that is gone.
 */
final class QueueSlot implements SlotWaiter, Runnable {
    private static final int NONE = 0;
    private static final int WAITING = 1;
    private static final int WOKEN = 2;

    private final OriginResponder origin;
    private final Backend backend;
    private final EventLoop loop;
    private final long timeoutNanos;
    private final AtomicInteger phase = new AtomicInteger(NONE);
    private long deadline;
    private ScheduledFuture<?> timeout;

    QueueSlot(OriginResponder origin, Backend backend, EventLoop loop, long timeoutNanos) {
        this.origin = origin;
        this.backend = backend;
        this.loop = loop;
        this.timeoutNanos = timeoutNanos;
    }

    /** Joins the queue (at the front after a lost race, keeping the first deadline); false when it is full. */
    boolean enqueue(boolean atFront) {
        if (!atFront) {
            deadline = System.nanoTime() + timeoutNanos;
        }
        phase.set(WAITING);
        if (!backend.enqueue(this, atFront)) {
            phase.set(NONE);
            return false;
        }
        if (timeout == null) {
            timeout = loop.schedule(this::timedOut, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        return true;
    }

    @Override
    public boolean wake() {
        if (phase.compareAndSet(WAITING, WOKEN)) {
            loop.execute(this);
            return true;
        }
        return false;
    }

    @Override
    public void run() {
        phase.compareAndSet(WOKEN, NONE);
        origin.retryFromQueue();
    }

    private void timedOut() {
        timeout = null;
        if (phase.compareAndSet(WAITING, NONE)) {
            backend.leave(this);
            origin.queueTimedOut();
        }
    }

    /** Leaves the queue, so its place counts against max-queue no longer; a wake-up not used is passed on. */
    void cancel() {
        cancelTimer();
        int was = phase.getAndSet(NONE);
        if (was == WOKEN) {
            backend.wakeOne();
        } else if (was == WAITING) {
            backend.leave(this);
        }
    }

    void cancelTimer() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
